"""Dead letters: events the worker gave up on (status "failed"), and retrying them.

A dead letter keeps the stored event untouched; the admin sees what kind of event it
was, when, how often it was tried and why it failed, never the citizen's words (PDPA),
and may send it back to the queue once the cause is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.line.models import InboundEvent
from bot.line.service import partition_key


@dataclass(frozen=True)
class DeadLetter:
    """One event the worker gave up on, without its content."""

    id: int
    event_type: str
    message_type: str | None
    source_type: str | None
    attempts: int
    error: str
    received_at: datetime
    failed_at: datetime | None


def count(session: Session) -> int:
    """How many dead letters wait for an admin."""
    return (
        session.scalar(
            select(func.count()).select_from(InboundEvent).where(InboundEvent.status == "failed")
        )
        or 0
    )


def list_recent(session: Session, *, limit: int = 200) -> list[DeadLetter]:
    """The newest dead letters first."""
    rows = session.scalars(
        select(InboundEvent)
        .where(InboundEvent.status == "failed")
        .order_by(InboundEvent.id.desc())
        .limit(limit)
    )
    return [
        DeadLetter(
            id=row.id,
            event_type=row.event_type,
            message_type=row.message_type,
            source_type=row.source_type,
            attempts=row.attempts,
            error=(row.error or "")[:300],
            received_at=row.received_at,
            failed_at=row.processed_at,
        )
        for row in rows
    ]


def retry(session: Session, event_id: int) -> str | None:
    """Puts a dead letter back to "received"; its partition key, or None if it is none.

    A conditional UPDATE: two admins pressing retry at once enqueue it once.
    """
    changed = session.execute(
        update(InboundEvent)
        .where(InboundEvent.id == event_id, InboundEvent.status == "failed")
        .values(status="received", error=None, processed_at=None)
        .returning(InboundEvent.payload)
    ).first()
    return None if changed is None else partition_key(changed.payload)
