"""A report as JSON (for the console's API) and as CSV (for Excel).

The CSV is one tidy long table, UTF-8 with a byte-order mark so Excel shows Thai:

    section,date,key,label,value

- `section` names the figure (see SECTIONS); `date` is a Bangkok date (YYYY-MM-DD) where
  the row is about one day, else empty;
- `key` is the machine key (complaint type, status, agency id, ticket id, statistic);
- `label` is its Thai name; `value` is a number (counts; durations in seconds; mean
  ratings), empty when there is nothing to measure (a median of no values).

Text cells starting with ``= + - @`` get a leading apostrophe, so a name in the data can
never run as a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.reports.labels import Labels
from bot.reports.service import OPEN_OVERDUE, RATINGS, Durations, Ratings, Report

HEADER = ("section", "date", "key", "label", "value")
SECTIONS = {
    "tickets_created": "tickets created per Bangkok date and complaint type",
    "by_type": "tickets by complaint type",
    "by_status": "tickets by current status",
    "by_agency": "tickets by agency",
    "sla": "SLA breaches: count, open_overdue, resolved_late",
    "sla_breach_open_overdue": "one row per ticket still open past due (value: seconds late)",
    "sla_breach_resolved_late": "one row per ticket resolved after due (value: seconds late)",
    "ticket_first_response": "ticket created → first staff event",
    "ticket_resolution": "ticket created → resolved",
    "handoff_first_response": "hand-off requested → agent's first reply",
    "handoff_first_response_after_claim": "hand-off claimed → agent's first reply",
    "handoff_wait": "hand-off requested → claimed",
    "handoff_wait_bucket": "claimed hand-offs by wait",
    "ticket_rating": "ticket satisfaction ratings",
    "handoff_rating": "hand-off satisfaction ratings",
}
DURATION_BASIS = {
    "ticket_first_response": "created_at → first staff ticket event",
    "ticket_resolution": "created_at → resolved_at",
    "handoff_first_response": "requested_at → first_response_at",
    "handoff_first_response_after_claim": "claimed_at → first_response_at",
    "handoff_wait": "requested_at → claimed_at",
}
_STAT_TH = {
    "count": "จำนวน",
    "median_seconds": "ค่ามัธยฐาน (วินาที)",
    "p90_seconds": "เปอร์เซ็นไทล์ที่ 90 (วินาที)",
    "mean": "ค่าเฉลี่ย",
    "without_response": "ยังไม่มีเจ้าหน้าที่ตอบ",
    "requested": "ขอคุยกับเจ้าหน้าที่",
    "claimed": "เจ้าหน้าที่รับแล้ว",
    "waiting": "ยังรออยู่",
    "abandoned": "ยกเลิกก่อนมีผู้รับ",
    "open_overdue": "ยังไม่เสร็จ เกินกำหนด",
    "resolved_late": "เสร็จหลังกำหนด",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _number(value: float | int | None, digits: int = 1) -> float | int | None:
    if value is None or isinstance(value, int):
        return value
    return round(value, digits)


def _durations(durations: Durations) -> dict[str, Any]:
    return {
        "count": durations.count,
        "median_s": _number(durations.median_s),
        "p90_s": _number(durations.p90_s),
    }


def _ratings(ratings: Ratings) -> dict[str, Any]:
    return {
        "count": ratings.count,
        "mean": _number(ratings.mean, 2),
        "distribution": {str(score): ratings.distribution[score] for score in RATINGS},
    }


def as_dict(report: Report, labels: Labels) -> dict[str, Any]:
    """The report as JSON-ready data, with Thai labels beside every key."""
    waits = report.handoff_waits
    return {
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "scope": None if report.scope is None else list(report.scope),
        "generated_at": report.generated_at.isoformat(),
        "tickets": report.tickets,
        "created_by_day": [
            {
                "date": row.day.isoformat(),
                "complaint_type": row.key,
                "label": labels.complaint_type(row.key),
                "count": row.count,
            }
            for row in report.created_by_day
        ],
        "by_type": [
            {"key": c.key, "label": labels.complaint_type(c.key), "count": c.count}
            for c in report.by_type
        ],
        "by_status": [
            {"key": c.key, "label": labels.status(c.key), "count": c.count}
            for c in report.by_status
        ],
        "by_agency": [
            {"key": c.key, "label": labels.agency(c.key), "count": c.count}
            for c in report.by_agency
        ],
        "sla": {
            "count": report.sla.count,
            "open_overdue": report.sla.open_overdue,
            "resolved_late": report.sla.resolved_late,
            "ticket_ids": [b.ticket_id for b in report.sla.breaches],
            "breaches": [
                {
                    "ticket_id": b.ticket_id,
                    "agency_id": b.agency_id,
                    "agency_name": labels.agency(b.agency_id),
                    "complaint_type": b.complaint_type,
                    "created_on": b.created_on.isoformat(),
                    "due_at": b.due_at.isoformat(),
                    "kind": b.kind,
                    "late_s": _number(b.late_s),
                }
                for b in report.sla.breaches
            ],
        },
        "ticket_first_response": {
            **_durations(report.ticket_first_response),
            "basis": DURATION_BASIS["ticket_first_response"],
            "without_response": report.tickets_without_response,
        },
        "ticket_resolution": {
            **_durations(report.ticket_resolution),
            "basis": DURATION_BASIS["ticket_resolution"],
        },
        "handoff_first_response": {
            **_durations(report.handoff_first_response),
            "basis": DURATION_BASIS["handoff_first_response"],
        },
        "handoff_first_response_after_claim": {
            **_durations(report.handoff_first_response_after_claim),
            "basis": DURATION_BASIS["handoff_first_response_after_claim"],
        },
        "handoff_waits": {
            "basis": DURATION_BASIS["handoff_wait"],
            "requested": waits.requested,
            "claimed": waits.claimed,
            "median_s": _number(waits.median_s),
            "p90_s": _number(waits.p90_s),
            "waiting": waits.waiting,
            "abandoned": waits.abandoned,
            "buckets": [
                {"key": b.key, "label": labels.wait_bucket(b.key), "count": b.count}
                for b in waits.buckets
            ],
        },
        "ticket_ratings": _ratings(report.ticket_ratings),
        "handoff_ratings": _ratings(report.handoff_ratings),
    }


def rows(report: Report, labels: Labels) -> list[tuple[str, str, str, str, Any]]:
    """The report as (section, date, key, label, value) rows, in SECTIONS order."""
    out: list[tuple[str, str, str, str, Any]] = []

    def add(section: str, key: str, label: str, value: Any, day: str = "") -> None:
        out.append((section, day, key, label, value))

    for row in report.created_by_day:
        add(
            "tickets_created",
            row.key,
            labels.complaint_type(row.key),
            row.count,
            row.day.isoformat(),
        )
    for c in report.by_type:
        add("by_type", c.key, labels.complaint_type(c.key), c.count)
    for c in report.by_status:
        add("by_status", c.key, labels.status(c.key), c.count)
    for c in report.by_agency:
        add("by_agency", c.key, labels.agency(c.key), c.count)
    sla = report.sla
    for key, value in (
        ("count", sla.count),
        ("open_overdue", sla.open_overdue),
        ("resolved_late", sla.resolved_late),
    ):
        add("sla", key, _STAT_TH.get(key, "จำนวนที่เกินกำหนด"), value)
    for b in sla.breaches:
        section = (
            "sla_breach_open_overdue" if b.kind == OPEN_OVERDUE else "sla_breach_resolved_late"
        )
        add(
            section,
            b.ticket_id,
            labels.agency(b.agency_id),
            round(b.late_s),
            b.created_on.isoformat(),
        )

    def add_durations(section: str, durations: Durations) -> None:
        add(section, "count", _STAT_TH["count"], durations.count)
        add(section, "median_seconds", _STAT_TH["median_seconds"], _number(durations.median_s))
        add(section, "p90_seconds", _STAT_TH["p90_seconds"], _number(durations.p90_s))

    add_durations("ticket_first_response", report.ticket_first_response)
    add(
        "ticket_first_response",
        "without_response",
        _STAT_TH["without_response"],
        report.tickets_without_response,
    )
    add_durations("ticket_resolution", report.ticket_resolution)
    add_durations("handoff_first_response", report.handoff_first_response)
    add_durations("handoff_first_response_after_claim", report.handoff_first_response_after_claim)
    waits = report.handoff_waits
    wait_stats: tuple[tuple[str, float | int | None], ...] = (
        ("requested", waits.requested),
        ("claimed", waits.claimed),
        ("median_seconds", _number(waits.median_s)),
        ("p90_seconds", _number(waits.p90_s)),
        ("waiting", waits.waiting),
        ("abandoned", waits.abandoned),
    )
    for key, stat in wait_stats:
        add("handoff_wait", key, _STAT_TH[key], stat)
    for bucket in waits.buckets:
        add("handoff_wait_bucket", bucket.key, labels.wait_bucket(bucket.key), bucket.count)
    for section, ratings in (
        ("ticket_rating", report.ticket_ratings),
        ("handoff_rating", report.handoff_ratings),
    ):
        add(section, "count", _STAT_TH["count"], ratings.count)
        add(section, "mean", _STAT_TH["mean"], _number(ratings.mean, 2))
        for score in RATINGS:
            add(section, str(score), f"{score} ดาว", ratings.distribution[score])
    return out


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def to_csv(report: Report, labels: Labels) -> bytes:
    """The report as CSV bytes: UTF-8 with a BOM, CRLF line ends, a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for section, day, key, label, value in rows(report, labels):
        writer.writerow((section, day, _cell(key), _cell(label), "" if value is None else value))
    return buffer.getvalue().encode("utf-8-sig")


def csv_filename(report: Report) -> str:
    """An ASCII file name for the download: desk-report-START_END.csv."""
    return f"desk-report-{report.start.isoformat()}_{report.end.isoformat()}.csv"
