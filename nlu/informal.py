"""How citizens write when they type fast: informal spellings, romanised Thai, emoji as nouns.

Steps of `nlu.normalize`'s pipeline, on the same "pieces" (one output character and the
span of original characters it came from), so entity spans still map back exactly:

- `informal_spellings_pieces`: ช่าย → ใช่, ม่าย → ไม่ (not in แม่ม่าย/หญิงม่าย, a widow),
  เปน → เป็น, and a doubled า or ะ (ค่าา, ค่ะะ), which no Thai word has.
- `romanised_pieces`: a message written in Latin letters whose words are mostly romanised
  Thai ("tanon pen lum", "fai dub") gets each known word in Thai. At least two known words
  and half of the Latin words must be known, so English stays English.
- `emoji_nouns_pieces`: an emoji that stands for a thing (🌳, 💡, 🗑️, 🐕, 🚦) becomes its
  Thai word when the message also has words ("🌳 ล้มทับรถ", "💡ดับ"); a message of emoji
  alone stays as it is (it is chat, `out_of_scope`).

Pure; no Rasa. The word lists are small on purpose: each entry is the common reading.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Piece = tuple[str, int, int]

# Informal spellings: (pattern, replacement). Patterns see the whole normalised text.
INFORMAL: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile("ช่าย"), "ใช่"),
    (re.compile("(?<!แม่)(?<!หญิง)ม่าย"), "ไม่"),
    (re.compile("เปน(?![\u0e31\u0e34-\u0e3a\u0e47-\u0e4e])"), "เป็น"),
    (re.compile("\u0e32{2,}"), "\u0e32"),
    (re.compile("\u0e30{2,}"), "\u0e30"),
)

# Romanised Thai as citizens type it (no tone marks, several spellings per word).
ROMANISED: dict[str, str] = {}
for _thai, _spellings in {
    "ถนน": "tanon thanon tanorn thanorn",
    "เป็น": "pen bpen",
    "หลุม": "lum loom lhum",
    "ไฟ": "fai",
    "ไฟฟ้า": "faifa faifah",
    "ดับ": "dub dab dap daab",
    "น้ำ": "nam naam",
    "ท่วม": "tuam thuam tuem",
    "ขยะ": "kaya khaya kayah",
    "ไม่": "mai mhai",
    "มี": "mee mii",
    "ใคร": "krai khrai",
    "มา": "ma maa",
    "หมา": "mha mah",
    "แมว": "maew meaw",
    "เก็บ": "gep kep keb geb",
    "วัน": "wan",
    "แล้ว": "laew leaw laeo",
    "มาก": "mak maak",
    "เยอะ": "yer yoe yuh",
    "จรจัด": "jonjad",
    "จร": "jon",
    "กัด": "kad gud gad",
    "เด็ก": "dek",
    "นักเรียน": "nakrian nakrean",
    "ประปา": "prapa prapaa praphaa",
    "ไหล": "lai lhai",
    "ค่ะ": "ka kha kah",
    "ครับ": "krub krap khrap krab kub krup",
    "ซอย": "soi soy",
    "บ้าน": "baan bahn",
    "ผม": "pom phom",
    "รถ": "rot rod",
    "ติด": "tid tit",
    "แดง": "daeng",
    "ดัง": "dang",
    "นาน": "nan naan",
    "เสียง": "siang seang sieng",
    "ตอน": "ton torn",
    "กลาง": "klang glang",
    "คืน": "kuen keun khuen",
    "สวัสดี": "sawasdee sawadee sawatdee",
    "ขอบ": "khob kob khop",
    "คุณ": "khun kun",
    "ขอบคุณ": "khobkhun kobkun khopkhun",
    "ใช่": "chai",
    "อยาก": "yak yaak",
    "แจ้ง": "jaeng chaeng",
    "เสีย": "sia",
    "พัง": "pang phang",
    "ต้นไม้": "tonmai",
    "ล้ม": "lom",
    "ให้": "hai",
    "ด้วย": "duay duai",
    "ช่วย": "chuay chuai",
    "หน่อย": "noi noy",
    "ที่": "tee tii",
    "ทาง": "tang thang",
    "เท้า": "tao",
    "คน": "kon khon",
    "เดิน": "dern doen",
    "ทุก": "tuk thuk",
    "มืด": "mued meud",
    "เหม็น": "men",
    "สกปรก": "sakprok",
    "ท่อ": "tor",
    "ตัน": "tan",
    "ขวาง": "kwang khwang",
    "จอด": "jod jot",
}.items():
    for _spelling in _spellings.split():
        ROMANISED[_spelling] = _thai

_LATIN_WORD = re.compile("[A-Za-z]+")

# Emoji that stand for things a complaint is about. Skin tones and variation selectors
# after them go with them.
EMOJI_NOUNS: dict[str, str] = {
    "🌳": "ต้นไม้",
    "🌲": "ต้นไม้",
    "🌴": "ต้นไม้",
    "💡": "ไฟ",
    "🚦": "สัญญาณไฟจราจร",
    "🚥": "สัญญาณไฟจราจร",
    "🗑": "ถังขยะ",
    "🚮": "ทิ้งขยะ",
    "💧": "น้ำ",
    "🚰": "น้ำประปา",
    "🌊": "น้ำ",
    "🐕": "หมา",
    "🐶": "หมา",
    "🐩": "หมา",
    "🐈": "แมว",
    "🐱": "แมว",
    "🐍": "งู",
    "🐀": "หนู",
    "🐁": "หนู",
    "🦟": "ยุง",
    "🚗": "รถ",
    "🚙": "รถ",
    "🛻": "รถกระบะ",
    "🏍": "มอเตอร์ไซค์",
    "🛵": "มอเตอร์ไซค์",
    "🚌": "รถเมล์",
    "🔥": "ไฟ",
    "🔊": "เสียงดัง",
    "📢": "เสียงดัง",
    "🕳": "หลุม",
    "🚧": "งานก่อสร้าง",
    "⚡": "ไฟฟ้า",
    "🛣": "ถนน",
    "🌧": "ฝน",
    "☔": "ฝน",
}
_EMOJI = re.compile(
    "(" + "|".join(map(re.escape, sorted(EMOJI_NOUNS, key=len, reverse=True))) + ")"
    "[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]*"
)
_WORD_CHAR = re.compile("[\u0e01-\u0e4ea-zA-Z]")


def _text(pieces: list[Piece]) -> str:
    return "".join(p[0] for p in pieces)


def _replace(pieces: list[Piece], matches: list[tuple[int, int, str]]) -> list[Piece]:
    """Pieces with each (start, end, new) range of the text replaced; the new characters
    carry the union span of the characters they replace."""
    if not matches:
        return pieces
    out: list[Piece] = []
    at = 0
    for start, end, new in matches:
        out.extend(pieces[at:start])
        group = pieces[start:end]
        span_start = group[0][1]
        span_end = max(p[2] for p in group)
        out.extend((ch, span_start, span_end) for ch in new)
        at = end
    out.extend(pieces[at:])
    return out


def informal_spellings_pieces(pieces: list[Piece]) -> list[Piece]:
    """ช่าย → ใช่, ม่าย → ไม่, เปน → เป็น, าา → า, ะะ → ะ."""
    for pattern, new in INFORMAL:
        text = _text(pieces)
        pieces = _replace(pieces, [(m.start(), m.end(), new) for m in pattern.finditer(text)])
    return pieces


def romanised_pieces(pieces: list[Piece]) -> list[Piece]:
    """Romanised Thai words to Thai, when the message's Latin words are mostly romanised
    Thai (two known words at least, and half of its Latin words)."""
    text = _text(pieces)
    words = list(_LATIN_WORD.finditer(text))
    known = [m for m in words if m.group(0).lower() in ROMANISED]
    if len(known) < 2 or 2 * len(known) < len(words):
        return pieces
    return _replace(pieces, [(m.start(), m.end(), ROMANISED[m.group(0).lower()]) for m in known])


def emoji_nouns_pieces(pieces: list[Piece]) -> list[Piece]:
    """Emoji that stand for things become their Thai words, with spaces round them, in a
    message that also has words; emoji-only messages are left alone."""
    text = _text(pieces)
    if not _WORD_CHAR.search(text):
        return pieces
    matches = [(m.start(), m.end(), f" {EMOJI_NOUNS[m.group(1)]} ") for m in _EMOJI.finditer(text)]
    return _replace(pieces, matches)


def needs_work(text: str) -> bool:
    """Whether any of these steps could change `text` (cheap pre-check for `normalize`)."""
    if any(pattern.search(text) for pattern, _ in INFORMAL) or _EMOJI.search(text):
        return True
    known = sum(m.group(0).lower() in ROMANISED for m in _LATIN_WORD.finditer(text))
    return known >= 2


STEPS: tuple[Callable[[list[Piece]], list[Piece]], ...] = (
    informal_spellings_pieces,
    romanised_pieces,
    emoji_nouns_pieces,
)
