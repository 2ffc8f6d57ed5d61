"""build_report on SQLite and PostgreSQL, against figures worked out by hand.

The data is in reportdata.py; each expected number below says where it comes from.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import cast

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.reports.service import (
    OPEN_OVERDUE,
    RESOLVED_LATE,
    Count,
    DayCount,
    Durations,
    build_report,
    percentile,
)
from bot.staff import scope as scopes
from bot.tickets.models import Ticket
from tests.bot.reports.reportdata import (
    BMA,
    BMA_DISTRICT,
    END,
    FLOOD,
    GARBAGE,
    NOW,
    ROAD,
    START,
    handoff,
    scenario,
    ticket,
    utc,
)

HOUR = 3600
DAY = 24 * HOUR


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    # rank 0.9 × 4 = 3.6: 4 + 0.6 × (5 − 4)
    assert percentile([5.0, 1.0, 2.0, 3.0, 4.0], 0.9) == pytest.approx(4.6)


def test_a_supervisor_report_counts_only_the_agency_and_its_offices(session: Session) -> None:
    scenario(session)
    report = build_report(session, scope=[BMA], start=START, end=END, now=NOW)

    # T1, T2, T3, T4, T5, T7: T6 and T8 fall outside the Bangkok dates, T9 and T10 are
    # other agencies ("bmaxyz" only looks like bma's).
    assert report.tickets == 6
    assert report.days[0] == START and report.days[-1] == END and len(report.days) == 10
    assert report.created_by_day == [
        # T5 was filed at midnight Bangkok time (17:00 UTC the day before), T1 at 09:00.
        DayCount(date(2026, 3, 1), GARBAGE, 1),
        DayCount(date(2026, 3, 1), ROAD, 1),
        # T2: 18:30 UTC on 1 March is 01:30 on 2 March in Bangkok.
        DayCount(date(2026, 3, 2), ROAD, 1),
        DayCount(date(2026, 3, 5), FLOOD, 1),
        DayCount(date(2026, 3, 9), GARBAGE, 1),
        DayCount(date(2026, 3, 10), ROAD, 1),
    ]
    assert report.by_type == [Count(ROAD, 3), Count(GARBAGE, 2), Count(FLOOD, 1)]
    # In lifecycle order.
    assert report.by_status == [
        Count("received", 2),
        Count("in_progress", 1),
        Count("resolved", 1),
        Count("closed", 1),
        Count("rejected", 1),
    ]
    assert report.by_agency == [Count(BMA, 4), Count(BMA_DISTRICT, 2)]

    # T2 resolved 6 Mar 18:30, due 3 Mar 00:00: 3 days 18.5 hours late. T3 still open,
    # due 10 Mar 00:00, now 20 Mar 12:00: 10.5 days late. T1 was on time; T5 was rejected.
    sla = report.sla
    assert (sla.count, sla.open_overdue, sla.resolved_late) == (2, 1, 1)
    assert [(b.ticket_id, b.kind) for b in sla.breaches] == [
        ("DS-T0000002", RESOLVED_LATE),
        ("DS-T0000003", OPEN_OVERDUE),
    ]
    assert sla.breaches[0].late_s == 3 * DAY + 18.5 * HOUR
    assert sla.breaches[1].late_s == 10.5 * DAY
    assert sla.breaches[0].created_on == date(2026, 3, 2)

    # First staff event: T1 30 min (its later note does not count), T2 2 h, T3 1 h,
    # T5 4 h; T4 and T7 have none. Sorted 1800, 3600, 7200, 14400: median (3600 + 7200)/2;
    # p90 at rank 2.7: 7200 + 0.7 × 7200.
    assert report.ticket_first_response == Durations(4, 5400.0, 12240.0)
    assert report.tickets_without_response == 2
    # T1 3 days, T2 5 days: median 4 days; p90 3 days + 0.9 × 2 days.
    assert report.ticket_resolution == Durations(
        2, 4.0 * DAY, cast(float, pytest.approx(4.8 * DAY))
    )

    # H1–H6 requested (H7 is pea's, H8 before the range). Claimed after 120, 600, 40 and
    # 4000 s: median (120 + 600)/2, p90 at rank 2.7: 600 + 0.7 × 3400.
    waits = report.handoff_waits
    assert (waits.requested, waits.claimed, waits.waiting, waits.abandoned) == (6, 4, 1, 1)
    assert waits.median_s == 360.0
    assert waits.p90_s == pytest.approx(2980.0)
    assert [(b.key, b.count) for b in waits.buckets] == [
        ("<1m", 1),
        ("1-5m", 1),
        ("5-15m", 1),
        ("15-30m", 0),
        ("30-60m", 0),
        (">60m", 1),
    ]
    # Agent's first reply after the request: H1 180, H2 900, H6 4100 (H3 never replied):
    # median 900, p90 at rank 1.8: 900 + 0.8 × 3200. After the claim: 60, 300, 100.
    assert report.handoff_first_response == Durations(3, 900.0, cast(float, pytest.approx(3460.0)))
    assert report.handoff_first_response_after_claim == Durations(
        3, 100.0, cast(float, pytest.approx(260.0))
    )

    # Ratings: tickets T1 5 and T2 2 (T9's 1 is pea's); hand-offs H1 4, H2 5, H6 4.
    assert report.ticket_ratings.count == 2
    assert report.ticket_ratings.mean == 3.5
    assert report.ticket_ratings.distribution == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    assert report.handoff_ratings.count == 3
    assert report.handoff_ratings.mean == pytest.approx(13 / 3)
    assert report.handoff_ratings.distribution == {1: 0, 2: 0, 3: 0, 4: 2, 5: 1}


def test_another_agency_sees_only_its_own(session: Session) -> None:
    scenario(session)
    report = build_report(session, scope=["pea"], start=START, end=END, now=NOW)

    assert report.tickets == 1
    assert report.by_agency == [Count("pea", 1)]
    assert [b.ticket_id for b in report.sla.breaches] == ["DS-T0000009"]
    assert report.ticket_first_response == Durations(1, 60.0, 60.0)
    assert report.ticket_ratings.distribution == {1: 1, 2: 0, 3: 0, 4: 0, 5: 0}
    assert report.handoff_waits.requested == 1
    assert report.handoff_ratings.distribution == {1: 1, 2: 0, 3: 0, 4: 0, 5: 0}
    # A district office's supervisor does not see the parent agency's own tickets.
    district = build_report(session, scope=[BMA_DISTRICT], start=START, end=END, now=NOW)
    assert district.by_agency == [Count(BMA_DISTRICT, 2)]
    assert district.handoff_waits.requested == 1


def test_admins_see_every_agency_and_an_empty_scope_sees_nothing(session: Session) -> None:
    scenario(session)
    everything = build_report(session, scope=None, start=START, end=END, now=NOW)
    assert everything.tickets == 8
    assert {c.key for c in everything.by_agency} == {BMA, BMA_DISTRICT, "pea", "bmaxyz"}
    # T10 (bmaxyz) and T9 (pea) are overdue too.
    assert everything.sla.count == 4
    assert everything.handoff_waits.requested == 7
    assert everything.scope is None

    nothing = build_report(session, scope=[], start=START, end=END, now=NOW)
    assert nothing.tickets == 0 and nothing.by_agency == [] and nothing.sla.count == 0
    assert nothing.handoff_waits.requested == 0
    assert nothing.ticket_ratings.mean is None
    assert nothing.ticket_resolution == Durations(0, None, None)


def test_an_underscore_in_an_agency_id_is_not_a_wildcard(session: Session) -> None:
    ticket(session, "DS-U0000001", agency="a_b-1", created=utc(3, 2), due=utc(3, 30))
    ticket(session, "DS-U0000002", agency="axb-1", created=utc(3, 2), due=utc(3, 30))
    ticket(session, "DS-U0000003", agency="a_b", created=utc(3, 2), due=utc(3, 30))
    found = session.scalars(
        select(Ticket.id).where(scopes.clause(Ticket.agency_id, ["a_b"])).order_by(Ticket.id)
    ).all()
    assert found == ["DS-U0000001", "DS-U0000003"]


def test_ranges_are_checked(session: Session) -> None:
    with pytest.raises(ValueError):
        build_report(session, scope=None, start=END, end=START)
    with pytest.raises(ValueError):
        build_report(session, scope=None, start=START, end=START + timedelta(days=366))
    # 366 days (a leap year's worth) is the most allowed.
    report = build_report(session, scope=None, start=START, end=START + timedelta(days=365))
    assert len(report.days) == 366


def test_take_overs_are_not_citizens_asking_but_their_ratings_count(session: Session) -> None:
    scenario(session)
    before = build_report(session, scope=[BMA], start=START, end=END, now=NOW)
    handoff(
        session,
        queue=BMA,
        requested=utc(3, 4, 3),
        claim_after=0,
        reply_after=5,
        rating=4,
        reason="takeover",
    )
    after = build_report(session, scope=[BMA], start=START, end=END, now=NOW)
    assert after.handoff_waits.requested == before.handoff_waits.requested
    assert after.handoff_waits.claimed == before.handoff_waits.claimed
    assert after.handoff_first_response == before.handoff_first_response
    assert after.handoff_ratings.count == before.handoff_ratings.count + 1
