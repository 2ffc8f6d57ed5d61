"""What staff do to tickets, each one function run inside `Context.transaction`.

A flow finds the ticket within the person's scope, makes the change through the service,
writes the audit entry and registers the citizens' notices for after the commit. It
raises domain errors (bot.errors); the views only parse the request and format the
answer. The same flows serve the REST API and the console.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.errors import Invalid, NotFound
from bot.line import outbox
from bot.staff import auth
from bot.staff import scope as scopes
from bot.staff.auth import StaffUser
from bot.tickets import service
from bot.tickets.lifecycle import STATUS_TH
from bot.tickets.models import Media, Ticket, TicketEvent
from bot.tickets.routing import Router

# A status the citizen must be told why: what was done, or why nothing will be.
NEEDS_MESSAGE = frozenset({"resolved", "rejected"})


def visible(session: Session, ticket_id: str, staff: StaffUser) -> Ticket:
    """The ticket if it is in the staff member's scope; NotFound otherwise, exactly like an
    id that does not exist, so ids cannot be probed."""
    ticket = session.get(Ticket, ticket_id.strip().upper())
    if ticket is None or not scopes.visible(ticket.agency_id, staff.scope):
        raise NotFound("ticket not found")
    return ticket


def change_status(
    session: Session, staff: StaffUser, ticket: Ticket, target: str, note: str | None
) -> Ticket:
    """A staff member moves the ticket along its lifecycle (TransitionError, a Conflict,
    when the table does not allow it); the followers are told on LINE, with the message.
    Resolving or rejecting needs that message: the citizen is owed the reason."""
    message = (note or "").strip() or None
    if target in NEEDS_MESSAGE and message is None:
        raise Invalid(f"กรุณาเขียนข้อความถึงผู้แจ้งเมื่อเปลี่ยนเป็น “{STATUS_TH[target]}”")
    before = ticket.status
    notices = service.transition(
        session,
        ticket,
        target,
        actor="staff",
        staff_id=staff.id,
        note=message,
    )
    auth.audit(session, staff, "ticket_transition", ticket.id, before=before, after=target)
    outbox.after_commit(session, notices)
    return ticket


def retype(
    session: Session, staff: StaffUser, ticket: Ticket, complaint_type: str, router: Router
) -> Ticket:
    """Corrects the type (an open ticket is routed again; RetypeError for an unknown or
    unchanged type); the citizen's words with the new type become an NLU label."""
    before = (ticket.complaint_type, ticket.agency_id)
    service.retype(session, ticket, complaint_type, router=router, staff_id=staff.id)
    auth.audit(
        session,
        staff,
        "ticket_retype",
        ticket.id,
        before=before[0],
        after=complaint_type,
        agency_before=before[1],
        agency_after=ticket.agency_id,
    )
    return ticket


def add_note(session: Session, staff: StaffUser, ticket: Ticket, body: str) -> TicketEvent:
    """A private note for colleagues; never shown to the citizen."""
    event = service.add_note(session, ticket, staff_id=staff.id, body=body)
    auth.audit(session, staff, "ticket_note", ticket.id)
    return event


def photo(session: Session, staff: StaffUser, ticket_id: str, media_id: str) -> Media:
    """One of the ticket's photos, for staff who may see the ticket."""
    ticket = visible(session, ticket_id, staff)
    media = session.get(Media, media_id)
    if media is None or media.ticket_id != ticket.id:
        raise NotFound("photo not found")
    return media
