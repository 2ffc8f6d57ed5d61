"""The agent console's JSON API for acting on a conversation handed to staff: claim,
assign, reply, note, end, transfer, take over, and the tickets filed or changed from it.

Each endpoint parses, runs one flow (bot.handoff.flows, bot.tickets.flows) in one
transaction, and formats; the citizen's LINE messages and the consoles' live updates go
out after the commit (bot.context). Domain errors become 404/409/422 (bot.errors).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot.console import present
from bot.console.auth import ConsoleStaffDep, SupervisorDep
from bot.deps import ContextDep
from bot.errors import NotFound
from bot.handoff import flows
from bot.tickets import flows as ticket_flows
from bot.tickets import schemas

router = APIRouter(include_in_schema=False)

MAX_REPLY = 5000


class ReplyIn(BaseModel):
    """An agent's message to the citizen."""

    text: str = Field(min_length=1, max_length=MAX_REPLY)


class NoteIn(BaseModel):
    """A private note."""

    body: str = Field(min_length=1, max_length=5000)


class TransferIn(BaseModel):
    """The queue (agency id) to move the conversation to."""

    queue: str = Field(min_length=1, max_length=80)


class AssignIn(BaseModel):
    """The agent a supervisor gives the conversation to."""

    agent_id: int


class TicketIn(BaseModel):
    """A new ticket from the conversation, or an existing one of the citizen's to link."""

    ticket_id: str | None = Field(default=None, max_length=20)
    complaint_type: str | None = None
    description: str | None = Field(default=None, max_length=5000)
    province: str | None = Field(default=None, max_length=100)
    district: str | None = Field(default=None, max_length=100)


class StatusIn(BaseModel):
    """A ticket status change from the console."""

    status: str
    note: str | None = Field(default=None, max_length=2000)


@router.post("/console/api/handoffs/{handoff_id}/claim")
async def claim(context: ContextDep, staff: ConsoleStaffDep, handoff_id: int) -> dict[str, Any]:
    """Takes a waiting conversation (409 when another agent was first)."""
    return await context.transaction(lambda s: present.handoff(flows.claim(s, staff, handoff_id)))


@router.post("/console/api/handoffs/{handoff_id}/assign")
async def assign(
    context: ContextDep, staff: SupervisorDep, handoff_id: int, body: AssignIn
) -> dict[str, Any]:
    """A supervisor gives (or moves) the conversation to an agent of the queue."""
    return await context.transaction(
        lambda s: present.handoff(flows.assign(s, staff, handoff_id, body.agent_id))
    )


@router.post("/console/api/handoffs/{handoff_id}/reply", status_code=status.HTTP_201_CREATED)
async def reply(
    context: ContextDep, staff: ConsoleStaffDep, handoff_id: int, body: ReplyIn
) -> dict[str, Any]:
    """Sends the agent's message to the citizen on LINE (through the worker)."""

    def work(session: Session) -> dict[str, Any]:
        handoff, entry = flows.reply(session, staff, handoff_id, body.text)
        return {
            "handoff": present.handoff(handoff),
            "entry": entry,
            "conversation_id": handoff.conversation_id,
        }

    return await context.transaction(work)


@router.post("/console/api/handoffs/{handoff_id}/notes", status_code=status.HTTP_201_CREATED)
async def note(
    context: ContextDep, staff: ConsoleStaffDep, handoff_id: int, body: NoteIn
) -> dict[str, Any]:
    """A private note on the conversation (colleagues see it; the citizen never does)."""
    _, entry = await context.transaction(lambda s: flows.add_note(s, staff, handoff_id, body.body))
    return entry


@router.post("/console/api/handoffs/{handoff_id}/end")
async def end(context: ContextDep, staff: ConsoleStaffDep, handoff_id: int) -> dict[str, Any]:
    """Ends the hand-off: the citizen is back with the bot and asked for a rating."""
    return await context.transaction(lambda s: present.handoff(flows.end(s, staff, handoff_id)))


@router.post("/console/api/handoffs/{handoff_id}/transfer")
async def transfer(
    context: ContextDep, staff: ConsoleStaffDep, handoff_id: int, body: TransferIn
) -> dict[str, Any]:
    """Moves the conversation to another agency's queue; its history goes with it."""
    return await context.transaction(
        lambda s: present.handoff(
            flows.transfer(s, staff, handoff_id, body.queue, context.router, context.staffed_hours)
        )
    )


@router.post("/console/api/conversations/{conversation_id}/takeover")
async def takeover(
    context: ContextDep, staff: ConsoleStaffDep, conversation_id: int
) -> dict[str, Any]:
    """Call-centre staff take a conversation over from the bot."""
    if not flows.call_centre(context.settings, staff):
        raise NotFound("conversation not found")
    queue = context.settings.handoff_queue
    return await context.transaction(
        lambda s: present.handoff(flows.takeover(s, staff, conversation_id, queue))
    )


@router.post("/console/api/handoffs/{handoff_id}/ticket", status_code=status.HTTP_201_CREATED)
async def ticket_from_conversation(
    context: ContextDep, staff: ConsoleStaffDep, handoff_id: int, body: TicketIn
) -> dict[str, Any]:
    """Files a ticket for the citizen from the conversation, or links one of theirs."""

    def work(session: Session) -> dict[str, Any]:
        found = flows.file_ticket(
            session,
            staff,
            handoff_id,
            ticket_id=body.ticket_id,
            complaint_type=body.complaint_type,
            description=body.description,
            province=body.province,
            district=body.district,
            router=context.router,
            calendar=context.calendar,
        )
        return schemas.out(found, context.router)

    return await context.transaction(work)


@router.post("/console/api/tickets/{ticket_id}/status")
async def ticket_status(
    context: ContextDep, staff: ConsoleStaffDep, ticket_id: str, body: StatusIn
) -> dict[str, Any]:
    """Changes a ticket's status from the conversation (followers are told on LINE)."""

    def work(session: Session) -> dict[str, Any]:
        ticket = flows.ticket(session, ticket_id, staff)
        ticket_flows.change_status(session, staff, ticket, body.status, body.note)
        return schemas.out(ticket, context.router)

    return await context.transaction(work)


@router.post("/console/api/tickets/{ticket_id}/type")
async def ticket_type(
    context: ContextDep, staff: ConsoleStaffDep, ticket_id: str, body: schemas.TypeIn
) -> dict[str, Any]:
    """Corrects a ticket's complaint type from the conversation (a label for the NLU)."""

    def work(session: Session) -> dict[str, Any]:
        ticket = flows.ticket(session, ticket_id, staff)
        ticket_flows.retype(session, staff, ticket, body.complaint_type, context.router)
        return schemas.out(ticket, context.router)

    return await context.transaction(work)
