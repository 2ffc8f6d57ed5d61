"""Finding a citizen and their latest conversation in one query (the worker's start of
every event), creating either when new."""

from __future__ import annotations

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.models import Conversation
from bot.conversations.service import citizen_and_conversation, ensure_citizen
from bot.db import unit_of_work

USER = "U" + "c" * 32


def test_a_new_citizen_gets_a_citizen_and_a_conversation(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        citizen, conversation = citizen_and_conversation(session, USER)
        assert citizen.line_user_id == USER and conversation.citizen_id == citizen.id
    with unit_of_work(sessions) as session:
        again = citizen_and_conversation(session, USER)
        assert (again[0].id, again[1].id) == (citizen.id, conversation.id)
        assert session.scalar(select(func.count()).select_from(Conversation)) == 1


def test_a_citizen_without_a_conversation_gets_one(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        citizen = ensure_citizen(session, USER)
    with unit_of_work(sessions) as session:
        found, conversation = citizen_and_conversation(session, USER)
        assert found.id == citizen.id and conversation.citizen_id == citizen.id


def test_a_known_citizen_is_read_with_the_latest_conversation_in_one_query(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        citizen = ensure_citizen(session, USER)
        other = ensure_citizen(session, "U" + "d" * 32)
        session.add_all([Conversation(citizen_id=citizen.id) for _ in range(3)])
        session.add(Conversation(citizen_id=other.id))
    with unit_of_work(sessions) as session:
        latest = session.scalar(
            select(func.max(Conversation.id)).where(Conversation.citizen_id == citizen.id)
        )
        queries: list[str] = []
        event.listen(session.get_bind(), "before_cursor_execute", lambda *a: queries.append(a[2]))
        found, conversation = citizen_and_conversation(session, USER)
        assert found.id == citizen.id and conversation.id == latest
        assert len(queries) == 1
