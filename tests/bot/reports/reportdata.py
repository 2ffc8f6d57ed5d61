"""Hand-made tickets and hand-offs whose report figures are worked out by hand below.

Times are UTC; Bangkok is UTC+7, so 17:00 UTC is midnight in Bangkok. The report range in
the tests is 1–10 March 2026 (Bangkok dates) and "now" is 20 March 2026 12:00 UTC.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.conversations.models import Citizen, Conversation
from bot.handoff.models import Handoff
from bot.tickets.models import Ticket, TicketEvent

START = date(2026, 3, 1)
END = date(2026, 3, 10)
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
ROAD, FLOOD, GARBAGE = "complaint_road", "complaint_flooding", "complaint_garbage"
BMA, BMA_DISTRICT = "bma", "bma-district-1004"

_serial = itertools.count(1)


def utc(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A moment in 2026, UTC."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def ticket(
    session: Session,
    ticket_id: str,
    *,
    agency: str,
    created: datetime,
    due: datetime,
    complaint_type: str = ROAD,
    status: str = "received",
    resolved: datetime | None = None,
    closed: datetime | None = None,
    rating: int | None = None,
    staff_after: list[timedelta] | None = None,
) -> Ticket:
    """A ticket with its citizen "created" event and staff events after `staff_after`."""
    row = Ticket(
        id=ticket_id,
        intake_key=f"report-test-{ticket_id}",
        complaint_type=complaint_type,
        description="ทดสอบรายงาน",
        status=status,
        agency_id=agency,
        routing_rule="test",
        due_at=due,
        created_at=created,
        updated_at=created,
        resolved_at=resolved,
        closed_at=closed,
        rating=rating,
    )
    session.add(row)
    session.flush()
    session.add(
        TicketEvent(
            ticket_id=ticket_id,
            kind="created",
            to_status="received",
            actor_type="citizen",
            created_at=created,
        )
    )
    for after in staff_after or []:
        session.add(
            TicketEvent(
                ticket_id=ticket_id,
                kind="note",
                actor_type="staff",
                public=False,
                note="ตรวจสอบแล้ว",
                created_at=created + after,
            )
        )
    session.flush()
    return row


def handoff(
    session: Session,
    *,
    queue: str,
    requested: datetime,
    status: str = "ended",
    claim_after: float | None = None,
    reply_after: float | None = None,
    rating: int | None = None,
    reason: str = "requested",
) -> Handoff:
    """A hand-off in its own conversation; `*_after` are seconds after the request."""
    serial = next(_serial)
    citizen = Citizen(line_user_id=f"Ureport{serial:08d}")
    session.add(citizen)
    session.flush()
    conversation = Conversation(citizen_id=citizen.id)
    session.add(conversation)
    session.flush()
    row = Handoff(
        conversation_id=conversation.id,
        citizen_id=citizen.id,
        queue=queue,
        status=status,
        reason=reason,
        requested_at=requested,
        claimed_at=None if claim_after is None else requested + timedelta(seconds=claim_after),
        first_response_at=(
            None if reply_after is None else requested + timedelta(seconds=reply_after)
        ),
        rating=rating,
    )
    session.add(row)
    session.flush()
    return row


def scenario(session: Session) -> None:
    """Tickets T1–T10 and hand-offs H1–H8 (figures in test_report_service.py)."""
    minutes = lambda n: timedelta(minutes=n)  # noqa: E731
    # In bma's scope ------------------------------------------------------------------
    # T1: resolved on time after 3 days; first staff word after 30 minutes; rated 5.
    ticket(
        session, "DS-T0000001", agency=BMA_DISTRICT, created=utc(3, 1, 2), due=utc(3, 5, 9, 30),
        status="resolved", resolved=utc(3, 4, 2), rating=5,
        staff_after=[minutes(30), minutes(1440)],
    )  # fmt: skip
    # T2: filed 01:30 on 2 March in Bangkok (still 1 March in UTC); resolved 5 days later,
    # 3 days 18.5 hours after it was due; closed since; rated 2.
    ticket(
        session, "DS-T0000002", agency=BMA, created=utc(3, 1, 18, 30), due=utc(3, 3),
        status="closed", resolved=utc(3, 6, 18, 30), closed=utc(3, 8), rating=2,
        staff_after=[minutes(120)],
    )  # fmt: skip
    # T3: still in progress 10.5 days after its due date.
    ticket(
        session, "DS-T0000003", agency=BMA, created=utc(3, 5), due=utc(3, 10),
        complaint_type=FLOOD, status="in_progress", staff_after=[minutes(60)],
    )  # fmt: skip
    # T4: not yet due, nobody from staff has answered.
    ticket(
        session, "DS-T0000004", agency=BMA_DISTRICT, created=utc(3, 9, 10), due=utc(3, 25),
        complaint_type=GARBAGE,
    )  # fmt: skip
    # T5: midnight of 1 March in Bangkok; rejected after 4 hours (not an SLA breach).
    ticket(
        session, "DS-T0000005", agency=BMA, created=utc(2, 28, 17), due=utc(3, 2),
        complaint_type=GARBAGE, status="rejected", closed=utc(2, 28, 21),
        staff_after=[minutes(240)],
    )  # fmt: skip
    # T6: one second before 1 March in Bangkok: outside the range (though overdue).
    ticket(session, "DS-T0000006", agency=BMA, created=utc(2, 28, 16, 59, 59), due=utc(3, 1))
    # T7: one minute before 11 March in Bangkok: inside.
    ticket(session, "DS-T0000007", agency=BMA, created=utc(3, 10, 16, 59), due=utc(3, 30))
    # T8: midnight of 11 March in Bangkok: outside.
    ticket(session, "DS-T0000008", agency=BMA, created=utc(3, 10, 17), due=utc(3, 30))
    # Outside bma's scope ---------------------------------------------------------------
    # T9: another agency, overdue, answered in a minute, rated 1.
    ticket(
        session, "DS-T0000009", agency="pea", created=utc(3, 2), due=utc(3, 4),
        status="forwarded", rating=1, staff_after=[minutes(1)],
    )  # fmt: skip
    # T10: an agency whose id merely starts with "bma" (not "bma-").
    ticket(session, "DS-T0000010", agency="bmaxyz", created=utc(3, 3), due=utc(3, 4))

    # H1–H6 in bma's scope; H7 another agency; H8 before the range.
    handoff(session, queue=BMA, requested=utc(3, 2, 3), claim_after=120, reply_after=180, rating=4)
    handoff(
        session, queue=BMA_DISTRICT, requested=utc(3, 3, 3), claim_after=600, reply_after=900,
        rating=5,
    )  # fmt: skip
    handoff(session, queue=BMA, requested=utc(3, 4), claim_after=40)
    handoff(session, queue=BMA, requested=utc(3, 5), status="cancelled")
    handoff(session, queue=BMA, requested=utc(3, 6), status="waiting")
    handoff(session, queue=BMA, requested=utc(3, 7), claim_after=4000, reply_after=4100, rating=4)
    handoff(session, queue="pea", requested=utc(3, 2), claim_after=5, reply_after=6, rating=1)
    handoff(session, queue=BMA, requested=utc(2, 28, 16), status="waiting")
