"""Finding citizens and their conversations, creating them on first contact."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.conversations.models import Citizen, Conversation
from bot.db import utcnow


def citizen_by_line_id(session: Session, line_user_id: str) -> Citizen | None:
    """The citizen with this LINE user id, if known."""
    return session.scalars(select(Citizen).where(Citizen.line_user_id == line_user_id)).first()


def ensure_citizen(session: Session, line_user_id: str) -> Citizen:
    """The citizen with this LINE user id, created when new.

    Insert-if-absent, so two transactions meeting a new citizen (the worker, an action
    filing a ticket) both succeed.
    """
    citizen = citizen_by_line_id(session, line_user_id)
    if citizen is None:
        insert_ = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        now = utcnow()
        session.execute(
            insert_(Citizen)
            .values(line_user_id=line_user_id, following=True, created_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["line_user_id"])
        )
        citizen = session.scalars(select(Citizen).where(Citizen.line_user_id == line_user_id)).one()
    return citizen


def citizen_and_conversation(session: Session, line_user_id: str) -> tuple[Citizen, Conversation]:
    """`ensure_citizen` and `current_conversation` in one query for a known citizen (the
    worker's start of every event); each is created when new."""
    found = session.execute(
        select(Citizen, Conversation)
        .outerjoin(Conversation, Conversation.citizen_id == Citizen.id)
        .where(Citizen.line_user_id == line_user_id)
        .order_by(Conversation.id.desc())
        .limit(1)
    ).first()
    if found is None:
        citizen = ensure_citizen(session, line_user_id)
        return citizen, current_conversation(session, citizen)
    citizen, conversation = found
    return citizen, conversation or current_conversation(session, citizen)


def current_conversation(session: Session, citizen: Citizen) -> Conversation:
    """The citizen's latest conversation, created when they have none."""
    conversation = session.scalar(
        select(Conversation)
        .where(Conversation.citizen_id == citizen.id)
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    if conversation is None:
        conversation = Conversation(citizen_id=citizen.id)
        session.add(conversation)
        session.flush()
    return conversation
