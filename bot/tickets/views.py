"""The staff REST API for tickets (documented at /api/docs), and its sign-in.

Every ticket endpoint is scoped: staff see only tickets routed to their agency (or its
generated sub-agencies); anything else answers 404, exactly like an id that does not
exist, so ids cannot be probed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversations.models import Citizen
from bot.db import unit_of_work
from bot.deps import SettingsDep
from bot.staff import auth, limits
from bot.staff.auth import StaffDep, StaffUser
from bot.tickets import service
from bot.tickets.lifecycle import (
    COMPLAINT_TYPES,
    STATUSES,
    TICKET_TYPES,
    TransitionError,
    allowed_targets,
)
from bot.tickets.models import Media, Ticket
from bot.tickets.routing import Router

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["tickets"])


class TokenOut(BaseModel):
    """A bearer token for the API."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime


class TicketEventOut(BaseModel):
    """One entry of a ticket's history."""

    kind: str
    from_status: str | None
    to_status: str | None
    actor_type: str
    staff_id: int | None
    public: bool
    note: str | None
    created_at: datetime


class PhotoOut(BaseModel):
    """A photo of the ticket; `url` serves its bytes."""

    id: str
    content_type: str
    size: int
    width: int
    height: int
    url: str


class ReporterOut(BaseModel):
    """Who filed: only when they consented to share it with the agency."""

    display_name: str | None
    phone: str | None


class TicketOut(BaseModel):
    """A ticket as staff see it in lists."""

    id: str
    complaint_type: str
    status: str
    description: str
    agency_id: str
    agency_name: str
    province: str | None
    district: str | None
    latitude: float | None
    longitude: float | None
    address: str | None
    followers_count: int
    due_at: datetime
    overdue: bool
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    rating: int | None
    rating_comment: str | None


class TicketDetailOut(TicketOut):
    """One ticket with its history, photos, reporter (if shared) and next statuses."""

    events: list[TicketEventOut]
    photos: list[PhotoOut]
    reporter: ReporterOut | None
    allowed_transitions: list[str]


class TicketPage(BaseModel):
    """A page of tickets."""

    items: list[TicketOut]
    total: int
    page: int
    per_page: int


class TransitionIn(BaseModel):
    """A status change with the public note citizens will read."""

    status: str = Field(description="one of " + ", ".join(STATUSES))
    note: str | None = Field(default=None, max_length=1000)


class TypeIn(BaseModel):
    """A corrected complaint type."""

    complaint_type: str = Field(description="one of " + ", ".join(COMPLAINT_TYPES))


class NoteIn(BaseModel):
    """A private staff note."""

    body: str = Field(min_length=1, max_length=5000)


def _router(request: Request) -> Router:
    found: Router = request.app.state.router
    return found


def _agency_name(routes: Router, agency_id: str) -> str:
    try:
        return routes.agency(agency_id).name
    except KeyError:
        return agency_id


def _out(ticket: Ticket, routes: Router) -> dict[str, Any]:
    due = service.aware(ticket.due_at)
    return {
        "id": ticket.id,
        "complaint_type": ticket.complaint_type,
        "status": ticket.status,
        "description": ticket.description,
        "agency_id": ticket.agency_id,
        "agency_name": _agency_name(routes, ticket.agency_id),
        "province": ticket.province,
        "district": ticket.district,
        "latitude": ticket.latitude,
        "longitude": ticket.longitude,
        "address": ticket.address,
        "followers_count": ticket.followers_count,
        "due_at": due,
        "overdue": ticket.status in {"received", "forwarded", "in_progress"}
        and due < service.utcnow(),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "resolved_at": ticket.resolved_at,
        "rating": ticket.rating,
        "rating_comment": ticket.rating_comment,
    }


def _visible(session: Session, ticket_id: str, staff: StaffUser) -> Ticket:
    ticket = session.get(Ticket, ticket_id.strip().upper())
    if ticket is None or not service.in_scope(ticket.agency_id, staff.scope):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "ticket not found")
    return ticket


def _detail(session: Session, ticket: Ticket, routes: Router) -> dict[str, Any]:
    reporter = None
    if ticket.share_identity and ticket.citizen_id is not None:
        citizen = session.get(Citizen, ticket.citizen_id)
        reporter = {
            "display_name": citizen.display_name if citizen else None,
            "phone": ticket.contact_phone,
        }
    photos = session.scalars(
        select(Media).where(Media.ticket_id == ticket.id).order_by(Media.created_at)
    )
    return {
        **_out(ticket, routes),
        "events": [
            TicketEventOut.model_validate(e, from_attributes=True)
            for e in service.timeline(session, ticket.id, public_only=False)
        ],
        "photos": [
            {
                "id": m.id,
                "content_type": m.content_type,
                "size": m.size,
                "width": m.width,
                "height": m.height,
                "url": f"/api/tickets/{ticket.id}/photos/{m.id}",
            }
            for m in photos
        ],
        "reporter": reporter,
        "allowed_transitions": allowed_targets(ticket.status, "staff"),
    }


@router.post("/auth/token", response_model=TokenOut, tags=["auth"])
async def sign_in(
    request: Request,
    settings: SettingsDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> dict[str, Any]:
    """OAuth2 password flow: a bearer token for the staff API."""

    def work() -> dict[str, Any] | None:
        with unit_of_work(request.app.state.sessions) as session:
            user = auth.authenticate(session, username, password)
            if user is None:
                return None
            token, expires = auth.issue_token(
                session, user.id, timedelta(hours=settings.api_token_ttl_hours)
            )
            auth.audit(session, user, "api_sign_in", None)
            return {"access_token": token, "expires_at": expires}

    try:
        issued = await limits.attempt_request(request, username, work)
    except limits.SignInRefused as refused:
        if refused.reason == "busy":
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "too many sign-ins at once, retry in a moment",
                headers={"Retry-After": "2"},
            ) from refused
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many failed sign-ins, wait and retry",
            headers={"Retry-After": str(settings.login_window_minutes * 60)},
        ) from refused
    if issued is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "wrong username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return issued


@router.get("/tickets", response_model=TicketPage)
async def list_tickets(
    request: Request,
    staff: StaffDep,
    status_: Annotated[list[str], Query(alias="status")] = [],  # noqa: B006 - FastAPI query
    complaint_type: Annotated[list[str], Query(alias="type")] = [],  # noqa: B006
    province: str | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    overdue: bool | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Tickets in the caller's scope, newest first, filtered and paginated."""
    unknown = [s for s in status_ if s not in STATUSES] + [
        t for t in complaint_type if t not in TICKET_TYPES
    ]
    if unknown:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"unknown: {', '.join(unknown)}")
    filters = service.TicketFilter(
        agency_ids=staff.scope,
        statuses=status_,
        complaint_types=complaint_type,
        province=province,
        query=q,
        created_from=created_from,
        created_to=created_to,
        overdue=overdue,
    )
    routes = _router(request)

    def work() -> dict[str, Any]:
        with request.app.state.sessions() as session:
            items, total = service.list_tickets(
                session, filters, offset=(page - 1) * per_page, limit=per_page
            )
            return {
                "items": [_out(t, routes) for t in items],
                "total": total,
                "page": page,
                "per_page": per_page,
            }

    return await run_in_threadpool(work)


@router.get("/tickets/{ticket_id}", response_model=TicketDetailOut)
async def get_ticket(request: Request, staff: StaffDep, ticket_id: str) -> dict[str, Any]:
    """One ticket with its full history (public and private entries)."""
    routes = _router(request)

    def work() -> dict[str, Any]:
        with request.app.state.sessions() as session:
            return _detail(session, _visible(session, ticket_id, staff), routes)

    return await run_in_threadpool(work)


@router.post("/tickets/{ticket_id}/transitions", response_model=TicketDetailOut)
async def change_status(
    request: Request, staff: StaffDep, ticket_id: str, change: TransitionIn
) -> dict[str, Any]:
    """Moves the ticket along its lifecycle; followers are notified on LINE (outbox).

    409 when the transition table does not allow the change from the current status.
    """
    routes = _router(request)

    def work() -> tuple[dict[str, Any], list[service.Notice]]:
        with unit_of_work(request.app.state.sessions) as session:
            ticket = _visible(session, ticket_id, staff)
            notices = move(session, ticket, change.status, change.note, staff)
            return _detail(session, ticket, routes), notices

    detail, notices = await run_in_threadpool(work)
    await announce(request, notices)
    return detail


def move(
    session: Session, ticket: Ticket, target: str, note: str | None, staff: StaffUser
) -> list[service.Notice]:
    """A staff member's status change, audited; the followers' notices (409 when the
    transition table does not allow it)."""
    before = ticket.status
    try:
        notices = service.transition(
            session,
            ticket,
            target,
            actor="staff",
            staff_id=staff.id,
            note=(note or "").strip() or None,
        )
    except TransitionError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    auth.audit(session, staff, "ticket_transition", ticket.id, before=before, after=target)
    return notices


def retype(
    session: Session, ticket: Ticket, complaint_type: str, staff: StaffUser, routes: Router
) -> None:
    """Corrects the type (an open ticket is routed again); 422 for an unknown or same type."""
    before = (ticket.complaint_type, ticket.agency_id)
    try:
        service.retype(session, ticket, complaint_type, router=routes, staff_id=staff.id)
    except TransitionError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(error)) from error
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


@router.post("/tickets/{ticket_id}/type", response_model=TicketDetailOut)
async def change_type(
    request: Request, staff: StaffDep, ticket_id: str, change: TypeIn
) -> dict[str, Any]:
    """Corrects the complaint type. An open ticket is routed again (it may leave your
    agency); the citizen's words with the new type become a label in the NLU inbox."""
    routes = _router(request)

    def work() -> dict[str, Any]:
        with unit_of_work(request.app.state.sessions) as session:
            ticket = _visible(session, ticket_id, staff)
            retype(session, ticket, change.complaint_type, staff, routes)
            return _detail(session, ticket, routes)

    return await run_in_threadpool(work)


@router.post(
    "/tickets/{ticket_id}/notes", response_model=TicketEventOut, status_code=status.HTTP_201_CREATED
)
async def add_note(request: Request, staff: StaffDep, ticket_id: str, note: NoteIn) -> Any:
    """A private note for colleagues; never shown to the citizen."""

    def work() -> TicketEventOut:
        with unit_of_work(request.app.state.sessions) as session:
            ticket = _visible(session, ticket_id, staff)
            event = service.add_note(session, ticket, staff_id=staff.id, body=note.body)
            auth.audit(session, staff, "ticket_note", ticket.id)
            return TicketEventOut.model_validate(event, from_attributes=True)

    return await run_in_threadpool(work)


@router.get("/tickets/{ticket_id}/photos/{media_id}", response_class=Response)
async def get_photo(request: Request, staff: StaffDep, ticket_id: str, media_id: str) -> Response:
    """The bytes of one of the ticket's photos."""

    def work() -> tuple[bytes, str]:
        with request.app.state.sessions() as session:
            ticket = _visible(session, ticket_id, staff)
            media = session.get(Media, media_id)
            if media is None or media.ticket_id != ticket.id:
                raise HTTPException(status.HTTP_404_NOT_FOUND, "photo not found")
            return media.data, media.content_type

    data, content_type = await run_in_threadpool(work)
    return Response(data, media_type=content_type, headers={"Cache-Control": "private"})


async def announce(request: Request, notices: list[service.Notice]) -> None:
    """Queues committed notices; if Redis is down the worker's sweeper sends them later."""
    try:
        await request.app.state.queue.publish_outbox(
            [(n.line_user_id, n.outbound_id) for n in notices]
        )
    except RedisError as error:
        logger.warning("notices not queued now (%s); the sweeper will", type(error).__name__)
