"""The agent console at /console: log-in, the live queue, conversations, replies, tickets.

Pages are thin shells; the browser talks to the JSON API under /console/api and gets
live updates from /console/api/stream (server-sent events relayed from Redis pub/sub,
so a citizen's message reaches every gateway process's consoles). Every call is scoped
to the staff member's agency: another agency's hand-off, conversation, ticket or photo
answers 404, as if it did not exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Form, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import ROOT
from bot.console import auth as console_auth
from bot.console.auth import ConsoleStaffDep, SupervisorDep, staff_page_headers
from bot.conversations.models import Citizen, Conversation
from bot.db import unit_of_work, utcnow
from bot.handoff import live, texts
from bot.handoff import service as handoffs
from bot.handoff.models import ACTIVE, Handoff
from bot.staff import auth, limits
from bot.staff.auth import StaffUser
from bot.staff.models import Staff
from bot.tickets import service as tickets
from bot.tickets import views as ticket_views
from bot.tickets.calendar import BusinessCalendar
from bot.tickets.lifecycle import COMPLAINT_TYPES_TH
from bot.tickets.models import Media, Ticket
from bot.tickets.service import Notice

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

HERE = Path(__file__).resolve().parent
CANNED_PATH = ROOT / "data" / "canned_responses.yml"
STATIC_FILES = {
    "console.css": "text/css; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
}
# No inline script, nothing from elsewhere: citizen text that slipped past the safe DOM
# code still could not run. Photos come from this host only.
PAGE_HEADERS = staff_page_headers(
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
STREAM_TICK_S = 5.0
MAX_REPLY = 5000


@cache
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
    )


def _page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = _templates().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


@cache
def canned_responses() -> list[dict[str, str]]:
    """Ready-made answers agents pick from (data/canned_responses.yml)."""
    data = yaml.safe_load(CANNED_PATH.read_text(encoding="utf-8")) or {}
    return [{"title": str(c["title"]), "text": str(c["text"])} for c in data.get("responses", [])]


# Pages ---------------------------------------------------------------------------------


@router.get("/console/static/{name}")
async def static_file(name: str) -> Response:
    """The console's own CSS and JS (fixed names only)."""
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    body = (HERE / "static" / name).read_bytes()
    return Response(body, media_type=media_type, headers={"Cache-Control": "no-cache"})


@router.get("/console/login")
async def login_page(request: Request, error: str | None = None) -> HTMLResponse:
    """The log-in form (with its pre-session CSRF cookie)."""
    return _login_form(request, error)


def _login_form(request: Request, error: str | None, status_code: int = 200) -> HTMLResponse:
    settings = console_auth.settings_of(request)
    nonce = console_auth.new_login_nonce()
    response = _page(
        "login.html",
        status_code,
        csrf=console_auth.csrf_for(settings.session_secret, nonce),
        error=error,
        base=console_auth.PATH,
    )
    response.set_cookie(
        console_auth.LOGIN_COOKIE, nonce, max_age=3600, **console_auth.cookie_options(settings)
    )
    return response


ERRORS = {
    "credentials": "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง",
    "blocked": "เข้าสู่ระบบผิดหลายครั้งเกินไป กรุณารอสักครู่แล้วลองใหม่",
    "csrf": "แบบฟอร์มหมดอายุ กรุณาลองใหม่อีกครั้ง",
    "busy": "ระบบกำลังมีผู้เข้าสู่ระบบจำนวนมาก กรุณารอสักครู่แล้วลองใหม่",
}


@router.post("/console/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Signs in: sets the session cookie and goes to the console."""
    settings = console_auth.settings_of(request)
    if not console_auth.check_login_csrf(request, csrf):
        return _login_form(request, ERRORS["csrf"], status.HTTP_403_FORBIDDEN)

    def work() -> str | None:
        with unit_of_work(request.app.state.sessions) as session:
            user = auth.authenticate(session, username, password)
            if user is None:
                auth.audit(session, None, "console_login_failed", None)
                return None
            token, _ = auth.issue_token(
                session, user.id, timedelta(hours=settings.api_token_ttl_hours)
            )
            auth.audit(session, user, "console_login", None)
            return token

    try:
        token = await limits.attempt_request(request, username, work)
    except limits.SignInRefused as refused:
        if refused.reason == "busy":
            return _login_form(request, ERRORS["busy"], status.HTTP_503_SERVICE_UNAVAILABLE)
        return _login_form(request, ERRORS["blocked"], status.HTTP_429_TOO_MANY_REQUESTS)
    if token is None:
        return _login_form(request, ERRORS["credentials"], status.HTTP_401_UNAUTHORIZED)
    response = RedirectResponse(console_auth.PATH, status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        console_auth.COOKIE,
        token,
        max_age=settings.api_token_ttl_hours * 3600,
        **console_auth.cookie_options(settings),
    )
    response.delete_cookie(console_auth.LOGIN_COOKIE, path=console_auth.PATH)
    return response


@router.post("/console/logout")
async def logout(request: Request, staff: ConsoleStaffDep) -> Response:
    """Signs out: the token is deleted, the cookie cleared."""
    token = request.cookies.get(console_auth.COOKIE, "")

    def work() -> None:
        with unit_of_work(request.app.state.sessions) as session:
            auth.revoke_token(session, token)
            auth.audit(session, staff, "console_logout", None)

    await run_in_threadpool(work)
    with contextlib.suppress(RedisError):
        await live.mark_offline(request.app.state.redis, _prefix(request), staff.id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(console_auth.COOKIE, path=console_auth.PATH)
    return response


@router.get("/console")
async def console_page(request: Request) -> Response:
    """The agent console (the log-in page when not signed in)."""
    staff = await run_in_threadpool(console_auth.page_staff, request)
    if staff is None:
        return RedirectResponse(f"{console_auth.PATH}/login", status.HTTP_303_SEE_OTHER)
    return _page("console.html", **console_auth.page_context(request, staff))


# JSON API: who, queue, conversations -------------------------------------------------------


def _prefix(request: Request) -> str:
    return str(request.app.state.settings.redis_prefix)


def _call_centre(request: Request, staff: StaffUser) -> bool:
    """Staff of the hand-off queue's agency (and admins) may see every bot conversation."""
    return handoffs.in_scope(request.app.state.settings.handoff_queue, staff.scope)


@router.get("/console/api/me")
async def me(request: Request, staff: ConsoleStaffDep) -> dict[str, Any]:
    """The signed-in staff member and what the console offers them."""
    routes = request.app.state.router
    queues = [{"id": a.id, "name": a.name} for a in routes.agencies() if a.parent_id is None]
    return {
        "id": staff.id,
        "username": staff.username,
        "display_name": staff.display_name,
        "role": staff.role,
        "agency_id": staff.agency_id,
        "call_centre": _call_centre(request, staff),
        "queues": queues,
        "canned": canned_responses(),
        "complaint_types": [{"id": k, "name": v} for k, v in COMPLAINT_TYPES_TH.items()],
    }


@router.get("/console/api/queue")
async def queue(request: Request, staff: ConsoleStaffDep) -> dict[str, Any]:
    """Open hand-offs the staff member may see: waiting (in order) and active."""

    def work() -> list[dict[str, Any]]:
        with request.app.state.sessions() as session:
            return [item.__dict__ for item in handoffs.open_items(session, staff.scope)]

    return {"items": await run_in_threadpool(work), "now": utcnow().isoformat()}


@router.get("/console/api/agents")
async def agents(request: Request, staff: SupervisorDep) -> dict[str, Any]:
    """Agents of the supervisor's agency: online or not, and their load."""
    try:
        online = set(await live.online(request.app.state.redis, _prefix(request)))
    except RedisError:
        online = set()

    def work() -> list[dict[str, Any]]:
        with request.app.state.sessions() as session:
            query = select(Staff).where(Staff.active.is_(True), Staff.role != "admin")
            if staff.scope is not None:
                query = query.where(Staff.agency_id.in_(staff.scope or ["-"]))
            load = dict(
                session.execute(
                    select(Handoff.agent_id, func.count())
                    .where(Handoff.status == ACTIVE)
                    .group_by(Handoff.agent_id)
                )
                .tuples()
                .all()
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

    return {"items": await run_in_threadpool(work)}


def _conversation(
    session: Session, conversation_id: int, staff: StaffUser, call_centre: bool
) -> Conversation:
    """The conversation if the staff member may see it: one of their queues has (or had)
    it, or they are call-centre staff. 404 otherwise."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "conversation not found")
    if call_centre:
        return conversation
    queues = session.scalars(
        select(Handoff.queue).where(Handoff.conversation_id == conversation_id)
    ).all()
    if not any(handoffs.in_scope(q, staff.scope) for q in queues):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "conversation not found")
    return conversation


def _handoff(session: Session, handoff_id: int, staff: StaffUser) -> Handoff:
    try:
        return handoffs.visible(session, handoff_id, staff)
    except LookupError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "hand-off not found") from None


def _conversation_out(
    session: Session, conversation: Conversation, staff: StaffUser, routes: Any
) -> dict[str, Any]:
    citizen = session.get(Citizen, conversation.citizen_id)
    current = handoffs.open_handoff(session, conversation.id) or session.scalar(
        select(Handoff)
        .where(Handoff.conversation_id == conversation.id)
        .order_by(Handoff.id.desc())
        .limit(1)
    )
    linked: list[dict[str, Any]] = []
    if citizen is not None:
        for ticket in tickets.recent_for_citizen(session, citizen.line_user_id, limit=10):
            if tickets.in_scope(ticket.agency_id, staff.scope) or (
                current is not None and current.ticket_id == ticket.id
            ):
                linked.append(ticket_views._out(ticket, routes))
    return {
        "id": conversation.id,
        "handler": conversation.handler,
        "citizen": {
            "name": (citizen.display_name if citizen else None) or "ผู้ใช้ LINE",
            "following": bool(citizen and citizen.following),
        },
        "handoff": _handoff_out(current) if current else None,
        "history": handoffs.history(session, conversation.id),
        "tickets": linked,
    }


def _handoff_out(handoff: Handoff) -> dict[str, Any]:
    return {
        "id": handoff.id,
        "queue": handoff.queue,
        "status": handoff.status,
        "reason": handoff.reason,
        "agent_id": handoff.agent_id,
        "ticket_id": handoff.ticket_id,
        "requested_at": tickets.aware(handoff.requested_at).isoformat(),
        "rating": handoff.rating,
    }


@router.get("/console/api/conversations")
async def recent_conversations(request: Request, staff: ConsoleStaffDep) -> dict[str, Any]:
    """Recent bot conversations, for call-centre staff to take one over."""
    if not _call_centre(request, staff):
        return {"items": []}

    def work() -> list[dict[str, Any]]:
        with request.app.state.sessions() as session:
            rows = session.execute(
                select(Conversation, Citizen.display_name)
                .join(Citizen, Citizen.id == Conversation.citizen_id)
                .where(~Citizen.line_user_id.startswith("erased:"))
                .order_by(Conversation.last_message_at.desc())
                .limit(50)
            ).tuples()
            return [
                {
                    "id": c.id,
                    "handler": c.handler,
                    "citizen": name or "ผู้ใช้ LINE",
                    "last_message_at": tickets.aware(c.last_message_at).isoformat(),
                }
                for c, name in rows
            ]

    return {"items": await run_in_threadpool(work)}


@router.get("/console/api/conversations/{conversation_id}")
async def conversation(
    request: Request, staff: ConsoleStaffDep, conversation_id: int
) -> dict[str, Any]:
    """A conversation's full history (citizen, bot, agents, notes), hand-off and tickets."""
    call_centre = _call_centre(request, staff)
    routes = request.app.state.router

    def work() -> dict[str, Any]:
        with request.app.state.sessions() as session:
            found = _conversation(session, conversation_id, staff, call_centre)
            return _conversation_out(session, found, staff, routes)

    return await run_in_threadpool(work)


@router.get("/console/api/media/{media_id}")
async def media(request: Request, staff: ConsoleStaffDep, media_id: str) -> Response:
    """A photo a citizen sent, for staff who may see their conversation."""
    call_centre = _call_centre(request, staff)

    def work() -> tuple[bytes, str]:
        with request.app.state.sessions() as session:
            found = session.get(Media, media_id)
            if found is None or found.citizen_id is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, "photo not found")
            conversations = session.scalars(
                select(Conversation.id).where(Conversation.citizen_id == found.citizen_id)
            ).all()
            for conversation_id in conversations:
                try:
                    _conversation(session, conversation_id, staff, call_centre)
                except HTTPException:
                    continue
                return found.data, found.content_type
            raise HTTPException(status.HTTP_404_NOT_FOUND, "photo not found")

    data, content_type = await run_in_threadpool(work)
    return Response(data, media_type=content_type, headers={"Cache-Control": "private"})


# JSON API: actions on a hand-off ------------------------------------------------------------


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


HANDOFF_ERRORS = {
    "taken": "มีเจ้าหน้าที่รับเรื่องนี้ไปแล้ว",
    "closed": "การสนทนานี้สิ้นสุดแล้ว",
    "not_yours": "เจ้าหน้าที่คนอื่นกำลังดูแลการสนทนานี้อยู่",
    "gone": "ผู้ใช้ขอลบข้อมูลแล้ว ส่งข้อความถึงผู้ใช้ไม่ได้",
    "queue": "ไม่พบหน่วยงานปลายทาง",
    "same_queue": "การสนทนานี้อยู่ในคิวของหน่วยงานนี้อยู่แล้ว",
    "agent": "เจ้าหน้าที่คนนี้ไม่ได้ประจำคิวนี้",
    "open": "การสนทนานี้อยู่กับเจ้าหน้าที่แล้ว",
}


def _conflict(error: handoffs.HandoffError) -> HTTPException:
    return HTTPException(
        status.HTTP_409_CONFLICT,
        {"code": error.code, "message": HANDOFF_ERRORS.get(error.code, str(error))},
    )


async def _after(
    request: Request, notices: list[Notice], queues: set[str], event: dict[str, Any]
) -> None:
    """Queues LINE notices and tells the consoles of the queues what changed."""
    await ticket_views.announce(request, notices)
    for queue_id in queues:
        await live.publish(request.app.state.redis, _prefix(request), queue_id, event)


@router.post("/console/api/handoffs/{handoff_id}/claim")
async def claim(request: Request, staff: ConsoleStaffDep, handoff_id: int) -> dict[str, Any]:
    """Takes a waiting conversation (409 when another agent was first)."""

    def work() -> tuple[dict[str, Any], list[Notice]]:
        with unit_of_work(request.app.state.sessions) as session:
            handoff = _handoff(session, handoff_id, staff)
            try:
                handoffs.claim(session, handoff.id, staff)
            except handoffs.HandoffError as error:
                raise _conflict(error) from error
            notice = handoffs.notify(session, handoff, texts.claimed(staff.display_name))
            auth.audit(session, staff, "handoff_claim", str(handoff.id))
            return _handoff_out(handoff), [notice] if notice else []

    out, notices = await run_in_threadpool(work)
    await _after(request, notices, {out["queue"]}, {"type": "queue", "handoff_id": handoff_id})
    return out


@router.post("/console/api/handoffs/{handoff_id}/assign")
async def assign(
    request: Request, staff: SupervisorDep, handoff_id: int, body: AssignIn
) -> dict[str, Any]:
    """A supervisor gives (or moves) the conversation to an agent of the queue."""

    def work() -> tuple[dict[str, Any], list[Notice]]:
        with unit_of_work(request.app.state.sessions) as session:
            handoff = _handoff(session, handoff_id, staff)
            was_waiting = handoff.status != ACTIVE
            try:
                handoffs.reassign(session, handoff, body.agent_id, staff.scope)
            except handoffs.HandoffError as error:
                raise _conflict(error) from error
            notices = []
            if was_waiting:
                agent = session.get_one(Staff, body.agent_id)
                notice = handoffs.notify(session, handoff, texts.claimed(agent.display_name))
                notices = [notice] if notice else []
            auth.audit(session, staff, "handoff_assign", str(handoff.id), agent_id=body.agent_id)
            return _handoff_out(handoff), notices

    out, notices = await run_in_threadpool(work)
    await _after(request, notices, {out["queue"]}, {"type": "queue", "handoff_id": handoff_id})
    return out


@router.post("/console/api/handoffs/{handoff_id}/reply", status_code=status.HTTP_201_CREATED)
async def reply(
    request: Request, staff: ConsoleStaffDep, handoff_id: int, body: ReplyIn
) -> dict[str, Any]:
    """Sends the agent's message to the citizen on LINE (through the worker)."""
    text = body.text.strip()
    if not text:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "empty message")

    def work() -> tuple[dict[str, Any], Notice]:
        with unit_of_work(request.app.state.sessions) as session:
            handoff = _handoff(session, handoff_id, staff)
            try:
                notice = handoffs.reply(session, handoff, staff, text)
            except handoffs.HandoffError as error:
                raise _conflict(error) from error
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
            return {
                "handoff": _handoff_out(handoff),
                "entry": entry,
                "conversation_id": handoff.conversation_id,
            }, notice

    out, notice = await run_in_threadpool(work)
    event = {
        "type": "message",
        "handoff_id": handoff_id,
        "conversation_id": out["conversation_id"],
        "entry": out["entry"],
    }
    await _after(request, [notice], {out["handoff"]["queue"]}, event)
    return out


@router.post("/console/api/handoffs/{handoff_id}/notes", status_code=status.HTTP_201_CREATED)
async def note(
    request: Request, staff: ConsoleStaffDep, handoff_id: int, body: NoteIn
) -> dict[str, Any]:
    """A private note on the conversation (colleagues see it; the citizen never does)."""

    def work() -> tuple[dict[str, Any], str, int]:
        with unit_of_work(request.app.state.sessions) as session:
            handoff = _handoff(session, handoff_id, staff)
            added = handoffs.add_note(session, handoff, staff, body.body.strip())
            auth.audit(session, staff, "handoff_note", str(handoff.id))
            entry = {
                "from": "note",
                "type": "text",
                "text": added.body,
                "agent": staff.display_name,
                "at": tickets.aware(added.created_at).isoformat(),
                "key": f"n{added.id}",
            }
            return entry, handoff.queue, handoff.conversation_id

    entry, queue_id, conversation_id = await run_in_threadpool(work)
    event = {
        "type": "message",
        "handoff_id": handoff_id,
        "conversation_id": conversation_id,
        "entry": entry,
    }
    await _after(request, [], {queue_id}, event)
    return entry


@router.post("/console/api/handoffs/{handoff_id}/end")
async def end(request: Request, staff: ConsoleStaffDep, handoff_id: int) -> dict[str, Any]:
    """Ends the hand-off: the citizen is back with the bot and asked for a rating."""

    def work() -> tuple[dict[str, Any], list[Notice]]:
        with unit_of_work(request.app.state.sessions) as session:
            handoff = _handoff(session, handoff_id, staff)
            by = "agent" if handoff.agent_id == staff.id else "supervisor"
            try:
                notice = handoffs.end(session, handoff, staff, by=by)
            except handoffs.HandoffError as error:
                raise _conflict(error) from error
            auth.audit(session, staff, "handoff_end", str(handoff.id))
            return _handoff_out(handoff), [notice] if notice else []

    out, notices = await run_in_threadpool(work)
    await _after(request, notices, {out["queue"]}, {"type": "queue", "handoff_id": handoff_id})
    return out


@router.post("/console/api/handoffs/{handoff_id}/transfer")
async def transfer(
    request: Request, staff: ConsoleStaffDep, handoff_id: int, body: TransferIn
) -> dict[str, Any]:
    """Moves the conversation to another agency's queue; its history goes with it."""
    routes = request.app.state.router

    def work() -> tuple[dict[str, Any], str, list[Notice]]:
        with unit_of_work(request.app.state.sessions) as session:
            handoff = _handoff(session, handoff_id, staff)
            source = handoff.queue
            try:
                moved, notice = handoffs.transfer(session, handoff, staff, body.queue, routes)
            except handoffs.HandoffError as error:
                raise _conflict(error) from error
            auth.audit(session, staff, "handoff_transfer", str(handoff.id), to=body.queue)
            return _handoff_out(moved), source, [notice]

    out, source, notices = await run_in_threadpool(work)
    await _after(
        request, notices, {source, out["queue"]}, {"type": "queue", "handoff_id": out["id"]}
    )
    return out


@router.post("/console/api/conversations/{conversation_id}/takeover")
async def takeover(
    request: Request, staff: ConsoleStaffDep, conversation_id: int
) -> dict[str, Any]:
    """Call-centre staff take a conversation over from the bot."""
    if not _call_centre(request, staff):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "conversation not found")
    queue_id = request.app.state.settings.handoff_queue

    def work() -> tuple[dict[str, Any], list[Notice]]:
        with unit_of_work(request.app.state.sessions) as session:
            _conversation(session, conversation_id, staff, True)
            try:
                handoff = handoffs.takeover(session, conversation_id, staff, queue_id)
            except handoffs.HandoffError as error:
                raise _conflict(error) from error
            except LookupError:
                raise HTTPException(status.HTTP_404_NOT_FOUND, "conversation not found") from None
            notice = handoffs.notify(session, handoff, texts.claimed(staff.display_name))
            auth.audit(session, staff, "handoff_takeover", str(handoff.id))
            return _handoff_out(handoff), [notice] if notice else []

    out, notices = await run_in_threadpool(work)
    await _after(request, notices, {queue_id}, {"type": "queue", "handoff_id": out["id"]})
    return out


@router.post("/console/api/handoffs/{handoff_id}/ticket", status_code=status.HTTP_201_CREATED)
async def ticket_from_conversation(
    request: Request, staff: ConsoleStaffDep, handoff_id: int, body: TicketIn
) -> dict[str, Any]:
    """Files a ticket for the citizen from the conversation, or links one of theirs."""
    routes = request.app.state.router
    calendar = await _calendar(request)

    def work() -> dict[str, Any]:
        with unit_of_work(request.app.state.sessions) as session:
            handoff = _handoff(session, handoff_id, staff)
            citizen = session.get(Citizen, handoff.citizen_id) if handoff.citizen_id else None
            if citizen is None:
                raise _conflict(handoffs.HandoffError("gone", "erased"))
            if body.ticket_id:
                found = tickets.for_citizen(
                    session, body.ticket_id.strip().upper(), citizen.line_user_id
                )
                if found is None:
                    raise HTTPException(status.HTTP_404_NOT_FOUND, "ticket not found")
            else:
                if (
                    body.complaint_type not in COMPLAINT_TYPES_TH
                    or not (body.description or "").strip()
                ):
                    raise HTTPException(
                        status.HTTP_422_UNPROCESSABLE_ENTITY,
                        "complaint_type and description needed",
                    )
                found, _ = tickets.create_ticket(
                    session,
                    tickets.Intake(
                        intake_key=f"handoff:{handoff.id}:{utcnow().timestamp()}",
                        line_user_id=citizen.line_user_id,
                        complaint_type=str(body.complaint_type),
                        description=str(body.description).strip(),
                        province=body.province or None,
                        district=body.district or None,
                    ),
                    router=routes,
                    calendar=calendar,
                )
            handoffs.link_ticket(session, handoff, found)
            auth.audit(session, staff, "handoff_ticket", str(handoff.id), ticket=found.id)
            return ticket_views._out(found, routes)

    return await run_in_threadpool(work)


@router.post("/console/api/tickets/{ticket_id}/status")
async def ticket_status(
    request: Request, staff: ConsoleStaffDep, ticket_id: str, body: StatusIn
) -> dict[str, Any]:
    """Changes a ticket's status from the conversation (followers are told on LINE)."""
    routes = request.app.state.router

    def work() -> tuple[dict[str, Any], list[Notice]]:
        with unit_of_work(request.app.state.sessions) as session:
            ticket = _ticket_for(session, ticket_id, staff)
            notices = ticket_views.move(session, ticket, body.status, body.note, staff)
            return ticket_views._out(ticket, routes), notices

    out, notices = await run_in_threadpool(work)
    await ticket_views.announce(request, notices)
    return out


@router.post("/console/api/tickets/{ticket_id}/type")
async def ticket_type(
    request: Request, staff: ConsoleStaffDep, ticket_id: str, body: ticket_views.TypeIn
) -> dict[str, Any]:
    """Corrects a ticket's complaint type from the conversation (a label for the NLU)."""
    routes = request.app.state.router

    def work() -> dict[str, Any]:
        with unit_of_work(request.app.state.sessions) as session:
            ticket = _ticket_for(session, ticket_id, staff)
            ticket_views.retype(session, ticket, body.complaint_type, staff, routes)
            return ticket_views._out(ticket, routes)

    return await run_in_threadpool(work)


def _ticket_for(session: Session, ticket_id: str, staff: StaffUser) -> Ticket:
    """A ticket of the staff member's agency, or one linked to a hand-off of their queues."""
    try:
        return ticket_views._visible(session, ticket_id, staff)
    except HTTPException:
        found = session.get(Ticket, ticket_id.strip().upper())
        queues = session.scalars(
            select(Handoff.queue).where(Handoff.ticket_id == ticket_id.strip().upper())
        ).all()
        if found is None or not any(handoffs.in_scope(q, staff.scope) for q in queues):
            raise
        return found


async def _calendar(request: Request) -> BusinessCalendar:
    found: BusinessCalendar | None = getattr(request.app.state, "calendar", None)
    if found is None:
        found = await run_in_threadpool(BusinessCalendar.load)
        request.app.state.calendar = found
    return found


# Live updates --------------------------------------------------------------------------------


async def assign_round_robin(request: Request, queue_id: str) -> None:
    """Gives waiting conversations of the queue to online agents with room (one assigner
    per queue across processes), telling each citizen who took them."""
    settings = request.app.state.settings
    redis = request.app.state.redis
    if not settings.handoff_auto_assign:
        return
    try:
        online = await live.online(redis, settings.redis_prefix)
        if not online:
            return
        async with live.assignment_lock(redis, settings.redis_prefix, queue_id):

            def work() -> tuple[list[int], list[Notice]]:
                with unit_of_work(request.app.state.sessions) as session:
                    assigned = handoffs.assign_waiting(session, queue_id, online)
                    notices = []
                    for handoff in assigned:
                        agent = session.get_one(Staff, handoff.agent_id)
                        notice = handoffs.notify(
                            session, handoff, texts.claimed(agent.display_name)
                        )
                        if notice:
                            notices.append(notice)
                        auth.audit(
                            session, None, "handoff_auto_assign", str(handoff.id), agent_id=agent.id
                        )
                    return [h.id for h in assigned], notices

            assigned, notices = await run_in_threadpool(work)
    except RedisError as error:
        logger.warning("auto-assignment skipped (%s)", type(error).__name__)
        return
    except Exception as error:  # noqa: BLE001 - a lock timeout must not end the stream
        logger.warning("auto-assignment skipped (%s)", type(error).__name__)
        return
    if assigned:
        await _after(request, notices, {queue_id}, {"type": "queue", "assigned": assigned})


@router.get("/console/api/stream", response_class=EventSourceResponse)
async def stream(request: Request, staff: ConsoleStaffDep) -> AsyncIterator[ServerSentEvent]:
    """Server-sent events: queue changes and new messages of the staff member's queues."""
    redis = request.app.state.redis
    prefix = _prefix(request)
    pubsub = redis.pubsub()
    patterns = (
        [live.all_channels(prefix)]
        if staff.scope is None
        else [
            p
            for a in staff.scope
            for p in (live.channel(prefix, a), live.channel(prefix, a) + "-*")
        ]
    )
    own_queue = staff.agency_id if staff.role == "agent" else None
    try:
        if patterns:
            await pubsub.psubscribe(*patterns)
        await live.mark_online(redis, prefix, staff.id)
        if own_queue:
            await assign_round_robin(request, own_queue)
        yield ServerSentEvent(event="ready", data={"staff_id": staff.id})
        last_tick = asyncio.get_running_loop().time()
        while not await request.is_disconnected():
            message = (
                await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if patterns
                else None
            )
            now = asyncio.get_running_loop().time()
            if now - last_tick >= STREAM_TICK_S:
                last_tick = now
                # Signed out, expired or disabled since the stream opened: stop at once.
                if await run_in_threadpool(console_auth.page_staff, request) is None:
                    break
                await live.mark_online(redis, prefix, staff.id)
                if own_queue:
                    await assign_round_robin(request, own_queue)
            if message is None:
                if not patterns:
                    await asyncio.sleep(1.0)
                continue
            if await run_in_threadpool(console_auth.page_staff, request) is None:
                break  # never a citizen's words to a session that has ended
            data = json.loads(message["data"])
            if data.get("type") == "queue" and own_queue:
                await assign_round_robin(request, own_queue)
            yield ServerSentEvent(event=str(data.get("type") or "message"), data=data)
    except RedisError as error:
        logger.warning("console stream ended: redis %s", type(error).__name__)
    finally:
        with contextlib.suppress(Exception):
            await live.mark_offline(redis, prefix, staff.id)
        with contextlib.suppress(Exception):
            await pubsub.aclose()
