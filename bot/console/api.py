"""The agent console's JSON API for reading: who is signed in, the queue, the agents,
conversations and the photos citizens sent.

Every call is scoped to the staff member's agency: another agency's hand-off,
conversation or photo answers 404, as if it did not exist (bot.handoff.flows).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from bot import live
from bot.console import present
from bot.console.auth import ConsoleStaffDep, SupervisorDep
from bot.conversations.models import Citizen, Conversation
from bot.db import aware, utcnow
from bot.deps import ContextDep
from bot.handoff import flows
from bot.handoff import service as handoffs
from bot.handoff import texts as handoff_texts
from bot.staff import scope as scopes
from bot.staff.auth import StaffUser
from bot.tickets import schemas
from bot.tickets import service as tickets
from bot.tickets.lifecycle import COMPLAINT_TYPES_TH, STATUS_TH
from bot.tickets.routing import Router

router = APIRouter(include_in_schema=False)


def _conversation_out(
    session: Session, conversation: Conversation, staff: StaffUser, routes: Router
) -> dict[str, Any]:
    citizen = session.get(Citizen, conversation.citizen_id)
    current = handoffs.latest(session, conversation.id)
    linked: list[dict[str, Any]] = []
    if citizen is not None:
        for ticket in tickets.recent_for_citizen(session, citizen.line_user_id, limit=10):
            if scopes.visible(ticket.agency_id, staff.scope) or (
                current is not None and current.ticket_id == ticket.id
            ):
                linked.append(schemas.out(ticket, routes))
    return {
        "id": conversation.id,
        "handler": conversation.handler,
        "citizen": {
            "name": handoffs.citizen_label(
                citizen.display_name if citizen else None, conversation.citizen_id
            ),
            "following": bool(citizen and citizen.following),
        },
        "handoff": present.handoff(current) if current else None,
        "history": handoffs.history(session, conversation.id),
        "tickets": linked,
    }


@router.get("/console/api/me")
async def me(context: ContextDep, staff: ConsoleStaffDep) -> dict[str, Any]:
    """The signed-in staff member and what the console offers them, with the Thai labels
    it shows (from their one home in Python, never copied into console.js)."""
    agencies = context.router.agencies()
    return {
        "id": staff.id,
        "username": staff.username,
        "display_name": staff.display_name,
        "role": staff.role,
        "agency_id": staff.agency_id,
        "call_centre": flows.call_centre(context.settings, staff),
        "queues": [{"id": a.id, "name": a.name} for a in agencies if a.parent_id is None],
        "canned": present.canned_responses(),
        "complaint_types": [{"id": k, "name": v} for k, v in COMPLAINT_TYPES_TH.items()],
        "statuses": [{"id": k, "name": v} for k, v in STATUS_TH.items()],
        "handoff_statuses": handoff_texts.STATUS_TH,
        "handoff_reasons": handoff_texts.REASON_TH,
    }


@router.get("/console/api/queue")
async def queue(context: ContextDep, staff: ConsoleStaffDep) -> dict[str, Any]:
    """Open hand-offs the staff member may see: waiting (in order) and active."""
    items = await context.read(
        lambda s: [item.__dict__ for item in handoffs.open_items(s, staff.scope)]
    )
    return {"items": items, "now": utcnow().isoformat()}


@router.get("/console/api/agents")
async def agents(context: ContextDep, staff: SupervisorDep) -> dict[str, Any]:
    """Agents of the supervisor's agency: online or not, and their load."""
    try:
        online = set(await live.online(context.redis, context.settings.redis_prefix))
    except RedisError:
        online = set()
    return {"items": await context.read(lambda s: handoffs.agents(s, staff.scope, online))}


@router.get("/console/api/conversations")
async def recent_conversations(context: ContextDep, staff: ConsoleStaffDep) -> dict[str, Any]:
    """Recent bot conversations, for call-centre staff to take one over."""
    if not flows.call_centre(context.settings, staff):
        return {"items": []}

    def work(session: Session) -> list[dict[str, Any]]:
        return [
            {
                "id": c.id,
                "handler": c.handler,
                "citizen": handoffs.citizen_label(name, c.citizen_id),
                "last_message_at": aware(c.last_message_at).isoformat(),
            }
            for c, name in handoffs.recent_conversations(session)
        ]

    return {"items": await context.read(work)}


@router.get("/console/api/conversations/{conversation_id}")
async def conversation(
    context: ContextDep, staff: ConsoleStaffDep, conversation_id: int
) -> dict[str, Any]:
    """A conversation's full history (citizen, bot, agents, notes), hand-off and tickets."""
    allowed = flows.call_centre(context.settings, staff)

    def work(session: Session) -> dict[str, Any]:
        found = flows.conversation(session, conversation_id, staff, allowed)
        return _conversation_out(session, found, staff, context.router)

    return await context.read(work)


@router.get("/console/api/media/{media_id}")
async def media(context: ContextDep, staff: ConsoleStaffDep, media_id: str) -> Response:
    """A photo a citizen sent, for staff who may see their conversation."""
    allowed = flows.call_centre(context.settings, staff)

    def work(session: Session) -> tuple[bytes, str]:
        found = flows.citizen_photo(session, staff, media_id, allowed)
        return found.data, found.content_type

    data, content_type = await context.read(work)
    return Response(data, media_type=content_type, headers={"Cache-Control": "private"})
