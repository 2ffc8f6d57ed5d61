"""The outbox: messages to citizens written in the caller's transaction, sent by the worker.

A message is a row (`OutboundMessage`) committed with the change that caused it, so it is
never lost and never sent for a change that rolled back. Once committed it is announced
on the queue (`Notice`), so the worker sends it at once; when Redis refuses, the worker's
sweeper finds the row later. Flows say `after_commit(session, notices)`; the context's
`transaction` announces them after the commit (bot.context).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from bot.line.models import OutboundMessage
from bot.queue import EventQueue

logger = logging.getLogger(__name__)

PENDING = "outbox_notices"


@dataclass(frozen=True)
class Notice:
    """An outbox row to announce on the queue once the transaction has committed."""

    line_user_id: str
    outbound_id: int


def enqueue(
    session: Session,
    *,
    citizen_id: int | None,
    line_user_id: str,
    messages: list[dict[str, Any]],
    purpose: str,
    staff_id: int | None = None,
    reply_to_event_id: int | None = None,
) -> Notice:
    """Writes one pending message (LINE message objects) for the citizen."""
    row = OutboundMessage(
        inbound_event_id=None,
        citizen_id=citizen_id,
        line_user_id=line_user_id,
        purpose=purpose,
        staff_id=staff_id,
        reply_to_event_id=reply_to_event_id,
        messages=messages,
        retry_key=str(uuid.uuid4()),
        status="pending",
    )
    session.add(row)
    session.flush()
    return Notice(line_user_id=line_user_id, outbound_id=row.id)


def after_commit(session: Session, notices: list[Notice] | Notice | None) -> None:
    """Announces `notices` once the session's transaction commits (see bot.context)."""
    if notices is None:
        return
    found = [notices] if isinstance(notices, Notice) else notices
    session.info.setdefault(PENDING, []).extend(found)


def pending(session: Session) -> list[Notice]:
    """The notices the transaction holds for after its commit."""
    found: list[Notice] = session.info.get(PENDING, [])
    return found


async def announce(queue: EventQueue, notices: list[Notice]) -> None:
    """Queues committed notices; if Redis refuses, the worker's sweeper sends them later."""
    if not notices:
        return
    try:
        await queue.publish_outbox([(n.line_user_id, n.outbound_id) for n in notices])
    except RedisError as error:
        logger.warning("notices not queued now (%s); the sweeper will", type(error).__name__)
