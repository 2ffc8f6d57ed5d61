"""Flex cards and quick replies: accepted by the official SDK and within LINE's limits."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from linebot.v3.messaging import FlexMessage, Message

from bot.catalogue import cards
from bot.catalogue.schemas import Agency, Category, Match, Online, Service
from bot.catalogue.service import Catalogue
from bot.line import convert


def walk(node: Any) -> list[dict[str, Any]]:
    """Every dict inside a JSON-like value."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(walk(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(walk(value))
    return found


def assert_line_limits(message: dict[str, Any]) -> None:
    """LINE's rules the SDK does not check: altText, labels, URI schemes, no empty text."""
    assert message["type"] == "flex"
    assert 0 < len(message["altText"]) <= cards.MAX_ALT_TEXT
    for node in walk(message["contents"]):
        if "label" in node and node.get("type") in {"uri", "postback", "message"}:
            assert 0 < len(node["label"]) <= cards.MAX_LABEL, node
        if node.get("type") == "uri":
            assert node["uri"].startswith(("https://", "tel:")), node
        if node.get("type") == "postback":
            assert len(node["data"]) <= 300
        if node.get("type") == "text":
            assert node["text"].strip(), node
    # Sizes: a bubble at most 30 KB of JSON, a carousel 50 KB and 12 bubbles.
    contents = message["contents"]
    bubbles = contents["contents"] if contents["type"] == "carousel" else [contents]
    assert len(bubbles) <= 12
    assert all(len(compact(b)) <= 30_000 for b in bubbles)
    assert len(compact(contents)) <= 50_000
    # The SDK's own models accept it, and round-trip it unchanged.
    assert FlexMessage.from_dict(message).to_dict() == message


def compact(node: Any) -> bytes:
    return json.dumps(node, ensure_ascii=False, separators=(",", ":")).encode()


def huge_service() -> Service:
    """A service with everything too long and too many: beyond the schemas' limits on
    purpose (built without validation), the card must still fit LINE's."""
    return Service.model_construct(
        id="huge",
        title="ขอรับบริการที่มีชื่อยาวมาก " * 20,
        aliases=["ชื่อเล่นที่ยาวเกินยี่สิบตัวอักษรแน่นอน"],
        agency="dopa",
        summary="รายละเอียด " * 200,
        documents=[f"เอกสารฉบับที่ {i} " + "ยาว" * 80 for i in range(12)],
        fees="ค่าธรรมเนียม " * 100,
        processing_time="นาน " * 100,
        where=[f"สถานที่ {i}" for i in range(9)],
        hotline="02-572-8442",
        online=Online(url="https://example.go.th/" + "a" * 500, app="แอปที่ชื่อยาวมากเกินปุ่มแน่ ๆ"),
        source="https://example.go.th/source",
    )


def test_every_fixture_service_card_is_valid(catalogue: Catalogue) -> None:
    for service in catalogue.services:
        category = catalogue.get_category(service.category)
        assert_line_limits(cards.service_message(service, category=category))


def test_every_card_of_the_real_catalogue_is_valid(real_catalogue: Catalogue) -> None:
    for service in real_catalogue.services:
        category = real_catalogue.get_category(service.category)
        assert_line_limits(cards.service_message(service, category=category))
    for agency in real_catalogue.agencies:
        assert_line_limits(cards.agency_message(agency))
    for listed in real_catalogue.by_category():
        assert_line_limits(cards.category_message(listed, listed.services))
    labels = [b["title"] for b in cards.category_buttons(real_catalogue.categories)]
    assert all(0 < len(label) <= cards.MAX_LABEL for label in labels)


def test_an_oversized_service_is_cut_to_size() -> None:
    message = cards.service_message(huge_service())
    assert_line_limits(message)
    text = json.dumps(message, ensure_ascii=False)
    assert cards.MORE in text  # long lists end in "และอื่น ๆ"
    assert "เอกสารฉบับที่ 2" in text and "เอกสารฉบับที่ 3" not in text
    assert len(text.encode()) < 20_000  # well within LINE's 30 KB per Flex message


def test_the_service_card_has_the_facts_a_citizen_needs(catalogue: Catalogue) -> None:
    passport = catalogue.get("passport")
    assert passport is not None
    message = cards.service_message(passport)
    texts = [n["text"] for n in walk(message["contents"]) if n.get("type") == "text"]
    assert passport.title in texts
    assert "• บัตรประชาชนตัวจริง" in texts
    assert "อายุ 5 ปี 1,000 บาท อายุ 10 ปี 1,500 บาท" in texts
    assert any("อาจเปลี่ยนแปลงแล้ว" in t and "www.consular.go.th" in t for t in texts)
    uris = [n["uri"] for n in walk(message["contents"]) if n.get("type") == "uri"]
    assert "tel:025728442" in uris  # the hotline is a call button
    assert "https://www.passport.in.th/" in uris  # and the online service a link
    assert passport.title in message["altText"] and "02-572-8442" in message["altText"]


def test_a_short_service_without_hotline_or_online_asks_only_for_feedback() -> None:
    service = huge_service().model_copy(
        update={
            "hotline": None,
            "online": None,
            "summary": "ทำบัตรใหม่ได้ที่สำนักงานเขต",
            "documents": ["บัตรประชาชนใบเดิม"],
            "fees": "100 บาท",
            "processing_time": "1 วัน",
            "where": ["สำนักงานเขต"],
        }
    )
    message = cards.service_message(service)
    footer = message["contents"]["footer"]["contents"]
    assert [n["type"] for n in footer] == ["separator", "text", "box"]
    assert footer[1]["text"] == "ข้อมูลนี้ช่วยได้ไหมคะ"
    votes = [b["action"] for b in footer[2]["contents"]]
    assert [a["label"] for a in votes] == ["👍 ช่วยได้", "👎 ไม่ช่วย", "ข้อมูลไม่ถูกต้อง"]
    assert votes[2]["data"] == "action=service_feedback&s=huge&v=wrong"
    assert_line_limits(message)


def test_what_the_card_shortens_is_a_tap_away_in_full() -> None:
    service = huge_service().model_copy(update={"hotline": None, "online": None})
    message = cards.service_message(service)
    assert_line_limits(message)
    more, *_feedback = message["contents"]["footer"]["contents"]
    assert more["action"]["label"] == "อ่านต่อ"
    data = more["action"]["data"]
    assert data.startswith("/service_lookup") and '"details":"full"' in data
    texts = [n["text"] for n in walk(message["contents"]) if n.get("type") == "text"]
    # Cut between words, never inside one: each shortened line ends on a whole word.
    for text in texts:
        if text.endswith("…"):
            assert text[:-1].rstrip().endswith(("ยาว", "รายละเอียด", "ค่าธรรมเนียม", "นาน", "มาก")), (
                text
            )
    messages = cards.service_full_text(service)
    assert 1 < len(messages) <= 4 and all(len(m) <= 5000 for m in messages)
    full = "\n".join(messages)
    assert all(d.strip() in full for d in service.documents)  # all twelve, uncut
    assert all(w in full for w in service.where)
    assert service.fees is not None and service.fees.strip() in full


def test_agency_and_category_cards_are_valid(catalogue: Catalogue) -> None:
    for agency in catalogue.agencies:
        assert_line_limits(cards.agency_message(agency))
    for category in catalogue.by_category():
        message = cards.category_message(category, category.services)
        assert_line_limits(message)
        payloads = [n["data"] for n in walk(message["contents"]) if n.get("type") == "postback"]
        assert payloads == [cards.lookup_payload(service_id=s.id) for s in category.services]
    bare = Agency(id="x", name="หน่วยงานที่ไม่มีช่องทางติดต่อ")
    assert_line_limits(cards.agency_message(bare))


def test_a_long_category_list_pages_through_a_carousel() -> None:
    category = Category(id="many", title="หมวดที่มีบริการมาก")
    services = [huge_service().model_copy(update={"id": f"s{i}"}) for i in range(25)]
    message = cards.category_message(category, services)
    assert_line_limits(message)
    assert message["contents"]["type"] == "carousel"
    bubbles = message["contents"]["contents"]
    assert [len([n for n in walk(b) if n.get("type") == "postback"]) for b in bubbles] == [
        10,
        10,
        5,
    ]
    rows = [n["data"] for n in walk(message["contents"]) if n.get("type") == "postback"]
    assert rows == [cards.lookup_payload(service_id=s.id) for s in services]  # every one
    assert "(3/3)" in json.dumps(bubbles[2], ensure_ascii=False)
    assert cards.LABELS["more_services"] not in json.dumps(message, ensure_ascii=False)


def test_a_category_beyond_a_carousel_says_to_type_the_name() -> None:
    category = Category(id="many", title="หมวดที่มีบริการมาก")
    services = [huge_service().model_copy(update={"id": f"s{i}"}) for i in range(130)]
    message = cards.category_message(category, services)
    assert_line_limits(message)
    bubbles = message["contents"]["contents"]
    assert 1 < len(bubbles) <= cards.MAX_CATEGORY_PAGES  # as many as 50 KB hold
    assert cards.LABELS["more_services"] in json.dumps(bubbles[-1], ensure_ascii=False)
    shown = [n["data"] for n in walk(message["contents"]) if n.get("type") == "postback"]
    assert shown == [cards.lookup_payload(service_id=s.id) for s in services[: len(shown)]]


@pytest.mark.parametrize(
    ("hotline", "uri"),
    [("1548", "tel:1548"), ("02-572-8442", "tel:025728442"), ("02 141 9999", "tel:021419999")],
)
def test_hotlines_become_tel_uris(hotline: str, uri: str) -> None:
    assert cards.tel_uri(hotline) == uri


def test_thai_dates_use_the_buddhist_era() -> None:
    assert cards.thai_date(date(2026, 1, 5)) == "5 ม.ค. 2569"


def test_quick_replies_go_through_the_gateway_as_valid_line_messages(
    catalogue: Catalogue,
) -> None:
    services = {s.id: s for s in catalogue.services}
    matches = [
        Match(
            service_id=s.id,
            title=s.title,
            category=s.category,
            score=0.3,
            confidence=0.4,
            confident=False,
        )
        for s in catalogue.services
    ]
    many_categories = [
        Category(id=f"c{i}", title=f"หมวดบริการลำดับที่ {i} ที่ชื่อยาวมาก") for i in range(20)
    ]
    buttons = cards.quick_replies(
        cards.match_buttons(matches, services), cards.category_buttons(many_categories)
    )
    assert len(buttons) == cards.MAX_QUICK_REPLIES
    assert buttons[-1] == cards.STAFF_BUTTON
    assert len({b["payload"] for b in buttons}) == len(buttons)
    # As the action server sends them: a Flex card, then a text whose buttons are chips.
    passport = services["passport"]
    bot_messages: list[dict[str, Any]] = [
        {"custom": cards.service_message(passport)},
        {"text": "บริการอื่นที่อาจเกี่ยวข้อง", "buttons": buttons},
    ]
    line_messages = convert.from_rasa(bot_messages)
    assert [m["type"] for m in line_messages] == ["flex", "text"]
    items = line_messages[-1]["quickReply"]["items"]
    assert len(items) <= cards.MAX_QUICK_REPLIES
    for item in items:
        assert len(item["action"]["label"]) <= cards.MAX_LABEL
    assert items[0]["action"] == {
        "type": "postback",
        "label": cards.short_title(services[matches[0].service_id]),
        "data": cards.lookup_payload(service_id=matches[0].service_id),
        "displayText": cards.short_title(services[matches[0].service_id]),
    }
    for message in line_messages:
        Message.from_dict(message)


def test_short_labels_prefer_a_whole_name() -> None:
    service = huge_service().model_copy(update={"aliases": ["ชื่อยาวเกินยี่สิบตัวอักษรแน่นอนนะ", "ชื่อสั้น"]})
    assert cards.short_title(service) == "ชื่อสั้น"
    assert cards.short_category("งานทะเบียนราษฎรและบัตรประชาชน") == "งานทะเบียนราษฎร"
    cut = cards.short_category("ก" * 40)
    assert len(cut) <= cards.MAX_LABEL and cut.endswith("…")


def card_texts(message: dict[str, Any]) -> str:
    """Every text of a Flex message, joined."""
    return "\n".join(n["text"] for n in walk(message["contents"]) if n.get("type") == "text")


def test_a_verified_entry_shows_the_date_an_officer_confirmed_it(catalogue: Catalogue) -> None:
    house = catalogue.get("house_move")
    assert house is not None
    dopa = catalogue.get_agency("dopa")
    text = card_texts(cards.service_message(house, agency=dopa, today=date(2026, 12, 4)))
    assert "ตรวจสอบข้อมูลนี้กับแหล่งที่มาแล้วเมื่อ 22 พ.ย. 2569" in text
    assert "อาจเปลี่ยนแปลง" not in text


def test_an_unverified_or_overdue_entry_never_shows_a_date(catalogue: Catalogue) -> None:
    house = catalogue.get("house_move")
    passport = catalogue.get("passport")
    assert house is not None and passport is not None
    overdue = cards.service_message(
        house, agency=catalogue.get_agency("dopa"), today=date(2027, 5, 23)
    )
    never = cards.service_message(passport, agency=catalogue.get_agency(passport.agency))
    for message in (overdue, never):
        text = card_texts(message)
        assert "อาจเปลี่ยนแปลงแล้ว ก่อนเดินทางโปรดสอบถาม" in text
        assert "2569" not in text and "2570" not in text
    # Whom to ask: the entry's hotline with its agency's name.
    assert "โทร 1548" in card_texts(overdue)
    assert "1548" in cards.service_full_text(house, today=date(2027, 5, 23))[-1]


def test_a_button_label_is_a_name_not_a_search_term() -> None:
    long_title = "ลงทะเบียนบัตรขาเข้าประเทศไทยแบบดิจิทัลสำหรับชาวต่างชาติ"
    tdac = huge_service().model_copy(
        update={"title": long_title, "aliases": ["tdac", "บัตรขาเข้าออนไลน์", "TDAC card"]}
    )
    assert cards.short_title(tdac) == "บัตรขาเข้าออนไลน์"
    brand = tdac.model_copy(update={"aliases": ["thaid app", "ThaID"]})
    assert cards.short_title(brand) == "ThaID"
    only = tdac.model_copy(update={"aliases": ["tdac"]})
    assert cards.short_title(only) == "tdac"  # better than a cut title
    short = tdac.model_copy(update={"title": "พาสปอร์ต"})
    assert cards.short_title(short) == "พาสปอร์ต"
