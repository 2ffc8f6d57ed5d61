"""Which agency a complaint type reaches, read from data/routing.yml (pure; never bot/).

A wrong complaint type only hurts when it sends the ticket to another agency: a pothole
filed as a street-light complaint still reaches the district office. The desk's router
(bot/tickets/routing.py) is the authority at run time; this is a small reading of the same
file for measuring, so that nlu/ stays free of the gateway.

Two types "route alike" when every place in `PLACES` sends them to the same agency. The
places are those a filed complaint normally has (the form asks for it): a Bangkok khet and
a district of another province.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DEFAULT_ROUTING = Path(__file__).resolve().parents[2] / "data" / "routing.yml"
COMPLAINT_PREFIX = "complaint_"


@dataclass(frozen=True)
class Place:
    """Where a complaint is: a province and district, either of which may be unknown."""

    province: str | None = None
    district: str | None = None


PLACES: tuple[Place, ...] = (
    Place("กรุงเทพมหานคร", "บางรัก"),
    Place("เชียงใหม่", "เมืองเชียงใหม่"),
)


def load_rules(path: Path | str = DEFAULT_ROUTING) -> list[dict[str, Any]]:
    """The routing rules, in order."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return list(data["rules"])


def _matches(rule: Mapping[str, Any], complaint_type: str, place: Place) -> bool:
    types = rule.get("types")
    if types is not None and complaint_type not in types:
        return False
    provinces = rule.get("provinces")
    if provinces is not None and place.province not in provinces:
        return False
    not_provinces = rule.get("not_provinces")
    if not_provinces is not None and (place.province is None or place.province in not_provinces):
        return False
    requires = rule.get("requires")
    return requires is None or getattr(place, requires) is not None


def agency_at(rules: Sequence[Mapping[str, Any]], complaint_type: str, place: Place) -> str:
    """The agency (with its per-place level, e.g. `bma/district`) the first matching rule
    names; the rules end with a catch-all, so there always is one."""
    for rule in rules:
        if _matches(rule, complaint_type, place):
            per = rule.get("per")
            return f"{rule['agency']}/{per}" if per else str(rule["agency"])
    raise ValueError(f"no routing rule matches {complaint_type} at {place}")


def is_complaint(intent: str | None) -> bool:
    """Whether an intent files a complaint."""
    return bool(intent and intent.startswith(COMPLAINT_PREFIX))


class Routes:
    """Agency of each complaint type over `places`; non-complaints reach no agency."""

    def __init__(
        self, rules: Sequence[Mapping[str, Any]], places: Iterable[Place] = PLACES
    ) -> None:
        self._rules = list(rules)
        self._places = tuple(places)

    @classmethod
    def load(cls, path: Path | str = DEFAULT_ROUTING) -> Routes:
        """Routes of data/routing.yml (or another routing file)."""
        return _cached(str(path))

    def key(self, intent: str | None) -> tuple[str, ...] | None:
        """The agencies the intent reaches at each place; None when it files nothing."""
        if not is_complaint(intent):
            return None
        assert intent is not None
        return tuple(agency_at(self._rules, intent, place) for place in self._places)

    def same_agency(self, gold: str | None, read: str | None) -> bool:
        """Whether filing `read` reaches the agency that `gold` should reach.

        A non-complaint read as a non-complaint is "same" (nothing filed either way); a
        complaint read as a non-complaint, or the reverse, is not.
        """
        return self.key(gold) == self.key(read)

    def groups(self, intents: Iterable[str]) -> list[list[str]]:
        """Complaint intents grouped by the agencies they reach."""
        by_key: dict[tuple[str, ...], list[str]] = {}
        for intent in sorted(set(intents)):
            key = self.key(intent)
            if key is not None:
                by_key.setdefault(key, []).append(intent)
        return sorted(by_key.values(), key=lambda group: (-len(group), group))


@lru_cache(maxsize=4)
def _cached(path: str) -> Routes:
    return Routes(load_rules(path))
