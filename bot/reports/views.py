"""Supervisor reports in the console: GET /console/reports (page), /console/api/reports
(JSON) and /console/api/reports.csv (CSV, audited).

Query: `start`, `end` (ISO dates, Bangkok), by default the 30 days up to today; start
after end or more than 366 days answers 422. Supervisors see their agency and its
sub-agencies, admins without an agency every agency; agents get 403.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy.orm import Session

from bot.console import auth as console_auth
from bot.console.auth import SupervisorDep, page_context
from bot.deps import ContextDep
from bot.reports import export, page
from bot.reports.labels import Labels
from bot.reports.service import RangeError, Report, bangkok_today, build_report, report_range
from bot.staff import auth
from bot.staff.auth import StaffUser
from bot.tickets.routing import Router

router = APIRouter(include_in_schema=False)
API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _labels(router: Router, report: Report, staff: StaffUser) -> Labels:
    ids = {c.key for c in report.by_agency} | {b.agency_id for b in report.sla.breaches}
    return Labels.from_router(router, ids | set(staff.scope or []))


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    try:
        return report_range(start, end, today=bangkok_today())
    except RangeError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error


@router.get("/console/reports", response_class=HTMLResponse)
async def reports_page(
    request: Request, context: ContextDep, start: date | None = None, end: date | None = None
) -> Response:
    """The report page: range form, summary, charts and tables (no JavaScript)."""
    staff = await run_in_threadpool(console_auth.page_staff, request)
    if staff is None:
        return RedirectResponse(f"{console_auth.PATH}/login", status.HTTP_303_SEE_OTHER)

    shown = page_context(request, staff)

    def work(session: Session) -> tuple[str, int]:
        # SupervisorDep's rule, checked here so that a signed-out visitor is redirected
        # (above) and an agent gets a page rather than JSON.
        if staff.role not in {"supervisor", "admin"}:
            html = page.render(
                context=shown,
                start=None,
                end=None,
                report=None,
                labels=Labels(),
                scope_names=None,
                error=page.FORBIDDEN_TH,
                forbidden=True,
            )
            return html, status.HTTP_403_FORBIDDEN
        try:
            first, last = report_range(start, end, today=bangkok_today())
        except RangeError as error:
            html = page.render(
                context=shown,
                start=start,
                end=end,
                report=None,
                labels=Labels(),
                scope_names=None,
                error=error.th,
            )
            return html, status.HTTP_422_UNPROCESSABLE_CONTENT
        report = build_report(session, scope=staff.scope, start=first, end=last)
        labels = _labels(context.router, report, staff)
        scope = None if staff.scope is None else [labels.agency(a) for a in staff.scope]
        html = page.render(
            context=shown,
            start=first,
            end=last,
            report=report,
            labels=labels,
            scope_names=scope,
        )
        return html, status.HTTP_200_OK

    html, code = await context.read(work)
    return HTMLResponse(html, status_code=code, headers=page.PAGE_HEADERS)


@router.get("/console/api/reports")
async def reports_json(
    context: ContextDep, staff: SupervisorDep, start: date | None = None, end: date | None = None
) -> Response:
    """The report as JSON (see bot.reports.export.as_dict)."""
    first, last = _range(start, end)

    def work(session: Session) -> dict[str, Any]:
        report = build_report(session, scope=staff.scope, start=first, end=last)
        return export.as_dict(report, _labels(context.router, report, staff))

    return JSONResponse(await context.read(work), headers=API_HEADERS)


@router.get("/console/api/reports.csv")
async def reports_csv(
    context: ContextDep, staff: SupervisorDep, start: date | None = None, end: date | None = None
) -> Response:
    """The report as one long CSV table (UTF-8 with BOM, for Excel); the export is audited."""
    first, last = _range(start, end)

    def work(session: Session) -> tuple[bytes, str]:
        report = build_report(session, scope=staff.scope, start=first, end=last)
        auth.audit(
            session, staff, "report_export", None, start=first.isoformat(), end=last.isoformat()
        )
        return export.to_csv(report, _labels(context.router, report, staff)), export.csv_filename(
            report
        )

    body, filename = await context.transaction(work)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={**API_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
    )
