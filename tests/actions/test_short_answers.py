"""Yes, no and "ยกเลิก" wherever the desk waits for an answer (issue 17): outside a form
(action_short_answer), in the intake, and changing the type from the summary; and thanks
right after staff ended a chat. Tracker dicts in, events and messages out, on a real
(SQLite) database; no Rasa process."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rasa_sdk import Tracker

from actions.complaint import texts
from actions.complaint.form import ActionFormButtonOutside, ValidateComplaintForm
from actions.complaint.questions import ActionAskOutcome
from actions.complaint.slots import (
    ASKED_FROM,
    ASKED_TEXT,
    CONSENT,
    DESCRIPTION,
    EDITING,
    INTAKE,
    LOCATION,
    OUTCOME,
    PHOTO_IDS,
    PHOTOS,
    RATING_COMMENT,
    RATING_TICKET,
    REQUESTED,
    SKIP,
    SUMMARY_TYPE,
    TYPE,
)
from actions.handoff import ActionThank
from actions.short_answers import ActionShortAnswer
from bot.context import Context
from bot.db import unit_of_work
from bot.tickets import cards
from bot.tickets import service as tickets
from tests.actions import test_complaint_form as form_tests
from tests.actions.test_complaint_form import (
    ME,
    ROAD,
    asked,
    buttons_of,
    line_messages,
    run,
    said,
    tracker,
)

desk = form_tests.desk
domain = form_tests.domain


def outside(
    text: str,
    *,
    intent: str,
    slots: dict[str, Any] | None = None,
    before: list[dict[str, Any]] | None = None,
    entities: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Tracker:
    """The tracker after a message with no form active; `before`: what the desk did and
    said since the citizen's previous message (action and bot events)."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "intent_ranking": [{"name": intent, "confidence": 0.9}],
        "message_id": uuid.uuid4().hex,
        "metadata": metadata or {},
    }
    events = [
        {"event": "user", "text": "ก่อนหน้า", "parse_data": {}, "timestamp": 1.0},
        *(before or []),
        {"event": "action", "name": "action_listen", "timestamp": 2.0},
        {"event": "user", "text": text, "parse_data": latest, "timestamp": 2.1},
    ]
    return Tracker.from_dict(
        {
            "sender_id": ME,
            "slots": dict(slots or {}),
            "latest_message": latest,
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m["response"] for m in messages if m.get("response")]


def bot(buttons: list[dict[str, str]] | None = None, **custom: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"buttons": buttons or []}
    if custom:
        data["custom"] = custom
    return {"event": "bot", "text": "…", "data": data, "timestamp": 1.5}


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name, "timestamp": 1.4}


ERASE_ASK = [
    action("action_privacy_erase_ask"),
    bot(
        [
            {"title": "ยืนยันลบข้อมูล", "payload": "/privacy_erase_confirm"},
            {"title": "ยกเลิก", "payload": "/cancel"},
        ]
    ),
]
READINGS = [
    action("action_start_complaint"),
    bot(
        [
            {
                "title": "ถนน ทางเท้า สะพาน",
                "payload": cards.payload("complaint_set_type", complaint_type="complaint_road"),
            },
            dict(texts.READING_OTHER),
        ]
    ),
]


# Outside a form ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"), [("ยกเลิก", "cancel"), ("ไม่เอาแล้วค่ะ", "deny"), ("ไม่ใช่", "deny")]
)
async def test_no_to_a_choice_of_readings_drops_the_words(
    desk: Context, domain: dict[str, Any], text: str, intent: str
) -> None:
    given = outside(
        text, intent=intent, slots={ASKED_TEXT: ROAD, ASKED_FROM: "complaint_road"}, before=READINGS
    )
    set_, messages = await run(ActionShortAnswer(desk), given, domain)
    assert responses(messages) == ["utter_cancelled_choice"]
    assert set_ == {ASKED_TEXT: None, ASKED_FROM: None}


async def test_yes_to_a_choice_of_readings_shows_the_types_again(
    desk: Context, domain: dict[str, Any]
) -> None:
    given = outside("ใช่ค่ะ", intent="affirm", slots={ASKED_TEXT: ROAD}, before=READINGS)
    set_, messages = await run(ActionShortAnswer(desk), given, domain)
    assert said(messages) == [texts.CHOOSE_AGAIN]
    assert line_messages(messages) == [cards.type_choice_message()]
    assert set_ == {}  # the words still wait for the choice


@pytest.mark.parametrize(
    ("text", "intent", "response"),
    [
        ("/cancel", "cancel", "utter_cancelled_erasure"),
        ('/cancel{"step":"erasure"}', "cancel", "utter_cancelled_erasure"),
        ("ไม่เอาแล้ว", "deny", "utter_cancelled_erasure"),
        ("ไม่", "deny", "utter_cancelled_erasure"),
        ("ใช่", "affirm", "utter_privacy_erase_again"),
    ],
)
async def test_the_erasure_is_confirmed_only_by_its_button(
    desk: Context, domain: dict[str, Any], text: str, intent: str, response: str
) -> None:
    given = outside(text, intent=intent, before=ERASE_ASK)
    _, messages = await run(ActionShortAnswer(desk), given, domain)
    assert responses(messages) == [response]
    assert response in domain["responses"]


@pytest.mark.parametrize(
    ("previous", "response"),
    [
        ("action_check_status", "utter_cancelled_status"),
        ("action_service_lookup", "utter_cancelled_service"),
        ("action_agency_contact", "utter_cancelled_service"),
        ("action_request_human", "utter_cancelled"),
    ],
)
async def test_cancel_after_a_list_says_what_it_leaves(
    desk: Context, domain: dict[str, Any], previous: str, response: str
) -> None:
    given = outside("พอแล้วค่ะ", intent="cancel", before=[action(previous), bot()])
    _, messages = await run(ActionShortAnswer(desk), given, domain)
    assert responses(messages) == [response]


@pytest.mark.parametrize(
    ("text", "intent", "response"),
    [
        ("โอเค", "affirm", "utter_affirm_no_context"),
        ("ไม่", "deny", "utter_affirm_no_context"),
        ("ไม่เอาแล้วค่ะ", "deny", "utter_cancelled"),
        ("ยกเลิก", "cancel", "utter_cancelled"),
    ],
)
async def test_nothing_pending(
    desk: Context, domain: dict[str, Any], text: str, intent: str, response: str
) -> None:
    _, messages = await run(ActionShortAnswer(desk), outside(text, intent=intent), domain)
    assert responses(messages) == [response]


async def test_the_erasure_questions_cancel_button_however_late(
    desk: Context, domain: dict[str, Any]
) -> None:
    late = outside('/cancel{"step":"erasure"}', intent="cancel", slots=_left_over())
    _, messages = await run(ActionShortAnswer(desk), late, domain)
    assert responses(messages) == ["utter_cancelled_erasure"]


async def test_the_summarys_cancel_after_filing_cancels_nothing(
    desk: Context, domain: dict[str, Any]
) -> None:
    intake = uuid.uuid4().hex
    filed = tickets.Intake(
        intake_key=intake, line_user_id=ME, complaint_type="complaint_road", description=ROAD
    )
    with unit_of_work(desk.sessions) as session:
        ticket, _ = tickets.create_ticket(
            session, filed, router=desk.router, calendar=desk.calendar
        )
    tapped = f'/cancel{{"intake":"{intake}"}}'
    _, messages = await run(ActionShortAnswer(desk), outside(tapped, intent="cancel"), domain)
    assert said(messages) == [texts.filed_not_cancelled(ticket.id)]
    assert cards.payload("check_status", ticket_id=ticket.id) in buttons_of(messages)
    with unit_of_work(desk.sessions) as session:
        assert session.get_one(tickets.Ticket, ticket.id).status == "received"
    gone = '/cancel{"intake":"one-that-filed-nothing"}'
    _, messages = await run(ActionShortAnswer(desk), outside(gone, intent="cancel"), domain)
    assert said(messages) == [texts.STALE_NO_TICKET]


def _left_over(**slots: Any) -> dict[str, Any]:
    """An intake the session's time-out cut short: its slots, no form."""
    return {
        TYPE: "complaint_road",
        INTAKE: uuid.uuid4().hex,
        DESCRIPTION: ROAD,
        LOCATION: None,
        REQUESTED: LOCATION,
        PHOTO_IDS: [],
        **slots,
    }


@pytest.mark.parametrize(("text", "intent"), [("/deny", "deny"), ("/affirm", "affirm")])
async def test_a_chip_of_an_intake_that_timed_out_offers_to_go_on(
    desk: Context, domain: dict[str, Any], text: str, intent: str
) -> None:
    given = outside(text, intent=intent, slots=_left_over())
    set_, messages = await run(ActionShortAnswer(desk), given, domain)
    assert said(messages) == [texts.expired(cards.type_label("complaint_road"))]
    assert buttons_of(messages) == [
        cards.payload("complaint_set_type", complaint_type="complaint_road"),
        "/deny",
    ]
    assert set_[ASKED_TEXT] == ROAD and set_[INTAKE] is None and set_[REQUESTED] is None
    # Its form buttons say the same.
    photos = outside("/complaint_photos_done", intent="complaint_photos_done", slots=_left_over())
    _, messages = await run(ActionFormButtonOutside(desk), photos, domain)
    assert said(messages) == [texts.expired(cards.type_label("complaint_road"))]


async def test_cancel_of_an_intake_that_timed_out(desk: Context, domain: dict[str, Any]) -> None:
    given = outside("ยกเลิก", intent="cancel", slots=_left_over())
    set_, messages = await run(ActionShortAnswer(desk), given, domain)
    assert said(messages) == [texts.CANCELLED]
    assert set_[INTAKE] is None and ASKED_TEXT not in set_


async def test_the_comment_question_after_a_time_out(desk: Context, domain: dict[str, Any]) -> None:
    given = outside("/deny", intent="deny", slots={RATING_TICKET: "DS-ABCD2345"})
    set_, messages = await run(ActionShortAnswer(desk), given, domain)
    assert said(messages) == [texts.NO_COMMENT]
    assert set_ == {RATING_TICKET: None, RATING_COMMENT: None}


# Thanks after staff ended a chat ------------------------------------------------------


async def test_thanks_right_after_staff_ended_a_chat_asks_the_rating_again(
    domain: dict[str, Any],
) -> None:
    given = outside("ขอบคุณค่ะ", intent="thank", metadata={"handoff_ended": 42})
    _, messages = await run(ActionThank(), given, domain)
    chips = [m["custom"]["line"] for m in messages]
    data = [i["action"]["data"] for i in chips[0]["quickReply"]["items"]]
    assert data[0] == "action=rate_handoff&h=42&score=5" and len(data) == 5
    _, messages = await run(ActionThank(), outside("ขอบคุณค่ะ", intent="thank"), domain)
    assert responses(messages) == ["utter_thank"]


# In the intake ------------------------------------------------------------------------


async def test_an_earlier_summarys_cancel_button_cancels_nothing_now(
    desk: Context, domain: dict[str, Any]
) -> None:
    given = tracker(
        '/cancel{"intake":"an-earlier-one"}',
        intent="cancel",
        entities=[{"entity": "intake", "value": "an-earlier-one"}],
        slots=asked(PHOTOS),
    )
    set_, messages = await run(ValidateComplaintForm(desk), given, domain)
    assert set_.get(OUTCOME) is None and said(messages) == [texts.OLD_CANCEL_BUTTON]


async def test_enough_photos_is_not_a_cancel(desk: Context, domain: dict[str, Any]) -> None:
    slots = asked(PHOTOS, **{PHOTO_IDS: ["m1"]})
    given = tracker("พอแล้วค่ะ", intent="cancel", slots=slots)
    set_, _ = await run(ValidateComplaintForm(desk), given, domain)
    assert set_[PHOTOS] == "1" and set_.get(OUTCOME) is None
    given = tracker("ไม่เอาแล้วค่ะ", intent="deny", slots=asked(CONSENT))
    set_, _ = await run(ValidateComplaintForm(desk), given, domain)
    assert set_[OUTCOME] == "cancelled"


async def test_the_location_skip_chip_is_a_no(desk: Context, domain: dict[str, Any]) -> None:
    given = tracker("/deny", intent="deny", slots=asked(LOCATION))
    set_, _ = await run(ValidateComplaintForm(desk), given, domain)
    assert set_[LOCATION] == SKIP


async def test_changing_the_type_from_the_summary_shows_the_types_not_the_summary(
    desk: Context, domain: dict[str, Any]
) -> None:
    slots = asked(OUTCOME, **{EDITING: "choose"})
    edit = cards.payload("complaint_edit_field", field=TYPE)
    given = tracker(
        edit,
        intent="complaint_edit_field",
        entities=[{"entity": "field", "value": TYPE}],
        slots=slots,
    )
    set_, messages = await run(ValidateComplaintForm(desk), given, domain)
    assert set_[EDITING] == SUMMARY_TYPE and messages == []  # the question shows the list
    choosing = {**slots, **set_}
    _, messages = await run(ActionAskOutcome(desk), tracker(slots=choosing), domain)
    assert line_messages(messages) == [cards.type_choice_message()]
    assert "ตรวจสอบก่อนส่งเรื่อง" not in str(messages)
    keep = cards.payload("complaint_edit_field", field="none")
    assert keep in buttons_of(messages)
    # "ใช่" while the types are shown confirms nothing.
    set_, _ = await run(
        ValidateComplaintForm(desk), tracker("ใช่ค่ะ", intent="affirm", slots=choosing), domain
    )
    assert set_.get(OUTCOME) is None and set_[EDITING] == SUMMARY_TYPE
    # A type chosen: the summary again, with it.
    chosen = cards.payload("complaint_set_type", complaint_type="complaint_garbage")
    set_, _ = await run(
        ValidateComplaintForm(desk),
        tracker(chosen, intent="complaint_set_type", slots=choosing),
        domain,
    )
    assert set_[TYPE] == "complaint_garbage" and set_[EDITING] is None
    _, messages = await run(ActionAskOutcome(desk), tracker(slots={**choosing, **set_}), domain)
    assert "ตรวจสอบก่อนส่งเรื่อง" in str(messages)
