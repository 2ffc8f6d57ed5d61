"""Every inbound LINE webhook event and every outbound LINE message, as stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow
from bot.staff import models as _staff  # noqa: F401 - FK target of staff_id


class InboundEvent(Base):
    """One webhook event, stored before the webhook answers 200.

    status: received → processing → answered (replies stored, not all sent) → done;
    or skipped (nothing to answer) / failed (gave up, see `error`).
    """

    __tablename__ = "inbound_event"
    __table_args__ = (Index("ix_inbound_event_status_received", "status", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    message_type: Mapped[str | None] = mapped_column(String(20))
    source_type: Mapped[str | None] = mapped_column(String(10))
    line_user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    citizen_id: Mapped[int | None] = mapped_column(
        ForeignKey("citizen.id", ondelete="SET NULL"), index=True
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation.id", ondelete="SET NULL")
    )
    is_redelivery: Mapped[bool] = mapped_column(default=False)
    reply_token: Mapped[str | None] = mapped_column(String(100))
    event_timestamp: Mapped[datetime | None]
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20), default="received")
    attempts: Mapped[int] = mapped_column(default=0)
    delay_notified: Mapped[bool] = mapped_column(default=False)
    # What the model understood (for the NLU inbox): intent, confidence, and its best
    # real intent when the fallback fired.
    nlu_intent: Mapped[str | None] = mapped_column(String(60))
    nlu_confidence: Mapped[float | None]
    nlu_guess: Mapped[str | None] = mapped_column(String(60))
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]


class OutboundMessage(Base):
    """One LINE API send (up to 5 messages), stored before it is sent.

    `retry_key` makes a push idempotent at LINE (X-Line-Retry-Key), so a retried send
    after a crash is never delivered twice.
    """

    __tablename__ = "outbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    inbound_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_event.id", ondelete="SET NULL"), index=True
    )
    citizen_id: Mapped[int | None] = mapped_column(
        ForeignKey("citizen.id", ondelete="SET NULL"), index=True
    )
    line_user_id: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(30), default="answer")
    # The agent who wrote it (purpose "agent_reply"); NULL for the bot's messages.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    # The citizen's event whose reply token this send may use (an agent's reply).
    reply_to_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_event.id", ondelete="SET NULL")
    )
    messages: Mapped[list[dict[str, Any]]]
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    via: Mapped[str | None] = mapped_column(String(10))
    line_request_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
