"""The ticket list as a spreadsheet: CSV (UTF-8 with a BOM, so Excel reads Thai) or XLSX,
one row per ticket, in the order and with the filters of the list.

Rows are read a few hundred at a time and written as they come, so memory stays flat
however many tickets match. The reporter's name and phone are filled only for citizens
who consented to share them with the agency.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from fastapi.responses import Response, StreamingResponse
from openpyxl import Workbook
from sqlalchemy.orm import Session

from bot.conversations.models import Citizen
from bot.db import aware, utcnow
from bot.staff import auth
from bot.staff.auth import StaffUser
from bot.tickets import service
from bot.tickets.lifecycle import STATUS_TH, TICKET_TYPES_TH
from bot.tickets.models import Ticket
from bot.tickets.routing import Router

if TYPE_CHECKING:
    from bot.context import Context

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

HEADERS = [
    "เลขเรื่อง (id)",
    "ประเภท (type)",
    "สถานะ (status)",
    "หน่วยงาน (agency)",
    "จังหวัด (province)",
    "เขต/อำเภอ (district)",
    "ที่อยู่ (address)",
    "ละติจูด (latitude)",
    "ลองจิจูด (longitude)",
    "รายละเอียด (description)",
    "ผู้ติดตาม +1 (followers)",
    "แจ้งเมื่อ (created, UTC)",
    "อัปเดตเมื่อ (updated, UTC)",
    "ครบกำหนด (due, UTC)",
    "แก้ไขเมื่อ (resolved, UTC)",
    "คะแนน (rating)",
    "ชื่อผู้แจ้ง (reporter, if consented)",
    "โทรศัพท์ผู้แจ้ง (phone, if consented)",
]
BATCH = 500


def _when(moment: Any) -> str:
    return aware(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def rows(session: Session, filters: service.TicketFilter, router: Router) -> Iterator[list[Any]]:
    """One row per matching ticket, newest first, read BATCH at a time."""
    query = (
        service.filtered(filters)
        .add_columns(Citizen.display_name)
        .outerjoin(Citizen, Citizen.id == Ticket.citizen_id)
        .order_by(Ticket.created_at.desc(), Ticket.id)
        .execution_options(yield_per=BATCH)
    )
    for ticket, name in session.execute(query):
        try:
            agency = router.agency(ticket.agency_id).name
        except KeyError:
            agency = ticket.agency_id
        shared = ticket.share_identity
        yield [
            ticket.id,
            TICKET_TYPES_TH.get(ticket.complaint_type, ticket.complaint_type),
            STATUS_TH.get(ticket.status, ticket.status),
            agency,
            ticket.province or "",
            ticket.district or "",
            ticket.address or "",
            ticket.latitude if ticket.latitude is not None else "",
            ticket.longitude if ticket.longitude is not None else "",
            ticket.description,
            ticket.followers_count,
            _when(ticket.created_at),
            _when(ticket.updated_at),
            _when(ticket.due_at),
            _when(ticket.resolved_at),
            ticket.rating if ticket.rating is not None else "",
            (name or "") if shared else "",
            (ticket.contact_phone or "") if shared else "",
        ]
        session.expunge(ticket)  # keep the identity map (and memory) flat


def csv_chunks(found: Iterable[list[Any]]) -> Iterator[bytes]:
    """The rows as CSV, header first, a chunk per few rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(HEADERS)
    for count, row in enumerate(found, start=1):
        writer.writerow(row)
        if count % 200 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_bytes(found: Iterable[list[Any]]) -> bytes:
    """The rows as an XLSX workbook (openpyxl's write-only mode: rows are not kept)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("tickets")
    sheet.append(HEADERS)
    for row in found:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def response(
    context: Context,
    staff: StaffUser,
    filters: service.TicketFilter,
    kind: str,
    audited: dict[str, Any] | None = None,
) -> Response:
    """The export as an HTTP answer (the console's and the REST API's), audited first
    with the filters it was asked with (`audited`, or every filter set)."""
    if audited is None:
        audited = {
            k: v.isoformat() if hasattr(v, "isoformat") else v
            for k, v in asdict(filters).items()
            if v not in (None, (), []) and k not in {"agency_ids", "due_soon_before"}
        }
    await context.transaction(
        lambda s: auth.audit(s, staff, "ticket_export", None, format=kind, filters=audited)
    )
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    disposition = {"Content-Disposition": f'attachment; filename="tickets-{stamp}.{kind}"'}
    if kind == "xlsx":
        body = await context.read(lambda s: xlsx_bytes(rows(s, filters, context.router)))
        return Response(body, media_type=XLSX, headers=disposition)

    def stream() -> Iterator[bytes]:
        with context.sessions() as session:
            yield from csv_chunks(rows(session, filters, context.router))

    return StreamingResponse(stream(), media_type="text/csv; charset=utf-8", headers=disposition)
