"""The worker's database steps, each one transaction (run in a thread by the handler)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.models import ConversationHandler
from bot.conversations.service import citizen_and_conversation, ensure_citizen
from bot.db import aware, unit_of_work, utcnow
from bot.handoff import service as handoffs
from bot.line.models import InboundEvent, OutboundMessage
from bot.worker.rasa import Understood


@dataclass(frozen=True)
class EventView:
    """What the handler needs of a stored event, detached from its session."""

    id: int
    status: str
    event_type: str
    message_type: str | None
    source_type: str | None
    line_user_id: str | None
    reply_token: str | None
    payload: dict[str, Any]
    delay_notified: bool
    age_s: float
    attempts: int
    citizen_id: int | None
    conversation_id: int | None = None
    # Who answers the citizen: "bot", "staff" (a hand-off is open) or "message".
    handler: str = ConversationHandler.BOT


def _view(event: InboundEvent) -> EventView:
    return EventView(
        id=event.id,
        status=event.status,
        event_type=event.event_type,
        message_type=event.message_type,
        source_type=event.source_type,
        line_user_id=event.line_user_id,
        reply_token=event.reply_token,
        payload=dict(event.payload),
        delay_notified=event.delay_notified,
        age_s=(utcnow() - aware(event.received_at)).total_seconds(),
        attempts=event.attempts,
        citizen_id=event.citizen_id,
        conversation_id=event.conversation_id,
    )


def load(sessions: sessionmaker[Session], event_id: int) -> EventView | None:
    """The stored event, with who answers its citizen now (bot, staff or message)."""
    with sessions() as session:
        event = session.get(InboundEvent, event_id)
        if event is None:
            return None
        view = _view(event)
        if event.line_user_id and event.source_type == "user" and event.status not in FINAL:
            view = replace(view, handler=handoffs.handler_of(session, event.line_user_id))
        return view


FINAL = frozenset({"done", "skipped", "failed"})


def start(sessions: sessionmaker[Session], event_id: int) -> EventView | None:
    """Marks the event as being handled and links it to its citizen and conversation.

    An event already handled comes back unchanged (its status says so).
    """
    with unit_of_work(sessions) as session:
        event = session.get(InboundEvent, event_id, with_for_update=True)
        if event is None or event.status in FINAL:
            return None if event is None else _view(event)
        return _start(session, event)


@dataclass(frozen=True)
class Begun:
    """A started event (`begin`), and what `look` read in the same transaction."""

    event: EventView
    ahead: Any = None


def begin(
    sessions: sessionmaker[Session],
    event_id: int,
    look: Callable[[Session, EventView], Any] | None = None,
) -> Begun | None:
    """`load` and `start` in one transaction: the event, marked as being handled and
    linked to its citizen and conversation, with who answers the citizen now.

    `look` reads (and may write) what the event's step needs of the citizen's state in
    the same transaction, once per turn; what it writes is committed with the start,
    before anything is asked or sent, as it was in a transaction of its own. An event
    already handled comes back unchanged (its status says so); a missing one as None.
    """
    with unit_of_work(sessions) as session:
        event = session.get(InboundEvent, event_id, with_for_update=True)
        if event is None:
            return None
        if event.status in FINAL:
            return Begun(_view(event))
        view = _start(session, event)
        return Begun(view, look(session, view) if look is not None else None)


def _start(session: Session, event: InboundEvent) -> EventView:
    # The citizen and conversation are read before the event changes, so the event's
    # changes go out as one UPDATE at the commit (not one per autoflush).
    conversation = None
    if event.line_user_id and event.source_type == "user":
        citizen, conversation = citizen_and_conversation(session, event.line_user_id)
        conversation.last_message_at = utcnow()
        event.citizen_id = citizen.id
        event.conversation_id = conversation.id
    if event.status == "received":
        event.status = "processing"
    event.attempts += 1
    if conversation is None:
        return _view(event)
    # The latest conversation's handler: what `load` reads (handoffs.handler_of).
    return replace(_view(event), handler=conversation.handler or ConversationHandler.BOT)


def set_following(
    sessions: sessionmaker[Session], line_user_id: str, following: bool, name: str | None
) -> None:
    """Records a follow (with the profile name, if LINE gave one) or an unfollow."""
    with unit_of_work(sessions) as session:
        citizen = ensure_citizen(session, line_user_id)
        citizen.following = following
        if name:
            citizen.display_name = name


@dataclass(frozen=True)
class PendingSend:
    """One stored send not yet accepted by LINE."""

    id: int
    messages: list[dict[str, Any]]
    retry_key: str
    # "reply": this send holds the event's reply token (set when the answer is stored,
    # before anything is sent), so a resumed attempt knows a reply may have gone out.
    via: str | None = None
    # LINE answered the last reply attempt with an error status: nothing was delivered.
    reply_refused: bool = False


def store_answer(
    sessions: sessionmaker[Session],
    event: EventView,
    batches: list[list[dict[str, Any]]],
    purpose: str = "answer",
    understood: Understood | None = None,
    reply: bool = False,
) -> tuple[list[PendingSend], bool]:
    """Stores the sends that answer an event (and marks it answered), in one transaction.

    With `reply`, the first send takes the event's reply token unless an earlier send
    holds it: that is recorded here, before the send, so that after a crash the desk
    knows the reply may have been delivered and never pushes the same answer again.
    Returns what `pending_sends` would: the unsent sends and whether the reply token
    is taken. Plain SQL statements: this is on every answer's path.
    """
    rows: list[dict[str, Any]] = [
        {
            "inbound_event_id": event.id,
            "citizen_id": event.citizen_id,
            "line_user_id": event.line_user_id or "",
            "purpose": purpose,
            "messages": messages,
            "retry_key": str(uuid.uuid4()),
            "status": "pending",
            "attempts": 0,
            "created_at": utcnow(),
        }
        for messages in batches
    ]
    change: dict[str, Any] = {}
    if purpose == "answer":
        change["status"] = "answered"
    if understood is not None and understood.intent:
        change.update(
            nlu_intent=understood.intent[:60],
            nlu_confidence=understood.confidence,
            nlu_guess=(understood.guess or "")[:60] or None,
        )
    elif purpose == "delay_notice":
        change["delay_notified"] = True
    with unit_of_work(sessions) as session:
        # The event's earlier sends (a delay notice, say), read once: the new rows come
        # after them (ids in insertion order), so no reading again after the insert.
        pending, used = _pending(session, event.id)
        if rows and reply and not used:
            rows[0]["via"] = "reply"
            used = True
        if rows:
            ids = session.scalars(
                insert(OutboundMessage).returning(OutboundMessage.id, sort_by_parameter_order=True),
                rows,
            ).all()
            pending += [
                PendingSend(
                    id=row_id,
                    messages=list(row["messages"]),
                    retry_key=row["retry_key"],
                    via=row.get("via"),
                )
                for row_id, row in zip(ids, rows, strict=True)
            ]
        if change:
            session.execute(update(InboundEvent).where(InboundEvent.id == event.id).values(change))
        return pending, used


def pending_sends(sessions: sessionmaker[Session], event_id: int) -> tuple[list[PendingSend], bool]:
    """The event's unsent sends, and whether its reply token was already used."""
    with sessions() as session:
        return _pending(session, event_id)


def _pending(session: Session, event_id: int) -> tuple[list[PendingSend], bool]:
    rows = session.execute(
        select(
            OutboundMessage.id,
            OutboundMessage.messages,
            OutboundMessage.retry_key,
            OutboundMessage.status,
            OutboundMessage.via,
            OutboundMessage.error,
        )
        .where(OutboundMessage.inbound_event_id == event_id)
        .order_by(OutboundMessage.id)
    ).all()
    used = any(row.via == "reply" for row in rows)
    pending = [
        PendingSend(
            id=row.id,
            messages=list(row.messages),
            retry_key=row.retry_key,
            via=row.via,
            reply_refused=(row.error or "").startswith(REPLY_REFUSED),
        )
        for row in rows
        if row.status == "pending"
    ]
    return pending, used


def mark_sent(
    sessions: sessionmaker[Session],
    send_id: int,
    via: str,
    request_id: str | None,
    finish_event_id: int | None = None,
) -> None:
    """Records that LINE accepted a send (and, for the last one, that the event is done)."""
    now = utcnow()
    # Plain UPDATEs, no reading first: this is on every answer's path.
    with unit_of_work(sessions) as session:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == send_id)
            .values(
                status="sent",
                via=via,
                line_request_id=request_id,
                sent_at=now,
                attempts=OutboundMessage.attempts + 1,
            )
        )
        if finish_event_id is not None:
            session.execute(
                update(InboundEvent)
                .where(InboundEvent.id == finish_event_id)
                .values(status="done", error=None, processed_at=now)
            )


REPLY_REFUSED = "reply refused"


def mark_reply_refused(sessions: sessionmaker[Session], send_id: int, status: int) -> None:
    """Records that LINE answered a reply with an error (429/5xx): nothing went out."""
    with unit_of_work(sessions) as session:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == send_id)
            .values(error=f"{REPLY_REFUSED}: {status}", attempts=OutboundMessage.attempts + 1)
        )


def clear_reply_refused(sessions: sessionmaker[Session], send_id: int) -> None:
    """Before the reply is tried again: from here on, a crash leaves it uncertain."""
    with unit_of_work(sessions) as session:
        session.execute(
            update(OutboundMessage).where(OutboundMessage.id == send_id).values(error=None)
        )


def mark_send_failed(sessions: sessionmaker[Session], send_id: int, error: str) -> None:
    """Records that LINE refused a send for good (a 4xx other than the reply token)."""
    with unit_of_work(sessions) as session:
        out = session.get_one(OutboundMessage, send_id)
        out.status = "failed"
        out.error = error[:500]
        out.attempts += 1


def finish(
    sessions: sessionmaker[Session], event_id: int, status: str, error: str | None = None
) -> None:
    """Closes the event: done, skipped or failed."""
    with unit_of_work(sessions) as session:
        _finish(session, event_id, status, error)


def _finish(session: Session, event_id: int, status: str, error: str | None) -> None:
    event = session.get_one(InboundEvent, event_id)
    event.status = status
    event.error = error
    event.processed_at = utcnow()


def redact_unsent(
    sessions: sessionmaker[Session], unsend_event_id: int, line_user_id: str, message_id: str
) -> bool:
    """Deletes the text or content reference of a message its sender unsent (before)."""
    with unit_of_work(sessions) as session:
        events = session.scalars(
            select(InboundEvent)
            .where(
                InboundEvent.line_user_id == line_user_id,
                InboundEvent.event_type == "message",
                InboundEvent.id < unsend_event_id,
            )
            .order_by(InboundEvent.id.desc())
            .limit(500)
        )
        for event in events:
            message = (event.payload or {}).get("message") or {}
            if str(message.get("id")) == message_id:
                redacted = {"id": message_id, "type": message.get("type"), "unsent": True}
                event.payload = {**event.payload, "message": redacted}
                return True
        return False


# Outbox: notices not caused by an inbound event (ticket updates) ---------------------


@dataclass(frozen=True)
class OutboxSend:
    """A pending outbox row: who it goes to, the send, and a reply token it may use."""

    to: str
    send: PendingSend
    reply_token: str | None


def outbox_send(sessions: sessionmaker[Session], outbound_id: int) -> OutboxSend | None:
    """A pending outbox row; None when sent, failed or gone.

    An agent's reply carries the citizen's latest event: its reply token is offered when
    still fresh and not used by any earlier send (the bot's answer or another reply).
    """
    with sessions() as session:
        row = session.get(OutboundMessage, outbound_id)
        if row is None or row.status != "pending" or row.inbound_event_id is not None:
            return None
        token = None
        if row.reply_to_event_id is not None:
            event = session.get(InboundEvent, row.reply_to_event_id)
            used = session.scalar(
                select(OutboundMessage.id)
                .where(
                    OutboundMessage.via == "reply",
                    (OutboundMessage.inbound_event_id == row.reply_to_event_id)
                    | (OutboundMessage.reply_to_event_id == row.reply_to_event_id),
                )
                .limit(1)
            )
            fresh = event is not None and (utcnow() - aware(event.received_at)).total_seconds() < 50
            if event is not None and event.reply_token and fresh and used is None:
                token = event.reply_token
        return OutboxSend(
            to=row.line_user_id,
            send=PendingSend(id=row.id, messages=list(row.messages), retry_key=row.retry_key),
            reply_token=token,
        )


def lost_outbox(sessions: sessionmaker[Session], older_than: datetime) -> list[tuple[str, int]]:
    """Pending outbox rows no queue entry may bring to a worker (for the sweeper)."""
    with sessions() as session:
        rows = session.execute(
            select(OutboundMessage.line_user_id, OutboundMessage.id)
            .where(
                OutboundMessage.status == "pending",
                OutboundMessage.inbound_event_id.is_(None),
                OutboundMessage.created_at < older_than,
            )
            .order_by(OutboundMessage.id)
            .limit(1000)
        ).all()
        return [(row.line_user_id, row.id) for row in rows]
