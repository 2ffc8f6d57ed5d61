"""action_not_understood: a service question the NLU missed still gets its card when the
catalogue is sure; otherwise "not understood", and twice in a row a person."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.catalogue import SURE_WITHOUT_INTENT
from actions.complaint import texts
from actions.complaint.slots import ASKED_FROM, ASKED_TEXT
from actions.not_understood import HIDDEN_COMPLAINT_FLOOR, ActionNotUnderstood, _misunderstood_twice
from bot.catalogue import cards
from bot.catalogue.service import Catalogue, is_confident, load_catalogue
from bot.tickets import cards as ticket_cards


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    """The shipped catalogue, from its files."""
    return load_catalogue()


def user(text: str, intent: str) -> dict[str, Any]:
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.4}, "entities": []}
    return {"event": "user", "text": text, "parse_data": parse}


def tracker(*events: dict[str, Any]) -> Tracker:
    latest = next(e for e in reversed(events) if e["event"] == "user")["parse_data"]
    return Tracker.from_dict(
        {
            "sender_id": "U" + "cd" * 16,
            "slots": {"handoff_requested": None},
            "latest_message": latest,
            "events": [{"event": "action", "name": "action_listen"}, *events],
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


async def run(catalogue: Catalogue, *events: dict[str, Any]) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    await ActionNotUnderstood(catalogue).run(dispatcher, tracker(*events), {})
    return dispatcher.messages


@pytest.mark.parametrize(
    ("text", "service_id"),
    [("ต่อพาสปอร์ตหมดอายุ", "passport"), ("ขอใบขับขี่มอไซค์ครั้งแรก", "driving_license")],
)
async def test_a_service_question_read_as_chat_gets_the_services_card(
    catalogue: Catalogue, text: str, service_id: str
) -> None:
    ranked = catalogue.ranked(query=text, limit=2)
    assert ranked[0].key == service_id
    assert is_confident(ranked, threshold=SURE_WITHOUT_INTENT)
    service = catalogue.get(service_id)
    assert service is not None
    [message] = await run(catalogue, user(text, "out_of_scope"))
    card = cards.service_message(
        service,
        category=catalogue.get_category(service.category),
        agency=catalogue.get_agency(service.agency),
    )
    assert message["custom"] == card


@pytest.mark.parametrize("text", ["ร้านก๋วยเตี๋ยวแถวบ้านอร่อยไหม", "ฟหกดฟหกด qzxv", "ข้อมูล"])
async def test_anything_the_catalogue_is_not_sure_of_is_not_understood(
    catalogue: Catalogue, text: str
) -> None:
    assert not is_confident(catalogue.ranked(query=text, limit=2), threshold=SURE_WITHOUT_INTENT)
    [message] = await run(catalogue, user(text, "out_of_scope"))
    assert message["response"] == "utter_out_of_scope"


async def test_a_payload_is_never_searched(catalogue: Catalogue) -> None:
    [message] = await run(catalogue, user('/inform{"x":"พาสปอร์ต"}', "nlu_fallback"))
    assert message["response"] == "utter_default"


def test_a_message_answered_with_a_card_does_not_count_as_misunderstood() -> None:
    card = {"event": "bot", "data": {"custom": {"type": "flex", "altText": "x", "contents": {}}}}
    said = {"event": "bot", "text": "ขออภัยค่ะ", "data": {}}
    assert _misunderstood_twice(tracker(user("a", "out_of_scope"), said, user("b", "inform")))
    assert not _misunderstood_twice(
        tracker(user("พาสปอร์ต", "out_of_scope"), card, user("b", "inform"))
    )
    assert not _misunderstood_twice(tracker(user("a", "greet"), said, user("b", "inform")))


def ranked_user(text: str, *ranking: tuple[str, float]) -> dict[str, Any]:
    event = user(text, ranking[0][0])
    event["parse_data"]["intent"]["confidence"] = ranking[0][1]
    event["parse_data"]["intent_ranking"] = [{"name": n, "confidence": c} for n, c in ranking]
    return event


STREET_LIGHT_WITH_A_NUMBER = "ไฟหน้าบ้านดับมาหลายวันแล้ว ติดต่อกลับเบอร์ 0812345678"


async def test_a_detail_with_a_complaint_close_behind_asks_which_complaint(
    catalogue: Catalogue,
) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionNotUnderstood(catalogue).run(
        dispatcher,
        tracker(
            ranked_user(
                STREET_LIGHT_WITH_A_NUMBER,
                ("inform", 0.62),
                ("complaint_streetlight", 0.22),
                ("complaint_road", 0.08),  # the same agency as the street light: not offered
                ("complaint_traffic", 0.06),
                ("greet", 0.02),
            )
        ),
        {},
    )
    [message] = dispatcher.messages
    assert message["text"] == texts.ASK_HIDDEN_COMPLAINT
    offered = [button["payload"] for button in message["buttons"]]
    assert offered[:2] == [
        ticket_cards.payload("complaint_set_type", complaint_type="complaint_streetlight"),
        ticket_cards.payload("complaint_set_type", complaint_type="complaint_traffic"),
    ]
    assert texts.READING_OTHER["payload"] in offered
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    # the words wait for the choice; a choice other than the model's reading is a label
    assert slots == {ASKED_TEXT: STREET_LIGHT_WITH_A_NUMBER, ASKED_FROM: "inform"}


async def test_a_detail_with_no_complaint_near_is_not_understood(catalogue: Catalogue) -> None:
    floor = HIDDEN_COMPLAINT_FLOOR
    [message] = await run(
        catalogue,
        ranked_user("ค่ะ ได้ค่ะ", ("inform", 0.8), ("complaint_streetlight", floor - 0.01)),
    )
    assert message["response"] == "utter_default"


def test_a_message_asked_about_does_not_count_as_misunderstood() -> None:
    said = {"event": "bot", "text": "ขออภัยค่ะ", "data": {}}
    asked = {"event": "slot", "name": ASKED_TEXT, "value": "ไฟดับ โทร 081"}
    assert not _misunderstood_twice(
        tracker(user("ไฟดับ โทร 081", "inform"), asked, said, user("b", "inform"))
    )
