"""The report page's HTML (bot.web's templates, autoescaped): range form, summary, charts
and tables. Its stylesheet is bot/reports/static/reports.css, served by bot.web.views."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import astuple, dataclass
from datetime import date
from typing import Any

from bot.catalogue.cards import thai_date
from bot.console.auth import staff_page_headers
from bot.reports.charts import render_all
from bot.reports.labels import Labels, duration_th
from bot.reports.service import Report
from bot.tickets.calendar import BANGKOK
from bot.web import pages as web

# The page has no script at all; charts are SVG images (data: URIs), styles come from
# reports.css only.
PAGE_HEADERS = staff_page_headers(
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'none'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
FORBIDDEN_TH = "รายงานนี้สำหรับหัวหน้างานและผู้ดูแลระบบเท่านั้น"
# The breach table lists this many tickets; the CSV and JSON list them all.
BREACHES_SHOWN = 200


@dataclass(frozen=True)
class TimeRow:
    """One line of the response-times table."""

    title: str
    basis: str
    count: int
    median_s: float | None
    p90_s: float | None


def time_rows(report: Report) -> list[TimeRow]:
    """Medians and P90s of every duration the report measures, saying what each measures."""
    waits = report.handoff_waits
    return [
        TimeRow(
            "ตอบเรื่องร้องเรียนครั้งแรก",
            "รับเรื่อง → เจ้าหน้าที่ดำเนินการครั้งแรก",
            *astuple(report.ticket_first_response),
        ),
        TimeRow("ดำเนินการเสร็จ", "รับเรื่อง → ดำเนินการเสร็จ", *astuple(report.ticket_resolution)),
        TimeRow(
            "รอเจ้าหน้าที่รับสาย",
            "ขอคุยกับเจ้าหน้าที่ → เจ้าหน้าที่รับ",
            waits.claimed,
            waits.median_s,
            waits.p90_s,
        ),
        TimeRow(
            "เจ้าหน้าที่ตอบข้อความแรก",
            "ขอคุยกับเจ้าหน้าที่ → ข้อความแรกของเจ้าหน้าที่",
            *astuple(report.handoff_first_response),
        ),
        TimeRow(
            "ตอบหลังรับสาย",
            "เจ้าหน้าที่รับ → ข้อความแรกของเจ้าหน้าที่",
            *astuple(report.handoff_first_response_after_claim),
        ),
    ]


def _number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


# The filters reports.html uses (bot.web.pages keeps them in the one environment).
FILTERS: web.Filters = {"thai_date": thai_date, "duration": duration_th, "number": _number}


def render(
    *,
    context: Mapping[str, Any],
    start: date | None,
    end: date | None,
    report: Report | None,
    labels: Labels,
    scope_names: list[str] | None,
    error: str | None = None,
    forbidden: bool = False,
) -> str:
    """The page. `context` is the console's page context (its `base` is the console's
    path); `scope_names` the viewer's agencies (None: every agency)."""
    base = str(context.get("base", "/console"))
    query = f"start={start.isoformat()}&end={end.isoformat()}" if start and end else ""
    values = {
        **context,
        "base": base,
        "start": start,
        "end": end,
        "report": report,
        "labels": labels,
        "charts": {c.name: c for c in render_all(report, labels)} if report else {},
        "scope_names": scope_names,
        "error": error,
        "forbidden": forbidden,
        "csv_url": f"{base}/api/reports.csv?{query}",
        "json_url": f"{base}/api/reports?{query}",
        "breaches_shown": BREACHES_SHOWN,
        "time_rows": time_rows(report) if report else [],
        "tz": BANGKOK,
        "generated": report.generated_at.astimezone(BANGKOK) if report else None,
        "percent": _percent,
    }
    return web.render("reports/reports.html", values, filters=FILTERS)
