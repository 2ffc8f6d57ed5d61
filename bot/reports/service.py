"""Supervisor reports: what happened to tickets and hand-offs over a range of days.

Every figure is about the tickets *created* (hand-offs *requested*) on a Bangkok date from
`start` to `end` inclusive, within the viewer's agency scope; statuses, SLA breaches and
ratings are as they stand now. Counting is done in SQL; medians and percentiles are taken
in Python from the few timestamps they need, so the same code runs on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from bot.db import aware, utcnow
from bot.handoff.models import Handoff
from bot.reports.sql import as_date, bangkok_bounds, bangkok_date
from bot.staff import scope as scopes
from bot.tickets.calendar import BANGKOK
from bot.tickets.lifecycle import OPEN_STATUSES, STATUSES
from bot.tickets.models import Ticket, TicketEvent

MAX_DAYS = 366
DEFAULT_DAYS = 30
RATINGS = (1, 2, 3, 4, 5)
OPEN_OVERDUE = "open_overdue"
RESOLVED_LATE = "resolved_late"
# Upper bounds (seconds) of the hand-off wait histogram's buckets; the last is open-ended.
WAIT_BUCKETS: tuple[tuple[str, float], ...] = (
    ("<1m", 60),
    ("1-5m", 5 * 60),
    ("5-15m", 15 * 60),
    ("15-30m", 30 * 60),
    ("30-60m", 60 * 60),
    (">60m", math.inf),
)


# ---- What a report holds ----


@dataclass(frozen=True)
class Count:
    """How many items have this key (a complaint type, status, agency id...)."""

    key: str
    count: int


@dataclass(frozen=True)
class DayCount:
    """How many tickets of a complaint type were created on a Bangkok date."""

    day: date
    key: str
    count: int


@dataclass(frozen=True)
class Durations:
    """A distribution of durations in seconds: how many, median and 90th percentile."""

    count: int
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True)
class Breach:
    """A ticket that missed its SLA: still open past `due_at`, or resolved after it."""

    ticket_id: str
    agency_id: str
    complaint_type: str
    created_on: date
    due_at: datetime
    kind: str  # OPEN_OVERDUE or RESOLVED_LATE
    late_s: float


@dataclass(frozen=True)
class Sla:
    """SLA breaches among the report's tickets, as of `Report.generated_at`."""

    count: int
    open_overdue: int
    resolved_late: int
    breaches: list[Breach]


@dataclass(frozen=True)
class HandoffWaits:
    """Waits from a hand-off's request until an agent claimed it."""

    requested: int
    claimed: int
    median_s: float | None
    p90_s: float | None
    waiting: int  # still waiting now
    abandoned: int  # cancelled by the citizen before anyone claimed it
    buckets: list[Count]  # claimed hand-offs by wait, keys of WAIT_BUCKETS


@dataclass(frozen=True)
class Ratings:
    """Satisfaction ratings 1–5: how many, their mean and how many of each score."""

    count: int
    mean: float | None
    distribution: dict[int, int]


@dataclass(frozen=True)
class Report:
    """Everything the supervisor report shows, for one scope and range of days."""

    start: date
    end: date
    scope: tuple[str, ...] | None
    generated_at: datetime
    tickets: int
    created_by_day: list[DayCount]
    by_type: list[Count]
    by_status: list[Count]
    by_agency: list[Count]
    sla: Sla
    # created_at → the first ticket event by staff (a status change or a note).
    ticket_first_response: Durations
    tickets_without_response: int
    # created_at → resolved_at, for tickets resolved now (a reopened one is not).
    ticket_resolution: Durations
    # requested_at → first_response_at: what the citizen waited for a person's first word.
    handoff_first_response: Durations
    # claimed_at → first_response_at: how quickly the agent spoke once they took it.
    handoff_first_response_after_claim: Durations
    handoff_waits: HandoffWaits
    ticket_ratings: Ratings
    handoff_ratings: Ratings
    days: list[date]  # every date start..end, for charts with empty days


# ---- Building one ----


class RangeError(ValueError):
    """A report range that cannot be drawn; `th` says why, for staff."""

    def __init__(self, message: str, th: str) -> None:
        super().__init__(message)
        self.th = th


def check_range(start: date, end: date) -> None:
    """Raises RangeError unless start <= end and the range spans at most MAX_DAYS days."""
    if end < start:
        raise RangeError("start must not be after end", "วันเริ่มต้องไม่อยู่หลังวันสิ้นสุด")
    if (end - start).days + 1 > MAX_DAYS:
        raise RangeError(
            f"a report spans at most {MAX_DAYS} days", f"ช่วงวันที่ยาวได้ไม่เกิน {MAX_DAYS} วัน"
        )


def report_range(start: date | None, end: date | None, *, today: date) -> tuple[date, date]:
    """The range asked for: `end` defaults to today (a Bangkok date), `start` to
    DEFAULT_DAYS days ending on `end`. RangeError when it cannot be drawn."""
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    check_range(start, end)
    return start, end


def bangkok_today(now: datetime | None = None) -> date:
    """Today's date in Bangkok."""
    return (now or utcnow()).astimezone(BANGKOK).date()


def build_report(
    session: Session,
    *,
    scope: Sequence[str] | None,
    start: date,
    end: date,
    now: datetime | None = None,
) -> Report:
    """The report for tickets created / hand-offs requested on Bangkok dates start..end.

    `scope`: agency ids the viewer may see (an id also covers its generated sub-agencies,
    ``bma`` → ``bma-district-1004``); None means every agency (admins). `now` (default:
    the current time) decides which open tickets are overdue. RangeError for a bad range.
    """
    check_range(start, end)
    # SQLite stores moments as UTC text without a zone, so compare in UTC.
    now = (now or utcnow()).astimezone(UTC)
    lo, hi = bangkok_bounds(start, end)
    tickets = (
        Ticket.created_at >= lo,
        Ticket.created_at < hi,
        scopes.clause(Ticket.agency_id, scope),
    )
    handoffs = (
        Handoff.requested_at >= lo,
        Handoff.requested_at < hi,
        scopes.clause(Handoff.queue, scope),
    )

    day = bangkok_date(Ticket.created_at)
    created_by_day = [
        DayCount(day=as_date(d), key=t, count=n)
        for d, t, n in session.execute(
            select(day, Ticket.complaint_type, func.count())
            .where(*tickets)
            .group_by(day, Ticket.complaint_type)
            .order_by(day, Ticket.complaint_type)
        )
    ]
    by_type = Counter[str]()
    for row in created_by_day:
        by_type[row.key] += row.count
    by_status: dict[str, int] = {
        status: n
        for status, n in session.execute(
            select(Ticket.status, func.count()).where(*tickets).group_by(Ticket.status)
        )
    }
    by_agency = session.execute(
        select(Ticket.agency_id, func.count()).where(*tickets).group_by(Ticket.agency_id)
    ).all()

    first_responses = session.execute(
        select(Ticket.created_at, func.min(TicketEvent.created_at))
        .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
        .where(*tickets, TicketEvent.actor_type == "staff")
        .group_by(Ticket.id, Ticket.created_at)
    ).all()
    resolutions = session.execute(
        select(Ticket.created_at, Ticket.resolved_at).where(
            *tickets, Ticket.resolved_at.is_not(None)
        )
    ).all()

    # Citizens who asked for a person: an agent taking a bot conversation over is not one
    # (nobody waited), though its rating still counts below.
    handoff_rows = session.execute(
        select(
            Handoff.requested_at, Handoff.claimed_at, Handoff.first_response_at, Handoff.status
        ).where(*handoffs, Handoff.reason != "takeover")
    ).all()

    total = sum(by_type.values())
    return Report(
        start=start,
        end=end,
        scope=None if scope is None else tuple(scope),
        generated_at=now,
        tickets=total,
        created_by_day=created_by_day,
        by_type=_counts(by_type.items()),
        by_status=_by_status(by_status),
        by_agency=_counts((a, n) for a, n in by_agency),
        sla=_sla(session, tickets, now),
        ticket_first_response=durations(_seconds(a, b) for a, b in first_responses),
        tickets_without_response=total - len(first_responses),
        ticket_resolution=durations(_seconds(a, b) for a, b in resolutions if b),
        handoff_first_response=durations(
            _seconds(requested, first) for requested, _, first, _ in handoff_rows if first
        ),
        handoff_first_response_after_claim=durations(
            _seconds(claimed, first) for _, claimed, first, _ in handoff_rows if claimed and first
        ),
        handoff_waits=_waits(handoff_rows),
        ticket_ratings=_ratings(session, Ticket.rating, tickets),
        handoff_ratings=_ratings(session, Handoff.rating, handoffs),
        days=[start + timedelta(days=i) for i in range((end - start).days + 1)],
    )


def _sla(session: Session, tickets: tuple[ColumnElement[bool], ...], now: datetime) -> Sla:
    rows = session.execute(
        select(
            Ticket.id,
            Ticket.agency_id,
            Ticket.complaint_type,
            Ticket.created_at,
            Ticket.due_at,
            Ticket.resolved_at,
            Ticket.status,
        )
        .where(
            *tickets,
            or_(
                Ticket.status.in_(OPEN_STATUSES) & (Ticket.due_at < now),
                Ticket.resolved_at.is_not(None) & (Ticket.resolved_at > Ticket.due_at),
            ),
        )
        .order_by(Ticket.due_at, Ticket.id)
    ).all()
    breaches = []
    for ticket_id, agency_id, complaint_type, created_at, due_at, resolved_at, status in rows:
        overdue = status in OPEN_STATUSES
        breaches.append(
            Breach(
                ticket_id=ticket_id,
                agency_id=agency_id,
                complaint_type=complaint_type,
                created_on=aware(created_at).astimezone(BANGKOK).date(),
                due_at=aware(due_at),
                kind=OPEN_OVERDUE if overdue else RESOLVED_LATE,
                late_s=_seconds(due_at, resolved_at if resolved_at and not overdue else now),
            )
        )
    open_overdue = sum(b.kind == OPEN_OVERDUE for b in breaches)
    return Sla(
        count=len(breaches),
        open_overdue=open_overdue,
        resolved_late=len(breaches) - open_overdue,
        breaches=breaches,
    )


def _waits(rows: Sequence[Any]) -> HandoffWaits:
    waits = [_seconds(requested, claimed) for requested, claimed, _, _ in rows if claimed]
    spread = durations(waits)
    buckets = Counter[str]()
    for wait in waits:
        buckets[next(key for key, bound in WAIT_BUCKETS if wait < bound)] += 1
    return HandoffWaits(
        requested=len(rows),
        claimed=len(waits),
        median_s=spread.median_s,
        p90_s=spread.p90_s,
        waiting=sum(status == "waiting" for _, _, _, status in rows),
        abandoned=sum(status == "cancelled" and claimed is None for _, claimed, _, status in rows),
        buckets=[Count(key, buckets[key]) for key, _ in WAIT_BUCKETS],
    )


def _ratings(session: Session, column: Any, where: tuple[ColumnElement[bool], ...]) -> Ratings:
    found: dict[int, int] = {
        score: n
        for score, n in session.execute(
            select(column, func.count()).where(*where, column.in_(RATINGS)).group_by(column)
        )
    }
    distribution = {score: int(found.get(score, 0)) for score in RATINGS}
    count = sum(distribution.values())
    mean = sum(s * n for s, n in distribution.items()) / count if count else None
    return Ratings(count=count, mean=mean, distribution=distribution)


def _by_status(found: dict[str, int]) -> list[Count]:
    """Statuses in lifecycle order, then any unknown to the lifecycle (old data)."""
    known = [Count(s, found[s]) for s in STATUSES if s in found]
    return known + _counts((s, n) for s, n in found.items() if s not in STATUSES)


def _counts(items: Iterable[tuple[str, int]]) -> list[Count]:
    """Counts, largest first (ties by key, so the order is stable)."""
    return [Count(k, n) for k, n in sorted(items, key=lambda kv: (-kv[1], kv[0]))]


# ---- Durations ----


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) by linear interpolation between closest ranks (as numpy's
    default and `statistics.quantiles(method="inclusive")`); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    below = math.floor(rank)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (rank - below)


def durations(seconds: Iterable[float]) -> Durations:
    """Count, median and 90th percentile of durations in seconds."""
    values = list(seconds)
    return Durations(
        count=len(values), median_s=percentile(values, 0.5), p90_s=percentile(values, 0.9)
    )


def _seconds(since: datetime, until: datetime) -> float:
    return (aware(until) - aware(since)).total_seconds()
