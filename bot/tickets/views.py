"""The staff REST API for tickets (documented at /api/docs), and its sign-in.

Every ticket endpoint is scoped: staff see only tickets routed to their agency (or its
generated sub-agencies); anything else answers 404, exactly like an id that does not
exist, so ids cannot be probed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response, status
from sqlalchemy.orm import Session

from bot.db import utcnow
from bot.deps import ContextDep
from bot.errors import Forbidden, Invalid
from bot.staff import flows as staff_flows
from bot.staff import limits
from bot.staff import scope as scopes
from bot.staff.auth import StaffDep
from bot.tickets import export as exports
from bot.tickets import flows, schemas, service
from bot.tickets.lifecycle import (
    STATUSES,
    TICKET_TYPES,
)
from bot.tickets.schemas import (
    AssigneeIn,
    BulkIn,
    BulkOut,
    MergeIn,
    NoteIn,
    TicketDetailOut,
    TicketEventOut,
    TicketPage,
    TokenOut,
    TransferIn,
    TransitionIn,
    TypeIn,
)

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["tickets"])


@router.post("/auth/token", response_model=TokenOut, tags=["auth"])
async def sign_in(
    request: Request,
    context: ContextDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> dict[str, Any]:
    """OAuth2 password flow: a bearer token for the staff API."""

    ttl = timedelta(hours=context.settings.api_token_ttl_hours)
    work = partial(staff_flows.sign_in, context.sessions, username, password, ttl=ttl, door="api")
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
            headers={"Retry-After": str(context.settings.login_window_minutes * 60)},
        ) from refused
    if issued is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "wrong username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token, expires = issued
    return {"access_token": token, "expires_at": expires}


def ticket_filters(
    context: ContextDep,
    staff: StaffDep,
    status_: Annotated[list[str], Query(alias="status")] = [],  # noqa: B006 - FastAPI query
    complaint_type: Annotated[list[str], Query(alias="type")] = [],  # noqa: B006
    ticket_ids: Annotated[
        list[str], Query(alias="id", max_length=20, description="only these tickets")
    ] = [],  # noqa: B006
    agency: Annotated[
        str | None, Query(max_length=80, description="one agency of your scope (and its offices)")
    ] = None,
    province: Annotated[str | None, Query(max_length=100)] = None,
    district: Annotated[str | None, Query(max_length=100)] = None,
    q: Annotated[
        str | None,
        Query(max_length=100, description="a word of the description, address, notes or id"),
    ] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    updated_from: datetime | None = None,
    updated_to: datetime | None = None,
    overdue: bool | None = None,
    sla: Annotated[
        Literal["on_time", "due_soon", "overdue"] | None,
        Query(description="on_time, due_soon (within one business day) or overdue"),
    ] = None,
    min_followers: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    assignee: Annotated[
        str | None,
        Query(pattern=r"^(me|none|[0-9]{1,9})$", description="me, none, or a staff id"),
    ] = None,
    has_photos: bool | None = None,
) -> service.TicketFilter:
    """The list's filters (the same as the console's), within the caller's scope."""
    unknown = [f"สถานะ “{s[:30]}”" for s in status_ if s not in STATUSES] + [
        f"ประเภท “{t[:40]}”" for t in complaint_type if t not in TICKET_TYPES
    ]
    if unknown:
        raise Invalid("ไม่รู้จักตัวกรอง: " + ", ".join(unknown))
    agency_ids = staff.scope
    if agency:
        agency = agency.replace("\x00", "")
        agency_ids = [agency] if scopes.visible(agency, staff.scope) else []
    return service.TicketFilter(
        agency_ids=agency_ids,
        ids=[i.strip().upper() for i in ticket_ids][:500],
        statuses=status_,
        complaint_types=complaint_type,
        province=province,
        district=district,
        query=q,
        created_from=created_from,
        created_to=created_to,
        updated_from=updated_from,
        updated_to=updated_to,
        overdue=overdue,
        sla=sla,
        due_soon_before=context.calendar.add_business_days(utcnow(), 1),
        min_followers=min_followers,
        assignee=None
        if assignee is None
        else staff.id
        if assignee == "me"
        else service.UNASSIGNED
        if assignee == "none"
        else int(assignee),
        has_photos=has_photos,
    )


FiltersDep = Annotated[service.TicketFilter, Depends(ticket_filters)]


@router.get("/tickets", response_model=TicketPage)
async def list_tickets(
    context: ContextDep,
    filters: FiltersDep,
    sort: Annotated[
        Literal["created", "updated", "due", "followers"],
        Query(description="newest created or updated first, soonest due first, most +1s first"),
    ] = "created",
    after: Annotated[
        str | None,
        Query(max_length=200, description="`next` of the previous page (keyset paging)"),
    ] = None,
    page: Annotated[int, Query(ge=1, description="offset paging, when `after` is not used")] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Tickets in the caller's scope, filtered and paginated; `counts` has how many match
    each status under the other filters (the console's filter bar); `next` is the
    keyset cursor of the following page (null on the last)."""
    try:
        cursor = service.after_cursor(after, sort) if after else None
    except ValueError:
        raise Invalid("after: ไม่ใช่ตำแหน่งหน้าของรายการนี้") from None

    def work(session: Session) -> dict[str, Any]:
        total = service.count_tickets(session, filters)
        found = service.browse_tickets(
            session,
            filters,
            sort=sort,
            after=cursor,
            offset=0 if cursor else (page - 1) * per_page,
            limit=per_page + 1,
        )
        more = len(found) > per_page
        found = found[:per_page]
        names = schemas.names_of(session, {t.assignee_id for t in found})
        return {
            "items": [schemas.out(t, context.router, names) for t in found],
            "total": total,
            "page": page,
            "per_page": per_page,
            "counts": service.status_counts(session, filters),
            "next": service.cursor(found[-1], sort) if more and found else None,
        }

    return await context.read(work)


@router.get(
    "/tickets/export.{kind}",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, exports.XLSX: {}}}},
)
async def export_tickets(
    context: ContextDep,
    staff: StaffDep,
    filters: FiltersDep,
    kind: Literal["csv", "xlsx"],
) -> Response:
    """Supervisors and admins: the filtered tickets as CSV (streamed, UTF-8 with BOM) or
    XLSX, one row per ticket, contact columns only for reporters who consented; audited."""
    if staff.role not in flows.BULK_ROLES:
        raise Forbidden("ส่งออกได้เฉพาะหัวหน้างานและผู้ดูแลระบบ")
    return await exports.response(context, staff, filters, kind)


@router.post("/tickets/bulk", response_model=BulkOut)
async def bulk(context: ContextDep, staff: StaffDep, change: BulkIn) -> dict[str, Any]:
    """Supervisors and admins: one status change (each citizen gets the note) or one
    assignment for up to 200 tickets, each under the same rules as one at a time; the
    answer lists what was done and why each other ticket was refused."""
    result = await context.transaction(
        lambda s: flows.bulk(
            s,
            staff,
            change.ids,
            status=change.status,
            message=change.note,
            assignee_id=change.assignee_id,
            unassign=change.unassign,
        )
    )
    return {"done": result.done, "refused": result.refused}


@router.get("/tickets/{ticket_id}", response_model=TicketDetailOut)
async def get_ticket(context: ContextDep, staff: StaffDep, ticket_id: str) -> dict[str, Any]:
    """One ticket with its full history (public and private entries)."""
    return await context.read(
        lambda s: schemas.detail(s, flows.visible(s, ticket_id, staff), context.router)
    )


@router.post("/tickets/{ticket_id}/transitions", response_model=TicketDetailOut)
async def change_status(
    context: ContextDep, staff: StaffDep, ticket_id: str, change: TransitionIn
) -> dict[str, Any]:
    """Moves the ticket along its lifecycle; followers are notified on LINE (outbox).

    409 when the transition table does not allow the change from the current status.
    """

    def work(session: Session) -> dict[str, Any]:
        ticket = flows.visible(session, ticket_id, staff)
        flows.change_status(session, staff, ticket, change.status, change.note)
        return schemas.detail(session, ticket, context.router)

    return await context.transaction(work)


@router.post("/tickets/{ticket_id}/type", response_model=TicketDetailOut)
async def change_type(
    context: ContextDep, staff: StaffDep, ticket_id: str, change: TypeIn
) -> dict[str, Any]:
    """Corrects the complaint type. An open ticket is routed again (it may leave your
    agency); the citizen's words with the new type become a label in the NLU inbox."""

    def work(session: Session) -> dict[str, Any]:
        ticket = flows.visible(session, ticket_id, staff)
        flows.retype(session, staff, ticket, change.complaint_type, context.router)
        return schemas.detail(session, ticket, context.router)

    return await context.transaction(work)


@router.post(
    "/tickets/{ticket_id}/notes", response_model=TicketEventOut, status_code=status.HTTP_201_CREATED
)
async def add_note(context: ContextDep, staff: StaffDep, ticket_id: str, note: NoteIn) -> Any:
    """A private note for colleagues; never shown to the citizen."""

    def work(session: Session) -> TicketEventOut:
        event = flows.add_note(session, staff, flows.visible(session, ticket_id, staff), note.body)
        return TicketEventOut.model_validate(event, from_attributes=True)

    return await context.transaction(work)


@router.get("/tickets/{ticket_id}/photos/{media_id}", response_class=Response)
async def get_photo(
    context: ContextDep, staff: StaffDep, ticket_id: str, media_id: str
) -> Response:
    """The bytes of one of the ticket's photos."""

    def work(session: Session) -> tuple[bytes, str]:
        media = flows.photo(session, staff, ticket_id, media_id)
        return media.data, media.content_type

    data, content_type = await context.read(work)
    return Response(data, media_type=content_type, headers={"Cache-Control": "private"})


@router.post("/tickets/{ticket_id}/assignee", response_model=TicketDetailOut)
async def assign(
    context: ContextDep, staff: StaffDep, ticket_id: str, change: AssigneeIn
) -> dict[str, Any]:
    """Takes the ticket (your own id), gives it to a colleague of its agency, or to nobody
    (null). 422 for someone outside the ticket's agency."""

    def work(session: Session) -> dict[str, Any]:
        ticket = flows.visible(session, ticket_id, staff)
        flows.assign(session, staff, ticket, change.assignee_id)
        return schemas.detail(session, ticket, context.router)

    return await context.transaction(work)


@router.post("/tickets/{ticket_id}/transfer", response_model=TicketDetailOut)
async def transfer(
    context: ContextDep, staff: StaffDep, ticket_id: str, change: TransferIn
) -> dict[str, Any]:
    """Sends an open ticket to another agency; the reason stays internal, the followers
    are told on LINE which agency has it now. It then leaves your scope unless the new
    agency is in it (the answer is the last view you have of it)."""

    def work(session: Session) -> dict[str, Any]:
        ticket = flows.visible(session, ticket_id, staff)
        flows.transfer(session, staff, ticket, change.agency_id, change.reason, context.router)
        return schemas.detail(session, ticket, context.router)

    return await context.transaction(work)


@router.post("/tickets/{ticket_id}/merge", response_model=TicketDetailOut)
async def merge(
    context: ContextDep, staff: StaffDep, ticket_id: str, change: MergeIn
) -> dict[str, Any]:
    """Merges the duplicate `duplicate_id` into this ticket: it becomes "duplicate", its
    reporters follow this ticket and are told its number. 409 unless both are open."""

    def work(session: Session) -> dict[str, Any]:
        ticket = flows.visible(session, ticket_id, staff)
        flows.merge(session, staff, ticket, change.duplicate_id)
        return schemas.detail(session, ticket, context.router)

    return await context.transaction(work)
