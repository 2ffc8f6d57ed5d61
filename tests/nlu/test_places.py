"""Gazetteer data and province/district matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.entities.parsers import EntityMatch
from nlu.entities.places import PlaceMatcher
from nlu.geo import DEFAULT_GEO_DIR, Gazetteer, load_gazetteer


def found(places: PlaceMatcher, text: str) -> list[tuple[str, str, str, str | None]]:
    return [
        (m.entity, m.value, text[m.start : m.end], m.extra.get("province"))
        for m in places.find(text)
    ]


def test_gazetteer_has_every_province_and_district(gazetteer: Gazetteer) -> None:
    assert len(gazetteer.provinces) == 77
    assert len({p.name for p in gazetteer.provinces}) == 77
    assert len(gazetteer.districts) == 928
    bangkok = [d for d in gazetteer.districts if d.province == "กรุงเทพมหานคร"]
    assert len(bangkok) == 50
    assert all(not d.name.startswith("เขต") for d in bangkok)
    assert not [d for d in gazetteer.districts if d.name.startswith("ท้องถิ่น")]
    assert any(d.name == "กัลยาณิวัฒนา" for d in gazetteer.districts)


def test_geo_folder_carries_licence_and_attribution() -> None:
    assert "MIT License" in (DEFAULT_GEO_DIR / "LICENSE").read_text(encoding="utf-8")
    assert "thai-province-data" in (DEFAULT_GEO_DIR / "ATTRIBUTION.md").read_text("utf-8")


def test_gazetteer_round_trips_through_dict(gazetteer: Gazetteer) -> None:
    assert Gazetteer.from_dict(gazetteer.to_dict()) == gazetteer


def test_alias_to_unknown_province_is_an_error(tmp_path: Path) -> None:
    for name in ("provinces.csv", "districts.csv"):
        (tmp_path / name).write_bytes((DEFAULT_GEO_DIR / name).read_bytes())
    (tmp_path / "aliases.csv").write_text(
        "kind,alias,name,province\nprovince,ที่ไหน,เมืองลับแล,\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="unknown province"):
        load_gazetteer(tmp_path)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("กรุงเทพมหานคร", "กรุงเทพมหานคร"),
        ("กทม", "กรุงเทพมหานคร"),
        ("กทม.", "กรุงเทพมหานคร"),
        ("กรุงเทพ", "กรุงเทพมหานคร"),
        ("กรุงเทพฯ", "กรุงเทพมหานคร"),
        ("บางกอก", "กรุงเทพมหานคร"),
        ("Bangkok", "กรุงเทพมหานคร"),
        ("โคราช", "นครราชสีมา"),
        ("อุบล", "อุบลราชธานี"),
        ("อยุธยา", "พระนครศรีอยุธยา"),
        ("ประจวบ", "ประจวบคีรีขันธ์"),
        ("ประจวบฯ", "ประจวบคีรีขันธ์"),
        ("กาญ", "กาญจนบุรี"),
        ("เมืองกาญ", "กาญจนบุรี"),
        ("สุราษฎร์", "สุราษฎร์ธานี"),
        ("นครศรีฯ", "นครศรีธรรมราช"),
        ("ชลบุรี", "ชลบุรี"),
        ("ขอนแก่น", "ขอนแก่น"),
        ("chiang mai", "เชียงใหม่"),
        ("ศรีษะเกษ", "ศรีสะเกษ"),
    ],
)
def test_province_names_and_nicknames(places: PlaceMatcher, text: str, value: str) -> None:
    message = f"แจ้งเรื่องที่{text} ครับ"
    assert [(m.entity, m.value) for m in places.find(message)] == [("province", value)]
    match = places.find(message)[0]
    assert message[match.start : match.end].rstrip(".") == text.rstrip(".")


@pytest.mark.parametrize("prefix", ["จังหวัด", "จ.", "จ. ", "จังหวัด "])
def test_province_with_prefix(places: PlaceMatcher, prefix: str) -> None:
    text = f"น้ำท่วมที่{prefix}เชียงใหม่"
    assert found(places, text) == [("province", "เชียงใหม่", "เชียงใหม่", None)]


def test_everyday_words_need_a_prefix(places: PlaceMatcher) -> None:
    assert found(places, "ไม่ได้เลยครับ") == []
    assert found(places, "เอกสารเผยแพร่แล้ว") == []
    assert found(places, "ตากผ้าไม่ได้") == []
    assert found(places, "จ.เลย") == [("province", "เลย", "เลย", None)]
    assert found(places, "จังหวัดน่าน") == [("province", "น่าน", "น่าน", None)]
    # a bare answer to "which province?" is taken at its word
    assert found(places, " น่าน ") == [("province", "น่าน", "น่าน", None)]


def test_abbreviation_keeps_its_dot(places: PlaceMatcher) -> None:
    assert found(places, "ต้นไม้ที่ กทม.ปลูก") == [("province", "กรุงเทพมหานคร", "กทม.", None)]


def test_hat_yai_is_a_district_not_a_province(places: PlaceMatcher) -> None:
    assert found(places, "ไฟดับที่หาดใหญ่") == [("district", "หาดใหญ่", "หาดใหญ่", "สงขลา")]


@pytest.mark.parametrize("prefix", ["อำเภอ", "อ.", "อ. ", "กิ่งอำเภอ"])
def test_district_prefixes(places: PlaceMatcher, prefix: str) -> None:
    text = f"ถนนพังที่{prefix}ปากช่อง"
    assert found(places, text) == [("district", "ปากช่อง", "ปากช่อง", "นครราชสีมา")]


def test_bangkok_khet(places: PlaceMatcher) -> None:
    assert found(places, "สำนักงานเขตบางรัก") == [("district", "บางรัก", "บางรัก", "กรุงเทพมหานคร")]


def test_bangkok_khet_after_a_locative_word(places: PlaceMatcher) -> None:
    for text, name in [("ไฟดับแถวบางนา", "บางนา"), ("ที่ บางรัก", "บางรัก"), ("ย่านประเวศ", "ประเวศ")]:
        assert found(places, text) == [("district", name, name, "กรุงเทพมหานคร")]
    # outside Bangkok a bare name after ที่ is too often an ordinary word (the pier)
    assert found(places, "รถติดที่ท่าเรือ") == []


def test_district_name_without_prefix_or_cue_needs_its_province(places: PlaceMatcher) -> None:
    assert found(places, "ร้านบางรักเปิดแล้ว") == []
    assert found(places, "ร้านบางรัก กทม") == [
        ("district", "บางรัก", "บางรัก", "กรุงเทพมหานคร"),
        ("province", "กรุงเทพมหานคร", "กทม", None),
    ]
    assert found(places, "น้ำท่วมบางบาล อยุธยา")[0] == (
        "district",
        "บางบาล",
        "บางบาล",
        "พระนครศรีอยุธยา",
    )


def test_same_name_in_two_provinces(places: PlaceMatcher) -> None:
    # จอมทอง is a Bangkok khet and a Chiang Mai amphoe
    assert found(places, "เขตจอมทอง") == [("district", "จอมทอง", "จอมทอง", "กรุงเทพมหานคร")]
    assert found(places, "อ.จอมทอง") == [("district", "จอมทอง", "จอมทอง", "เชียงใหม่")]
    assert found(places, "อ.จอมทอง เชียงใหม่")[0][3] == "เชียงใหม่"


def test_district_in_several_provinces_prefers_the_one_mentioned(places: PlaceMatcher) -> None:
    assert found(places, "อ.เฉลิมพระเกียรติ จ.น่าน") == [
        ("district", "เฉลิมพระเกียรติ", "เฉลิมพระเกียรติ", "น่าน"),
        ("province", "น่าน", "น่าน", None),
    ]
    assert found(places, "อ.เฉลิมพระเกียรติ จ.สระบุรี")[0][3] == "สระบุรี"
    # unresolved: the name is certain, the province is not
    assert found(places, "อ.เฉลิมพระเกียรติ") == [("district", "เฉลิมพระเกียรติ", "เฉลิมพระเกียรติ", None)]


def test_mueang_resolved_by_the_province_in_the_message(places: PlaceMatcher) -> None:
    assert found(places, "อ.เมือง จ.เชียงใหม่") == [
        ("district", "เมืองเชียงใหม่", "เมือง", "เชียงใหม่"),
        ("province", "เชียงใหม่", "เชียงใหม่", None),
    ]
    assert found(places, "อ.เมือง") == []
    # without อ./อำเภอ, เมือง is just "town"
    assert found(places, "หมอกควันคลุมเมือง เชียงราย") == [("province", "เชียงราย", "เชียงราย", None)]
    assert found(places, "อำเภอเมืองสงขลา") == [("district", "เมืองสงขลา", "เมืองสงขลา", "สงขลา")]
    assert found(places, "อ.เมืองโคราช") == [("district", "เมืองนครราชสีมา", "เมืองโคราช", "นครราชสีมา")]


def test_province_named_district(places: PlaceMatcher) -> None:
    assert found(places, "พระนครศรีอยุธยา")[0][:2] == ("province", "พระนครศรีอยุธยา")
    assert found(places, "อ.พระนครศรีอยุธยา")[0][:2] == ("district", "พระนครศรีอยุธยา")


def test_longer_name_blocks_a_shorter_alias(places: PlaceMatcher) -> None:
    # อุบลรัตน์ (a Khon Kaen district) must not read as the province alias อุบล
    assert found(places, "อุบลรัตน์") == []
    assert found(places, "อ.อุบลรัตน์") == [("district", "อุบลรัตน์", "อุบลรัตน์", "ขอนแก่น")]


def test_hyphenated_district_without_hyphen(places: PlaceMatcher) -> None:
    assert found(places, "อ.สุไหงโกลก")[0][:2] == ("district", "สุไหงโก-ลก")


def test_token_boundaries_reject_names_inside_words(places: PlaceMatcher) -> None:
    text = "คุณกาญจนาแจ้งว่า"
    assert [m.value for m in places.find(text)] == ["กาญจนบุรี"]  # no boundaries known
    # with the tokenizer's boundaries คุณ|กาญจนา|แจ้ง|ว่า the alias is inside a word
    assert places.find(text, frozenset({0, 3, 9, 13, 16})) == []
    assert places.find("ไปกาญครับ", frozenset({0, 2, 5, 9})) == [
        EntityMatch("province", 2, 5, "กาญจนบุรี")
    ]


def test_english_names_can_be_switched_off(gazetteer: Gazetteer) -> None:
    matcher = PlaceMatcher(gazetteer, english_names=False)
    assert matcher.find("flooding in Chiang Mai") == []
    assert matcher.find("flooding in nan") == []
    assert PlaceMatcher(gazetteer).find("NaN values") == []


@pytest.mark.parametrize(
    ("text", "alias", "province"),
    [
        ("ถนนพังที่เมืองย่าโมค่ะ", "เมืองย่าโม", "นครราชสีมา"),
        ("อยู่เมืองรถม้า", "เมืองรถม้า", "ลำปาง"),
        ("น้ำท่วมที่เมืองดอกบัว", "เมืองดอกบัว", "อุบลราชธานี"),
        ("เมืองชลค่ะ", "เมืองชล", "ชลบุรี"),
        ("นครพิงค์", "นครพิงค์", "เชียงใหม่"),
    ],
)
def test_province_nicknames(places: PlaceMatcher, text: str, alias: str, province: str) -> None:
    assert found(places, text) == [("province", province, alias, None)]


def test_a_nickname_inside_a_district_name_gives_the_district(places: PlaceMatcher) -> None:
    # เมืองชล (Chonburi's nickname) is the start of the district อ.เมืองชลบุรี
    assert [(e, v) for e, v, _, _ in found(places, "อยู่ อ.เมืองชลบุรี")] == [("district", "เมืองชลบุรี")]


@pytest.mark.parametrize(
    "text",
    [
        "ไฟดับ ถนนเพชรบุรี",  # a Bangkok road, not Phetchaburi
        "ถ.ราชบุรี",
        "ถนน นครสวรรค์",
        "ซอยลาดพร้าว 71",  # in Wang Thonglang, not Lat Phrao
        "ถนนถลาง",  # in Mueang Phuket, not Thalang
        "ถนนบางนา-ตราด กม.5",  # runs to Trat
        "ตรอกสุโขทัย",
    ],
)
def test_a_road_named_after_a_place_is_not_that_place(places: PlaceMatcher, text: str) -> None:
    assert found(places, text) == []


def test_a_place_after_a_road_still_counts(places: PlaceMatcher) -> None:
    assert [m[:2] for m in found(places, "ถนนนครสวรรค์ เขตดุสิต")] == [("district", "ดุสิต")]
    assert [m[:2] for m in found(places, "ซอยลาดพร้าว 71 เขตวังทองหลาง กรุงเทพ")] == [
        ("district", "วังทองหลาง"),
        ("province", "กรุงเทพมหานคร"),
    ]
    # with word boundaries, only the word after the road word is the road's name
    text = "ไฟดับถนนพหลโยธินเชียงราย"
    words = ("ไฟ", "ดับ", "ถนน", "พหลโยธิน", "เชียงราย")
    ends = [sum(map(len, words[: i + 1])) for i in range(len(words))]
    assert [(m.entity, m.value) for m in places.find(text, frozenset([0, *ends]))] == [
        ("province", "เชียงราย")
    ]
