"""Informal spellings, romanised Thai and emoji used as nouns (nlu/informal.py), through
the normaliser, with spans back into what the citizen typed."""

from __future__ import annotations

import pytest

from nlu import informal
from nlu.normalize import is_normal, normalize, normalize_with_spans


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ช่าย", "ใช่"),
        ("ช่ายค่าาา", "ใช่ค่า"),
        ("ม่ายช่ายค่ะ", "ไม่ใช่ค่ะ"),
        ("น้ำม่ายไหล", "น้ำไม่ไหล"),
        ("ถนนเปนหลุม", "ถนนเป็นหลุม"),
        ("ขอบคุณค่าา", "ขอบคุณค่า"),
        ("จ้าาา", "จ้า"),
        ("ค่ะะ", "ค่ะ"),
        # a widow (แม่ม่าย, หญิงม่าย) is not "no"; เป็น and เปิด stay as they are
        ("แม่ม่ายข้างบ้าน", "แม่ม่ายข้างบ้าน"),
        ("หญิงม่าย", "หญิงม่าย"),
        ("ถนนเป็นหลุม", "ถนนเป็นหลุม"),
        ("เปิดไฟ", "เปิดไฟ"),
    ],
)
def test_informal_spellings(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("tanon pen lum", "ถนน เป็น หลุม"),
        ("Fai Dub", "ไฟ ดับ"),
        ("nam prapa mai lai ka", "น้ำ ประปา ไม่ ไหล ค่ะ"),
        ("khob khun krub", "ขอบ คุณ ครับ"),
    ],
)
def test_romanised_thai_becomes_thai(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "I want to pay my water bill",  # English: no known word
        "my pen is lost",  # one known word among four
        "road พังค่ะ",  # an English word in a Thai sentence
        "fai",  # one word alone is too little to tell
    ],
)
def test_english_and_single_words_stay(raw: str) -> None:
    assert normalize(raw) == raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("🌳 ล้มทับรถ!!!", "ต้นไม้ ล้มทับรถ!!!"),
        ("💡ดับ", "ไฟ ดับ"),
        ("🗑️ล้นแล้ว 🤮", "ถังขยะ ล้นแล้ว 🤮"),
        ("หมาจร 🐕🐕 เต็มซอย", "หมาจร หมา หมา เต็มซอย"),
        ("🚦เสีย", "สัญญาณไฟจราจร เสีย"),
    ],
)
def test_emoji_used_as_nouns_become_words(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw", ["🐶", "🐶🐱", "🌳🌳", "😂😂", "🙏"])
def test_emoji_alone_stay_emoji(raw: str) -> None:
    assert normalize(raw) == raw


@pytest.mark.parametrize("raw", ["🌳 ล้มทับรถ", "ช่ายค่าาา", "tanon pen lum yai", "💡ดับ หน้าบ้าน 🙏"])
def test_spans_map_back_to_what_was_typed(raw: str) -> None:
    norm = normalize_with_spans(raw)
    assert norm.span(0, len(norm.text)) == (0, len(raw))
    assert all(a <= b for a, b in zip(norm.starts, norm.starts[1:], strict=False))
    assert all(s < e for s, e in zip(norm.starts, norm.ends, strict=True))


def test_the_replacement_word_maps_to_the_emoji() -> None:
    raw = "ต้น🌳ล้ม"
    norm = normalize_with_spans(raw)
    start = norm.text.index("ต้นไม้", 1)
    assert norm.span(start, start + len("ต้นไม้")) == (3, 4)


@pytest.mark.parametrize("raw", ["ช่าย", "💡ดับ", "fai dub", "ค่าา"])
def test_the_fast_path_does_not_skip_informal_text(raw: str) -> None:
    assert informal.needs_work(raw) or not is_normal(raw)
    assert not is_normal(raw)


def test_plain_text_takes_the_fast_path() -> None:
    assert is_normal("ไฟหน้าบ้านดับมาสามวัน")
    assert is_normal("road พังค่ะ")
