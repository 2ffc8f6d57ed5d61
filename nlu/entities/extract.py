"""Run every parser over one message and return non-overlapping original-text spans."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from nlu.entities.parsers import (
    DISTRICT,
    ENTITY_TYPES,
    NATIONAL_ID,
    PHONE,
    PROVINCE,
    TICKET_ID,
    EntityMatch,
    find_national_ids,
    find_phones,
    find_ticket_ids,
)
from nlu.entities.places import PlaceMatcher
from nlu.normalize import Normalized, normalize_with_spans

_FINDERS: dict[str, Callable[[str], list[EntityMatch]]] = {
    TICKET_ID: find_ticket_ids,
    NATIONAL_ID: find_national_ids,
    PHONE: find_phones,
}
# On overlap the longer span wins; on equal length the earlier type in ENTITY_TYPES.
_PRIORITY = {name: rank for rank, name in enumerate(ENTITY_TYPES)}


def drop_overlaps(matches: Iterable[EntityMatch]) -> list[EntityMatch]:
    """Keep the longest (then highest-priority) of any overlapping matches, in order."""
    ranked = sorted(matches, key=lambda m: (-(m.end - m.start), _PRIORITY[m.entity], m.start))
    kept: list[EntityMatch] = []
    for match in ranked:
        if all(match.end <= k.start or match.start >= k.end for k in kept):
            kept.append(match)
    return sorted(kept, key=lambda m: m.start)


def token_boundaries(norm: Normalized, spans: Iterable[tuple[int, int]]) -> frozenset[int]:
    """Map token (start, end) offsets in the original text to normalised positions."""
    from bisect import bisect_left

    positions = set()
    for start, end in spans:
        positions.add(bisect_left(norm.starts, start))
        positions.add(bisect_left(norm.starts, end))
    return frozenset(positions)


def extract_entities(
    text: str,
    *,
    places: PlaceMatcher | None = None,
    entity_types: Collection[str] = ENTITY_TYPES,
    token_spans: Iterable[tuple[int, int]] | None = None,
) -> list[EntityMatch]:
    """Entities in `text` with exact spans into `text` itself (not the normalised form)."""
    unknown = set(entity_types) - set(ENTITY_TYPES)
    if unknown:
        raise ValueError(f"unknown entity types: {sorted(unknown)}")
    norm = normalize_with_spans(text)
    found: list[EntityMatch] = []
    for name, finder in _FINDERS.items():
        if name in entity_types:
            found.extend(finder(norm.text))
    if places is not None and {PROVINCE, DISTRICT} & set(entity_types):
        boundaries = None if token_spans is None else token_boundaries(norm, token_spans)
        found.extend(m for m in places.find(norm.text, boundaries) if m.entity in entity_types)
    return [m.moved(*norm.span(m.start, m.end)) for m in drop_overlaps(found)]
