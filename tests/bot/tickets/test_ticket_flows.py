"""What staff do to a ticket (bot.tickets.flows): scope, the lifecycle table in Thai, the
message a citizen is owed, the audit entry and the notices after the commit."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import unit_of_work
from bot.errors import Invalid, NotFound
from bot.line import outbox
from bot.staff.auth import StaffUser
from bot.staff.models import AuditEntry
from bot.tickets import flows
from bot.tickets.calendar import BusinessCalendar
from bot.tickets.lifecycle import TransitionError
from bot.tickets.routing import Router
from tests.support import factories


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.load()


def officer(session: Session, agency_id: str) -> StaffUser:
    made = factories.staff(session, role="agent", agency_id=agency_id)
    return StaffUser(made.id, made.username, made.display_name, made.role, made.agency_id)


def test_resolving_or_rejecting_needs_a_message_and_it_reaches_every_follower(
    sessions: sessionmaker[Session], router: Router
) -> None:
    with unit_of_work(sessions) as session:
        ticket = factories.ticket(session, router, BusinessCalendar.load())
        staff = officer(session, ticket.agency_id)
        ticket_id = ticket.id
    for target in ("rejected", "resolved"):
        with pytest.raises(Invalid, match="กรุณาเขียนข้อความถึงผู้แจ้ง"), unit_of_work(sessions) as s:
            flows.change_status(s, staff, flows.visible(s, ticket_id, staff), target, "  ")
    with unit_of_work(sessions) as session:
        found = flows.visible(session, ticket_id, staff)
        flows.change_status(session, staff, found, "in_progress", None)
        flows.change_status(session, staff, found, "resolved", "ซ่อมแล้วค่ะ")
        pending = outbox.pending(session)
        assert len(pending) == 2  # one notice per change, to the one follower
        audit = session.scalars(
            select(AuditEntry.action).where(AuditEntry.target == ticket_id)
        ).all()
        assert audit == ["ticket_transition", "ticket_transition"]


def test_a_forbidden_transition_says_so_in_thai(
    sessions: sessionmaker[Session], router: Router
) -> None:
    with unit_of_work(sessions) as session:
        ticket = factories.ticket(session, router, BusinessCalendar.load())
        staff = officer(session, ticket.agency_id)
        with pytest.raises(TransitionError) as refused:
            flows.change_status(session, staff, ticket, "closed", "ปิด")
    assert refused.value.status_code == 409
    assert refused.value.detail == "เปลี่ยนสถานะจาก “รับเรื่องแล้ว” เป็น “ปิดเรื่องแล้ว” ไม่ได้"


def test_another_agencys_ticket_is_not_found_like_a_missing_one(
    sessions: sessionmaker[Session], router: Router
) -> None:
    with unit_of_work(sessions) as session:
        ticket = factories.ticket(session, router, BusinessCalendar.load())
        stranger = officer(session, "ocpb")
        assert ticket.agency_id != "ocpb"
        for ticket_id in (ticket.id, "TCK-NOPE000"):
            with pytest.raises(NotFound, match="ticket not found"):
                flows.visible(session, ticket_id, stranger)
