"""A citizen's vote on a service card and the note about what was wrong (the worker's
side, on SQLite and PostgreSQL): counted once per citizen, the next text taken as the
note only when one was asked for and only for a while."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot.catalogue import store
from bot.catalogue.models import ServiceFeedback
from bot.catalogue.service import read_data
from bot.conversations.models import Citizen
from bot.conversations.service import citizen_by_line_id
from bot.db import unit_of_work, utcnow
from bot.privacy import erase_citizen
from bot.teaching import inbox
from bot.worker import feedback
from tests.bot.catalogue.catalogue_support import FIXTURES

USER = "U" + "f" * 32


def seeded(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        store.seed(session, read_data(data_dir=FIXTURES))
        session.add(Citizen(line_user_id=USER))


def counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return store.feedback_counts(session, ["passport"])["passport"]


def test_a_wrong_card_and_its_note(sessions: sessionmaker[Session]) -> None:
    seeded(sessions)
    assert feedback.take_note(sessions, USER, "สวัสดีค่ะ") is None  # nothing was asked
    assert feedback.record(sessions, USER, "passport", "wrong") == feedback.THANKS["wrong"]
    assert feedback.take_note(sessions, USER, "ต้องจองคิวก่อนแล้วค่ะ") == feedback.NOTED
    assert feedback.take_note(sessions, USER, "ทำบัตรประชาชนที่ไหน") is None  # only one
    with sessions() as session:
        [note] = store.feedback_notes(session, "passport")
        assert note.note == "ต้องจองคิวก่อนแล้วค่ะ"
    # Changing their mind replaces the vote: one citizen counts once.
    feedback.record(sessions, USER, "passport", "helpful")
    assert counts(sessions) == {"helpful": 1, "unhelpful": 0, "wrong": 0}


def test_skipping_the_note_and_a_note_too_late(sessions: sessionmaker[Session]) -> None:
    seeded(sessions)
    feedback.record(sessions, USER, "passport", "wrong")
    assert feedback.take_note(sessions, USER, "ข้ามค่ะ") == feedback.SKIPPED
    feedback.record(sessions, USER, "passport", "wrong")
    assert feedback.take_note(sessions, USER, "ไม่เอาแล้วค่ะ") == feedback.SKIPPED
    feedback.record(sessions, USER, "passport", "wrong")
    with unit_of_work(sessions) as session:
        session.execute(update(ServiceFeedback).values(created_at=utcnow() - timedelta(minutes=11)))
    assert feedback.take_note(sessions, USER, "ถามเรื่องอื่นแล้วค่ะ") is None
    assert counts(sessions)["wrong"] == 1


def test_unknown_services_and_votes_are_answered_and_not_counted(
    sessions: sessionmaker[Session],
) -> None:
    seeded(sessions)
    assert feedback.record(sessions, USER, "no_such_service", "helpful") == feedback.UNKNOWN
    assert feedback.record(sessions, USER, "passport", "love") == feedback.UNKNOWN
    assert counts(sessions) == {"helpful": 0, "unhelpful": 0, "wrong": 0}


def test_erasing_a_citizen_erases_their_votes_and_notes(sessions: sessionmaker[Session]) -> None:
    seeded(sessions)
    feedback.record(sessions, USER, "passport", "wrong")
    feedback.take_note(sessions, USER, "เบอร์ผม 0812345678 โทรกลับด้วย")
    with unit_of_work(sessions) as session:
        erase_citizen(session, USER)
    with sessions() as session:
        assert store.feedback_notes(session, "passport") == []
    assert counts(sessions)["wrong"] == 0


def test_unanswered_questions_reach_the_nlu_inbox_and_leave_with_the_citizen(
    sessions: sessionmaker[Session],
) -> None:
    seeded(sessions)
    question = "ขอใบอนุญาตเลี้ยงจระเข้ต้องทำยังไงคะ"
    with unit_of_work(sessions) as session:
        citizen = citizen_by_line_id(session, USER)
        assert citizen is not None
        for _ in range(2):
            store.record_question(session, citizen.id, question, None)
    with sessions() as session:
        [group] = [g for g in inbox.inbox(session) if g["source"] == "catalogue"]
    assert group["texts"] == [question] and group["count"] == 2
    assert group["guess"] == "service_lookup"
    with unit_of_work(sessions) as session:
        erase_citizen(session, USER)
    with sessions() as session:
        assert not [g for g in inbox.inbox(session) if g["source"] == "catalogue"]
