"""What staff do to tickets, each one function run inside `Context.transaction`.

A flow finds the ticket within the person's scope, makes the change through the service,
writes the audit entry and registers the citizens' notices for after the commit. It
raises domain errors (bot.errors); the views only parse the request and format the
answer. The same flows serve the REST API and the console.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bot.errors import DomainError, Forbidden, Invalid, NotFound
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
# Who may act on many tickets at once (and export): supervisors and admins.
BULK_ROLES = frozenset({"supervisor", "admin"})
BULK_LIMIT = 200


def visible(session: Session, ticket_id: str, staff: StaffUser) -> Ticket:
    """The ticket if it is in the staff member's scope; NotFound otherwise, exactly like an
    id that does not exist, so ids cannot be probed."""
    key = ticket_id.strip().upper()
    ticket = session.get(Ticket, key) if service.is_ticket_id(key) else None
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


def assign(session: Session, staff: StaffUser, ticket: Ticket, assignee_id: int | None) -> Ticket:
    """Gives the ticket to a colleague of its agency, to oneself ("take it"), or to nobody."""
    before = ticket.assignee_id
    if service.assign(session, ticket, assignee_id, staff_id=staff.id) is not None:
        auth.audit(session, staff, "ticket_assign", ticket.id, before=before, after=assignee_id)
    return ticket


def transfer(
    session: Session, staff: StaffUser, ticket: Ticket, agency_id: str, reason: str, router: Router
) -> Ticket:
    """Sends the ticket to another agency with a reason; its followers are told who has it."""
    before = ticket.agency_id
    notices = service.transfer(session, ticket, agency_id, reason, router=router, staff_id=staff.id)
    auth.audit(session, staff, "ticket_transfer", ticket.id, before=before, after=ticket.agency_id)
    outbox.after_commit(session, notices)
    return ticket


def merge(session: Session, staff: StaffUser, survivor: Ticket, duplicate_id: str) -> Ticket:
    """Merges a duplicate (which the staff member must also be able to see) into `survivor`;
    every reporter of the duplicate follows the survivor and is told."""
    duplicate = visible(session, duplicate_id, staff)
    notices = service.merge(session, duplicate, survivor, staff_id=staff.id)
    auth.audit(session, staff, "ticket_merge", duplicate.id, into=survivor.id)
    outbox.after_commit(session, notices)
    return survivor


@dataclass
class BulkResult:
    """What a bulk action did: the tickets changed, and why each other one was not."""

    done: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def bulk(
    session: Session,
    staff: StaffUser,
    ticket_ids: list[str],
    *,
    status: str | None = None,
    message: str | None = None,
    assignee_id: int | None = None,
    unassign: bool = False,
) -> BulkResult:
    """Supervisors and admins: one status change (each citizen gets the message) or one
    assignment applied to many tickets, each under the same rules as one at a time. A
    ticket refused (not visible, transition not allowed) does not stop the others."""
    if staff.role not in BULK_ROLES:
        raise Forbidden("ทำกับหลายเรื่องพร้อมกันได้เฉพาะหัวหน้างานและผู้ดูแลระบบ")
    ids = list(dict.fromkeys(i.strip().upper() for i in ticket_ids if i.strip()))
    if not ids:
        raise Invalid("กรุณาเลือกเรื่องอย่างน้อยหนึ่งเรื่อง")
    if len(ids) > BULK_LIMIT:
        raise Invalid(f"เลือกได้ครั้งละไม่เกิน {BULK_LIMIT} เรื่อง")
    if status is None and assignee_id is None and not unassign:
        raise Invalid("กรุณาเลือกสิ่งที่จะทำกับเรื่องที่เลือก")
    if status is not None and status not in STATUS_TH:
        raise Invalid("ไม่มีสถานะนี้ในระบบ")
    if status in NEEDS_MESSAGE and not (message or "").strip():
        raise Invalid(f"กรุณาเขียนข้อความถึงผู้แจ้งเมื่อเปลี่ยนเป็น “{STATUS_TH[status]}”")
    result = BulkResult()
    for ticket_id in ids:
        try:
            with session.begin_nested():
                ticket = visible(session, ticket_id, staff)
                if status is not None:
                    change_status(session, staff, ticket, status, message)
                if assignee_id is not None or unassign:
                    assign(session, staff, ticket, None if unassign else assignee_id)
        except DomainError as refused:
            result.refused[ticket_id] = (
                "ไม่พบเรื่องนี้" if isinstance(refused, NotFound) else str(refused.detail)
            )
        else:
            result.done.append(ticket_id)
    auth.audit(
        session,
        staff,
        "ticket_bulk",
        None,
        status=status,
        assignee=None if unassign else assignee_id,
        done=result.done,
        # Not an id at all (NUL, unpaired surrogates): counted, never written.
        refused=sorted(i for i in result.refused if service.is_ticket_id(i)),
        malformed=sum(1 for i in result.refused if not service.is_ticket_id(i)),
    )
    return result
