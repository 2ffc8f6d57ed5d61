"""Hand-off as a domain: asking for a person, queues, claiming, replies, ending, rating.

Functions take an open `Session` and leave the commit to the caller, so a change and
the LINE notice it causes (an outbox row in `outbound_message`) are one transaction.
Who handles a conversation is `conversation.handler`: "bot" (Rasa answers), "staff"
(a hand-off is open: the bot is silent and the console gets every message) or
"message" (the citizen is typing a message to leave for staff, outside office hours).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.conversations.models import Citizen, Conversation, ConversationHandler
from bot.conversations.service import current_conversation, ensure_citizen
from bot.db import aware, utcnow
from bot.errors import Conflict, NotFound
from bot.handoff import taps, texts
from bot.handoff.models import (
    ACTIVE,
    OPEN_STATUSES,
    WAITING,
    ConversationNote,
    Handoff,
    HandoffStatus,
)
from bot.line import outbox
from bot.line.models import InboundEvent, OutboundMessage
from bot.line.outbox import Notice
from bot.staff import scope as scopes
from bot.staff.auth import StaffUser
from bot.staff.models import Staff
from bot.tickets import service as tickets
from bot.tickets.calendar import BusinessCalendar, OfficeHours
from bot.tickets.lifecycle import LEFT_MESSAGE
from bot.tickets.models import Media, Ticket
from bot.tickets.routing import Route, Router

# A reply token is good for about a minute at LINE; leave a margin for the send itself.
REPLY_TOKEN_MAX_AGE = timedelta(seconds=50)
HISTORY_LIMIT = 300


class HandoffError(Conflict, ValueError):
    """A hand-off step that cannot happen now (taken, ended, not yours); `code` says which,
    and the console shows the Thai sentence of texts.ERRORS."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, detail={"code": code, "message": texts.ERRORS.get(code, message)})
        self.code = code


@dataclass(frozen=True)
class Requested:
    """What asking for a person led to, for telling the citizen."""

    status: str  # queued, active (already with an agent), closed (outside office hours)
    handoff_id: int | None = None
    position: int = 0
    wait_minutes: int = 0
    next_open: datetime | None = None
    created: bool = False
    queue: str = ""


# Conversations ----------------------------------------------------------------------


def conversation_for(session: Session, line_user_id: str) -> Conversation:
    """The citizen's conversation (created with the citizen when missing)."""
    return current_conversation(session, ensure_citizen(session, line_user_id))


def open_handoff(session: Session, conversation_id: int) -> Handoff | None:
    """The conversation's waiting or active hand-off."""
    return session.scalar(
        select(Handoff).where(
            Handoff.conversation_id == conversation_id, Handoff.status.in_(OPEN_STATUSES)
        )
    )


def handler_of(session: Session, line_user_id: str) -> str:
    """Who answers this citizen now: bot, staff or message (see the module docstring)."""
    handler = session.scalar(
        select(Conversation.handler)
        .join(Citizen, Citizen.id == Conversation.citizen_id)
        .where(Citizen.line_user_id == line_user_id)
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    return handler or ConversationHandler.BOT


# Asking for a person -----------------------------------------------------------------


def request(
    session: Session,
    *,
    line_user_id: str,
    reason: str,
    queue: str,
    hours: OfficeHours | None,
    minutes_per_citizen: float,
    now: datetime | None = None,
) -> Requested:
    """Puts the conversation in the queue (once), or says when staff are back.

    `hours` None: staffed around the clock.
    """
    now = now or utcnow()
    conversation = conversation_for(session, line_user_id)
    existing = open_handoff(session, conversation.id)
    if existing is not None:
        return _state(session, existing, minutes_per_citizen, created=False)
    if hours is not None and not hours.is_open(now):
        return Requested(status="closed", next_open=hours.next_open(now), queue=queue)
    handoff = Handoff(
        conversation_id=conversation.id,
        citizen_id=conversation.citizen_id,
        queue=queue,
        status=WAITING,
        reason=reason,
        requested_at=now,
    )
    try:
        with session.begin_nested():
            session.add(handoff)
            session.flush()
    except IntegrityError:
        # Another request for this conversation won the race: report that one.
        raced = open_handoff(session, conversation.id)
        if raced is None:
            raise
        return _state(session, raced, minutes_per_citizen, created=False)
    conversation.handler = ConversationHandler.STAFF
    return _state(session, handoff, minutes_per_citizen, created=True)


def _state(
    session: Session, handoff: Handoff, minutes_per_citizen: float, *, created: bool
) -> Requested:
    if handoff.status == ACTIVE:
        return Requested(
            status="active", handoff_id=handoff.id, created=created, queue=handoff.queue
        )
    position = queue_position(session, handoff)
    return Requested(
        status="queued",
        handoff_id=handoff.id,
        position=position,
        wait_minutes=estimate_wait(session, handoff.queue, position, minutes_per_citizen),
        created=created,
        queue=handoff.queue,
    )


def queue_position(session: Session, handoff: Handoff) -> int:
    """1 for the next to be served in its queue."""
    ahead = session.scalar(
        select(func.count())
        .select_from(Handoff)
        .where(
            Handoff.queue == handoff.queue,
            Handoff.status == WAITING,
            or_(
                Handoff.requested_at < handoff.requested_at,
                (Handoff.requested_at == handoff.requested_at) & (Handoff.id < handoff.id),
            ),
        )
    )
    return int(ahead or 0) + 1


def estimate_wait(session: Session, queue: str, position: int, minutes_per_citizen: float) -> int:
    """Minutes until an agent is likely free for the citizen at `position`.

    From the queue's own recent history (median time an agent spent per conversation,
    spread over the agents working the queue in the last hours); before there is any,
    `minutes_per_citizen` per citizen ahead.
    """
    since = utcnow() - timedelta(hours=8)
    rows = session.execute(
        select(Handoff.claimed_at, Handoff.ended_at, Handoff.agent_id)
        .where(
            Handoff.queue == queue,
            Handoff.claimed_at.is_not(None),
            Handoff.ended_at.is_not(None),
            Handoff.ended_at > since,
        )
        .order_by(Handoff.ended_at.desc())
        .limit(50)
    ).all()
    if len(rows) >= 3:
        per = statistics.median(
            (aware(r.ended_at) - aware(r.claimed_at)).total_seconds() / 60 for r in rows
        )
        agents = max(1, len({r.agent_id for r in rows if r.agent_id is not None}))
        minutes = per * position / agents
    else:
        minutes = minutes_per_citizen * position
    return max(1, math.ceil(minutes))


def cancel(session: Session, line_user_id: str, handoff_id: int | None) -> Handoff | None:
    """The citizen stops waiting; returns the hand-off cancelled, None if none was waiting."""
    conversation = conversation_for(session, line_user_id)
    handoff = open_handoff(session, conversation.id)
    if handoff is None or handoff.status != WAITING:
        return None
    if handoff_id is not None and handoff.id != handoff_id:
        return None
    handoff.status = HandoffStatus.CANCELLED
    handoff.ended_at = utcnow()
    handoff.ended_by = "citizen"
    conversation.handler = ConversationHandler.BOT
    return handoff


# Staff side ---------------------------------------------------------------------------


def visible(session: Session, handoff_id: int, staff: StaffUser) -> Handoff:
    """The hand-off if the staff member's agency works its queue; NotFound otherwise."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None or not scopes.visible(handoff.queue, staff.scope):
        raise NotFound("hand-off not found")
    return handoff


def claim(
    session: Session, handoff_id: int, agent: StaffUser, *, by: StaffUser | None = None
) -> Handoff:
    """Gives a waiting hand-off to `agent` (by themselves, or by a supervisor `by`).

    One conditional UPDATE: of two agents claiming at once exactly one wins; the other
    gets HandoffError("taken").
    """
    now = utcnow()
    won = cast(
        CursorResult[Any],
        session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id, Handoff.status == WAITING)
            .values(status=ACTIVE, agent_id=agent.id, claimed_at=now)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    handoff = session.get_one(Handoff, handoff_id)
    session.refresh(handoff)
    if not won:
        raise HandoffError("taken", "this conversation is already taken or closed")
    return handoff


def reassign(
    session: Session, handoff: Handoff, agent_id: int, scope: Sequence[str] | None
) -> Handoff:
    """A supervisor moves an open hand-off to another agent of the queue's agency."""
    if handoff.status not in OPEN_STATUSES:
        raise HandoffError("closed", "this conversation has ended")
    agent = session.get(Staff, agent_id)
    if (
        agent is None
        or not agent.active
        or not scopes.visible(handoff.queue, scopes.of(agent.role, agent.agency_id))
    ):
        raise HandoffError("agent", "that agent does not work this queue")
    if not scopes.visible(handoff.queue, scope):
        raise HandoffError("agent", "that agent does not work this queue")
    handoff.agent_id = agent.id
    if handoff.status == WAITING:
        handoff.status = ACTIVE
        handoff.claimed_at = utcnow()
    return handoff


def _require_holder(handoff: Handoff, staff: StaffUser) -> None:
    if handoff.status != ACTIVE:
        raise HandoffError("closed", "this conversation is not active")
    if handoff.agent_id != staff.id and staff.role not in {"supervisor", "admin"}:
        raise HandoffError("not_yours", "another agent holds this conversation")


def _citizen_line_id(session: Session, handoff: Handoff) -> str:
    citizen = session.get(Citizen, handoff.citizen_id) if handoff.citizen_id else None
    if citizen is None or citizen.line_user_id.startswith("erased:"):
        raise HandoffError("gone", "the citizen's data was erased")
    return citizen.line_user_id


def _outbox(
    session: Session,
    handoff: Handoff,
    messages: list[dict[str, Any]],
    *,
    purpose: str,
    staff_id: int | None = None,
    reply_to_event_id: int | None = None,
) -> Notice:
    return outbox.enqueue(
        session,
        citizen_id=handoff.citizen_id,
        line_user_id=_citizen_line_id(session, handoff),
        messages=messages,
        purpose=purpose,
        staff_id=staff_id,
        reply_to_event_id=reply_to_event_id,
    )


WORDS_CHARS = 1000
WORDS_MIN_CHARS = 12  # shorter is "ok", "yes", a greeting: not the problem


def citizen_words(session: Session, handoff: Handoff) -> str | None:
    """What the citizen typed during this hand-off (and just before asking for a person),
    oldest first: a ticket filed from the chat tells the problem in their words."""
    since = aware(handoff.requested_at) - timedelta(minutes=30)
    rows = session.execute(
        select(InboundEvent.payload, InboundEvent.nlu_intent)
        .where(
            InboundEvent.conversation_id == handoff.conversation_id,
            InboundEvent.event_type == "message",
            InboundEvent.message_type == "text",
            InboundEvent.received_at >= since,
        )
        .order_by(InboundEvent.id)
    ).all()
    texts_: list[str] = []
    for payload, intent in rows:
        # Said to staff (never read by the model), or read as a complaint: not the
        # greetings and the asking for a person around it.
        about = intent is None or intent == "inform" or intent.startswith("complaint_")
        text = str((payload.get("message") or {}).get("text") or "").strip()
        if about and len(text) >= WORDS_MIN_CHARS and not text.startswith("/"):
            texts_.append(text)
    joined = " / ".join(texts_)
    return joined[:WORDS_CHARS] or None


def notify(session: Session, handoff: Handoff, text: str) -> Notice | None:
    """A notice to the citizen about their hand-off (None when their data was erased)."""
    try:
        return _outbox(session, handoff, [{"type": "text", "text": text}], purpose="handoff_notice")
    except HandoffError:
        return None


def reply(session: Session, handoff: Handoff, staff: StaffUser, text: str) -> Notice:
    """An agent's message to the citizen (sent by the worker: reply token if fresh, else push)."""
    _require_holder(handoff, staff)
    now = utcnow()
    if handoff.first_response_at is None:
        handoff.first_response_at = now
    return _outbox(
        session,
        handoff,
        [{"type": "text", "text": text}],
        purpose="agent_reply",
        staff_id=staff.id,
        reply_to_event_id=_fresh_reply_event(session, handoff.conversation_id, now),
    )


def _fresh_reply_event(session: Session, conversation_id: int, now: datetime) -> int | None:
    """The citizen's latest event, if its reply token may still be unused and fresh."""
    row = session.execute(
        select(InboundEvent.id, InboundEvent.reply_token, InboundEvent.received_at)
        .where(InboundEvent.conversation_id == conversation_id)
        .order_by(InboundEvent.id.desc())
        .limit(1)
    ).first()
    if row is None or not row.reply_token or now - aware(row.received_at) > REPLY_TOKEN_MAX_AGE:
        return None
    return int(row.id)


def end(
    session: Session, handoff: Handoff, staff: StaffUser, *, by: str = "agent"
) -> Notice | None:
    """Closes the hand-off, returns the citizen to the bot and asks for a 1–5 rating."""
    if handoff.status not in OPEN_STATUSES:
        raise HandoffError("closed", "this conversation has already ended")
    if handoff.status == ACTIVE:
        _require_holder(handoff, staff)
    handoff.status = HandoffStatus.ENDED
    handoff.ended_at = utcnow()
    handoff.ended_by = by
    conversation = session.get_one(Conversation, handoff.conversation_id)
    conversation.handler = ConversationHandler.BOT
    try:
        return _outbox(session, handoff, texts.ended(handoff.id), purpose="handoff_end")
    except HandoffError:
        return None  # erased citizen: nobody to ask


def transfer(
    session: Session,
    handoff: Handoff,
    staff: StaffUser,
    queue: str,
    router: Router,
    hours: OfficeHours | None = None,
) -> tuple[Handoff, Notice]:
    """Moves the conversation to another agency's queue; its history goes with it. The
    citizen is told who has it, and when staff are back if they are out (`hours`)."""
    if handoff.status not in OPEN_STATUSES:
        raise HandoffError("closed", "this conversation has already ended")
    if handoff.status == ACTIVE:
        _require_holder(handoff, staff)
    if queue == handoff.queue:
        raise HandoffError("same_queue", "the conversation is already in that queue")
    try:
        target = router.agency(queue)
    except KeyError:
        raise HandoffError("queue", f"unknown queue {queue!r}") from None
    now = utcnow()
    handoff.status = HandoffStatus.TRANSFERRED
    handoff.ended_at = now
    handoff.ended_by = "agent"
    session.flush()  # the open-hand-off index must see this one closed first
    moved = Handoff(
        conversation_id=handoff.conversation_id,
        citizen_id=handoff.citizen_id,
        queue=target.id,
        status=WAITING,
        reason="transfer",
        transferred_from_id=handoff.id,
        ticket_id=handoff.ticket_id,
        requested_at=now,
    )
    session.add(moved)
    session.flush()
    back = None if hours is None or hours.is_open(now) else hours.next_open(now)
    notice = _outbox(
        session,
        moved,
        [{"type": "text", "text": texts.transferred(target.name, back)}],
        purpose="handoff_notice",
    )
    return moved, notice


def takeover(session: Session, conversation_id: int, agent: StaffUser, queue: str) -> Handoff:
    """An agent takes a conversation over from the bot (it becomes active at once)."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("conversation not found")
    if open_handoff(session, conversation_id) is not None:
        raise HandoffError("open", "this conversation is already with staff")
    now = utcnow()
    handoff = Handoff(
        conversation_id=conversation_id,
        citizen_id=conversation.citizen_id,
        queue=queue,
        status=ACTIVE,
        reason="takeover",
        agent_id=agent.id,
        requested_at=now,
        claimed_at=now,
    )
    try:
        with session.begin_nested():
            session.add(handoff)
            session.flush()
    except IntegrityError:
        raise HandoffError("open", "this conversation is already with staff") from None
    conversation.handler = ConversationHandler.STAFF
    return handoff


def add_note(session: Session, handoff: Handoff, staff: StaffUser, body: str) -> ConversationNote:
    """A private note on the conversation."""
    note = ConversationNote(
        conversation_id=handoff.conversation_id, handoff_id=handoff.id, staff_id=staff.id, body=body
    )
    session.add(note)
    session.flush()
    return note


def link_ticket(session: Session, handoff: Handoff, ticket: Ticket) -> None:
    """Links the conversation's hand-off to a ticket."""
    handoff.ticket_id = ticket.id


def assign_waiting(session: Session, queue: str, online: Sequence[int]) -> list[Handoff]:
    """Round-robin: gives waiting hand-offs (oldest first) to online agents with room
    (agents only: supervisors and admins take conversations by hand).

    The agent with the fewest active conversations goes first; among equals, the one
    whose last assignment is oldest. Capacity is each agent's `staff.capacity`.
    """
    if not online:
        return []
    agents = session.scalars(
        select(Staff).where(Staff.id.in_(online), Staff.active.is_(True), Staff.role == "agent")
    ).all()
    agents = [a for a in agents if scopes.visible(queue, scopes.of(a.role, a.agency_id))]
    if not agents:
        return []
    load: dict[int, int] = {a.id: 0 for a in agents}
    last: dict[int, datetime] = {}
    for agent_id, count, latest in session.execute(
        select(Handoff.agent_id, func.count(), func.max(Handoff.claimed_at))
        .where(Handoff.agent_id.in_(list(load)), Handoff.status == ACTIVE)
        .group_by(Handoff.agent_id)
    ):
        if agent_id is None:
            continue
        load[agent_id] = int(count)
        if latest is not None:
            last[agent_id] = aware(latest)
    capacity = {a.id: a.capacity for a in agents}
    waiting = session.scalars(
        select(Handoff)
        .where(Handoff.queue == queue, Handoff.status == WAITING)
        .order_by(Handoff.requested_at, Handoff.id)
        .limit(100)
    ).all()
    assigned: list[Handoff] = []
    epoch = datetime.min.replace(tzinfo=utcnow().tzinfo)
    for handoff in waiting:
        free = [a for a in load if load[a] < capacity[a]]
        if not free:
            break
        chosen = min(free, key=lambda a: (load[a], last.get(a, epoch), a))
        won = cast(
            CursorResult[Any],
            session.execute(
                update(Handoff)
                .where(Handoff.id == handoff.id, Handoff.status == WAITING)
                .values(status=ACTIVE, agent_id=chosen, claimed_at=utcnow())
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
        if won:
            session.refresh(handoff)
            load[chosen] += 1
            last[chosen] = utcnow()
            assigned.append(handoff)
    return assigned


# Rating and left messages (the citizen's side, from the worker) -------------------------


def rate(session: Session, handoff_id: int, line_user_id: str, score: int) -> str:
    """Stores the citizen's 1–5 rating once: rated, already, or unknown."""
    handoff = session.get(Handoff, handoff_id)
    citizen = session.get(Citizen, handoff.citizen_id) if handoff and handoff.citizen_id else None
    if handoff is None or citizen is None or citizen.line_user_id != line_user_id:
        return "unknown"
    if handoff.status != HandoffStatus.ENDED or not 1 <= score <= 5:
        return "unknown"
    if handoff.rating is not None:
        return "already"
    handoff.rating = score
    handoff.rated_at = utcnow()
    return "rated"


def start_leaving_message(session: Session, line_user_id: str) -> None:
    """The citizen chose to leave a message: their next text becomes a ticket."""
    conversation_for(session, line_user_id).handler = ConversationHandler.MESSAGE


def leave_message(
    session: Session,
    *,
    line_user_id: str,
    text: str,
    event_id: int,
    queue: str,
    router: Router,
    calendar: BusinessCalendar,
) -> Ticket:
    """Files the message as a ticket of the hand-off queue's agency; back to the bot."""
    agency = router.agency(queue)
    ticket, _ = tickets.create_ticket(
        session,
        tickets.Intake(
            intake_key=f"message:{event_id}",
            line_user_id=line_user_id,
            complaint_type=LEFT_MESSAGE,
            description=text,
        ),
        router=router,
        calendar=calendar,
        route=Route(agency=agency, due_business_days=1, rule="left-message"),
    )
    conversation_for(session, line_user_id).handler = ConversationHandler.BOT
    return ticket


def stop_leaving_message(session: Session, line_user_id: str) -> None:
    """The citizen changed their mind: back to the bot."""
    conversation = conversation_for(session, line_user_id)
    if conversation.handler == ConversationHandler.MESSAGE:
        conversation.handler = ConversationHandler.BOT


# The conversation as staff see it -----------------------------------------------------


def history(session: Session, conversation_id: int) -> list[dict[str, Any]]:
    """The conversation's messages (citizen, bot, agent) and notes, oldest first."""
    conversation = session.get_one(Conversation, conversation_id)
    entries: list[dict[str, Any]] = []
    events = session.scalars(
        select(InboundEvent)
        .where(
            InboundEvent.conversation_id == conversation_id,
            InboundEvent.event_type.in_(("message", "postback", "follow")),
        )
        .order_by(InboundEvent.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    image_ids = [
        str((e.payload.get("message") or {}).get("id")) for e in events if e.message_type == "image"
    ]
    media = (
        dict(
            session.execute(
                select(Media.line_message_id, Media.id).where(Media.line_message_id.in_(image_ids))
            ).all()
        )
        if image_ids
        else {}
    )
    sent = session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.citizen_id == conversation.citizen_id)
        .order_by(OutboundMessage.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    labels = taps.labels_in(m for out in sent for m in out.messages or [])
    for event in events:
        entries.append(
            {
                **citizen_entry(event.payload, media, labels),
                "at": aware(event.received_at).isoformat(),
                "key": f"e{event.id}",
            }
        )
    names = dict(session.execute(select(Staff.id, Staff.display_name)).all())
    for out in sent:
        who = "agent" if out.staff_id else "bot"
        for message in out.messages:
            entries.append(
                {
                    "from": who,
                    "agent": names.get(out.staff_id) if out.staff_id else None,
                    **outbound_entry(message),
                    "status": out.status,
                    "at": aware(out.created_at).isoformat(),
                    "key": f"o{out.id}",
                }
            )
    for note in session.scalars(
        select(ConversationNote).where(ConversationNote.conversation_id == conversation_id)
    ):
        entries.append(
            {
                "from": "note",
                "type": "text",
                "text": note.body,
                "agent": names.get(note.staff_id) if note.staff_id else None,
                "at": aware(note.created_at).isoformat(),
                "key": f"n{note.id}",
            }
        )
    entries.sort(key=lambda e: (e["at"], e["key"]))
    return entries[-HISTORY_LIMIT:]


def citizen_entry(
    payload: dict[str, Any],
    media: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One citizen event as a console entry (text escaped by the console, never here); a
    tap shows the words of the button (`labels`: bot.handoff.taps), never its payload."""
    kind = payload.get("type")
    if kind == "postback":
        data = str((payload.get("postback") or {}).get("data") or "")
        return {"from": "citizen", "type": "postback", "text": taps.words(data, labels)}
    if kind == "follow":
        return {"from": "citizen", "type": "event", "text": "follow"}
    message = payload.get("message") or {}
    mtype = message.get("type")
    if message.get("unsent"):
        return {"from": "citizen", "type": "unsent"}
    if mtype == "text":
        return {"from": "citizen", "type": "text", "text": str(message.get("text") or "")}
    if mtype == "image":
        media_id = (media or {}).get(str(message.get("id")))
        return {"from": "citizen", "type": "image", "media_id": media_id}
    if mtype == "location":
        return {
            "from": "citizen",
            "type": "location",
            "latitude": message.get("latitude"),
            "longitude": message.get("longitude"),
            "text": str(message.get("address") or message.get("title") or ""),
        }
    if mtype == "sticker":
        return {
            "from": "citizen",
            "type": "sticker",
            "text": ", ".join(str(k) for k in message.get("keywords") or [])[:100],
        }
    return {"from": "citizen", "type": str(mtype or "other")}


def outbound_entry(message: dict[str, Any]) -> dict[str, Any]:
    """One LINE message the desk sent, as a console entry."""
    kind = message.get("type")
    chips = [
        str((item.get("action") or {}).get("label") or "")
        for item in (message.get("quickReply") or {}).get("items") or []
    ]
    if kind == "text":
        return {"type": "text", "text": str(message.get("text") or ""), "chips": chips}
    if kind == "flex":
        return {"type": "flex", "text": str(message.get("altText") or ""), "chips": chips}
    return {"type": str(kind or "other"), "text": "", "chips": chips}


@dataclass(frozen=True)
class QueueItem:
    """One open hand-off as the console lists it."""

    id: int
    conversation_id: int
    queue: str
    status: str
    reason: str
    agent_id: int | None
    agent: str | None
    citizen: str
    requested_at: str
    waiting_s: float
    position: int | None
    last_text: str | None


def citizen_label(name: str | None, citizen_id: int | None) -> str:
    """What staff call a citizen: their LINE name, else a stable alias of their record (so
    fifteen nameless citizens are not fifteen identical cards)."""
    if name and name.strip():
        return name.strip()
    return f"ผู้ใช้ LINE #{citizen_id}" if citizen_id is not None else "ผู้ใช้ LINE"


PREVIEW_CHARS = 80
PREVIEW_TH = {
    "image": "[รูปภาพ]",
    "location": "[ตำแหน่ง]",
    "sticker": "[สติกเกอร์]",
    "video": "[วิดีโอ]",
    "audio": "[เสียง]",
    "file": "[ไฟล์]",
    "unsent": "[ยกเลิกข้อความ]",
}


def previews(session: Session, conversation_ids: Sequence[int]) -> dict[int, str]:
    """The last thing each citizen sent (text, or what kind of message), for the queue."""
    if not conversation_ids:
        return {}
    last = (
        select(func.max(InboundEvent.id))
        .where(
            InboundEvent.conversation_id.in_(conversation_ids),
            InboundEvent.event_type.in_(("message", "postback")),
        )
        .group_by(InboundEvent.conversation_id)
    )
    found: dict[int, str] = {}
    for conversation_id, payload in session.execute(
        select(InboundEvent.conversation_id, InboundEvent.payload).where(InboundEvent.id.in_(last))
    ):
        entry = citizen_entry(payload)
        text = str(entry.get("text") or "") if entry["type"] in {"text", "postback"} else ""
        shown = text or PREVIEW_TH.get(entry["type"], "")
        if conversation_id is not None and shown:
            found[int(conversation_id)] = (
                shown if len(shown) <= PREVIEW_CHARS else shown[: PREVIEW_CHARS - 1] + "…"
            )
    return found


def open_items(session: Session, scope: Sequence[str] | None) -> list[QueueItem]:
    """Every waiting or active hand-off the scope may see, oldest first, each with the
    citizen's name (or alias) and a preview of the last thing they sent."""
    query = (
        select(Handoff, Citizen.display_name, Staff.display_name)
        .outerjoin(Citizen, Citizen.id == Handoff.citizen_id)
        .outerjoin(Staff, Staff.id == Handoff.agent_id)
        .where(Handoff.status.in_(OPEN_STATUSES))
        .order_by(Handoff.requested_at, Handoff.id)
        .limit(500)
    )
    if scope is not None:
        query = query.where(scopes.clause(Handoff.queue, scope))
    now = utcnow()
    positions: dict[str, int] = {}
    items = []
    rows = session.execute(query).all()
    shown = previews(session, [handoff.conversation_id for handoff, _, _ in rows])
    for handoff, citizen_name, agent_name in rows:
        position = None
        if handoff.status == WAITING:
            positions[handoff.queue] = positions.get(handoff.queue, 0) + 1
            position = positions[handoff.queue]
        items.append(
            QueueItem(
                id=handoff.id,
                conversation_id=handoff.conversation_id,
                queue=handoff.queue,
                status=handoff.status,
                reason=handoff.reason,
                agent_id=handoff.agent_id,
                agent=agent_name,
                citizen=citizen_label(citizen_name, handoff.citizen_id),
                requested_at=aware(handoff.requested_at).isoformat(),
                waiting_s=(now - aware(handoff.requested_at)).total_seconds(),
                position=position,
                last_text=shown.get(handoff.conversation_id),
            )
        )
    return items


def agents(session: Session, scope: Sequence[str] | None, online: set[int]) -> list[dict[str, Any]]:
    """Active agents and supervisors of the scope: online or not, and how many
    conversations each holds now."""
    query = select(Staff).where(Staff.active.is_(True), Staff.role != "admin")
    if scope is not None:
        query = query.where(Staff.agency_id.in_(scope or ["-"]))
    load = dict(
        session.execute(
            select(Handoff.agent_id, func.count())
            .where(Handoff.status == ACTIVE)
            .group_by(Handoff.agent_id)
        ).all()
    )
    return [
        {
            "id": s.id,
            "display_name": s.display_name,
            "role": s.role,
            "agency_id": s.agency_id,
            "capacity": s.capacity,
            "active": int(load.get(s.id, 0)),
            "online": s.id in online,
        }
        for s in session.scalars(query.order_by(Staff.display_name))
    ]


def recent_conversations(
    session: Session, limit: int = 50
) -> list[tuple[Conversation, str | None]]:
    """The latest conversations (of citizens not erased) with the citizen's name."""
    return list(
        session.execute(
            select(Conversation, Citizen.display_name)
            .join(Citizen, Citizen.id == Conversation.citizen_id)
            .where(~Citizen.line_user_id.startswith("erased:"))
            .order_by(Conversation.last_message_at.desc())
            .limit(limit)
        )
    )


def latest(session: Session, conversation_id: int) -> Handoff | None:
    """The conversation's open hand-off, else its last one."""
    return open_handoff(session, conversation_id) or session.scalar(
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id)
        .order_by(Handoff.id.desc())
        .limit(1)
    )
