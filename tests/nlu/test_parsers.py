"""Ticket id, phone and national id parsers."""

from __future__ import annotations

import pytest

from nlu.entities import parsers as P

# --- ticket ids -------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "DS-7K2M9QXA",
        "ds-7k2m9qxa",
        "ds7k2m9qxa",
        "DS 7K2M 9QXA",
        "DS-7K2M-9QXA",
        "DS - 7K2M9QXA",
        "DS-๗K๒M๙QXA",
    ],
)
def test_ticket_id_accepted_forms(raw: str) -> None:
    assert P.normalize_ticket_id(raw) == "DS-7K2M9QXA"


def test_ticket_id_decodes_crockford_lookalikes() -> None:
    assert P.normalize_ticket_id("DS-O1LI2345") == "DS-01112345"
    assert P.decode_crockford("oil") == "011"


@pytest.mark.parametrize(
    "raw",
    [
        "DS-7K2M9QX",  # 7 symbols
        "DS-7K2M9QXAB",  # 9 symbols
        "DS-7K2M9QXU",  # U is not Crockford
        "XS-7K2M9QXA",  # wrong prefix
        "7K2M9QXA",  # no prefix
        "DS-7K2M9QX!",
    ],
)
def test_ticket_id_rejected_forms(raw: str) -> None:
    assert P.normalize_ticket_id(raw) is None


def test_find_ticket_ids_spans_and_boundaries() -> None:
    text = "ขอติดตามเรื่องDS-7K2M9QXAครับ และ ds 7k2m 9qxa, kids12345678, DS-7K2M9QXAB"
    found = P.find_ticket_ids(text)
    assert [m.value for m in found] == ["DS-7K2M9QXA", "DS-7K2M9QXA"]
    assert [text[m.start : m.end] for m in found] == ["DS-7K2M9QXA", "ds 7k2m 9qxa"]


# --- phones -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0812345678", "0812345678"),
        ("081-234-5678", "0812345678"),
        ("081 234 5678", "0812345678"),
        ("081.234.5678", "0812345678"),
        ("08-1234-5678", "0812345678"),
        ("061-234-5678", "0612345678"),
        ("091 234 5678", "0912345678"),
        ("+66812345678", "0812345678"),
        ("+66 81 234 5678", "0812345678"),
        ("+66-81-234-5678", "0812345678"),
        ("66812345678", "0812345678"),
        ("+66 (0) 81 234 5678", "0812345678"),
        ("๐๘๑-๒๓๔-๕๖๗๘", "0812345678"),
        ("+๖๖ ๘๑ ๒๓๔ ๕๖๗๘", "0812345678"),
        ("02-123-4567", "021234567"),
        ("02 123 4567", "021234567"),
        ("+66 2 123 4567", "021234567"),
        ("053-123-456", "053123456"),
        ("038 123 456", "038123456"),
        ("076-123456", "076123456"),
    ],
)
def test_phone_accepted_forms(raw: str, expected: str) -> None:
    assert P.normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "081234567",  # mobile one digit short
        "08123456789",  # one digit long
        "0112345678",  # 01 is not a Thai prefix
        "0212345678",  # Bangkok landline one digit long
        "1234567890",
        "+1 812 345 6789",
        "081-234-567",
    ],
)
def test_phone_rejected_forms(raw: str) -> None:
    assert P.normalize_phone(raw) is None


def test_find_phones_in_text() -> None:
    text = "ติดต่อ ๐๘๑-๒๓๔-๕๖๗๘ หรือ 02 123 4567 หรือ 0898765432,0612345678 (เลขยาว 081234567890)"
    found = P.find_phones(text)
    assert [m.value for m in found] == ["0812345678", "021234567", "0898765432", "0612345678"]
    assert text[found[0].start : found[0].end] == "๐๘๑-๒๓๔-๕๖๗๘"
    assert text[found[1].start : found[1].end] == "02 123 4567"


# --- national ids -----------------------------------------------------------------

VALID_IDS = ["1101700203450", "3100500123458", "1234567890121"]


@pytest.mark.parametrize("digits", VALID_IDS)
def test_national_id_checksum_valid(digits: str) -> None:
    assert P.is_valid_national_id(digits)
    assert P.national_id_check_digit(digits[:12]) == int(digits[12])


@pytest.mark.parametrize(
    "digits",
    ["1101700203451", "1101700203459", "3100500123450", "110170020345", "11017002034500", "abc"],
)
def test_national_id_checksum_invalid(digits: str) -> None:
    assert not P.is_valid_national_id(digits)


@pytest.mark.parametrize(
    "raw",
    ["1-1017-00203-45-0", "1 1017 00203 45 0", "1101700203450", "๑-๑๐๑๗-๐๐๒๐๓-๔๕-๐"],
)
def test_national_id_usual_groupings(raw: str) -> None:
    assert P.normalize_national_id(raw) == "1101700203450"


def test_national_id_odd_grouping_and_bad_checksum_rejected() -> None:
    assert P.normalize_national_id("110-1700-20345-0") is None
    assert P.normalize_national_id("1-1017-00203-45-1") is None


def test_check_digit_needs_twelve_digits() -> None:
    with pytest.raises(ValueError):
        P.national_id_check_digit("123")


def test_find_national_ids_only_with_valid_checksum() -> None:
    text = "บัตร 1-1017-00203-45-0 ผิด 1-1017-00203-45-1 และ 3100500123458"
    found = P.find_national_ids(text)
    assert [m.value for m in found] == ["1101700203450", "3100500123458"]
    assert text[found[0].start : found[0].end] == "1-1017-00203-45-0"
