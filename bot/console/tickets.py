"""The ticket workbench for agency staff: /console/tickets (the list, filtered, searched,
counted by status, paged by keyset) and /console/tickets/{id} (everything about one ticket,
with its status changes — a message to the citizen included — and internal notes).

Server-rendered pages with plain forms (CSRF token in each form), so every control works
from the keyboard without script. Every read and change is scoped: another agency's ticket
answers 404 like a missing one (bot.tickets.flows).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from bot.console import auth as console_auth
from bot.console.auth import page_context, staff_page_headers
from bot.db import aware, utcnow
from bot.deps import ContextDep
from bot.errors import DomainError, NotFound
from bot.staff import auth
from bot.staff.auth import StaffUser
from bot.tickets import export as export_sheet
from bot.tickets import flows, schemas, service
from bot.tickets.lifecycle import COMPLAINT_TYPES_TH, STATUS_TH, TICKET_TYPES_TH
from bot.web import pages as web

if TYPE_CHECKING:
    from bot.context import Context

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PAGE_HEADERS = staff_page_headers(
    "default-src 'none'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
PAGE_SIZE = 50
SLA_TH = {"on_time": "ตามกำหนด", "due_soon": "ครบกำหนดภายใน 1 วันทำการ", "overdue": "เกินกำหนด"}
SORT_TH = {"created": "แจ้งล่าสุด", "updated": "อัปเดตล่าสุด", "due": "ใกล้ครบกำหนด"}
# Saved views: the lists an officer opens every day.
VIEWS: dict[str, list[tuple[str, str]]] = {
    "เรื่องที่ยังเปิดอยู่": [("status", "received"), ("status", "forwarded"), ("status", "in_progress")],
    "เกินกำหนด": [("sla", "overdue")],
    "ครบกำหนดภายใน 1 วันทำการ": [("sla", "due_soon")],
}


def _cursor(ticket: Any, sort: str) -> str:
    value = aware(getattr(ticket, service.SORTS[sort])).isoformat()
    return base64.urlsafe_b64encode(f"{value}|{ticket.id}".encode()).decode()


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        value, ticket_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(value), ticket_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "ลิงก์หน้าถัดไปไม่ถูกต้อง") from None


def _empty_list() -> dict[str, Any]:
    """What the list page shows before (or instead of) any ticket."""
    return {
        "statuses": STATUS_TH,
        "types": COMPLAINT_TYPES_TH,
        "slas": SLA_TH,
        "sorts": SORT_TH,
        "views": {name: urlencode(query) for name, query in VIEWS.items()},
        "chosen": {"status": [], "type": [], "sla": None, "q": ""},
        "district": "",
        "sort": "created",
        "tickets": [],
        "counts": {},
        "next": None,
    }


async def _signed_in(request: Request) -> StaffUser | None:
    return await run_in_threadpool(console_auth.page_staff, request)


def _login() -> RedirectResponse:
    return RedirectResponse(f"{console_auth.PATH}/login", status.HTTP_303_SEE_OTHER)


@dataclass(frozen=True)
class Listing:
    """The list's query as the officer asked for it."""

    statuses: list[str]
    types: list[str]
    sla: str | None
    q: str
    district: str
    sort: str

    @classmethod
    def of(cls, request: Request) -> Listing:
        """From the address; a form's "any" choice sends an empty value: no filter."""
        params = request.query_params
        return cls(
            statuses=[s for s in params.getlist("status") if s],
            types=[t for t in params.getlist("type") if t],
            sla=params.get("sla") or None,
            q=(params.get("q") or "").strip(),
            district=(params.get("district") or "").strip(),
            sort=params.get("sort") or "created",
        )

    def error(self) -> str | None:
        """What the desk does not understand of the query, in Thai (None when all is well)."""
        found = self.problems()
        return "ไม่รู้จักตัวกรอง: " + ", ".join(found) if found else None

    def problems(self) -> list[str]:
        """What the desk does not know, in Thai (empty when all is well)."""
        found = [f"สถานะ “{s}”" for s in self.statuses if s not in STATUS_TH]
        found += [f"ประเภท “{t}”" for t in self.types if t not in TICKET_TYPES_TH]
        if self.sla and self.sla not in SLA_TH:
            found.append(f"กำหนดเวลา “{self.sla}”")
        if self.sort not in service.SORTS:
            found.append(f"การเรียง “{self.sort}”")
        if len(self.q) > 100 or len(self.district) > 100:
            found.append("คำค้นยาวเกิน 100 ตัวอักษร")
        return found

    def filters(self, staff: StaffUser, context: Context) -> service.TicketFilter:
        """The service's filter, within the staff member's scope."""
        return service.TicketFilter(
            agency_ids=staff.scope,
            statuses=self.statuses,
            complaint_types=self.types,
            district=self.district or None,
            query=self.q or None,
            sla=self.sla,
            due_soon_before=context.calendar.add_business_days(utcnow(), 1),
        )

    def shown(self) -> dict[str, Any]:
        """What the filter bar shows."""
        return {
            "chosen": {"status": self.statuses, "type": self.types, "sla": self.sla, "q": self.q},
            "district": self.district,
            "sort": self.sort,
        }


def _refused(
    request: Request,
    staff: StaffUser,
    listing: Listing,
    error: str,
    code: int = status.HTTP_422_UNPROCESSABLE_CONTENT,
) -> Response:
    """The list page with the reason nothing is listed."""
    shown = {**page_context(request, staff), **_empty_list(), **listing.shown(), "error": error}
    return web.page("console/tickets.html", shown, headers=PAGE_HEADERS, status_code=code)


@router.get("/console/tickets")
async def ticket_list(
    request: Request,
    context: ContextDep,
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The tickets of the staff member's agency (and its sub-agencies); filters in the
    address: status (several), type (several), sla, q, district, sort, after."""
    staff = await _signed_in(request)
    if staff is None:
        return _login()
    listing = Listing.of(request)
    if error := listing.error():
        return _refused(request, staff, listing, error)
    filters = listing.filters(staff, context)
    cursor = _after(after)

    def work(session: Session) -> dict[str, Any]:
        found = service.browse_tickets(
            session, filters, sort=listing.sort, after=cursor, limit=PAGE_SIZE + 1
        )
        more = len(found) > PAGE_SIZE
        found = found[:PAGE_SIZE]
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
        return {
            "tickets": [schemas.out(t, context.router) for t in found],
            "counts": service.status_counts(session, filters),
            "next": f"?{urlencode([*params, ('after', _cursor(found[-1], listing.sort))])}"
            if more
            else None,
            "exports": urlencode(params),
        }

    shown = {**page_context(request, staff), **_empty_list(), **listing.shown()}
    listed = await context.read(work)
    return web.page("console/tickets.html", {**shown, **listed}, headers=PAGE_HEADERS)


@router.get("/console/tickets/export.{kind}")
async def export(request: Request, context: ContextDep, kind: str) -> Response:
    """The filtered list as CSV or XLSX (supervisors and admins), one row per ticket;
    every export is audited."""
    staff = await _signed_in(request)
    if staff is None:
        return _login()
    listing = Listing.of(request)
    if kind not in {"csv", "xlsx"}:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    if staff.role not in {"supervisor", "admin"}:
        return _refused(
            request, staff, listing, "ส่งออกได้เฉพาะหัวหน้างานและผู้ดูแลระบบ", status.HTTP_403_FORBIDDEN
        )
    if error := listing.error():
        return _refused(request, staff, listing, error)
    filters = listing.filters(staff, context)
    await context.transaction(
        lambda s: auth.audit(s, staff, "ticket_export", None, format=kind, filters=asdict(listing))
    )
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    disposition = {"Content-Disposition": f'attachment; filename="tickets-{stamp}.{kind}"'}

    if kind == "xlsx":
        body = await context.read(
            lambda s: export_sheet.xlsx_bytes(export_sheet.rows(s, filters, context.router))
        )
        return Response(body, media_type=XLSX, headers=disposition)

    def stream() -> Iterator[bytes]:
        with context.sessions() as session:
            yield from export_sheet.csv_chunks(export_sheet.rows(session, filters, context.router))

    return StreamingResponse(stream(), media_type="text/csv; charset=utf-8", headers=disposition)


def _detail(session: Session, staff: StaffUser, ticket_id: str, context: Any) -> dict[str, Any]:
    ticket = flows.visible(session, ticket_id, staff)
    out = schemas.detail(session, ticket, context.router)
    now = utcnow()
    out["business_days_left"] = (
        context.calendar.business_days_between(now, aware(ticket.due_at))
        if ticket.status in {"received", "forwarded", "in_progress"} and aware(ticket.due_at) > now
        else None
    )
    return out


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
        found = await context.read(lambda s: _detail(s, staff, ticket_id, context))
    except NotFound:
        shown = {**page_context(request, staff), "error": f"ไม่พบเรื่อง {ticket_id[:20]}"}
        return web.page(
            "console/tickets.html",
            {**shown, **_empty_list()},
            headers=PAGE_HEADERS,
            status_code=status.HTTP_404_NOT_FOUND,
        )
    shown = {
        **page_context(request, staff),
        "ticket": found,
        "statuses": STATUS_TH,
        "types": COMPLAINT_TYPES_TH,
        "done": {"status": "เปลี่ยนสถานะแล้ว ผู้แจ้งได้รับข้อความทาง LINE", "note": "บันทึกแล้ว"}.get(
            done or ""
        ),
        "error": error,
    }
    return web.page("console/ticket.html", shown, headers=PAGE_HEADERS)


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


@router.post("/console/tickets/{ticket_id}/status")
async def change_status(
    request: Request,
    context: ContextDep,
    ticket_id: str,
    target: Annotated[str, Form(alias="status", max_length=20)],
    message: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A status change with its message to the citizen (sent on LINE after the commit)."""
    staff = await _form_staff(request, csrf)

    def work(session: Session) -> None:
        ticket = flows.visible(session, ticket_id, staff)
        flows.change_status(session, staff, ticket, target, message)

    try:
        await context.transaction(work)
    except DomainError as refused:
        if refused.status_code == status.HTTP_404_NOT_FOUND:
            raise
        return _back(ticket_id, error=str(refused.detail))
    return _back(ticket_id, done="status")


@router.post("/console/tickets/{ticket_id}/notes")
async def add_note(
    request: Request,
    context: ContextDep,
    ticket_id: str,
    body: Annotated[str, Form(min_length=1, max_length=5000)],
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """An internal note for colleagues (never shown to the citizen)."""
    staff = await _form_staff(request, csrf)
    await context.transaction(
        lambda s: flows.add_note(s, staff, flows.visible(s, ticket_id, staff), body.strip())
    )
    return _back(ticket_id, done="note")
