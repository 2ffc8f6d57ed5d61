"""action_service_lookup and action_agency_contact with real tracker dicts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from linebot.v3.messaging import Message
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.catalogue import (
    FOLLOW_UP_SECONDS,
    ActionAgencyContact,
    ActionServiceLookup,
    last_service_shown,
    read_request,
)
from bot.catalogue import cards
from bot.catalogue.service import Catalogue, load_catalogue
from bot.line import convert

FIXTURES = Path(__file__).resolve().parents[1] / "bot" / "catalogue" / "data"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    """The catalogue tests' own small catalogue."""
    return load_catalogue(data_dir=FIXTURES)


def tracker(
    text: str,
    *,
    intent: str = "service_lookup",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
) -> Tracker:
    """A tracker as Rasa sends it to the action server, after one user message."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.93},
        "entities": entities or [],
        "intent_ranking": [{"name": intent, "confidence": 0.93}],
        "message_id": "5c1bd2e3b6bf4b0c9c2f0c8d3a8c2b11",
        "metadata": {},
    }
    return Tracker.from_dict(
        {
            "sender_id": "U" + "ab" * 16,
            "slots": {"handoff_requested": None, **(slots or {})},
            "latest_message": latest,
            "events": [
                {"event": "action", "name": "action_session_start", "timestamp": 1.0},
                {"event": "session_started", "timestamp": 1.0},
                {"event": "action", "name": "action_listen", "timestamp": 1.1},
                {"event": "user", "text": text, "parse_data": latest, "timestamp": 1.2},
            ],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


async def run(action: Any, given: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, given, {})
    return dispatcher.messages, events


def flex_ids(messages: list[dict[str, Any]]) -> list[str]:
    """The alt texts of the Flex cards sent (their first line is the title)."""
    return [m["custom"]["altText"].split("\n")[0] for m in messages if m.get("custom")]


def as_line(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the gateway would send to LINE; each must pass the official SDK."""
    line = convert.from_rasa(messages)
    for message in line:
        Message.from_dict(message)
    return line


async def test_a_question_gets_the_best_service_card(catalogue: Catalogue) -> None:
    messages, events = await run(
        ActionServiceLookup(catalogue), tracker("บัตรประชาชนหายต้องทำยังไงคะ")
    )
    assert events == []
    card = messages[0]["custom"]
    assert card["type"] == "flex"
    assert card["altText"].startswith(catalogue.get("id_card").title)  # type: ignore[union-attr]
    for message in messages[1:]:
        assert message["response"] == "utter_service_also"
        assert message["buttons"][-1] == cards.STAFF_BUTTON
    assert as_line(messages)[0]["type"] == "flex"


async def test_a_tapped_suggestion_opens_that_service(catalogue: Catalogue) -> None:
    payload = cards.lookup_payload(service_id="passport")
    entities = [{"entity": "service_id", "value": "passport"}]
    messages, _ = await run(ActionServiceLookup(catalogue), tracker(payload, entities=entities))
    assert len(messages) == 1
    assert messages[0]["custom"]["altText"].startswith("ทำหนังสือเดินทาง")


async def test_the_payload_is_read_even_if_rasa_dropped_the_entity(catalogue: Catalogue) -> None:
    # Rasa keeps only entities the domain declares; the JSON in the text still says it.
    messages, _ = await run(
        ActionServiceLookup(catalogue), tracker('/service_lookup{"service_id":"house_move"}')
    )
    assert messages[0]["custom"]["altText"].startswith("แจ้งย้ายที่อยู่")


async def test_a_category_payload_lists_its_services(catalogue: Catalogue) -> None:
    messages, _ = await run(
        ActionServiceLookup(catalogue),
        tracker(cards.lookup_payload(service_category="welfare")),
    )
    [message] = messages
    text = str(message["custom"])
    assert cards.lookup_payload(service_id="elderly_allowance") in text
    assert cards.lookup_payload(service_id="unemployment_benefit") in text
    as_line(messages)


async def test_the_rich_menu_button_asks_and_offers_categories(catalogue: Catalogue) -> None:
    messages, _ = await run(ActionServiceLookup(catalogue), tracker("/service_lookup"))
    [message] = messages
    assert message["response"] == "utter_service_ask"
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads == [
        *(cards.lookup_payload(service_category=c.id) for c in catalogue.categories),
        "/request_human",
    ]


async def test_an_unknown_question_is_not_answered_with_a_service(catalogue: Catalogue) -> None:
    messages, _ = await run(ActionServiceLookup(catalogue), tracker("ร้านส้มตำแถวนี้ร้านไหนอร่อยคะ"))
    [message] = messages
    assert message["response"] == "utter_service_not_found"
    assert not message["custom"]
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads[-1] == "/request_human"
    assert cards.lookup_payload(service_category="travel") in payloads
    # The gateway puts them on the (domain's) text as chips; here with a stand-in text.
    line = as_line([{**message, "text": "ขออภัยค่ะ"}])
    assert len(line[0]["quickReply"]["items"]) == len(payloads)


async def test_an_unknown_service_id_is_not_found(catalogue: Catalogue) -> None:
    messages, _ = await run(
        ActionServiceLookup(catalogue), tracker('/service_lookup{"service_id":"gone"}')
    )
    assert [m["response"] for m in messages] == ["utter_service_not_found"]


async def test_a_stale_slot_does_not_override_a_new_question(catalogue: Catalogue) -> None:
    messages, _ = await run(
        ActionServiceLookup(catalogue),
        tracker("ทำพาสปอร์ตที่ไหน", slots={"service_id": "id_card"}),
    )
    assert messages[0]["custom"]["altText"].startswith("ทำหนังสือเดินทาง")


async def test_a_question_naming_an_agency_gets_its_card(catalogue: Catalogue) -> None:
    messages, _ = await run(ActionServiceLookup(catalogue), tracker("ขอเบอร์กรมการกงสุลค่ะ"))
    [message] = messages
    assert message["custom"]["altText"].startswith("กรมการกงสุล")


async def test_agency_contact_by_name_by_id_and_by_service(catalogue: Catalogue) -> None:
    action = ActionAgencyContact(catalogue)
    by_name, _ = await run(action, tracker("ติดต่อประกันสังคมยังไง", intent="agency_contact"))
    assert by_name[0]["custom"]["altText"].startswith("สำนักงานประกันสังคม")
    assert "tel:1506" in str(by_name[0]["custom"])
    by_id, _ = await run(action, tracker(cards.agency_payload("dopa"), intent="agency_contact"))
    assert by_id[0]["custom"]["altText"].startswith("กรมการปกครอง")
    by_service, _ = await run(action, tracker("ทำพาสปอร์ตต้องติดต่อใคร", intent="agency_contact"))
    assert by_service[0]["custom"]["altText"].startswith("กรมการกงสุล")
    unknown, _ = await run(action, tracker("ขอเบอร์ร้านพิซซ่า", intent="agency_contact"))
    assert [m["response"] for m in unknown] == ["utter_agency_not_found"]
    assert unknown[0]["buttons"] == [cards.STAFF_BUTTON]
    as_line(by_name + by_id + by_service)


def test_read_request_tells_payloads_from_text() -> None:
    assert read_request(tracker("  พาสปอร์ต  ")) == ("พาสปอร์ต", {})
    assert read_request(tracker("/service_lookup")) == (None, {})
    assert read_request(tracker('/service_lookup{"service_id": "x"}')) == (
        None,
        {"service_id": "x"},
    )
    assert read_request(tracker("/service_lookup{not json}")) == (None, {})


def test_the_action_server_registers_both_actions_and_not_the_base() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    names = set(executor.actions)
    assert {"action_service_lookup", "action_agency_contact"} <= names
    assert "action_request_human" in names


@pytest.fixture(scope="module")
def real_catalogue() -> Catalogue:
    """The project's own catalogue (data/), where agencies and services share words."""
    return load_catalogue()


@pytest.mark.parametrize(
    ("question", "card"),
    [
        # Contact questions get the agency, though a service of its scores higher.
        ("เบอร์กรมการกงสุล", "กรมการกงสุล"),
        ("ขอเบอร์โทรสำนักงานประกันสังคมหน่อยค่ะ", "สำนักงานประกันสังคม"),
        # How-to questions get the service, though its agency scores higher.
        ("ทำพาสปอร์ตต้องใช้เอกสารอะไรบ้าง", "ทำหนังสือเดินทาง"),
        ("ทำใบขับขี่ครั้งแรกต้องใช้เอกสารอะไร", "ทำใบขับขี่ครั้งแรก"),
        ("วิธีลงทะเบียนบัตรทอง", "สิทธิบัตรทอง"),
        # Neither: an agency's bare name gets the agency, though its services mention it.
        ("กรมการกงสุล", "กรมการกงสุล"),
        ("พาสปอร์ตหาย", "ทำหนังสือเดินทาง"),
    ],
)
async def test_the_kind_of_question_decides_agency_or_service(
    real_catalogue: Catalogue, question: str, card: str
) -> None:
    messages, _ = await run(ActionServiceLookup(real_catalogue), tracker(question))
    assert flex_ids(messages)[0].startswith(card), flex_ids(messages)


def after_a_card(catalogue: Catalogue, service_id: str, text: str, *, age: float) -> Tracker:
    """`text` asked `age` seconds after the card of `service_id` was shown."""
    service = catalogue.get(service_id)
    assert service is not None
    card = cards.service_message(service, agency=catalogue.get_agency(service.agency))
    asked = tracker(text)
    now = time.time()
    asked.events[-1]["timestamp"] = now
    asked.events.insert(-1, {"event": "bot", "data": {"custom": card}, "timestamp": now - age})
    return asked


async def test_a_detail_asked_after_a_card_is_that_services(catalogue: Catalogue) -> None:
    dispatcher = CollectingDispatcher()
    asked = after_a_card(catalogue, "id_card", "ค่าธรรมเนียมเท่าไหร่คะ", age=60)
    await ActionServiceLookup(catalogue).run(dispatcher, asked, {})
    [message] = dispatcher.messages
    assert message["text"].startswith("ค่าธรรมเนียม: ทำบัตรประจำตัวประชาชน")
    assert "บัตรหายหรือชำรุด 100 บาท" in message["text"]
    assert "https://" in message["text"]  # where it comes from, as on the card


async def test_a_detail_the_catalogue_lacks_is_said_to_be_missing(catalogue: Catalogue) -> None:
    service = catalogue.get("id_card")
    assert service is not None
    lacking = service.model_copy(update={"where": []})
    text = cards.service_aspect_text(lacking, "where")
    assert text.startswith("ข้อมูลของน้องยังไม่มียื่นได้ที่ของ")
    assert "โทร 1548" in text


async def test_an_old_card_is_not_what_a_detail_is_about(catalogue: Catalogue) -> None:
    dispatcher = CollectingDispatcher()
    asked = after_a_card(catalogue, "id_card", "ค่าธรรมเนียมเท่าไหร่คะ", age=FOLLOW_UP_SECONDS + 60)
    assert last_service_shown(asked) is None
    await ActionServiceLookup(catalogue).run(dispatcher, asked, {})
    assert all("ค่าธรรมเนียม: ทำบัตรประจำตัวประชาชน" not in str(m) for m in dispatcher.messages)
