"""Pure Thai text normalisers, plus an offset-preserving variant.

Every step works on "pieces": one output character together with the half-open span
``[start, end)`` of the original characters it was made from. A step that turns k
original characters into m output characters gives each of the m the union span, so
spans never shrink or go backwards and any normalised range maps back to an exact
original range (`Normalized.span`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nlu import informal

Piece = tuple[str, int, int]

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
MAI_YAMOK = "ๆ"
NIKHAHIT = "\u0e4d"
SARA_AA = "\u0e32"
SARA_AM = "\u0e33"
SARA_E = "\u0e40"
SARA_AE = "\u0e41"
TONE_MARKS = frozenset("\u0e48\u0e49\u0e4a\u0e4b")
UPPER_VOWELS = frozenset("\u0e31\u0e34\u0e35\u0e36\u0e37")
# Non-spacing Thai marks: mai han-akat, upper/lower vowels, phinthu, maitaikhu, tone
# marks, thanthakhat, nikhahit, yamakkan. Typed twice they are never legitimate.
THAI_MARKS = frozenset(
    "\u0e31" + "".join(map(chr, range(0x0E34, 0x0E3B))) + "".join(map(chr, range(0x0E47, 0x0E4F)))
)
# Words that really contain a letter three or more times in a row.
PROTECTED_RUNS: tuple[str, ...] = (
    "สสส",
    "ททท",
    "ไอออน",
    "แววว",
    "งงง",
    "เออออ",
    "เอออวย",
    "อือออ",
    "กกกอด",
    "สมานัตตตา",
    "ขุนนนท์",
    "โคกกก",
    "กกกุง",
    "นกกก",
)
# Common words ending in a doubled consonant: before a word starting with the same
# letter they make a legitimate triple (ถนน + นี้ = ถนนนี้), which must not collapse.
DOUBLE_FINAL_WORDS: tuple[str, ...] = (
    "ถนน",
    "คะแนน",
    "จำนน",
    "แบบ",
    "ระบบ",
    "สารบบ",
    "แดด",
    "โดด",
    "แวว",
    "สรร",
    "หมม",
    "โนน",
)

# Anything any pipeline step could change. Text without a hit is already normal, which
# is true of most chat messages and dictionary words, and skips the per-char pipeline.
_NEEDS_WORK = re.compile(
    "[\u200b\u200c\u200d\u2060\ufeff\u00ad\u0e50-\u0e59\uff01-\uff5e\u0e4d\u0e46]"
    "|[^\\S ]|^ | $|  "
    "|\u0e40\u0e40|[\u0e48-\u0e4b][\u0e31\u0e34-\u0e37]|\u0e33[\u0e48-\u0e4b]"
    "|([\u0e01-\u0e4e])\\1"
)

_CHAR_MAP: dict[str, str] = {t: str(i) for i, t in enumerate(THAI_DIGITS)}
_CHAR_MAP.update({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})


def _is_thai_consonant(ch: str) -> bool:
    return "\u0e01" <= ch <= "\u0e2e"


def _is_thai_repeatable(ch: str) -> bool:
    """Thai letters, vowels and marks (not digits, not ๆ) that collapse when repeated."""
    return "\u0e01" <= ch <= "\u0e4e" and ch != MAI_YAMOK


def _merged(chars: str, group: list[Piece]) -> list[Piece]:
    start = group[0][1]
    end = max(p[2] for p in group)
    return [(c, start, end) for c in chars]


def _text(pieces: list[Piece]) -> str:
    return "".join(p[0] for p in pieces)


def nfc_pieces(pieces: list[Piece]) -> list[Piece]:
    """Unicode NFC, composed per combining sequence so spans stay exact."""
    text = _text(pieces)
    if unicodedata.is_normalized("NFC", text):
        return pieces
    out: list[Piece] = []
    group: list[Piece] = []

    def flush() -> None:
        if not group:
            return
        raw = _text(group)
        composed = unicodedata.normalize("NFC", raw)
        out.extend(group if composed == raw else _merged(composed, group))
        group.clear()

    for piece in pieces:
        ch = piece[0]
        if group and unicodedata.combining(ch) == 0:
            raw = _text(group)
            # A starter can still compose with what precedes it (e.g. Hangul jamo).
            if len(unicodedata.normalize("NFC", raw + ch)) > len(unicodedata.normalize("NFC", raw)):
                flush()
        group.append(piece)
    flush()
    return out


def strip_zero_width_pieces(pieces: list[Piece]) -> list[Piece]:
    """Drop zero-width spaces/joiners, word joiner, BOM and soft hyphen."""
    return [p for p in pieces if p[0] not in ZERO_WIDTH]


def map_chars_pieces(pieces: list[Piece]) -> list[Piece]:
    """Thai and full-width digits/letters to ASCII; any odd whitespace to a space."""
    out: list[Piece] = []
    for ch, start, end in pieces:
        if ch.isspace():
            ch = " "
        out.append((_CHAR_MAP.get(ch, ch), start, end))
    return out


def fix_thai_quirks_pieces(pieces: list[Piece]) -> list[Piece]:
    """Fix typing/encoding quirks: เเ, decomposed sara am, misplaced tone marks."""
    out: list[Piece] = []
    i = 0
    n = len(pieces)
    while i < n:
        ch = pieces[i][0]
        nxt = pieces[i + 1][0] if i + 1 < n else ""
        nxt2 = pieces[i + 2][0] if i + 2 < n else ""
        if ch == SARA_E and nxt == SARA_E:  # two sara e typed for sara ae
            out.extend(_merged(SARA_AE, pieces[i : i + 2]))
            i += 2
        elif ch == NIKHAHIT and nxt == SARA_AA:  # ํ + า
            out.extend(_merged(SARA_AM, pieces[i : i + 2]))
            i += 2
        elif ch == NIKHAHIT and nxt in TONE_MARKS and nxt2 == SARA_AA:  # ํ + ่ + า
            out.extend(_merged(nxt + SARA_AM, pieces[i : i + 3]))
            i += 3
        elif ch in TONE_MARKS and nxt in UPPER_VOWELS:  # tone typed before upper vowel
            out.extend(_merged(nxt + ch, pieces[i : i + 2]))
            i += 2
        elif ch == SARA_AM and nxt in TONE_MARKS:  # ำ + ่ is rendered as ่ + ำ
            out.extend(_merged(nxt + ch, pieces[i : i + 2]))
            i += 2
        else:
            out.append(pieces[i])
            i += 1
    return out


def dedupe_marks_pieces(pieces: list[Piece]) -> list[Piece]:
    """Collapse a Thai vowel/tone mark typed twice or more in a row to one."""
    out: list[Piece] = []
    for piece in pieces:
        if out and piece[0] in THAI_MARKS and out[-1][0] == piece[0]:
            last = out[-1]
            out[-1] = (last[0], last[1], max(last[2], piece[2]))
        else:
            out.append(piece)
    return out


def _protected_ranges(text: str) -> list[tuple[int, int]]:
    ranges = []
    for word in PROTECTED_RUNS:
        pos = text.find(word)
        while pos >= 0:
            ranges.append((pos, pos + len(word)))
            pos = text.find(word, pos + len(word))
    return ranges


def _legit_run(text: str, start: int, end: int, protected: list[tuple[int, int]]) -> bool:
    if any(s <= start and end <= e for s, e in protected):
        return True
    if end - start != 3 or not _is_thai_consonant(text[start]):
        return False
    head = text[: start + 2]
    return any(head.endswith(word) for word in DOUBLE_FINAL_WORDS)


def collapse_repeats_pieces(pieces: list[Piece]) -> list[Piece]:
    """Collapse 3+ identical Thai letters/vowels/marks (มากกกก -> มาก), keep doubles."""
    text = _text(pieces)
    protected = _protected_ranges(text)
    out: list[Piece] = []
    i = 0
    n = len(pieces)
    while i < n:
        j = i + 1
        while j < n and text[j] == text[i]:
            j += 1
        if j - i >= 3 and _is_thai_repeatable(text[i]) and not _legit_run(text, i, j, protected):
            out.extend(_merged(text[i], pieces[i:j]))
        else:
            out.extend(pieces[i:j])
        i = j
    return out


def collapse_mai_yamok_pieces(pieces: list[Piece]) -> list[Piece]:
    """Collapse repeated ๆ (ๆๆๆ, ๆ ๆ) to a single ๆ."""
    out: list[Piece] = []
    i = 0
    n = len(pieces)
    while i < n:
        if pieces[i][0] != MAI_YAMOK:
            out.append(pieces[i])
            i += 1
            continue
        j = i + 1
        last = i
        while j < n and pieces[j][0] in (MAI_YAMOK, " "):
            if pieces[j][0] == MAI_YAMOK:
                last = j
            j += 1
        out.extend(_merged(MAI_YAMOK, pieces[i : last + 1]))
        i = last + 1
    return out


def whitespace_pieces(pieces: list[Piece]) -> list[Piece]:
    """Collapse runs of spaces to one and trim both ends."""
    out: list[Piece] = []
    for piece in pieces:
        if piece[0] == " " and (not out or out[-1][0] == " "):
            if out:
                last = out[-1]
                out[-1] = (" ", last[1], piece[2])
            continue
        out.append(piece)
    if out and out[-1][0] == " ":
        out.pop()
    return out


def thai_marks_pieces(pieces: list[Piece]) -> list[Piece]:
    """NFC, quirk fixes and mark de-duplication, repeated until nothing changes."""
    for _ in range(4):  # each round can only expose a few new fixes
        before = _text(pieces)
        pieces = dedupe_marks_pieces(fix_thai_quirks_pieces(nfc_pieces(pieces)))
        if _text(pieces) == before:
            break
    return pieces


PIPELINE: tuple[Callable[[list[Piece]], list[Piece]], ...] = (
    strip_zero_width_pieces,
    map_chars_pieces,
    thai_marks_pieces,
    collapse_repeats_pieces,
    collapse_mai_yamok_pieces,
    *informal.STEPS,  # ช่าย, romanised Thai, emoji as nouns (nlu/informal.py)
    whitespace_pieces,
)


@dataclass(frozen=True)
class Normalized:
    """Normalised text with, per character, the original span it came from."""

    original: str
    text: str
    starts: list[int]
    ends: list[int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalised range ``[start, end)`` to the exact original range."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"range {start}:{end} outside 0:{len(self.text)}")
        if start == end:
            pos = self.starts[start] if start < len(self.text) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


def is_normal(text: str) -> bool:
    """True when `normalize` would return `text` unchanged (cheap pre-check)."""
    return (
        _NEEDS_WORK.search(text) is None
        and unicodedata.is_normalized("NFC", text)
        and not informal.needs_work(text)
    )


def _run(text: str, steps: Iterable[Callable[[list[Piece]], list[Piece]]]) -> list[Piece]:
    pieces: list[Piece] = [(ch, i, i + 1) for i, ch in enumerate(text)]
    for step in steps:
        pieces = step(pieces)
    return pieces


def normalize_with_spans(text: str) -> Normalized:
    """Normalise `text`, keeping the original span of every output character."""
    if is_normal(text):
        return Normalized(
            original=text,
            text=text,
            starts=list(range(len(text))),
            ends=list(range(1, len(text) + 1)),
        )
    pieces = _run(text, PIPELINE)
    return Normalized(
        original=text,
        text=_text(pieces),
        starts=[p[1] for p in pieces],
        ends=[p[2] for p in pieces],
    )


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Normalise `text`; also return, per output char, the original index it came from."""
    norm = normalize_with_spans(text)
    return norm.text, norm.starts


def normalize(text: str) -> str:
    """Full normalisation (NFC, zero-width, digits, Thai quirks, repeats, informal
    spellings, romanised Thai, emoji as nouns, whitespace)."""
    if is_normal(text):
        return text
    return _text(_run(text, PIPELINE))


def _str_step(step: Callable[[list[Piece]], list[Piece]]) -> Callable[[str], str]:
    def apply(text: str) -> str:
        return _text(_run(text, (step,)))

    apply.__doc__ = step.__doc__
    return apply


nfc = _str_step(nfc_pieces)
strip_zero_width = _str_step(strip_zero_width_pieces)
map_chars = _str_step(map_chars_pieces)
fix_thai_quirks = _str_step(fix_thai_quirks_pieces)
collapse_repeats = _str_step(collapse_repeats_pieces)
collapse_mai_yamok = _str_step(collapse_mai_yamok_pieces)
_THAI_DIGIT_TABLE = str.maketrans(THAI_DIGITS, "0123456789")


def normalize_whitespace(text: str) -> str:
    """Turn any run of Unicode whitespace (NBSP, tabs, newlines...) into one space."""
    return " ".join(text.split())


def thai_digits_to_arabic(text: str) -> str:
    """Replace Thai digits ๐-๙ with 0-9 (same length, so offsets are unchanged)."""
    return text.translate(_THAI_DIGIT_TABLE)


def typed(text: str) -> str:
    """What a citizen typed, never read as a command: Rasa takes "/intent{...}" as an
    intent given outright (the desk's buttons use that, as postbacks), so a typed leading
    slash becomes a full-width one (the same to a reader, plain text to Rasa, and the same
    length, so offsets are unchanged)."""
    stripped = text.lstrip()
    if not stripped.startswith("/"):
        return text
    return text[: len(text) - len(stripped)] + "／" + stripped[1:]
