"""All parsers together: exact spans into the original, unnormalised text."""

from __future__ import annotations

import pytest

from nlu.entities.extract import drop_overlaps, extract_entities
from nlu.entities.parsers import EntityMatch, find_phones, national_id_check_digit
from nlu.entities.places import PlaceMatcher


def spans(text: str, places: PlaceMatcher | None) -> list[tuple[str, str, str]]:
    return [
        (m.entity, m.value, text[m.start : m.end]) for m in extract_entities(text, places=places)
    ]


def test_every_type_in_one_message(places: PlaceMatcher) -> None:
    text = "แจ้งไฟดับที่อำเภอหาดใหญ่ จ.สงขลา โทร ๐๘๑-๒๓๔-๕๖๗๘ บัตร 1-1017-00203-45-0 เรื่อง ds 7k2m 9qxa"
    assert spans(text, places) == [
        ("district", "หาดใหญ่", "หาดใหญ่"),
        ("province", "สงขลา", "สงขลา"),
        ("phone", "0812345678", "๐๘๑-๒๓๔-๕๖๗๘"),
        ("national_id", "1101700203450", "1-1017-00203-45-0"),
        ("ticket_id", "DS-7K2M9QXA", "ds 7k2m 9qxa"),
    ]


def test_offsets_survive_zero_width_repeats_and_thai_digits(places: PlaceMatcher) -> None:
    text = "\u200bไฟดับบบบ มากกกก ที่\u200bหาด\u200bใหญ่\u00a0\u00a0จ.สง\u200bขลา โทร ๐๘๑\u200b๒๓๔๕๖๗๘"
    result = extract_entities(text, places=places)
    assert [(m.entity, m.value) for m in result] == [
        ("district", "หาดใหญ่"),
        ("province", "สงขลา"),
        ("phone", "0812345678"),
    ]
    assert [text[m.start : m.end] for m in result] == [
        "หาด\u200bใหญ่",
        "สง\u200bขลา",
        "๐๘๑\u200b๒๓๔๕๖๗๘",
    ]


def test_offsets_after_decomposed_sara_am(places: PlaceMatcher) -> None:
    text = "น\u0e4d\u0e49\u0e32ท่วมหนักที่จ.ก\u0e4d\u0e32แพงเพชร"
    ((entity, value, original),) = spans(text, places)
    assert (entity, value) == ("province", "กำแพงเพชร")
    assert original == "ก\u0e4d\u0e32แพงเพชร"


def test_id_starting_like_a_mobile_is_not_a_phone() -> None:
    first12 = "081234567890"
    national_id = f"{first12}{national_id_check_digit(first12)}"
    text = f"เลขบัตร {national_id} ครับ"
    assert find_phones(text) == []
    assert [(m.entity, m.value) for m in extract_entities(text)] == [("national_id", national_id)]


def test_entity_types_filter(places: PlaceMatcher) -> None:
    text = "โทร 0812345678 จ.สงขลา"
    result = extract_entities(text, places=places, entity_types=["phone"])
    assert [m.entity for m in result] == ["phone"]
    with pytest.raises(ValueError, match="unknown entity types"):
        extract_entities(text, entity_types=["email"])


def test_drop_overlaps_keeps_longest_then_priority() -> None:
    a = EntityMatch("province", 0, 5, "x")
    b = EntityMatch("district", 0, 10, "y")
    c = EntityMatch("phone", 12, 20, "z")
    d = EntityMatch("ticket_id", 12, 20, "w")
    assert drop_overlaps([a, b, c, d]) == [b, d]


def test_no_entities_in_plain_text(places: PlaceMatcher) -> None:
    assert extract_entities("สวัสดีครับ อยากสอบถามข้อมูลหน่อย", places=places) == []
    assert extract_entities("", places=places) == []
