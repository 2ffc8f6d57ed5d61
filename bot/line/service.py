"""Storing inbound webhook events: exactly one row per LINE webhookEventId."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.line.models import InboundEvent, OutboundMessage


def _event_id(raw: dict[str, Any]) -> str:
    given = raw.get("webhookEventId")
    if isinstance(given, str) and given and len(given) <= 64 and "\x00" not in given:
        return given
    # Not sent by LINE today (or not a LINE id): never lose an event for want of one.
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
    return "sha256:" + digest[:48]


def _text(value: Any, limit: int) -> str | None:
    """A string column's value: strings only, without NUL (PostgreSQL refuses it), bounded."""
    if not isinstance(value, str) or not value:
        return None
    return value.replace("\x00", "")[:limit] or None


def _clean(value: Any) -> Any:
    """The payload as stored: NUL characters (refused by PostgreSQL's JSONB) replaced."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):  # NaN, ±Infinity: no JSON form
        return None
    return value


def _moment(stamp: Any) -> datetime | None:
    """LINE's millisecond timestamp, or None when it is not a time at all."""
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        return None
    try:
        return datetime.fromtimestamp(stamp / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _row(raw: dict[str, Any]) -> dict[str, Any]:
    source = _dict(raw.get("source"))
    message = _dict(raw.get("message"))
    return {
        "webhook_event_id": _event_id(raw),
        "event_type": _text(raw.get("type"), 40) or "unknown",
        "message_type": _text(message.get("type"), 20),
        "source_type": _text(source.get("type"), 10),
        "line_user_id": _text(source.get("userId"), 64),
        "is_redelivery": bool(_dict(raw.get("deliveryContext")).get("isRedelivery")),
        "reply_token": _text(raw.get("replyToken"), 100),
        "event_timestamp": _moment(raw.get("timestamp")),
        "payload": _clean(raw),
        "status": "received",
    }


def partition_key(raw: dict[str, Any]) -> str:
    """The key that orders an event: its user, group or room."""
    source = _dict(raw.get("source"))
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
