"""Storing inbound webhook events: exactly one row per LINE webhookEventId."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.line.models import InboundEvent, OutboundMessage


def _event_id(raw: dict[str, Any]) -> str:
    given = raw.get("webhookEventId")
    if isinstance(given, str) and given:
        return given
    # Not sent by LINE today, but never lose an event for want of an id.
    return "sha256:" + hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()[:48]


def _row(raw: dict[str, Any]) -> dict[str, Any]:
    source = raw.get("source") or {}
    message = raw.get("message") or {}
    stamp = raw.get("timestamp")
    return {
        "webhook_event_id": _event_id(raw),
        "event_type": str(raw.get("type") or "unknown")[:40],
        "message_type": (str(message["type"])[:20] if message.get("type") else None),
        "source_type": source.get("type"),
        "line_user_id": source.get("userId"),
        "is_redelivery": bool((raw.get("deliveryContext") or {}).get("isRedelivery")),
        "reply_token": raw.get("replyToken"),
        "event_timestamp": (
            datetime.fromtimestamp(stamp / 1000, UTC) if isinstance(stamp, int | float) else None
        ),
        "payload": raw,
        "status": "received",
    }


def partition_key(raw: dict[str, Any]) -> str:
    """The key that orders an event: its user, group or room."""
    source = raw.get("source") or {}
    return str(source.get("userId") or source.get("groupId") or source.get("roomId") or "no-source")


def store_events(*, session: Session, events: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """Stores new events, ignoring ones already stored; returns (key, id) of the new ones."""
    unique: dict[str, dict[str, Any]] = {}
    for raw in events:
        unique.setdefault(_event_id(raw), raw)  # a body may repeat an event
    events = list(unique.values())
    if not events:
        return []
    rows = [_row(raw) for raw in events]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # One statement for any number of rows (SQLAlchemy's "insertmanyvalues" batches them):
    # compiled once and cached, where `.values(rows)` compiled a new one per batch size.
    statement = (
        insert(InboundEvent)
        .on_conflict_do_nothing(index_elements=["webhook_event_id"])
        .returning(InboundEvent.id, InboundEvent.webhook_event_id)
    )
    stored = {event_id: row_id for row_id, event_id in session.execute(statement, rows).all()}
    return [
        (partition_key(raw), stored[row["webhook_event_id"]])
        for raw, row in zip(events, rows, strict=True)
        if row["webhook_event_id"] in stored
    ]


def get(*, session: Session, event_id: int) -> InboundEvent | None:
    """One stored event."""
    return session.get(InboundEvent, event_id)


def list_unfinished(
    *, session: Session, statuses: tuple[str, ...], older_than: datetime, limit: int = 500
) -> list[InboundEvent]:
    """Events in `statuses` received before `older_than` (for the sweeper)."""
    statement = (
        select(InboundEvent)
        .where(InboundEvent.status.in_(statuses), InboundEvent.received_at < older_than)
        .order_by(InboundEvent.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def list_outbound(*, session: Session, event_id: int) -> list[OutboundMessage]:
    """The sends stored for an event, in order."""
    statement = (
        select(OutboundMessage)
        .where(OutboundMessage.inbound_event_id == event_id)
        .order_by(OutboundMessage.id)
    )
    return list(session.scalars(statement))
