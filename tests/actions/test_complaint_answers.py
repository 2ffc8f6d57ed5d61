"""The intake form's answers as pure functions: no Rasa, no database.

The gazetteer is the real one (it is data, loaded in milliseconds); finding a similar
ticket and joining one are plain callables that record what they were asked.
"""

from __future__ import annotations

from typing import Any

import pytest

from actions.complaint import answers, summary, texts
from actions.complaint.answers import Answer, SimilarQuery
from actions.complaint.slots import (
    ADDRESS,
    CONSENT,
    DESCRIPTION,
    DISTRICT_SLOT,
    DUPLICATE,
    DUPLICATE_OF,
    EDITING,
    FINAL_OUTCOMES,
    FIRST,
    INTAKE,
    LATITUDE,
    LOCATION,
    LONGITUDE,
    OUTCOME,
    PHONE,
    PHOTO_IDS,
    PHOTOS,
    PROVINCE_SLOT,
    SAID_PHONE,
    SAID_PLACE,
    SKIP,
    TYPE,
)
from bot.tickets import cards
from bot.tickets.lifecycle import COMPLAINT_TYPES, new_ticket_id
from nlu.entities.places import PlaceMatcher
from nlu.geo import load_gazetteer

BANGKOK = "กรุงเทพมหานคร"
ROAD = "ถนนหน้าบ้านเป็นหลุมลึกมาก รถจักรยานยนต์ล้มไปสองคันแล้วค่ะ"


@pytest.fixture(scope="module")
def matcher() -> PlaceMatcher:
    """The gazetteer's matcher, as the desk builds it."""
    return PlaceMatcher(load_gazetteer())


class Lookups:
    """Stand-ins for the database: what the form asked, and what to answer."""

    def __init__(self, similar: str | None = None, exists: bool = True) -> None:
        self.similar_answer, self.exists = similar, exists
        self.queries: list[SimilarQuery] = []
        self.joined: list[str] = []

    def similar(self, query: SimilarQuery) -> str | None:
        self.queries.append(query)
        return self.similar_answer

    def join(self, ticket_id: str) -> bool:
        self.joined.append(ticket_id)
        return self.exists


def texts_of(answer: Answer) -> list[str]:
    """The plain sentences an answer says."""
    return [reply["text"] for reply in answer.replies if "text" in reply]


def flex_texts(node: Any) -> list[str]:
    """Every text in a LINE message (Flex contents, alt text, labels)."""
    if isinstance(node, dict):
        found = [node[k] for k in ("text", "altText", "label") if isinstance(node.get(k), str)]
        return found + [t for value in node.values() for t in flex_texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in flex_texts(item)]
    return []


def location(
    text: str | None,
    entities: dict[str, str] | None = None,
    intent: str = "inform",
    slots: dict[str, Any] | None = None,
    *,
    matcher: PlaceMatcher,
    lookups: Lookups | None = None,
) -> Answer:
    lookups = lookups or Lookups()
    return answers.location(
        text,
        entities or {},
        intent,
        {TYPE: "complaint_road", DESCRIPTION: ROAD, **(slots or {})},
        places=lambda address: answers.places_in(matcher, address),
        similar=lookups.similar,
    )


# Starting ---------------------------------------------------------------------------


def test_a_long_first_message_is_the_description_and_names_the_type() -> None:
    started = answers.start(ROAD, {}, "complaint_road", intake_id="k1", min_description_chars=12)
    assert started.updates == {
        INTAKE: "k1",
        TYPE: "complaint_road",
        PHOTO_IDS: [],
        DESCRIPTION: ROAD,
    }
    (reply,) = started.replies
    assert cards.type_label("complaint_road") in reply["text"]
    assert texts.CORRUPTION_HINT not in reply["text"]
    assert reply["buttons"] == [texts.CHANGE_TYPE_BUTTON]


def test_a_thin_first_message_is_kept_to_prefix_the_detail() -> None:
    started = answers.start(
        " ถนนพัง ", {"province": BANGKOK}, "complaint_road", intake_id="k", min_description_chars=12
    )
    assert DESCRIPTION not in started.updates
    assert started.updates[FIRST] == "ถนนพัง"
    assert started.updates[PROVINCE_SLOT] == BANGKOK and started.updates[DISTRICT_SLOT] is None
    detail = answers.description("ตรงหน้าวัดค่ะ", {}, "inform", started.updates)
    assert detail.updates[DESCRIPTION] == "ถนนพัง ตรงหน้าวัดค่ะ"
    assert detail.updates[FIRST] is None


@pytest.mark.parametrize(
    ("intent", "entities", "expected"),
    [
        ("complaint_flooding", {}, "complaint_flooding"),
        ("complaint_set_type", {TYPE: "complaint_noise"}, "complaint_noise"),
        ("complaint_set_type", {TYPE: "complaint_nonsense"}, answers.DEFAULT_TYPE),
        ("greet", {}, answers.DEFAULT_TYPE),
    ],
)
def test_the_type_comes_from_the_intent_then_an_entity(
    intent: str, entities: dict[str, str], expected: str
) -> None:
    started = answers.start(ROAD, entities, intent, intake_id="k", min_description_chars=12)
    assert started.updates[TYPE] == expected


def test_a_corruption_report_is_told_it_may_stay_anonymous() -> None:
    started = answers.start(
        ROAD, {}, "complaint_corruption", intake_id="k", min_description_chars=12
    )
    assert started.replies[0]["text"].endswith(texts.CORRUPTION_HINT)


def test_the_questions_in_order_and_when_each_is_asked() -> None:
    assert answers.questions({}, max_photos=3) == [
        DESCRIPTION,
        LOCATION,
        PHOTOS,
        PHONE,
        CONSENT,
        OUTCOME,
    ]
    with_similar = answers.questions({DUPLICATE_OF: "DS-X"}, max_photos=0)
    assert with_similar == [DESCRIPTION, LOCATION, DUPLICATE, PHONE, CONSENT, OUTCOME]
    for final in FINAL_OUTCOMES:
        assert answers.questions({OUTCOME: final}, max_photos=3) == []


# Controls -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [("ยกเลิกค่ะ", "inform"), ("เลิกแจ้งแล้ว", "inform"), ("cancel", "inform"), (None, "cancel")],
)
def test_cancel_whatever_the_question(text: str | None, intent: str) -> None:
    answer = answers.control(text, {}, intent, {}, confidence=0.9)
    assert answer is not None and answer.updates == {OUTCOME: "cancelled"}


def test_asking_for_a_person_stops_the_form_only_when_nlu_is_sure() -> None:
    typed = "ขอคุยกับเจ้าหน้าที่ได้ไหม"
    sure = answers.control(typed, {}, "request_human", {}, confidence=0.9)
    assert sure is not None and sure.updates == {OUTCOME: "handoff"}
    # Unsure: the words are read as the answer to the question instead.
    assert answers.control(typed, {}, "request_human", {}, confidence=0.4) is None
    # The staff chip (a payload, no text) always counts.
    chip = answers.control(None, {}, "request_human", {}, confidence=0.0)
    assert chip is not None and chip.updates == {OUTCOME: "handoff"}


def test_changing_the_type_shows_the_choice_and_setting_it_confirms() -> None:
    change = answers.control(None, {}, "complaint_change_type", {}, confidence=1)
    assert change is not None and change.updates == {EDITING: "type"}
    assert change.replies == [texts.line(cards.type_choice_message())]

    chosen = "complaint_streetlight"
    set_type = answers.control(
        None, {TYPE: chosen}, "complaint_set_type", {EDITING: "type"}, confidence=1
    )
    assert set_type is not None and set_type.updates == {TYPE: chosen, EDITING: None}
    assert texts_of(set_type) == [texts.type_changed(cards.type_label(chosen))]
    # An unknown type is no control: the message is read as an answer.
    unknown = {TYPE: "complaint_unicorns"}
    assert answers.control(None, unknown, "complaint_set_type", {}, confidence=1) is None


@pytest.mark.parametrize(
    ("field", "cleared"),
    [
        (DESCRIPTION, {DESCRIPTION}),
        (PHONE, {PHONE}),
        (CONSENT, {CONSENT}),
        (PHOTOS, {PHOTOS}),
        (LOCATION, {LOCATION, LATITUDE, LONGITUDE, ADDRESS, DUPLICATE_OF, DUPLICATE}),
    ],
)
def test_editing_a_field_asks_that_question_again(field: str, cleared: set[str]) -> None:
    answer = answers.control(None, {"field": field}, "complaint_edit_field", {}, confidence=1)
    assert answer is not None
    assert {slot for slot, value in answer.updates.items() if value is None} == cleared | {
        OUTCOME,
        EDITING,
    }
    if field == PHOTOS:
        assert answer.updates[PHOTO_IDS] == []


def test_editing_the_type_shows_the_choice_and_none_edits_nothing() -> None:
    edit_type = answers.edit(TYPE)
    assert edit_type.updates == {EDITING: "type"} and edit_type.replies
    assert answers.edit("none") == Answer({EDITING: None})


def test_an_ordinary_message_is_no_control() -> None:
    assert answers.control("ซอยอารีย์ 5", {}, "inform", {}, confidence=0.9) is None


# The questions ---------------------------------------------------------------------------


def test_a_description_must_be_words() -> None:
    answer = answers.description(None, {}, "share_photo", {EDITING: "type"})
    assert answer.updates == {EDITING: "type"}  # asked again, nothing lost
    assert texts_of(answer) == [texts.DESCRIPTION_AS_TEXT]


def test_a_description_naming_a_province_sets_it_unless_known() -> None:
    named = {"province": "เชียงใหม่", "district": "เมืองเชียงใหม่"}
    fresh = answers.description(ROAD, named, "inform", {})
    assert fresh.updates[PROVINCE_SLOT] == "เชียงใหม่"
    assert fresh.updates[DISTRICT_SLOT] == "เมืองเชียงใหม่"
    known = answers.description(ROAD, named, "inform", {PROVINCE_SLOT: BANGKOK})
    assert PROVINCE_SLOT not in known.updates


def test_a_line_location_in_thailand_with_its_address(matcher: PlaceMatcher) -> None:
    lookups = Lookups(similar="DS-SIMILAR1")
    address = "ถนนราชดำเนินกลาง แขวงบวรนิเวศ เขตพระนคร กรุงเทพมหานคร 10200"
    entities = {"latitude": "13.7563", "longitude": "100.5018", "address": address}
    answer = location(
        None, entities, "share_location", {DISTRICT_SLOT: "บางรัก"}, matcher=matcher, lookups=lookups
    )
    assert answer.updates == {
        LOCATION: "map",
        LATITUDE: 13.7563,
        LONGITUDE: 100.5018,
        ADDRESS: address,
        PROVINCE_SLOT: BANGKOK,
        DISTRICT_SLOT: "พระนคร",
        DUPLICATE_OF: "DS-SIMILAR1",
    }
    assert not answer.replies
    (query,) = lookups.queries
    assert query == SimilarQuery(
        complaint_type="complaint_road",
        latitude=13.7563,
        longitude=100.5018,
        district="พระนคร",  # the place just given, not the one known before
        description=ROAD,
    )


def test_a_line_location_without_address_keeps_its_coordinates(matcher: PlaceMatcher) -> None:
    entities = {"latitude": "18.7883", "longitude": "98.9853", "address": ""}
    answer = location(None, entities, "share_location", matcher=matcher)
    assert answer.updates[ADDRESS] == texts.coordinates(18.7883, 98.9853)
    assert PROVINCE_SLOT not in answer.updates
    assert answer.updates[DUPLICATE_OF] is None


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [("35.6812", "139.7671"), ("1.3521", "103.8198"), ("13.75", "96.5")],
)
def test_a_location_outside_thailand_is_refused(
    latitude: str, longitude: str, matcher: PlaceMatcher
) -> None:
    lookups = Lookups(similar="DS-NEVER")
    entities = {"latitude": latitude, "longitude": longitude, "address": "Tokyo"}
    answer = location(None, entities, "share_location", matcher=matcher, lookups=lookups)
    assert answer.updates == {EDITING: None}
    assert texts_of(answer) == [texts.LOCATION_ABROAD]
    assert lookups.queries == []


def test_an_unreadable_location_is_refused(matcher: PlaceMatcher) -> None:
    entities = {"latitude": "north", "longitude": "100.5"}
    answer = location(None, entities, "share_location", matcher=matcher)
    assert texts_of(answer) == [texts.LOCATION_UNREADABLE] and LOCATION not in answer.updates


@pytest.mark.parametrize(
    ("typed", "province", "district"),
    [
        ("หน้าตลาดอำเภอเมืองเชียงใหม่", "เชียงใหม่", "เมืองเชียงใหม่"),
        ("ซอยสุขุมวิท 71 เขตวัฒนา กรุงเทพ", BANGKOK, "วัฒนา"),
        ("เชียงใหม่", "เชียงใหม่", None),
    ],
)
def test_a_typed_place_the_gazetteer_knows(
    typed: str, province: str, district: str | None, matcher: PlaceMatcher
) -> None:
    answer = location(typed, matcher=matcher)
    assert answer.updates[LOCATION] == "typed"
    assert answer.updates[ADDRESS] == typed
    assert answer.updates[PROVINCE_SLOT] == province
    assert answer.updates[DISTRICT_SLOT] == district


@pytest.mark.parametrize(
    ("words", "place"),
    [
        ("ไฟทางดับหน้าบ้านค่ะ ซอยลาดพร้าว 71 เขตวังทองหลาง", "ซอยลาดพร้าว 71 เขตวังทองหลาง"),
        ("ไฟดับที่ซอยอ่อนนุช17ค่ะ", "ซอยอ่อนนุช17"),
        ("ฝาท่อหาย ซ.รามคำแหง 24 ค่ะ", "ซ.รามคำแหง 24"),
        ("ถนนพังหน้าซอย 5 ค่ะ", "ซอย 5"),
        ("ถนนรามอินทรา กม.8 เขตบางเขน น้ำท่วมขัง", "ถนนรามอินทรา กม.8 เขตบางเขน"),
        ("หมู่ 3 ตำบลบ้านใหม่ อำเภอเมือง ไฟดับ", "หมู่ 3 ตำบลบ้านใหม่ อำเภอเมือง"),
        ("ขยะล้น ตำบลหนองหาร อำเภอสันทราย เชียงใหม่ค่ะ", "ตำบลหนองหาร อำเภอสันทราย เชียงใหม่"),
        ("รถจอดขวางหน้าบ้าน 99/12 หมู่บ้านพฤกษา ช่วยด้วย", "99/12 หมู่บ้านพฤกษา"),
        ("น้ำท่วมถนนพหลโยธิน จังหวัดเชียงราย", "ถนนพหลโยธิน จังหวัดเชียงราย"),
        # no number and no district or province: nothing a map would find
        ("ถนนเป็นหลุมใหญ่มาก", None),
        ("ป้ายหน้าบ้านล้ม", None),
        ("โคมไฟถนนในหมู่บ้านเสียหลายดวง กลางคืนมืดมาก", None),
        ("น้ำไม่ไหลทั้งซอยเลยค่ะ", None),
        ("เจ้าหน้าที่เขตพูดจาไม่สุภาพ", None),
        ("ขยะไม่เก็บมาสามวันแล้วค่ะ", None),
        (None, None),
    ],
)
def test_the_address_in_a_complaints_own_words(
    words: str | None, place: str | None, matcher: PlaceMatcher
) -> None:
    assert answers.said_place(words, lambda a: answers.places_in(matcher, a)) == place


def test_the_first_message_address_is_offered_then_used_on_yes(matcher: PlaceMatcher) -> None:
    words = "ไฟทางดับหน้าบ้านค่ะ ซอยลาดพร้าว 71 เขตวังทองหลาง"

    def places(address: str) -> tuple[str | None, str | None]:
        return answers.places_in(matcher, address)

    started = answers.start(
        words,
        {"district": "วังทองหลาง"},
        "complaint_streetlight",
        intake_id="k",
        min_description_chars=12,
        places=places,
    )
    assert started.updates[SAID_PLACE] == "ซอยลาดพร้าว 71 เขตวังทองหลาง"
    slots = {**started.updates, TYPE: "complaint_streetlight"}
    for yes, intent in ((None, "affirm"), ("ใช่ค่ะ", "affirm"), ("ถูกต้องครับ", "inform")):
        answer = location(yes, {}, intent, slots, matcher=matcher)
        assert answer.updates[LOCATION] == "typed"
        assert answer.updates[ADDRESS] == "ซอยลาดพร้าว 71 เขตวังทองหลาง"
        assert answer.updates[PROVINCE_SLOT] == BANGKOK
        assert answer.updates[DISTRICT_SLOT] == "วังทองหลาง"
        assert answer.updates[SAID_PLACE] is None


def test_the_offered_address_gives_way_to_another(matcher: PlaceMatcher) -> None:
    slots = {SAID_PLACE: "ซอย 5"}
    no = location("ไม่ใช่ค่ะ", {}, "deny", slots, matcher=matcher)
    assert no.updates == {EDITING: None, SAID_PLACE: None}  # the plain question again
    assert not no.replies
    typed = location("ซอยสุขุมวิท 71 เขตวัฒนา", {}, "inform", slots, matcher=matcher)
    assert typed.updates[ADDRESS] == "ซอยสุขุมวิท 71 เขตวัฒนา"
    assert typed.updates[SAID_PLACE] is None
    # "ใช่ ซอย 7" names another place: that place, not the one offered
    other = location("ใช่ ซอย 7 ค่ะ", {}, "affirm", slots, matcher=matcher)
    assert other.updates[ADDRESS] == "ใช่ ซอย 7 ค่ะ"
    skipped = location(None, {}, "deny", slots, matcher=matcher)
    assert skipped.updates[LOCATION] == SKIP


def test_a_typed_landmark_is_a_place_without_a_province(matcher: PlaceMatcher) -> None:
    answer = location("หน้าโรงเรียนวัดใหม่ ซอย 3", matcher=matcher)
    assert answer.updates[LOCATION] == "typed"
    assert PROVINCE_SLOT not in answer.updates


def test_a_typed_province_from_nlu_counts_when_the_gazetteer_has_none(
    matcher: PlaceMatcher,
) -> None:
    answer = location("บ้านป้าศรี", {"province": "ลำปาง"}, matcher=matcher)
    assert answer.updates[PROVINCE_SLOT] == "ลำปาง"


@pytest.mark.parametrize("typed", ["ค่ะ", "5555", "ไม่รู้สิ"])
def test_words_that_name_no_place_are_asked_again(typed: str, matcher: PlaceMatcher) -> None:
    lookups = Lookups()
    answer = location(typed, matcher=matcher, lookups=lookups)
    assert LOCATION not in answer.updates
    assert texts_of(answer) == [texts.LOCATION_UNKNOWN]
    assert lookups.queries == []


def test_a_photo_is_not_a_location(matcher: PlaceMatcher) -> None:
    answer = location(None, {"media_id": "m1"}, "share_photo", matcher=matcher)
    assert texts_of(answer) == [texts.PHOTO_KEPT_WHERE]  # kept, and the place asked again
    assert LOCATION not in answer.updates
    sticker = location(None, {}, "share_sticker", matcher=matcher)
    assert texts_of(sticker) == [texts.LOCATION_EXPECTED]


@pytest.mark.parametrize("typed", ["ข้าม", "ไม่มีค่ะ", "ไม่สะดวกครับ", "skip", "-", "ไม่ระบุ"])
def test_the_location_may_be_skipped_and_similar_tickets_are_still_sought(
    typed: str, matcher: PlaceMatcher
) -> None:
    lookups = Lookups(similar="DS-SAMEDIST")
    answer = location(typed, slots={DISTRICT_SLOT: "บางรัก"}, matcher=matcher, lookups=lookups)
    assert answer.updates == {LOCATION: SKIP, DUPLICATE_OF: "DS-SAMEDIST"}
    assert lookups.queries[0].district == "บางรัก" and lookups.queries[0].latitude is None


def test_joining_the_similar_ticket() -> None:
    lookups = Lookups(exists=True)
    slots = {DUPLICATE_OF: "DS-SIMILAR1"}
    answer = answers.duplicate("ใช่ค่ะ", {}, "inform", slots, join=lookups.join)
    assert answer.updates == {DUPLICATE: "joined", OUTCOME: "joined"}
    assert lookups.joined == ["DS-SIMILAR1"]
    by_button = answers.duplicate(None, {}, "affirm", slots, join=lookups.join)
    assert by_button.updates[OUTCOME] == "joined"


def test_a_similar_ticket_gone_meanwhile_means_a_new_one() -> None:
    gone = Lookups(exists=False)
    answer = answers.duplicate(None, {}, "affirm", {DUPLICATE_OF: "DS-GONE"}, join=gone.join)
    assert answer.updates == {DUPLICATE: "new", DUPLICATE_OF: None}


@pytest.mark.parametrize(("text", "intent"), [("ไม่ค่ะ แจ้งใหม่", "inform"), (None, "deny")])
def test_declining_the_similar_ticket_joins_nothing(text: str | None, intent: str) -> None:
    lookups = Lookups()
    answer = answers.duplicate(text, {}, intent, {DUPLICATE_OF: "DS-X"}, join=lookups.join)
    assert answer.updates == {DUPLICATE: "new"} and lookups.joined == []


def test_an_unclear_reply_to_the_similar_ticket_asks_again() -> None:
    lookups = Lookups()
    answer = answers.duplicate("อะไรนะ", {}, "inform", {EDITING: None}, join=lookups.join)
    assert answer.updates == {EDITING: None} and lookups.joined == []


def test_photos_up_to_the_limit() -> None:
    first = answers.photos(None, {"media_id": "m1"}, "share_photo", {PHOTO_IDS: []}, limit=2)
    assert first.updates == {PHOTO_IDS: ["m1"]} and not first.replies
    again = answers.photos(None, {"media_id": "m1"}, "share_photo", first.updates, limit=2)
    assert again.updates == {PHOTO_IDS: ["m1"]}  # the same photo twice counts once
    full = answers.photos(None, {"media_id": "m2"}, "share_photo", first.updates, limit=2)
    assert full.updates == {PHOTO_IDS: ["m1", "m2"], PHOTOS: "2"}
    assert texts_of(full) == [texts.photos_full(2)]


def test_a_photo_that_could_not_be_stored() -> None:
    answer = answers.photos(None, {}, "share_photo", {PHOTO_IDS: ["m1"]}, limit=3)
    assert answer.updates == {PHOTO_IDS: ["m1"]}
    assert texts_of(answer) == [texts.PHOTO_UNREADABLE]


@pytest.mark.parametrize(
    ("text", "intent"),
    [(None, "complaint_photos_done"), (None, "deny"), ("เสร็จแล้วค่ะ", "inform"), ("ไม่มี", "inform")],
)
def test_done_with_photos(text: str | None, intent: str) -> None:
    some = answers.photos(text, {}, intent, {PHOTO_IDS: ["m1", "m2"]}, limit=3)
    assert some.updates == {PHOTOS: "2"}
    none = answers.photos(text, {}, intent, {PHOTO_IDS: []}, limit=3)
    assert none.updates == {PHOTOS: SKIP}


def test_words_instead_of_a_photo_are_added_to_the_description() -> None:
    slots = {DESCRIPTION: ROAD, PHOTO_IDS: ["m1"]}
    answer = answers.photos("ลึกประมาณหนึ่งฟุต", {}, "inform", slots, limit=3)
    assert answer.updates == {DESCRIPTION: f"{ROAD} ลึกประมาณหนึ่งฟุต", PHOTO_IDS: ["m1"]}
    assert texts_of(answer) == [texts.WORDS_ADDED_TO_DESCRIPTION]


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        ("081-234-5678", {}, "0812345678"),
        ("๐๘๑ ๒๓๔ ๕๖๗๘", {}, "0812345678"),
        ("+66 81 234 5678", {}, "0812345678"),
        ("เบอร์ 0812345678 ค่ะ", {"phone": "0812345678"}, "0812345678"),
    ],
)
def test_a_phone_number(text: str, entities: dict[str, str], expected: str) -> None:
    assert answers.phone(text, entities, "inform", {}).updates == {PHONE: expected}


@pytest.mark.parametrize(
    ("text", "intent"),
    [("ข้าม", "inform"), ("ไม่สะดวกค่ะ", "inform"), ("ไม่ให้ครับ", "inform"), (None, "deny")],
)
def test_the_phone_may_be_skipped(text: str | None, intent: str) -> None:
    assert answers.phone(text, {}, intent, {}).updates == {PHONE: SKIP}


@pytest.mark.parametrize("text", ["12345", "ไม่มีเบอร์ค่ะ", "คุยกับคนได้ไหม"])
def test_a_wrong_phone_is_explained(text: str) -> None:
    answer = answers.phone(text, {}, "inform", {EDITING: None})
    assert answer.updates == {EDITING: None}
    assert texts_of(answer) == [texts.PHONE_INVALID]


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        (None, "affirm", "yes"),
        ("ยินยอมค่ะ", "inform", "yes"),
        ("ได้ครับ", "inform", "yes"),
        (None, "deny", "no"),
        ("ไม่ยินยอม", "inform", "no"),
        ("ไม่เอาค่ะ", "inform", "no"),
    ],
)
def test_consent(text: str | None, intent: str, expected: str) -> None:
    assert answers.consent(text, {}, intent, {}).updates == {CONSENT: expected}


def test_an_unclear_consent_asks_again() -> None:
    assert answers.consent("แล้วแต่", {}, "inform", {EDITING: None}).updates == {EDITING: None}


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        (None, "complaint_confirm", {OUTCOME: "confirmed"}),
        (None, "affirm", {OUTCOME: "confirmed"}),
        ("ยืนยันค่ะ", "inform", {OUTCOME: "confirmed"}),
        (None, "complaint_edit", {EDITING: "choose"}),
        ("แก้ที่อยู่หน่อย", "inform", {EDITING: "choose"}),
        ("หืม", "inform", {EDITING: None}),
    ],
)
def test_the_summary_is_confirmed_or_edited(
    text: str | None, intent: str, expected: dict[str, str]
) -> None:
    assert answers.outcome(text, {}, intent, {EDITING: None}).updates == expected


# The summary and the ticket ------------------------------------------------------------


@pytest.mark.parametrize(
    ("slots", "expected"),
    [
        (
            {ADDRESS: "ซอย 5", DISTRICT_SLOT: "บางรัก", PROVINCE_SLOT: BANGKOK},
            f"ซอย 5 เขตบางรัก {BANGKOK}",
        ),
        (
            {ADDRESS: "ตลาด", DISTRICT_SLOT: "เมืองเชียงใหม่", PROVINCE_SLOT: "เชียงใหม่"},
            "ตลาด อ.เมืองเชียงใหม่ เชียงใหม่",
        ),
        ({DISTRICT_SLOT: "เขตบางรัก", PROVINCE_SLOT: BANGKOK}, f"เขตบางรัก {BANGKOK}"),
        (
            {ADDRESS: f"1 ถนนสีลม {BANGKOK}", DISTRICT_SLOT: "บางรัก", PROVINCE_SLOT: BANGKOK},
            f"1 ถนนสีลม {BANGKOK}",  # the address names the province already
        ),
        ({ADDRESS: "ท่าแพ", PROVINCE_SLOT: "เชียงใหม่"}, "ท่าแพ เชียงใหม่"),
        ({}, None),
    ],
)
def test_the_place_as_the_summary_shows_it(slots: dict[str, str], expected: str | None) -> None:
    assert summary.location_text(slots) == expected


def test_the_summary_card_says_where_it_goes_and_hides_a_skipped_phone() -> None:
    slots = {
        TYPE: "complaint_road",
        DESCRIPTION: ROAD,
        ADDRESS: "ซอย 5",
        DISTRICT_SLOT: "บางรัก",
        PROVINCE_SLOT: BANGKOK,
        PHOTO_IDS: ["m1"],
        PHONE: "0812345678",
        CONSENT: "yes",
    }
    card = summary.summary(slots, agency_name="สำนักงานเขตบางรัก")
    shown = flex_texts(card["json_message"]["line"])
    assert "สำนักงานเขตบางรัก" in shown and "0812345678" in shown
    assert cards.type_label("complaint_road") in shown
    skipped = flex_texts(
        summary.summary({**slots, PHONE: SKIP}, agency_name="x")["json_message"]["line"]
    )
    assert SKIP not in skipped and "0812345678" not in skipped


def test_the_edit_choices_cover_every_field_and_end_with_a_person() -> None:
    choice = summary.edit_choices()
    payloads = [button["payload"] for button in choice["buttons"]]
    for _label, slot in texts.EDIT_CHOICES:
        assert cards.payload("complaint_edit_field", field=slot) in payloads
    assert cards.payload("complaint_edit_field", field="none") in payloads
    assert choice["buttons"][-1] == texts.STAFF_CHIP


def test_the_intake_filed() -> None:
    slots = {
        INTAKE: "key-1",
        TYPE: "complaint_flooding",
        DESCRIPTION: ROAD,
        PROVINCE_SLOT: BANGKOK,
        DISTRICT_SLOT: "บางรัก",
        LATITUDE: 13.72,
        LONGITUDE: 100.52,
        ADDRESS: "ซอย 5",
        PHONE: SKIP,
        CONSENT: "no",
        PHOTO_IDS: ["m1", "m2"],
    }
    intake = summary.intake(slots, line_user_id="U1", fallback_key="unused")
    assert intake.intake_key == "key-1" and intake.line_user_id == "U1"
    assert intake.complaint_type == "complaint_flooding" and intake.district == "บางรัก"
    assert (intake.latitude, intake.longitude) == (13.72, 100.52)
    assert intake.contact_phone is None and intake.share_identity is False
    assert intake.media_ids == ["m1", "m2"]
    shared = summary.intake(
        {**slots, INTAKE: None, PHONE: "0812345678", CONSENT: "yes"},
        line_user_id="U1",
        fallback_key="fresh",
    )
    assert shared.intake_key == "fresh"
    assert shared.contact_phone == "0812345678" and shared.share_identity is True


# After the form -----------------------------------------------------------------------


def test_ticket_ids_as_people_type_them() -> None:
    ticket_id = new_ticket_id()
    typed = ticket_id.lower().replace("-", "")
    assert answers.ticket_id_asked({"ticket_id": typed}) == ticket_id
    assert answers.ticket_id_asked({"ticket_id": " ds-nope "}) == "DS-NOPE"
    assert answers.ticket_id_asked({}) is None


def test_a_rating_button() -> None:
    ticket_id = new_ticket_id()
    assert answers.rating_given({"ticket_id": ticket_id, "rating": "4"}) == (ticket_id, 4)
    assert answers.rating_given({"ticket_id": ticket_id, "rating": "great"}) == (ticket_id, 0)
    assert answers.rating_given({"rating": "5"}) == (None, 5)


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        (" ช่างซ่อมเร็วมากค่ะ ", "inform", "ช่างซ่อมเร็วมากค่ะ"),
        ("ไม่มีค่ะ", "inform", SKIP),
        (None, "deny", SKIP),
        ("ดีมาก", "deny", SKIP),
        ("พอแล้วค่ะ", "inform", SKIP),
        ("cancel", "inform", SKIP),
    ],
)
def test_the_rating_comment(text: str | None, intent: str, expected: str) -> None:
    assert answers.rating_comment(text, intent) == expected


def test_every_complaint_type_has_a_label_for_the_start_message() -> None:
    for complaint_type in COMPLAINT_TYPES:
        started = answers.start(ROAD, {}, complaint_type, intake_id="k", min_description_chars=12)
        assert cards.type_label(complaint_type) in started.replies[0]["text"]


def test_a_photo_before_the_photo_question_is_kept_and_the_question_asked_again(
    matcher: PlaceMatcher,
) -> None:
    early = answers.description(None, {"media_id": "m1"}, "share_photo", {PHOTO_IDS: []})
    assert early.updates[PHOTO_IDS] == ["m1"] and DESCRIPTION not in early.updates
    assert early.replies[0]["text"] == texts.PHOTO_KEPT_DESCRIBE
    where = location(None, {"media_id": "m2"}, "share_photo", {PHOTO_IDS: ["m1"]}, matcher=matcher)
    assert where.updates[PHOTO_IDS] == ["m1", "m2"] and LOCATION not in where.updates
    assert where.replies[0]["text"] == texts.PHOTO_KEPT_WHERE
    # A sticker is neither: the question is asked again, saying what it needs.
    sticker = answers.description(None, {}, "share_sticker", {})
    assert sticker.replies[0]["text"] == texts.DESCRIPTION_AS_TEXT


def test_a_number_in_the_complaint_is_offered_at_the_phone_question() -> None:
    started = answers.start(
        ROAD + " ติดต่อกลับ 089 123 4567",
        {"phone": "0891234567"},
        "complaint_road",
        intake_id="k",
        min_description_chars=12,
    )
    assert started.updates[SAID_PHONE] == "0891234567"
    slots = dict(started.updates)
    for yes, intent in ((None, "affirm"), ("ใช่ค่ะ", "affirm"), ("ถูกต้อง", "inform")):
        assert answers.phone(yes, {}, intent, slots).updates == {
            PHONE: "0891234567",
            SAID_PHONE: None,
        }
    # another number, typed; skip; "not that one" asks again without the offer
    other = answers.phone("0812223333", {"phone": "0812223333"}, "inform", slots)
    assert other.updates == {PHONE: "0812223333", SAID_PHONE: None}
    # a yes with another number is that number, not the one offered
    yes_other = answers.phone("ใช่ค่ะ 081 222 3333", {"phone": "0812223333"}, "affirm", slots)
    assert yes_other.updates == {PHONE: "0812223333", SAID_PHONE: None}
    assert answers.phone(None, {}, "deny", slots).updates == {PHONE: SKIP, SAID_PHONE: None}
    no = answers.phone("ไม่ใช่เบอร์นี้ค่ะ", {}, "deny", slots)
    assert no.updates == {EDITING: None, SAID_PHONE: None} and not no.replies
    # without a number in the words, "yes" is no number
    assert PHONE not in answers.phone("ใช่ค่ะ", {}, "affirm", {}).updates
