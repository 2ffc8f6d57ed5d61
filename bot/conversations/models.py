"""Citizens (by LINE user id) and their conversations with the desk."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow


class Citizen(Base):
    """A person who talks to the desk on LINE."""

    __tablename__ = "citizen"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    following: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ConversationHandler(StrEnum):
    """Who answers the citizen now: the bot (Rasa), staff (a hand-off is open), or nobody
    yet: the citizen is leaving a message for staff outside office hours."""

    BOT = "bot"
    STAFF = "staff"
    MESSAGE = "message"


class Conversation(Base):
    """The citizen's chat with the desk; `handler` says who answers: the bot or staff."""

    __tablename__ = "conversation"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20), default="line")
    handler: Mapped[str] = mapped_column(String(20), default=ConversationHandler.BOT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
