"""The ticket workbench for agency staff: /console/tickets (the list, filtered, searched,
counted by status, paged by keyset, refreshed live, on a map) and /console/tickets/{id}
(everything about one ticket, and every action on it: take or assign, status with a
message to the citizen, note, re-type, transfer, merge, reopen), with bulk actions and
exports for supervisors.

Server-rendered pages with plain forms (CSRF token in each form), so every control works
from the keyboard and without script; tickets.js only adds the live refresh, arrow keys
and the map. Every read and change is scoped: another agency's ticket answers 404 like a
missing one (bot.tickets.flows).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import live
from bot.console import auth as console_auth
from bot.console.auth import ConsoleStaffDep, page_context, staff_page_headers
from bot.console.present import bangkok_time
from bot.conversations.models import Conversation
from bot.db import aware, utcnow
from bot.deps import ContextDep
from bot.errors import DomainError, Invalid, NotFound
from bot.handoff import service as handoff_service
from bot.staff import scope as scopes
from bot.staff.auth import StaffUser
from bot.staff.models import Staff
from bot.tickets import export as export_sheet
from bot.tickets import flows, schemas, service
from bot.tickets.lifecycle import (
    COMPLAINT_TYPES_TH,
    OPEN_STATUSES,
    STATUS_TH,
    TICKET_TYPES_TH,
)
from bot.tickets.models import Ticket
from bot.web import pages as web

if TYPE_CHECKING:
    from bot.context import Context

router = APIRouter(include_in_schema=False)
BANGKOK = ZoneInfo("Asia/Bangkok")

PAGE_SIZE = 50
INTAKE_WINDOW = timedelta(minutes=30)
MAP_LIMIT = 5000
SLA_TH = {"on_time": "ตามกำหนด", "due_soon": "ครบกำหนดภายใน 1 วันทำการ", "overdue": "เกินกำหนด"}
SORT_TH = {
    "created": "แจ้งล่าสุด",
    "updated": "อัปเดตล่าสุด",
    "due": "ใกล้ครบกำหนด",
    "followers": "+1 มากที่สุด",
}
ASSIGNEE_TH = {"me": "ของฉัน", "none": "ยังไม่มีผู้รับผิดชอบ"}
PHOTOS_TH = {"yes": "มีรูปภาพ", "no": "ไม่มีรูปภาพ"}
# Saved views: the lists an officer opens every day.
VIEWS: dict[str, list[tuple[str, str]]] = {
    "เรื่องของฉันที่ยังเปิดอยู่": [
        ("assignee", "me"),
        *(("status", s) for s in OPEN_STATUSES),
    ],
    "ยังไม่มีผู้รับผิดชอบ": [("assignee", "none"), *(("status", s) for s in OPEN_STATUSES)],
    "เกินกำหนด": [("sla", "overdue")],
    "ครบกำหนดภายใน 1 วันทำการ": [("sla", "due_soon")],
    "เรื่องที่ยังเปิดอยู่": [("status", s) for s in OPEN_STATUSES],
}
EVENT_TH = {
    "created": "แจ้งเรื่อง",
    "note": "บันทึกภายใน",
    "joined": "มีผู้ร่วมแจ้ง (+1)",
    "rated": "ผู้แจ้งให้คะแนน",
    "retyped": "แก้ประเภทเรื่อง",
    "assigned": "เปลี่ยนผู้รับผิดชอบ",
    "transferred": "ส่งต่อหน่วยงาน",
    "merged": "รวมเรื่องซ้ำ",
}
DONE_TH = {
    "status": "เปลี่ยนสถานะแล้ว ผู้แจ้งได้รับข้อความทาง LINE",
    "note": "บันทึกแล้ว",
    "assign": "เปลี่ยนผู้รับผิดชอบแล้ว",
    "type": "เปลี่ยนประเภทแล้ว",
    "transfer": "ส่งต่อแล้ว ผู้แจ้งได้รับแจ้งทาง LINE ว่าหน่วยงานใดดูแลเรื่องนี้",
    "merge": "รวมเรื่องแล้ว ผู้แจ้งเรื่องซ้ำได้รับแจ้งเลขเรื่องที่ใช้ติดตาม",
}


FILTERS = {"bangkok_time": bangkok_time}


def page_headers(context: Context) -> dict[str, str]:
    """The pages' security headers: scripts and styles from the desk only; map tiles
    from the configured tile server."""
    tiles = urlsplit(context.settings.map_tile_url)
    tile_origin = f"{tiles.scheme}://{tiles.netloc}" if tiles.netloc else ""
    return staff_page_headers(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        f"img-src 'self' data: {tile_origin}; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    )


def _empty_list() -> dict[str, Any]:
    """What the list page shows before (or instead of) any ticket."""
    return {
        "statuses": STATUS_TH,
        "types": COMPLAINT_TYPES_TH,
        "slas": SLA_TH,
        "sorts": SORT_TH,
        "assignees": ASSIGNEE_TH,
        "photo_choices": PHOTOS_TH,
        "views": {name: urlencode(query) for name, query in VIEWS.items()},
        "chosen": Listing.of_params({}).shown()["chosen"],
        "tickets": [],
        "counts": {},
        "next": None,
        "colleagues": [],
        "agencies": [],
    }


async def _signed_in(request: Request) -> StaffUser | None:
    return await run_in_threadpool(console_auth.page_staff, request)


def _login() -> RedirectResponse:
    return RedirectResponse(f"{console_auth.PATH}/login", status.HTTP_303_SEE_OTHER)


def _day(text: str, field: str, found: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        found.append(f"วันที่ “{text[:20]}” ({field})")
        return None


@dataclass(frozen=True)
class Listing:
    """The list's query as the officer asked for it (in the address, so a list can be
    shared and Back works)."""

    statuses: list[str]
    types: list[str]
    sla: str | None
    q: str
    district: str
    province: str
    agency: str
    assignee: str
    photos: str
    min_followers: str
    created_from: str
    created_to: str
    updated_from: str
    updated_to: str
    sort: str
    ids: list[str]

    @classmethod
    def of(cls, request: Request) -> Listing:
        """From the address; a form's "any" choice sends an empty value: no filter."""
        params = request.query_params
        return cls.of_params({k: params.getlist(k) for k in params})

    @classmethod
    def of_params(cls, params: dict[str, list[str]]) -> Listing:
        def one(name: str) -> str:
            return ((params.get(name) or [""])[0] or "").strip()

        return cls(
            statuses=[s for s in params.get("status", []) if s],
            types=[t for t in params.get("type", []) if t],
            sla=one("sla") or None,
            q=one("q"),
            district=one("district"),
            province=one("province"),
            agency=one("agency"),
            assignee=one("assignee"),
            photos=one("photos"),
            min_followers=one("min_followers"),
            created_from=one("created_from"),
            created_to=one("created_to"),
            updated_from=one("updated_from"),
            updated_to=one("updated_to"),
            sort=one("sort") or "created",
            ids=[i.strip().upper() for i in params.get("id", []) if i.strip()][:500],
        )

    def error(self) -> str | None:
        """What the desk does not understand of the query, in Thai (None when all is well)."""
        found = self.problems()
        return "ไม่รู้จักตัวกรอง: " + ", ".join(found) if found else None

    def problems(self) -> list[str]:
        """What the desk does not know, in Thai (empty when all is well)."""
        found = [f"สถานะ “{s[:30]}”" for s in self.statuses if s not in STATUS_TH]
        found += [f"ประเภท “{t[:40]}”" for t in self.types if t not in TICKET_TYPES_TH]
        if self.sla and self.sla not in SLA_TH:
            found.append(f"กำหนดเวลา “{self.sla[:30]}”")
        if self.sort not in service.SORTS:
            found.append(f"การเรียง “{self.sort[:30]}”")
        if self.photos and self.photos not in PHOTOS_TH:
            found.append(f"รูปภาพ “{self.photos[:10]}”")
        if self.assignee and self.assignee not in ASSIGNEE_TH and not self.assignee.isdigit():
            found.append(f"ผู้รับผิดชอบ “{self.assignee[:30]}”")
        if self.min_followers and not (
            self.min_followers.isdigit() and 1 <= int(self.min_followers) <= 100_000
        ):
            found.append(f"จำนวน +1 “{self.min_followers[:10]}”")
        for text, name in (
            (self.created_from, "แจ้งตั้งแต่"),
            (self.created_to, "แจ้งถึง"),
            (self.updated_from, "อัปเดตตั้งแต่"),
            (self.updated_to, "อัปเดตถึง"),
        ):
            _day(text, name, found)
        if any(len(v) > 100 for v in (self.q, self.district, self.province, self.agency)):
            found.append("คำค้นยาวเกิน 100 ตัวอักษร")
        return found

    def filters(self, staff: StaffUser, context: Context) -> service.TicketFilter:
        """The service's filter, within the staff member's scope (an agency asked for
        narrows the scope, never widens it)."""
        agency_ids = staff.scope
        if self.agency:
            agency = self.agency.replace("\x00", "")
            agency_ids = [agency] if scopes.visible(agency, staff.scope) else []
        assignee = None
        if self.assignee == "me":
            assignee = staff.id
        elif self.assignee == "none":
            assignee = service.UNASSIGNED
        elif self.assignee.isdigit():
            assignee = int(self.assignee)
        ignored: list[str] = []

        def start(text: str) -> datetime | None:
            day = _day(text, "", ignored)
            return datetime.combine(day, time(), BANGKOK) if day else None

        def end(text: str) -> datetime | None:
            day = _day(text, "", ignored)
            return datetime.combine(day + timedelta(days=1), time(), BANGKOK) if day else None

        return service.TicketFilter(
            agency_ids=agency_ids,
            ids=self.ids,
            statuses=self.statuses,
            complaint_types=self.types,
            province=self.province or None,
            district=self.district or None,
            query=self.q or None,
            created_from=start(self.created_from),
            created_to=end(self.created_to),
            updated_from=start(self.updated_from),
            updated_to=end(self.updated_to),
            sla=self.sla,
            due_soon_before=context.calendar.add_business_days(utcnow(), 1),
            min_followers=int(self.min_followers) if self.min_followers else None,
            assignee=assignee,
            has_photos={"yes": True, "no": False}.get(self.photos),
        )

    def shown(self) -> dict[str, Any]:
        """What the filter bar shows."""
        chosen = asdict(self)
        chosen["status"] = chosen.pop("statuses")
        chosen["type"] = chosen.pop("types")
        return {"chosen": chosen}

    def audited(self) -> dict[str, Any]:
        """The filters as the audit log records them (only those set)."""
        return {k: v for k, v in asdict(self).items() if v}


def _refused(
    request: Request,
    context: Context,
    staff: StaffUser,
    listing: Listing,
    error: str,
    code: int = status.HTTP_422_UNPROCESSABLE_CONTENT,
) -> Response:
    """The list page with the reason nothing is listed."""
    shown = {**page_context(request, staff), **_empty_list(), **listing.shown(), "error": error}
    return web.page(
        "console/tickets.html",
        shown,
        headers=page_headers(context),
        status_code=code,
        filters=FILTERS,
    )


def _people(session: Session, staff: StaffUser) -> list[dict[str, Any]]:
    """Colleagues a supervisor may give tickets to in bulk: active staff of their scope."""
    query = select(Staff).where(Staff.active.is_(True)).order_by(Staff.display_name)
    return [
        {"id": s.id, "name": s.display_name}
        for s in session.scalars(query)
        if s.agency_id is not None and scopes.visible(s.agency_id, staff.scope)
    ]


def _agencies(context: Context, staff: StaffUser) -> list[dict[str, str]]:
    """The agencies of the staff member's scope, for the agency filter."""
    return [
        {"id": a.id, "name": a.name}
        for a in context.router.agencies()
        if scopes.visible(a.id, staff.scope)
    ]


@router.get("/console/tickets")
async def ticket_list(
    request: Request,
    context: ContextDep,
    after: Annotated[str | None, Query(max_length=200)] = None,
    done: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    """The tickets of the staff member's agency (and its sub-agencies), filtered by the
    address (see Listing), newest first by default, 50 to a page."""
    staff = await _signed_in(request)
    if staff is None:
        return _login()
    listing = Listing.of(request)
    if error := listing.error():
        return _refused(request, context, staff, listing, error)
    filters = listing.filters(staff, context)
    try:
        cursor = service.after_cursor(after, listing.sort) if after else None
    except ValueError:
        return _refused(request, context, staff, listing, "ลิงก์หน้าถัดไปไม่ถูกต้อง")

    def work(session: Session) -> dict[str, Any]:
        found = service.browse_tickets(
            session, filters, sort=listing.sort, after=cursor, limit=PAGE_SIZE + 1
        )
        more = len(found) > PAGE_SIZE
        found = found[:PAGE_SIZE]
        names = schemas.names_of(session, {t.assignee_id for t in found})
        params = [
            (k, v) for k, v in request.query_params.multi_items() if k not in {"after", "done"}
        ]
        return {
            "tickets": [schemas.out(t, context.router, names) for t in found],
            "counts": service.status_counts(session, filters),
            "next": f"?{urlencode([*params, ('after', service.cursor(found[-1], listing.sort))])}"
            if more
            else None,
            "query": urlencode(params),
            "colleagues": _people(session, staff) if staff.role in flows.BULK_ROLES else [],
        }

    shown = {
        **page_context(request, staff),
        **_empty_list(),
        **listing.shown(),
        "agencies": _agencies(context, staff),
        "done": done,
    }
    listed = await context.read(work)
    return web.page(
        "console/tickets.html", {**shown, **listed}, headers=page_headers(context), filters=FILTERS
    )


@router.get("/console/tickets/stream", response_class=EventSourceResponse)
async def ticket_stream(
    request: Request, context: ContextDep, staff: ConsoleStaffDep
) -> AsyncIterator[ServerSentEvent]:
    """Server-sent events naming each ticket of the staff member's scope that is filed,
    +1'd or changed: the open list fetches itself again (tickets.js). Unlike the chat
    console's stream, an open list does not make an agent available for chats."""
    prefix = context.settings.redis_prefix
    patterns = live.scope_patterns(prefix, staff.scope)
    pubsub = context.redis.pubsub()
    try:
        if patterns:
            await pubsub.psubscribe(*patterns)
        yield ServerSentEvent(event="ready", data={})
        checked = asyncio.get_running_loop().time()
        while not await request.is_disconnected():
            message = (
                await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if patterns
                else None
            )
            if message is None and not patterns:
                await asyncio.sleep(1.0)
            now = asyncio.get_running_loop().time()
            if now - checked >= 5.0:
                checked = now
                if await _signed_in(request) is None:
                    break  # signed out or disabled since the stream opened
            if message is None:
                continue
            data = json.loads(message["data"])
            if data.get("type") == "ticket":
                yield ServerSentEvent(
                    event="ticket",
                    data={k: data.get(k) for k in ("id", "status", "change")},
                )
    except RedisError as error:
        # The list still works; it just stops refreshing itself.
        yield ServerSentEvent(event="offline", data={"reason": type(error).__name__})
    finally:
        with contextlib.suppress(Exception):
            await pubsub.aclose()


@router.get("/console/tickets/map")
async def ticket_map(request: Request, context: ContextDep) -> Response:
    """The filtered tickets on a map (Leaflet, served by the desk; the tile server is a
    setting, and without tiles the markers still show)."""
    staff = await _signed_in(request)
    if staff is None:
        return _login()
    listing = Listing.of(request)
    if error := listing.error():
        return _refused(request, context, staff, listing, error)
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
    shown = {
        **page_context(request, staff),
        "query": urlencode(params),
        "tile_url": context.settings.map_tile_url,
        "tile_attribution": context.settings.map_tile_attribution,
        "map_ready": web.has_static("leaflet", "leaflet.js"),
    }
    return web.page("console/ticket_map.html", shown, headers=page_headers(context))


@router.get("/console/tickets/points.json")
async def ticket_points(request: Request, context: ContextDep, staff: ConsoleStaffDep) -> Response:
    """The filtered tickets that have a map point (at most MAP_LIMIT, newest first)."""
    listing = Listing.of(request)
    if error := listing.error():
        return JSONResponse({"detail": error}, status.HTTP_422_UNPROCESSABLE_CONTENT)
    filters = listing.filters(staff, context)

    def work(session: Session) -> dict[str, Any]:
        query = (
            service.filtered(filters)
            .where(Ticket.latitude.is_not(None), Ticket.longitude.is_not(None))
            .order_by(Ticket.created_at.desc())
            .limit(MAP_LIMIT + 1)
        )
        found = list(session.scalars(query))
        return {
            "points": [
                {
                    "id": t.id,
                    "lat": t.latitude,
                    "lon": t.longitude,
                    "status": t.status,
                    "status_th": STATUS_TH.get(t.status, t.status),
                    "type_th": TICKET_TYPES_TH.get(t.complaint_type, t.complaint_type),
                    "overdue": t.status in OPEN_STATUSES and aware(t.due_at) < utcnow(),
                }
                for t in found[:MAP_LIMIT]
            ],
            "truncated": len(found) > MAP_LIMIT,
        }

    return JSONResponse(await context.read(work), headers={"Cache-Control": "no-store"})


@router.get("/console/tickets/export.{kind}")
async def export(request: Request, context: ContextDep, kind: str) -> Response:
    """The filtered list (or the tickets ticked in it) as CSV or XLSX, for supervisors and
    admins, one row per ticket; every export is audited with its filters."""
    staff = await _signed_in(request)
    if staff is None:
        return _login()
    listing = Listing.of(request)
    if kind not in {"csv", "xlsx"}:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    if staff.role not in flows.BULK_ROLES:
        return _refused(
            request,
            context,
            staff,
            listing,
            "ส่งออกได้เฉพาะหัวหน้างานและผู้ดูแลระบบ",
            status.HTTP_403_FORBIDDEN,
        )
    if error := listing.error():
        return _refused(request, context, staff, listing, error)
    filters = listing.filters(staff, context)
    return await export_sheet.response(context, staff, filters, kind, listing.audited())


@router.post("/console/tickets/bulk")
async def bulk(
    request: Request,
    context: ContextDep,
    ids: Annotated[list[str], Form(alias="id")] = [],  # noqa: B006 - FastAPI form
    action: Annotated[str, Form(max_length=20)] = "",
    target: Annotated[str, Form(alias="status", max_length=20)] = "",
    message: Annotated[str, Form(max_length=2000)] = "",
    assignee: Annotated[str, Form(max_length=20)] = "",
    back: Annotated[str, Form(max_length=4000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Supervisors: one status change or assignment for every ticket ticked in the list;
    the list comes back saying what was done and what was refused, and why."""
    staff = await _form_staff(request, csrf)
    query = back.lstrip("?") if back and not back.startswith(("/", "http")) else ""

    def again(text: str) -> RedirectResponse:
        done = urlencode([("done", text[:290])])
        return RedirectResponse(
            f"{console_auth.PATH}/tickets?{query}{'&' if query else ''}{done}",
            status.HTTP_303_SEE_OTHER,
        )

    if action not in {"status", "assign"}:
        return again("กรุณาเลือกว่าจะเปลี่ยนสถานะหรือผู้รับผิดชอบ")
    kwargs: dict[str, Any] = {}
    if action == "status":
        kwargs = {"status": target or None, "message": message}
        if not target:
            return again("กรุณาเลือกสถานะใหม่")
    elif assignee == "none":
        kwargs = {"unassign": True}
    elif assignee == "me" or assignee.isdigit():
        kwargs = {"assignee_id": staff.id if assignee == "me" else int(assignee)}
    else:
        return again("กรุณาเลือกผู้รับผิดชอบ")
    try:
        result = await context.transaction(lambda s: flows.bulk(s, staff, ids, **kwargs))
    except DomainError as refused:
        return again(str(refused.detail))
    text = f"ทำแล้ว {len(result.done)} เรื่อง"
    if result.refused:
        reasons = sorted(set(result.refused.values()))
        text += f" · ทำไม่ได้ {len(result.refused)} เรื่อง: {'; '.join(reasons)}"
    return again(text)


def _detail(session: Session, staff: StaffUser, ticket_id: str, context: Context) -> dict[str, Any]:
    ticket = flows.visible(session, ticket_id, staff)
    out = schemas.detail(session, ticket, context.router)
    now = utcnow()
    out["business_days_left"] = (
        context.calendar.business_days_between(now, aware(ticket.due_at))
        if ticket.status in OPEN_STATUSES and aware(ticket.due_at) > now
        else None
    )
    for photo in out["photos"]:
        photo["url"] = f"{console_auth.PATH}/tickets/{ticket.id}/photos/{photo['id']}"
    out["colleagues"] = [
        {"id": s.id, "name": s.display_name} for s in service.colleagues(session, ticket)
    ]
    out["nearby"] = [
        {"distance": round(d), **schemas.out(t, context.router)}
        for d, t in service.nearby_open(session, ticket, staff.scope)
    ]
    names = schemas.names_of(session, {e.staff_id for e in out["events"]})
    out["events"] = [
        {**e.model_dump(), "staff_name": names.get(e.staff_id or 0)} for e in out["events"]
    ]
    out["conversation"] = _intake_conversation(session, ticket)
    return out


def _intake_conversation(session: Session, ticket: Ticket) -> list[dict[str, Any]] | None:
    """The chat the ticket was filed in (the half hour before filing), shown only when the
    citizen consented to share who they are with the agency; None otherwise."""
    if not ticket.share_identity or ticket.citizen_id is None:
        return None
    conversation = session.scalars(
        select(Conversation.id).where(Conversation.citizen_id == ticket.citizen_id)
    ).first()
    if conversation is None:
        return []
    filed = aware(ticket.created_at)
    return [
        entry
        for entry in handoff_service.history(session, conversation)
        if entry["from"] != "note"
        and filed - INTAKE_WINDOW
        <= datetime.fromisoformat(entry["at"])
        <= filed + timedelta(minutes=2)
    ]


@router.get("/console/tickets/{ticket_id}")
async def ticket_page(
    request: Request,
    context: ContextDep,
    ticket_id: str,
    done: str | None = None,
    error: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    """Everything about one ticket, and what may be done to it now."""
    staff = await _signed_in(request)
    if staff is None:
        return _login()
    try:
        found = await context.read(lambda s: _detail(s, staff, ticket_id[:40], context))
    except NotFound:
        shown = {**page_context(request, staff), "error": f"ไม่พบเรื่อง {ticket_id[:20]}"}
        return web.page(
            "console/tickets.html",
            {**_empty_list(), **shown},
            headers=page_headers(context),
            status_code=status.HTTP_404_NOT_FOUND,
            filters=FILTERS,
        )
    shown = {
        **page_context(request, staff),
        "ticket": found,
        "statuses": STATUS_TH,
        "types": COMPLAINT_TYPES_TH,
        "event_names": EVENT_TH,
        "agencies": transfer_targets(context, found["agency_id"]),
        "done": DONE_TH.get(done or ""),
        "error": error,
    }
    return web.page("console/ticket.html", shown, headers=page_headers(context), filters=FILTERS)


def transfer_targets(context: Context, agency_id: str) -> list[Any]:
    """The agencies offered for a transfer: every top-level agency and the offices of the
    ticket's own (any other id may still be typed)."""
    root = agency_id.split("-", 1)[0]
    return [
        a
        for a in context.router.agencies()
        if a.id != agency_id and (a.parent_id is None or a.parent_id == root)
    ]


@router.get("/console/tickets/{ticket_id}/photos/{media_id}")
async def ticket_photo(
    context: ContextDep, staff: ConsoleStaffDep, ticket_id: str, media_id: str
) -> Response:
    """One of the ticket's photos, full size, for staff who may see the ticket."""

    def work(session: Session) -> tuple[bytes, str]:
        media = flows.photo(session, staff, ticket_id[:40], media_id[:40])
        return media.data, media.content_type

    data, content_type = await context.read(work)
    return Response(
        data,
        media_type=content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


async def _form_staff(request: Request, csrf: str) -> StaffUser:
    staff = await _signed_in(request)
    if staff is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not signed in")
    if not console_auth.form_csrf_ok(request, csrf):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "CSRF check failed")
    return staff


def _back(ticket_id: str, **query: str) -> RedirectResponse:
    return RedirectResponse(
        f"{console_auth.PATH}/tickets/{ticket_id}?{urlencode(query)}", status.HTTP_303_SEE_OTHER
    )


async def _act(
    request: Request, context: Context, ticket_id: str, csrf: str, done: str, change: Any
) -> Response:
    """Runs one change to a visible ticket and comes back to its page saying what
    happened; a refusal (not 404) is shown in the page, in Thai."""
    staff = await _form_staff(request, csrf)
    ticket_id = ticket_id[:40]

    def work(session: Session) -> None:
        change(session, staff, flows.visible(session, ticket_id, staff))

    try:
        await context.transaction(work)
    except DomainError as refused:
        if refused.status_code == status.HTTP_404_NOT_FOUND:
            raise
        return _back(ticket_id, error=str(refused.detail)[:290])
    return _back(ticket_id, done=done)


Csrf = Annotated[str, Form(max_length=200)]


@router.post("/console/tickets/{ticket_id}/status")
async def change_status(
    request: Request,
    context: ContextDep,
    ticket_id: str,
    target: Annotated[str, Form(alias="status", max_length=20)],
    message: Annotated[str, Form(max_length=2000)] = "",
    csrf: Csrf = "",
) -> Response:
    """A status change (reopening included) with its message to the citizen."""
    return await _act(
        request,
        context,
        ticket_id,
        csrf,
        "status",
        lambda s, staff, t: flows.change_status(s, staff, t, target, message),
    )


@router.post("/console/tickets/{ticket_id}/notes")
async def add_note(
    request: Request,
    context: ContextDep,
    ticket_id: str,
    body: Annotated[str, Form(min_length=1, max_length=5000)],
    csrf: Csrf = "",
) -> Response:
    """An internal note for colleagues (never shown to the citizen)."""
    return await _act(
        request,
        context,
        ticket_id,
        csrf,
        "note",
        lambda s, staff, t: flows.add_note(s, staff, t, body.strip()),
    )


@router.post("/console/tickets/{ticket_id}/assign")
async def assign(
    request: Request,
    context: ContextDep,
    ticket_id: str,
    assignee: Annotated[str, Form(max_length=20)] = "",
    csrf: Csrf = "",
) -> Response:
    """Take it ("me"), give it to a colleague (their id), or leave it to nobody ("")."""

    def change(s: Session, staff: StaffUser, ticket: Any) -> None:
        if assignee and assignee != "me" and not assignee.isdigit():
            raise Invalid("ไม่รู้จักผู้รับผิดชอบที่เลือก")
        chosen = staff.id if assignee == "me" else int(assignee) if assignee else None
        flows.assign(s, staff, ticket, chosen)

    return await _act(request, context, ticket_id, csrf, "assign", change)


@router.post("/console/tickets/{ticket_id}/type")
async def retype(
    request: Request,
    context: ContextDep,
    ticket_id: str,
    complaint_type: Annotated[str, Form(max_length=40)],
    csrf: Csrf = "",
) -> Response:
    """Corrects the complaint type; an open ticket is routed again (it may leave the list)."""
    return await _act(
        request,
        context,
        ticket_id,
        csrf,
        "type",
        lambda s, staff, t: flows.retype(s, staff, t, complaint_type, context.router),
    )


@router.post("/console/tickets/{ticket_id}/transfer")
async def transfer(
    request: Request,
    context: ContextDep,
    ticket_id: str,
    agency: Annotated[str, Form(max_length=80)],
    reason: Annotated[str, Form(max_length=1000)] = "",
    csrf: Csrf = "",
) -> Response:
    """Sends the ticket to another agency with a reason (kept internal); the citizen is
    told which agency has it now."""
    return await _act(
        request,
        context,
        ticket_id,
        csrf,
        "transfer",
        lambda s, staff, t: flows.transfer(s, staff, t, agency, reason, context.router),
    )


@router.post("/console/tickets/{ticket_id}/merge")
async def merge(
    request: Request,
    context: ContextDep,
    ticket_id: str,
    duplicate: Annotated[str, Form(max_length=40)],
    csrf: Csrf = "",
) -> Response:
    """Merges a duplicate (by its number) into this ticket; its reporters follow this one."""

    def change(s: Session, staff: StaffUser, ticket: Any) -> None:
        try:
            flows.merge(s, staff, ticket, duplicate)
        except NotFound:
            raise Invalid(f"ไม่พบเรื่อง {duplicate.strip()[:20]}") from None

    return await _act(request, context, ticket_id, csrf, "merge", change)
