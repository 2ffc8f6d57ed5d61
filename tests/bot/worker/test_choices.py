"""Typed instead of tapped (bot.worker.choices): the words citizens type for the desk's
buttons pick those buttons; anything else is left for Rasa to read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations import words
from bot.db import unit_of_work
from bot.handoff import texts as handoff_texts
from bot.line import outbox
from bot.tickets import service
from bot.tickets.calendar import BusinessCalendar
from bot.tickets.cards import rating_quick_reply
from bot.tickets.models import Ticket
from bot.tickets.routing import Router
from bot.worker import choices
from tests.support import factories

NOTICE = [
    {"type": "text", "text": "ให้คะแนนหน่อยนะคะ", "quickReply": rating_quick_reply("DS-ABCD2345")}
]
BUTTONS = choices.buttons_in(NOTICE)


def rated(text: str) -> str | None:
    picked = choices.chosen(text, BUTTONS)
    return None if picked is None else choices._entity(picked, "rating") or picked


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("5", "5"),
        ("๕", "5"),
        ("ให้ 4 ค่ะ", "4"),
        ("3 คะแนน", "3"),
        ("ห้าดาว", "5"),
        ("สองดาวค่ะ", "2"),
        ("⭐⭐⭐⭐", "4"),
        ("★ ★ ★", "3"),
        ("4/5", "4"),
    ],
)
def test_a_typed_rating_picks_its_chip(text: str, score: str) -> None:
    assert rated(text) == score


@pytest.mark.parametrize(
    "text",
    ["ยังไม่ได้รับการแก้ไขเลยค่ะ", "ยังไม่ได้ซ่อมเลยครับ", "ยังเหมือนเดิมค่ะ", "ปัญหายังอยู่นะคะ"],
)
def test_not_solved_in_the_citizens_words_picks_reopen(text: str) -> None:
    picked = choices.chosen(text, BUTTONS)
    assert picked is not None and picked.startswith("/reopen_ticket")


@pytest.mark.parametrize(
    "text", ["6", "0", "ขอบคุณค่ะ", "55555", "ถนนหน้าบ้านเป็นหลุม 5 จุด", "⭐⭐⭐⭐⭐⭐", ""]
)
def test_other_words_are_left_for_rasa(text: str) -> None:
    assert choices.chosen(text, BUTTONS) is None


def test_a_chip_whose_words_were_typed_is_that_chip() -> None:
    chips = [
        {
            "type": "text",
            "text": "ส่งเรื่องเลยไหมคะ",
            "quickReply": {
                "items": [
                    {
                        "type": "action",
                        "action": {
                            "type": "postback",
                            "label": "ส่งเรื่อง",
                            "data": "/complaint_confirm",
                        },
                    },
                    {
                        "type": "action",
                        "action": {"type": "postback", "label": "แก้ไข", "data": "/complaint_edit"},
                    },
                ]
            },
        }
    ]
    buttons = choices.buttons_in(chips)
    assert choices.chosen("ส่งเรื่องค่ะ", buttons) == "/complaint_confirm"
    assert choices.chosen("แก้ไข", buttons) == "/complaint_edit"
    assert choices.chosen("แก้ไขที่อยู่หน่อย", buttons) is None


def resolved_ticket(session: Session, citizen: str) -> Ticket:
    """A ticket of the citizen's that staff resolved."""
    ticket = factories.ticket(session, Router.load(), BusinessCalendar.load(), citizen)
    service.transition(session, ticket, "in_progress", actor="staff")
    service.transition(session, ticket, "resolved", actor="staff", note="ซ่อมแล้ว")
    return ticket


def test_not_solved_later_reopens_the_latest_resolved_ticket_within_the_window(
    sessions: sessionmaker[Session],
) -> None:
    citizen = factories.user_id()
    window = timedelta(days=14)
    with unit_of_work(sessions) as session:
        ticket = resolved_ticket(session, citizen)
        # Since then the citizen chatted about something else (no rating chips last).
        outbox.enqueue(
            session,
            citizen_id=ticket.citizen_id,
            line_user_id=citizen,
            messages=[{"type": "text", "text": "สวัสดีค่ะ"}],
            purpose="reply",
        )
    with sessions() as session:
        picked = choices.typed_choice(
            session, citizen, "ยังไม่ได้รับการแก้ไขเลยค่ะ", reopen_window=window
        )
        assert picked is not None and ticket.id in picked and picked.startswith("/reopen_ticket")
        # A longer message about another place is a new complaint, not this ticket.
        other = "ถนนซอยข้าง ๆ ก็เป็นหลุมลึกมาก ยังไม่ได้ซ่อมเลยค่ะ ช่วยมาดูด้วยนะคะ"
        assert choices.typed_choice(session, citizen, other, reopen_window=window) is None
        assert (
            choices.typed_choice(session, citizen, "ยังไม่ได้ซ่อมค่ะ", reopen_window=timedelta(0))
            is None
        )  # the window has passed
        assert (
            choices.typed_choice(session, factories.user_id(), "ยังไม่ได้ซ่อมค่ะ", reopen_window=window)
            is None
        )  # nothing of theirs to reopen


ENDED = choices.buttons_in(handoff_texts.ended(42))


@pytest.mark.parametrize(("text", "score"), [("5", "5"), ("ให้ 4 ดาวครับ", "4"), ("⭐⭐", "2")])
def test_a_rating_typed_after_staff_ended_the_chat_rates_the_chat(text: str, score: str) -> None:
    picked = choices.chosen(text, ENDED)
    assert picked == f"action=rate_handoff&h=42&score={score}"
    assert choices.ended_handoff(ENDED) == 42


@pytest.mark.parametrize("text", ["ยังไม่เสร็จเลยค่ะ", "ยังไม่จบนะคะ", "ยังไม่ได้คำตอบเลย", "ยังมีคำถามอยู่ค่ะ"])
def test_not_finished_after_staff_ended_the_chat_is_told_apart(text: str) -> None:
    assert choices.unfinished(text)


@pytest.mark.parametrize("text", ["ขอบคุณค่ะ", "โอเคค่ะ", "ถนนหน้าบ้านเป็นหลุม"])
def test_other_words_after_the_end_are_not_unfinished(text: str) -> None:
    assert not choices.unfinished(text)
    assert choices.chosen(text, ENDED) is None


def test_after_staff_ended_the_chat_not_done_offers_a_person_not_a_reopen(
    sessions: sessionmaker[Session],
) -> None:
    citizen = factories.user_id()
    window = timedelta(days=14)
    with unit_of_work(sessions) as session:
        ticket = resolved_ticket(session, citizen)
        outbox.enqueue(
            session,
            citizen_id=ticket.citizen_id,
            line_user_id=citizen,
            messages=handoff_texts.ended(42),
            purpose="handoff_end",
        )
    with sessions() as session:
        read = choices.read_typed(session, citizen, "ยังไม่เสร็จเลยค่ะ", reopen_window=window)
        assert read == choices.Typed(f"{choices.AGAIN}&h=42", 42)
        thanks = choices.read_typed(session, citizen, "ขอบคุณค่ะ", reopen_window=window)
        assert thanks == choices.Typed(None, 42)  # Rasa is told whose end it answers


@pytest.mark.parametrize(
    "text",
    [
        "ยกเลิก",
        "ยกเลิกค่ะ",
        "ยกเลิก ครับ",
        "ไม่เอาแล้ว",
        "ไม่เอาแล้วค่ะ",
        "พอแล้วค่ะ",
        "cancel",
        "Cancel!",
        "ไม่รอแล้วค่ะ",
        "ยกเลิกการรอเจ้าหน้าที่",
        "พอก่อนนะคะ",
    ],
)
def test_cancel_in_everyday_words(text: str) -> None:
    assert words.is_cancel(text)


@pytest.mark.parametrize(
    "text", ["ไม่", "ไม่เอา", "พอ", "ยกเลิกเรื่อง DS-ABCD2345 ที่แจ้งไปได้ไหมคะ", "", None]
)
def test_answers_and_requests_are_not_a_cancel(text: str | None) -> None:
    assert not words.is_cancel(text)
