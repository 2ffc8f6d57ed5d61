"""Province and district matching against the gazetteer (pure, works on normalised text).

Longest match wins at every position. A match that is not acceptable in its context
(a district name without อ./อำเภอ/เขต, a province that is also an everyday word) is
skipped whole, so ``อุบลรัตน์`` never yields the province alias ``อุบล``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlu.entities.parsers import DISTRICT, PROVINCE, EntityMatch
from nlu.geo import MUEANG, Gazetteer

BANGKOK = "กรุงเทพมหานคร"
PROVINCE_PREFIXES = ("จังหวัด", "จ.")
DISTRICT_PREFIXES = ("กิ่งอำเภอ", "อำเภอ", "อ.", "เขต")
# Thai characters that cannot start a syllable: they attach to the preceding consonant.
_DEPENDENT = frozenset("ะัาำิีึืฺุู็่้๊๋์ํ๎ๅ")
_LEADING_VOWELS = frozenset("เแโใไ")
_PAIYANNOI = "ฯ"
_MIN_CONTEXT_DISTRICT = 4  # shorter bare names are too often ordinary words
# Words that put a place right after them: "แถวบางนา", "ที่ บางรัก". Bangkokians name
# their khet this way without เขต, so a khet name after one of these is accepted.
LOCATIVE_CUES = ("แถว", "ย่าน", "บริเวณ", "ใน", "ที่", "อยู่")
# A road, soi or lane named after a place is not in that place: ถนนเพชรบุรี and ถนน
# นครสวรรค์ are in Bangkok, ซอยลาดพร้าว 71 is in Wang Thonglang, ถนนบางนา-ตราด runs to
# Trat. A name right after one of these words (hyphenated parts included) is the road's,
# never a province or district of its own; a prefixed one (เขตบางนา) still is.
_ROAD_NAME = re.compile(r"(?:ถนน|ถ\.|ซอย|ซ\.|ตรอก|ทางหลวง)\s?([^\s]+)")


def _road_names(text: str, boundaries: frozenset[int] | None) -> list[tuple[int, int]]:
    """Spans of the names that follow a road word: up to the next space or locative word
    (ที่, แถว…), or, when the text's word boundaries are known, the next word (and any a
    hyphen joins to it), so that "ถนนพหลโยธินเชียงราย" still names Chiang Rai."""
    spans = []
    for found in _ROAD_NAME.finditer(text):
        start, end = found.span(1)
        if boundaries is not None:
            stops = sorted(b for b in boundaries if start < b < end)
            cut = stops[0] if stops else end
            while cut < end and text[cut] == "-":
                cut = next((b for b in stops if b > cut + 1), end)
            end = cut
        else:
            # "ถนนพังที่เมืองย่าโม": without word boundaries, a locative word ends the name.
            end = min(
                [end, *(i for cue in LOCATIVE_CUES if (i := text.find(cue, start, end)) >= 0)]
            )
        spans.append((start, end))
    return spans


# How a surface form relates to the place it names.
VIA_NAME = "name"  # official Thai name
VIA_ALIAS = "alias"  # nickname or short form; matches without a prefix
VIA_ENGLISH = "english"
VIA_PREFIX_ONLY = "prefix_only"  # also an everyday word: needs จ./จังหวัด
VIA_MUEANG = "mueang"  # เมือง + province: distinctive enough without a prefix
VIA_MUEANG_BARE = "mueang_bare"  # bare เมือง: needs a prefix and a province


@dataclass(frozen=True)
class Candidate:
    """A place a surface form may stand for."""

    kind: str
    name: str
    province: str
    via: str


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    candidates: tuple[Candidate, ...]
    prefix: str | None  # PROVINCE, DISTRICT or None
    prefix_text: str = ""
    after_cue: bool = False


class _Node:
    """Character trie node; `candidates` is non-empty where a surface form ends."""

    __slots__ = ("children", "candidates")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.candidates: list[Candidate] = []


def _is_abbreviation(surface: str) -> bool:
    """Thai abbreviations are short runs of consonants: กทม, กทม."""
    return len(surface) <= 4 and all("ก" <= ch <= "ฮ" for ch in surface)


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class PlaceMatcher:
    """Finds province and district mentions in normalised text."""

    def __init__(self, gazetteer: Gazetteer, *, english_names: bool = True) -> None:
        """Index every surface form of every place in a character trie."""
        self._root = _Node()
        self._mueang: dict[str, str] = {}  # province -> its เมือง district name
        prefix_only = set(gazetteer.prefix_only)
        for p in gazetteer.provinces:
            via = VIA_PREFIX_ONLY if p.name in prefix_only else VIA_NAME
            self._add(p.name, Candidate(PROVINCE, p.name, p.name, via))
            if english_names and p.name_en:
                en_via = VIA_PREFIX_ONLY if via == VIA_PREFIX_ONLY else VIA_ENGLISH
                self._add(p.name_en.lower(), Candidate(PROVINCE, p.name, p.name, en_via))
        for alias, name in gazetteer.province_aliases.items():
            via = VIA_ENGLISH if alias.isascii() else VIA_ALIAS
            if via == VIA_ENGLISH and not english_names:
                continue
            self._add(alias, Candidate(PROVINCE, name, name, via))
        for d in gazetteer.districts:
            is_mueang = d.name == MUEANG + d.province
            via = VIA_MUEANG if is_mueang else VIA_NAME
            cand = Candidate(DISTRICT, d.name, d.province, via)
            self._add(d.name, cand)
            if "-" in d.name:
                self._add(d.name.replace("-", ""), cand)
            if is_mueang:
                self._mueang[d.province] = d.name
        for alias, name in gazetteer.province_aliases.items():
            if name in self._mueang and not alias.isascii():
                cand = Candidate(DISTRICT, self._mueang[name], name, VIA_MUEANG)
                self._add(MUEANG + alias, cand)
        for alias, (name, province) in gazetteer.district_aliases.items():
            self._add(alias, Candidate(DISTRICT, name, province, VIA_ALIAS))
        self._add(MUEANG, Candidate(DISTRICT, MUEANG, "", VIA_MUEANG_BARE))

    def _add(self, surface: str, candidate: Candidate) -> None:
        node = self._root
        for ch in surface:
            node = node.children.setdefault(ch, _Node())
        if candidate not in node.candidates:
            node.candidates.append(candidate)

    def _matches(self, text: str, start: int) -> list[tuple[int, tuple[Candidate, ...]]]:
        """Every surface starting at `start`, longest first."""
        node: _Node | None = self._root
        found = []
        for i in range(start, len(text)):
            node = node.children.get(text[i]) if node else None
            if node is None:
                break
            if node.candidates:
                found.append((i + 1, tuple(node.candidates)))
        return found[::-1]

    @staticmethod
    def _prefix_at(text: str, i: int) -> tuple[str, str, int] | None:
        for kind, prefixes in ((PROVINCE, PROVINCE_PREFIXES), (DISTRICT, DISTRICT_PREFIXES)):
            for prefix in prefixes:
                if text.startswith(prefix, i):
                    j = i + len(prefix)
                    while j < len(text) and text[j] == " ":
                        j += 1
                    return kind, prefix, j
        return None

    @staticmethod
    def _bounded(text: str, start: int, end: int, boundaries: frozenset[int] | None) -> bool:
        if boundaries is not None:
            if start not in boundaries:
                return False
            # A tokenizer may keep the dot of กทม. or the ฯ of นครศรีฯ on the token.
            if end not in boundaries and not (
                end < len(text) and text[end] in ".ฯ" and end + 1 in boundaries
            ):
                return False
        first, last = text[start], text[end - 1]
        before = text[start - 1] if start > 0 else " "
        after = text[end] if end < len(text) else " "
        if _is_latin(first) and _is_latin(before):
            return False
        if _is_latin(last) and _is_latin(after):
            return False
        if first in _DEPENDENT or before in _LEADING_VOWELS:
            return False
        return after not in _DEPENDENT

    def _scan(self, text: str, boundaries: frozenset[int] | None) -> list[_Hit]:
        folded = "".join(ch.lower() if ch.isascii() else ch for ch in text)
        roads = _road_names(text, boundaries)
        hits: list[_Hit] = []
        i = 0
        while i < len(text):
            prefix = self._prefix_at(text, i)
            start = prefix[2] if prefix else i
            if not prefix and any(low <= start < high for low, high in roads):
                i += 1  # part of a road's name
                continue
            found = next(
                (
                    (end, cands)
                    for end, cands in self._matches(folded, start)
                    if self._bounded(text, start, end, boundaries)
                ),
                None,
            )
            if found:
                end = found[0]
                if text.startswith(_PAIYANNOI, end) and not text.startswith("ฯลฯ", end):
                    end += 1
                elif text.startswith(".", end) and _is_abbreviation(text[start:end]):
                    end += 1  # the dot belongs to กทม.
                kind, prefix_text = (prefix[0], prefix[1]) if prefix else (None, "")
                cue = not prefix and text[:start].rstrip(" ").endswith(LOCATIVE_CUES)
                hits.append(_Hit(start, end, found[1], kind, prefix_text, cue))
                i = end
            elif prefix:
                i = prefix[2]
            else:
                i += 1
        return hits

    def find(self, text: str, boundaries: frozenset[int] | None = None) -> list[EntityMatch]:
        """Province and district matches in normalised `text`.

        `boundaries`, when given, are the token start/end positions in `text`; a match
        must then start and end on them.
        """
        hits = self._scan(text, boundaries)
        whole = text.strip()
        provinces: list[EntityMatch] = []
        pending: list[_Hit] = []
        for hit in hits:
            choice = self._province_choice(hit, whole_message=text[hit.start : hit.end] == whole)
            if choice:
                provinces.append(EntityMatch(PROVINCE, hit.start, hit.end, choice.name))
            elif hit.prefix != PROVINCE:
                pending.append(hit)
        mentioned = [(m.value, m.start) for m in provinces]
        districts = [m for hit in pending if (m := self._district(hit, mentioned))]
        return sorted(provinces + districts, key=lambda m: m.start)

    @staticmethod
    def _province_choice(hit: _Hit, *, whole_message: bool) -> Candidate | None:
        if hit.prefix == DISTRICT:
            # "ในเขตกรุงเทพ" is "in the Bangkok area": เขต before a bare province name.
            has_district = any(c.kind == DISTRICT for c in hit.candidates)
            if hit.prefix_text != "เขต" or has_district:
                return None
        for cand in hit.candidates:
            if cand.kind != PROVINCE:
                continue
            if cand.via != VIA_PREFIX_ONLY or hit.prefix == PROVINCE or whole_message:
                return cand
        return None

    def _district(self, hit: _Hit, mentioned: list[tuple[str, int]]) -> EntityMatch | None:
        near: dict[str, int] = {}
        for province, pos in mentioned:
            distance = abs(pos - hit.start)
            near[province] = min(near.get(province, distance), distance)
        options: list[Candidate] = []
        for cand in hit.candidates:
            if cand.kind != DISTRICT:
                continue
            if cand.via == VIA_MUEANG_BARE:
                if not hit.prefix:
                    continue  # ในเมือง, เข้าเมือง: "town", not a district
                options.extend(
                    Candidate(DISTRICT, self._mueang[p], p, VIA_MUEANG)
                    for p in near
                    if p in self._mueang
                )
            elif hit.prefix or cand.via in (VIA_ALIAS, VIA_MUEANG):
                options.append(cand)
            elif cand.province in near and hit.end - hit.start >= _MIN_CONTEXT_DISTRICT:
                options.append(cand)
            elif hit.after_cue and cand.province == BANGKOK:
                options.append(cand)
        options = list({(c.name, c.province): c for c in options}.values())
        if not options:
            return None
        in_context = [c for c in options if c.province in near]
        if in_context:
            options = [min(in_context, key=lambda c: near[c.province])]
        elif len(options) > 1 and hit.prefix_text:
            # เขต names a Bangkok district, อ./อำเภอ a district outside Bangkok.
            in_bangkok = hit.prefix_text == "เขต"
            preferred = [c for c in options if (c.province == BANGKOK) == in_bangkok]
            options = preferred or options
        if len({c.name for c in options}) > 1:
            return None  # e.g. "เมือง" with two provinces equally far: don't guess
        best = options[0]
        extra = {PROVINCE: best.province} if len(options) == 1 else {}
        return EntityMatch(DISTRICT, hit.start, hit.end, best.name, extra)
