"""What staff do in a conversation handed to them, each one function run inside
`Context.transaction`.

A flow checks the staff member may see the hand-off (NotFound otherwise, as if it did not
exist), makes the change through the service, writes the audit entry, and registers for
after the commit the citizen's LINE message (outbox) and the update of every console
watching the queues concerned (live). Steps the current state does not allow raise
HandoffError (a Conflict); the views only parse and format.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import live
from bot.config import Settings
from bot.conversations.models import Citizen, Conversation
from bot.db import aware, utcnow
from bot.errors import Invalid, NotFound
from bot.handoff import service as handoffs
from bot.handoff import texts
from bot.handoff.models import ACTIVE, Handoff
from bot.line import outbox
from bot.staff import auth
from bot.staff import scope as scopes
from bot.staff.auth import StaffUser
from bot.staff.models import Staff
from bot.tickets import cards
from bot.tickets import flows as ticket_flows
from bot.tickets import service as tickets
from bot.tickets.calendar import BusinessCalendar, OfficeHours
from bot.tickets.lifecycle import COMPLAINT_TYPES_TH
from bot.tickets.models import Media, Ticket
from bot.tickets.routing import Router


def _changed(session: Session, queues: str | set[str], handoff_id: int) -> None:
    live.after_commit(session, queues, {"type": "queue", "handoff_id": handoff_id})


# Who may see what ---------------------------------------------------------------------------


def call_centre(settings: Settings, staff: StaffUser) -> bool:
    """Staff of the hand-off queue's agency (and admins) may see every bot conversation."""
    return scopes.visible(settings.handoff_queue, staff.scope)


def conversation(
    session: Session, conversation_id: int, staff: StaffUser, call_centre: bool
) -> Conversation:
    """The conversation if the staff member may see it: one of their queues has (or had)
    it, or they are call-centre staff. NotFound otherwise."""
    found = session.get(Conversation, conversation_id)
    if found is None:
        raise NotFound("conversation not found")
    if call_centre:
        return found
    queues = session.scalars(
        select(Handoff.queue).where(Handoff.conversation_id == conversation_id)
    ).all()
    if not any(scopes.visible(q, staff.scope) for q in queues):
        raise NotFound("conversation not found")
    return found


def ticket(session: Session, ticket_id: str, staff: StaffUser) -> Ticket:
    """A ticket of the staff member's agency, or one linked to a hand-off of their queues."""
    try:
        return ticket_flows.visible(session, ticket_id, staff)
    except NotFound:
        found = session.get(Ticket, ticket_id.strip().upper())
        queues = session.scalars(
            select(Handoff.queue).where(Handoff.ticket_id == ticket_id.strip().upper())
        ).all()
        if found is None or not any(scopes.visible(q, staff.scope) for q in queues):
            raise
        return found


# Taking and giving ---------------------------------------------------------------------------


def claim(session: Session, staff: StaffUser, handoff_id: int) -> Handoff:
    """Takes a waiting conversation (HandoffError "taken" when another agent was first)."""
    handoff = handoffs.visible(session, handoff_id, staff)
    handoffs.claim(session, handoff.id, staff)
    outbox.after_commit(
        session, handoffs.notify(session, handoff, texts.claimed(staff.display_name))
    )
    auth.audit(session, staff, "handoff_claim", str(handoff.id))
    _changed(session, handoff.queue, handoff.id)
    return handoff


def assign(session: Session, staff: StaffUser, handoff_id: int, agent_id: int) -> Handoff:
    """A supervisor gives (or moves) the conversation to an agent of the queue."""
    handoff = handoffs.visible(session, handoff_id, staff)
    was_waiting = handoff.status != ACTIVE
    handoffs.reassign(session, handoff, agent_id, staff.scope)
    if was_waiting:
        agent = session.get_one(Staff, agent_id)
        outbox.after_commit(
            session, handoffs.notify(session, handoff, texts.claimed(agent.display_name))
        )
    auth.audit(session, staff, "handoff_assign", str(handoff.id), agent_id=agent_id)
    _changed(session, handoff.queue, handoff.id)
    return handoff


def takeover(session: Session, staff: StaffUser, conversation_id: int, queue: str) -> Handoff:
    """Call-centre staff take a conversation over from the bot."""
    conversation(session, conversation_id, staff, True)
    handoff = handoffs.takeover(session, conversation_id, staff, queue)
    outbox.after_commit(
        session, handoffs.notify(session, handoff, texts.claimed(staff.display_name))
    )
    auth.audit(session, staff, "handoff_takeover", str(handoff.id))
    _changed(session, queue, handoff.id)
    return handoff


def auto_assign(session: Session, queue: str, online: Sequence[int]) -> list[int]:
    """Gives waiting conversations of the queue to online agents with room, telling each
    citizen who took them (the caller holds the queue's assignment lock)."""
    assigned = handoffs.assign_waiting(session, queue, online)
    for handoff in assigned:
        agent = session.get_one(Staff, handoff.agent_id)
        outbox.after_commit(
            session, handoffs.notify(session, handoff, texts.claimed(agent.display_name))
        )
        auth.audit(session, None, "handoff_auto_assign", str(handoff.id), agent_id=agent.id)
    ids = [h.id for h in assigned]
    if ids:
        live.after_commit(session, queue, {"type": "queue", "assigned": ids})
    return ids


# Talking ---------------------------------------------------------------------------------


def reply(
    session: Session, staff: StaffUser, handoff_id: int, text: str
) -> tuple[Handoff, dict[str, Any]]:
    """Sends the agent's message to the citizen on LINE (through the worker); the
    conversation's new entry, as the consoles show it."""
    text = text.strip()
    if not text:
        raise Invalid("empty message")
    handoff = handoffs.visible(session, handoff_id, staff)
    notice = handoffs.reply(session, handoff, staff, text)
    outbox.after_commit(session, notice)
    auth.audit(session, staff, "handoff_reply", str(handoff.id))
    entry = {
        "from": "agent",
        "agent": staff.display_name,
        "type": "text",
        "text": text,
        "status": "pending",
        "at": utcnow().isoformat(),
        "key": f"o{notice.outbound_id}",
    }
    _said(session, handoff, entry)
    return handoff, entry


def add_note(
    session: Session, staff: StaffUser, handoff_id: int, body: str
) -> tuple[Handoff, dict[str, Any]]:
    """A private note on the conversation (colleagues see it; the citizen never does)."""
    handoff = handoffs.visible(session, handoff_id, staff)
    added = handoffs.add_note(session, handoff, staff, body.strip())
    auth.audit(session, staff, "handoff_note", str(handoff.id))
    entry = {
        "from": "note",
        "type": "text",
        "text": added.body,
        "agent": staff.display_name,
        "at": aware(added.created_at).isoformat(),
        "key": f"n{added.id}",
    }
    _said(session, handoff, entry)
    return handoff, entry


def _said(session: Session, handoff: Handoff, entry: dict[str, Any]) -> None:
    live.after_commit(
        session,
        handoff.queue,
        {
            "type": "message",
            "handoff_id": handoff.id,
            "conversation_id": handoff.conversation_id,
            "entry": entry,
        },
    )


# Ending and moving ---------------------------------------------------------------------------


def end(session: Session, staff: StaffUser, handoff_id: int) -> Handoff:
    """Ends the hand-off: the citizen is back with the bot and asked for a rating."""
    handoff = handoffs.visible(session, handoff_id, staff)
    by = "agent" if handoff.agent_id == staff.id else "supervisor"
    outbox.after_commit(session, handoffs.end(session, handoff, staff, by=by))
    auth.audit(session, staff, "handoff_end", str(handoff.id))
    _changed(session, handoff.queue, handoff.id)
    return handoff


def transfer(
    session: Session,
    staff: StaffUser,
    handoff_id: int,
    queue: str,
    router: Router,
    hours: OfficeHours | None = None,
) -> Handoff:
    """Moves the conversation to another agency's queue; its history goes with it, and the
    consoles of both queues are told (the citizen too, with office hours when closed)."""
    handoff = handoffs.visible(session, handoff_id, staff)
    source = handoff.queue
    moved, notice = handoffs.transfer(session, handoff, staff, queue, router, hours)
    outbox.after_commit(session, notice)
    auth.audit(session, staff, "handoff_transfer", str(handoff.id), to=queue)
    _changed(session, {source, moved.queue}, moved.id)
    return moved


# Tickets from a conversation ---------------------------------------------------------------


def file_ticket(
    session: Session,
    staff: StaffUser,
    handoff_id: int,
    *,
    ticket_id: str | None,
    complaint_type: str | None,
    description: str | None,
    province: str | None,
    district: str | None,
    router: Router,
    calendar: BusinessCalendar,
) -> Ticket:
    """Files a ticket for the citizen from the conversation, or links one of theirs."""
    handoff = handoffs.visible(session, handoff_id, staff)
    citizen = session.get(Citizen, handoff.citizen_id) if handoff.citizen_id else None
    if citizen is None:
        raise handoffs.HandoffError("gone", "erased")
    if ticket_id:
        found = tickets.for_citizen(session, ticket_id.strip().upper(), citizen.line_user_id)
        if found is None:
            raise NotFound("ticket not found")
    else:
        if complaint_type not in COMPLAINT_TYPES_TH or not (description or "").strip():
            raise Invalid("complaint_type and description needed")
        summary = str(description).strip()
        # The ticket tells the citizen's problem in the citizen's words (their list of
        # tickets shows it); the agent's summary is a note for the agency.
        words = handoffs.citizen_words(session, handoff)
        found, created = tickets.create_ticket(
            session,
            tickets.Intake(
                intake_key=f"handoff:{handoff.id}:{utcnow().timestamp()}",
                line_user_id=citizen.line_user_id,
                complaint_type=str(complaint_type),
                description=words or summary,
                province=province or None,
                district=district or None,
            ),
            router=router,
            calendar=calendar,
        )
        if created:
            if words:
                tickets.add_note(
                    session, found, staff_id=staff.id, body=f"สรุปโดยเจ้าหน้าที่: {summary}"
                )
            agency = router.agency(found.agency_id).name if found.agency_id else ""
            told = handoffs.notify(
                session,
                handoff,
                texts.filed_by_staff(found.id, agency, cards.local_time(found.due_at)),
            )
            outbox.after_commit(session, [told] if told else [])
    handoffs.link_ticket(session, handoff, found)
    auth.audit(session, staff, "handoff_ticket", str(handoff.id), ticket=found.id)
    return found


def citizen_photo(session: Session, staff: StaffUser, media_id: str, call_centre: bool) -> Media:
    """A photo a citizen sent, for staff who may see one of their conversations."""
    found = session.get(Media, media_id)
    if found is None or found.citizen_id is None:
        raise NotFound("photo not found")
    conversations = session.scalars(
        select(Conversation.id).where(Conversation.citizen_id == found.citizen_id)
    ).all()
    for conversation_id in conversations:
        try:
            conversation(session, conversation_id, staff, call_centre)
        except NotFound:
            continue
        return found
    raise NotFound("photo not found")
