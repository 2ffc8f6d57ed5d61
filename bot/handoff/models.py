"""Hand-offs: a conversation handed from the bot to call-centre staff, and staff notes.

A hand-off waits in its agency's queue until an agent claims it (or is assigned one),
is active while the agent talks with the citizen, and ends (or is cancelled by the
citizen, or transferred: then a new hand-off waits in the target queue and points back).
At most one hand-off per conversation is open (waiting or active) at a time: a partial
unique index enforces it, so two requests racing cannot open two.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.conversations import models as _conversations  # noqa: F401 - FK targets
from bot.db import AgencyId, Base, utcnow
from bot.staff import models as _staff  # noqa: F401 - FK target


class HandoffStatus(StrEnum):
    """Where a hand-off is. Open: waiting for an agent, or active with one. Closed: ended
    (an agent or supervisor closed it), cancelled (the citizen stopped waiting),
    transferred (it continues as a new hand-off in another queue), closed (the citizen's
    data was erased or the office closed before anyone claimed it)."""

    WAITING = "waiting"
    ACTIVE = "active"
    ENDED = "ended"
    CANCELLED = "cancelled"
    TRANSFERRED = "transferred"
    CLOSED = "closed"


WAITING = HandoffStatus.WAITING
ACTIVE = HandoffStatus.ACTIVE
OPEN_STATUSES = (HandoffStatus.WAITING, HandoffStatus.ACTIVE)
CLOSED_STATUSES = (
    HandoffStatus.ENDED,
    HandoffStatus.CANCELLED,
    HandoffStatus.TRANSFERRED,
    HandoffStatus.CLOSED,
)
REASONS = ("requested", "misunderstood", "form", "takeover", "transfer")

_OPEN_SQL = text("status IN ('waiting', 'active')")


class Handoff(Base):
    """One hand-off of a conversation to staff."""

    __tablename__ = "handoff"
    __table_args__ = (
        Index(
            "uq_handoff_open_conversation",
            "conversation_id",
            unique=True,
            postgresql_where=_OPEN_SQL,
            sqlite_where=_OPEN_SQL,
        ),
        Index("ix_handoff_queue_status", "queue", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    citizen_id: Mapped[int | None] = mapped_column(
        ForeignKey("citizen.id", ondelete="SET NULL"), index=True
    )
    # The agency (or team) whose staff take it: an agency id of data/agencies.yml.
    queue: Mapped[str] = mapped_column(AgencyId)
    status: Mapped[str] = mapped_column(String(20), default=HandoffStatus.WAITING)
    reason: Mapped[str] = mapped_column(String(20))
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), index=True
    )
    transferred_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("handoff.id", ondelete="SET NULL")
    )
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(20))
    rating: Mapped[int | None]
    rated_at: Mapped[datetime | None]


class ConversationNote(Base):
    """A private staff note on a conversation (never sent to the citizen)."""

    __tablename__ = "conversation_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoff.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
