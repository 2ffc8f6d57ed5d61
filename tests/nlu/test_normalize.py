"""The pure normalisers and the offset map back to the original text."""

from __future__ import annotations

import random
import unicodedata
from itertools import pairwise

import pytest

from nlu import normalize as N


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("มากกกก", "มาก"),
        ("มากกก", "มาก"),
        ("ไฟดับบบบ", "ไฟดับ"),
        ("ค่ะะะะ", "ค่ะ"),
        ("ครับบบ", "ครับ"),
        # legitimate doubles and triples survive
        ("ธรรม", "ธรรม"),
        ("คณะกรรมการ", "คณะกรรมการ"),
        ("ถนนนี้พัง", "ถนนนี้พัง"),
        ("คะแนนน้อย", "คะแนนน้อย"),
        ("ระบบบริการ", "ระบบบริการ"),
        ("ไอออน", "ไอออน"),
        ("สสส.", "สสส."),
        ("โนนนารายณ์", "โนนนารายณ์"),
        # Latin letters and digits are not Thai elongation
        ("5555", "5555"),
        ("zzz", "zzz"),
    ],
)
def test_collapse_repeats(raw: str, expected: str) -> None:
    assert N.collapse_repeats(raw) == expected
    assert N.normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("มากๆๆๆ", "มากๆ"),
        ("มาก ๆ ๆ ๆ", "มาก ๆ"),
        ("ดี ๆ", "ดี ๆ"),
        ("ดีๆ", "ดีๆ"),
    ],
)
def test_mai_yamok(raw: str, expected: str) -> None:
    assert N.normalize(raw) == expected


def test_zero_width_characters_are_removed() -> None:
    raw = "\ufeffไฟ\u200bดับ\u200c\u200dที่\u2060นี่"
    assert N.strip_zero_width(raw) == "ไฟดับที่นี่"
    assert N.normalize(raw) == "ไฟดับที่นี่"


def test_thai_and_fullwidth_digits() -> None:
    assert N.thai_digits_to_arabic("โทร ๐๘๑๒๓๔๕๖๗๘") == "โทร 0812345678"
    assert N.normalize("๑๒๓ ｄｓ１２") == "123 ds12"


def test_odd_whitespace() -> None:
    assert N.normalize_whitespace("  ไฟ\u00a0\u00a0ดับ\t\nที่\u3000นี่ ") == "ไฟ ดับ ที่ นี่"
    assert N.normalize("  ไฟ\u00a0\u00a0ดับ\t\nที่\u3000นี่ ") == "ไฟ ดับ ที่ นี่"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("น\u0e49\u0e4d\u0e32", "น้ำ"),  # tone, nikhahit, sara aa
        ("น\u0e4d\u0e49\u0e32", "น้ำ"),  # nikhahit, tone, sara aa
        ("ท\u0e4d\u0e32", "ทำ"),  # decomposed sara am
        ("ก\u0e48\u0e48า", "ก่า"),  # duplicated tone mark
        ("ที\u0e35\u0e48", "ที่"),  # duplicated upper vowel
        ("\u0e40\u0e40ม่", "แม่"),  # two sara e typed for sara ae
        ("ท\u0e48\u0e35", "ที่"),  # tone typed before the upper vowel
        ("ก\u0e33\u0e49", "ก้ำ"),  # sara am typed before the tone mark
        ("ก\u0e48\u0e38", "กุ่"),  # NFC reorders below vowel before tone
    ],
)
def test_thai_encoding_quirks(raw: str, expected: str) -> None:
    assert N.normalize(raw) == expected


def test_nfc_composes_latin() -> None:
    assert N.nfc("cafe\u0301") == "café"
    assert N.normalize("cafe\u0301") == "café"


def test_normalize_is_identity_on_clean_text() -> None:
    text = "แจ้งไฟดับที่อำเภอหาดใหญ่ จ.สงขลา โทร 081-234-5678"
    assert N.normalize(text) == text
    norm, index = N.normalize_with_map(text)
    assert norm == text
    assert index == list(range(len(text)))


def test_map_points_each_character_at_its_origin() -> None:
    raw = "\u200bไฟดับบบบ  ที่ ๐๘๑"
    norm, index = N.normalize_with_map(raw)
    assert norm == "ไฟดับ ที่ 081"
    assert len(index) == len(norm)
    assert [raw[i] for i in index[:5]] == list("ไฟดับ")
    assert raw[index[norm.index("0")]] == "๐"


@pytest.mark.parametrize(
    ("raw", "word", "original"),
    [
        ("แจ้ง ไฟดับบบบ ด่วน", "ไฟดับ", "ไฟดับบบบ"),
        ("ไฟ\u200bดับ ที่นี่", "ไฟดับ", "ไฟ\u200bดับ"),
        ("โทร ๐๘๑ ครับ", "081", "๐๘๑"),
        ("น\u0e4d\u0e49\u0e32 ท่วม", "น้ำ", "น\u0e4d\u0e49\u0e32"),
        ("มากกกก ๆ ๆ", "มาก ๆ", "มากกกก ๆ ๆ"),
        ("  \u00a0สวัสดี", "สวัสดี", "สวัสดี"),
    ],
)
def test_span_maps_back_to_exact_original(raw: str, word: str, original: str) -> None:
    norm = N.normalize_with_spans(raw)
    start = norm.text.index(word)
    o_start, o_end = norm.span(start, start + len(word))
    assert raw[o_start:o_end] == original


def test_span_rejects_out_of_range() -> None:
    norm = N.normalize_with_spans("ไฟดับ")
    with pytest.raises(ValueError):
        norm.span(0, 99)


def test_random_text_is_normalised_idempotently_with_monotonic_spans() -> None:
    alphabet = [chr(c) for c in range(0x0E01, 0x0E5C)] + list("  \u00a0\u200b\tab09.-ๆกา่ํเ")
    rng = random.Random(20240601)
    for _ in range(3000):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        norm = N.normalize_with_spans(raw)
        assert norm.text == N.normalize(raw)
        assert N.normalize(norm.text) == norm.text, repr(raw)
        assert unicodedata.is_normalized("NFC", norm.text)
        assert all(a <= b for a, b in pairwise(norm.starts))
        assert all(a <= b for a, b in pairwise(norm.ends))
        assert all(s < e <= len(raw) for s, e in zip(norm.starts, norm.ends, strict=True))


def test_fast_path_agrees_with_full_pipeline() -> None:
    from pythainlp.corpus import thai_words

    words = sorted(thai_words())[::7]
    slow = ["".join(p[0] for p in N._run(w, N.PIPELINE)) for w in words]
    assert [N.normalize(w) for w in words] == slow


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/greet", "／greet"),
        ('  /inform{"x": 1}', '  ／inform{"x": 1}'),
        ("ถนนพัง / ไฟดับ", "ถนนพัง / ไฟดับ"),
        ("", ""),
    ],
)
def test_a_typed_leading_slash_is_no_command(text: str, expected: str) -> None:
    assert N.typed(text) == expected
    assert len(N.typed(text)) == len(text)  # offsets into the text stay true
