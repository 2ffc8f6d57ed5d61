"""The ticket domain on a real database (SQLite file, migrated like production)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import privacy
from bot.conversations.models import Citizen
from bot.conversations.service import citizen_by_line_id
from bot.db import aware, unit_of_work, utcnow
from bot.line.models import InboundEvent, OutboundMessage
from bot.staff import auth
from bot.staff import scope as scopes
from bot.teaching import inbox
from bot.teaching.models import NluExample
from bot.tickets import service
from bot.tickets.calendar import BusinessCalendar
from bot.tickets.lifecycle import (
    STATUSES,
    TRANSITIONS,
    TransitionError,
    check_transition,
    new_ticket_id,
)
from bot.tickets.models import Ticket, TicketEvent
from bot.tickets.routing import Router
from nlu.entities.parsers import normalize_ticket_id
from tests.support.factories import intake, user_id


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.load()


@pytest.fixture(scope="module")
def calendar() -> BusinessCalendar:
    return BusinessCalendar.load()


def test_ticket_ids_are_random_crockford_and_parse_back() -> None:
    ids = {new_ticket_id() for _ in range(2000)}
    assert len(ids) == 2000
    for ticket_id in list(ids)[:50]:
        assert normalize_ticket_id(ticket_id.lower().replace("-", " ")) == ticket_id
    assert not any(set(i[3:]) & set("ILOU") for i in ids)


def test_the_transition_table_is_enforced_in_one_place() -> None:
    check_transition("received", "forwarded", "staff")
    with pytest.raises(TransitionError):
        check_transition("received", "closed", "staff")
    with pytest.raises(TransitionError):
        check_transition("received", "forwarded", "citizen")
    check_transition("resolved", "in_progress", "citizen")
    with pytest.raises(TransitionError):
        check_transition("closed", "in_progress", "staff")
    with pytest.raises(TransitionError):
        check_transition("received", "archived", "staff")
    assert {s for pair in TRANSITIONS for s in pair} == set(STATUSES)


def test_filing_is_idempotent_per_intake_and_routed(
    sessions: sessionmaker[Session], router: Router, calendar: BusinessCalendar
) -> None:
    with unit_of_work(sessions) as session:
        first, created = service.create_ticket(
            session, intake("Ua", "k1"), router=router, calendar=calendar
        )
        assert created
    with unit_of_work(sessions) as session:
        again, created = service.create_ticket(
            session, intake("Ua", "k1"), router=router, calendar=calendar
        )
        assert not created and again.id == first.id
        assert first.agency_id == "bma-district-1004"
        assert aware(first.due_at) > utcnow() + timedelta(days=14)
        assert session.scalar(select(Ticket.id).where(Ticket.intake_key == "k1")) == first.id


def test_a_ticket_is_only_visible_to_its_followers(
    sessions: sessionmaker[Session], router: Router, calendar: BusinessCalendar
) -> None:
    with unit_of_work(sessions) as session:
        ticket, _ = service.create_ticket(
            session, intake("Uowner", "k2"), router=router, calendar=calendar
        )
        assert service.for_citizen(session, ticket.id, "Uowner") is not None
        assert service.for_citizen(session, ticket.id, "Uother") is None
        assert service.join(session, ticket, "Uother")
        assert not service.join(session, ticket, "Uother")
        assert service.for_citizen(session, ticket.id, "Uother") is not None
        assert ticket.followers_count == 2


def test_a_change_and_its_notices_are_one_transaction(
    sessions: sessionmaker[Session], router: Router, calendar: BusinessCalendar
) -> None:
    first, second = user_id(), user_id()
    theirs = select(OutboundMessage).where(OutboundMessage.line_user_id.in_([first, second]))
    with unit_of_work(sessions) as session:
        ticket, _ = service.create_ticket(
            session, intake(first, f"k3-{first}"), router=router, calendar=calendar
        )
        service.join(session, ticket, second)
        ticket_id = ticket.id
    with pytest.raises(RuntimeError), unit_of_work(sessions) as session:
        found = session.get_one(Ticket, ticket_id)
        notices = service.transition(session, found, "forwarded", actor="staff")
        assert len(notices) == 2
        raise RuntimeError("the request failed after the change")
    with sessions() as session:
        assert session.get_one(Ticket, ticket_id).status == "received"
        assert not session.scalars(theirs).all()
    with unit_of_work(sessions) as session:
        found = session.get_one(Ticket, ticket_id)
        notices = service.transition(session, found, "forwarded", actor="staff", note="ส่งแล้ว")
    with sessions() as session:
        rows = session.scalars(theirs.order_by(OutboundMessage.id)).all()
        assert [r.line_user_id for r in rows] == [first, second]
        assert all(r.status == "pending" and r.purpose == "ticket_update" for r in rows)
        assert len({r.retry_key for r in rows}) == 2
        assert [n.outbound_id for n in notices] == [r.id for r in rows]


def test_reopening_respects_the_window_and_resolved_tickets_close_after_it(
    sessions: sessionmaker[Session], router: Router, calendar: BusinessCalendar
) -> None:
    window = timedelta(days=14)
    with unit_of_work(sessions) as session:
        ticket, _ = service.create_ticket(
            session, intake("Ur", "k4"), router=router, calendar=calendar
        )
        service.transition(session, ticket, "in_progress", actor="staff")
        long_ago = utcnow() - timedelta(days=20)
        service.transition(session, ticket, "resolved", actor="staff", now=long_ago)
        with pytest.raises(TransitionError):
            service.transition(
                session, ticket, "in_progress", actor="citizen", reopen_window=window
            )
        closed = service.close_expired(session, window=window)
        assert ticket.status == "closed" and len(closed) == 1


def test_similar_open_tickets_are_found_by_distance_and_by_text(
    sessions: sessionmaker[Session], router: Router, calendar: BusinessCalendar
) -> None:
    with unit_of_work(sessions) as session:
        near, _ = service.create_ticket(
            session,
            intake("Us1", "k5", latitude=13.7300, longitude=100.5200),
            router=router,
            calendar=calendar,
        )
        typed, _ = service.create_ticket(
            session,
            intake("Us2", "k6", district="สาทร", description="ท่อระบายน้ำอุดตันหน้าตลาดน้ำท่วมขัง"),
            router=router,
            calendar=calendar,
        )
    args: dict[str, Any] = {
        "complaint_type": "complaint_road",
        "line_user_id": "Unew",
        "window": timedelta(days=7),
        "radius_m": 200.0,
        "min_similarity": 0.6,
        "description": "",
    }
    with sessions() as session:
        found = service.find_similar(
            session, latitude=13.7310, longitude=100.5200, district=None, **args
        )
        assert found is not None and found.id == near.id  # ~110 m
        assert (
            service.find_similar(
                session, latitude=13.7400, longitude=100.5200, district=None, **args
            )
            is None
        )  # ~1.1 km
        text_args = {**args, "description": "ท่อระบายน้ำอุดตันหน้าตลาด น้ำท่วมขังทุกครั้งที่ฝนตก"}
        found = service.find_similar(
            session, latitude=None, longitude=None, district="สาทร", **text_args
        )
        assert found is not None and found.id == typed.id
        mine = {**text_args, "line_user_id": "Us2"}
        assert (
            service.find_similar(session, latitude=None, longitude=None, district="สาทร", **mine)
            is None
        )  # nobody is offered to join their own ticket


def test_erasure_anonymises_tickets_and_forgets_the_person(
    sessions: sessionmaker[Session], router: Router, calendar: BusinessCalendar
) -> None:
    with unit_of_work(sessions) as session:
        ticket, _ = service.create_ticket(
            session,
            intake(
                "Ugone",
                "k7",
                contact_phone="0812345678",
                share_identity=True,
                description="ถนนหน้าบ้านพัง ติดต่อกลับ 081-234-5678 หรือ ๐๒ ๑๒๓ ๔๕๖๗ บัตร 1101700203450",
            ),
            router=router,
            calendar=calendar,
        )
        ticket_id = ticket.id
        citizen = citizen_by_line_id(session, "Ugone")
        assert citizen is not None
        for number, text in enumerate(["ผมชื่อสมชาย  ถนนหน้าบ้านพัง", "สวัสดีครับ"]):
            session.add(
                InboundEvent(
                    webhook_event_id=f"erase-{number}",
                    event_type="message",
                    message_type="text",
                    line_user_id="Ugone",
                    citizen_id=citizen.id,
                    payload={"type": "message", "message": {"type": "text", "text": text}},
                )
            )
        # An admin taught the bot with the first message (and with someone else's words).
        inbox.label(
            session,
            [("ผมชื่อสมชาย ถนนหน้าบ้านพัง", "complaint_road"), ("ไฟดับทั้งซอย", "complaint_streetlight")],
            staff_id=None,
            source="inbox",
        )
        inbox.label(session, [("สวัสดีครับ", "greet")], staff_id=None, source="console")
    with sessions() as session:
        assert privacy.summary(session, "Ugone")["examples"] == 1
    with unit_of_work(sessions) as session:
        counts = privacy.erase_citizen(session, "Ugone")
        assert counts["tickets"] == 1 and counts["examples"] == 1
    with sessions() as session:
        # the copy of their words is gone; the admin's own example and others' words stay
        left = set(session.scalars(select(NluExample.text)))
        assert left == {"ไฟดับทั้งซอย", "สวัสดีครับ"}
        kept = session.get_one(Ticket, ticket_id)
        assert kept.citizen_id is None and kept.contact_phone is None and not kept.share_identity
        # the problem stays, the numbers typed into it do not
        assert kept.description == ("ถนนหน้าบ้านพัง ติดต่อกลับ [ลบแล้ว] หรือ [ลบแล้ว] บัตร [ลบแล้ว]")
        assert citizen_by_line_id(session, "Ugone") is None
        assert all(c.display_name is None for c in session.scalars(select(Citizen)))
        kinds = session.scalars(
            select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id)
        ).all()
        assert "anonymised" in kinds


def test_staff_passwords_are_hashed_and_tokens_expire(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        staff = auth.create_staff(
            session, username="Somchai", password="a long passphrase", role="agent", agency_id="bma"
        )
        assert staff.password_hash.startswith("$argon2")
        with pytest.raises(ValueError):
            auth.create_staff(
                session, username="x", password="short", role="agent", agency_id="bma"
            )
        with pytest.raises(ValueError):
            auth.create_staff(
                session, username="y", password="a long passphrase", role="agent", agency_id=None
            )
    with unit_of_work(sessions) as session:
        assert auth.authenticate(session, "somchai", "wrong password!") is None
        user = auth.authenticate(session, "SOMCHAI", "a long passphrase")
        assert user is not None and user.scope == ["bma"]
        live, _ = auth.issue_token(session, user.id, timedelta(hours=1))
        dead, _ = auth.issue_token(session, user.id, timedelta(hours=-1))
    with sessions() as session:
        assert auth.staff_for_token(session, live) == user
        assert auth.staff_for_token(session, dead) is None
        assert auth.staff_for_token(session, "forged") is None
    assert scopes.visible("bma-district-1004", ["bma"])
    assert not scopes.visible("bmax", ["bma"]) and not scopes.visible("ocpb", ["bma"])
    assert scopes.visible("ocpb", None)


def test_an_agent_corrects_the_type_the_ticket_is_routed_again_and_the_nlu_learns(
    sessions: sessionmaker[Session], router: Router, calendar: BusinessCalendar
) -> None:
    from bot.teaching import inbox

    words = "น้ำประปาไม่ไหลมาสามวันแล้ว ท่อแตกหน้าบ้าน ช่วยด้วยค่ะ"
    with unit_of_work(sessions) as session:
        ticket, _ = service.create_ticket(
            session,
            intake("U-retype", "k-retype", description=words),
            router=router,
            calendar=calendar,
        )
        road_agency, due = ticket.agency_id, ticket.due_at
        with pytest.raises(TransitionError):
            service.retype(session, ticket, "complaint_road", router=router, staff_id=None)
        with pytest.raises(TransitionError):
            service.retype(session, ticket, "left_message", router=router, staff_id=None)
        event = service.retype(
            session, ticket, "complaint_water_supply", router=router, staff_id=None
        )
        expected = router.route("complaint_water_supply", "กรุงเทพมหานคร", "บางรัก").agency
        assert ticket.complaint_type == "complaint_water_supply"
        assert ticket.agency_id == expected.id != road_agency
        assert ticket.due_at == due  # the citizen has waited since filing
        assert event.kind == "retyped" and event.public and expected.name in (event.note or "")
        ticket_id = ticket.id

    with sessions() as session:
        groups = [g for g in inbox.inbox(session) if g["source"] == "ticket"]
    assert len(groups) == 1, groups
    assert groups[0]["texts"] == [words]
    assert groups[0]["guess"] == "complaint_water_supply"  # the agent's type, pre-filled
    assert groups[0]["read_as"] == "complaint_road"
    assert groups[0]["ticket_ids"] == [ticket_id]

    with unit_of_work(sessions) as session:
        inbox.label(session, [(words, "complaint_water_supply")], staff_id=None, source="ticket")
    with sessions() as session:
        assert not [g for g in inbox.inbox(session) if g["source"] == "ticket"]


def test_a_closed_ticket_keeps_its_agency_when_its_type_is_corrected(
    sessions: sessionmaker[Session], router: Router, calendar: BusinessCalendar
) -> None:
    with unit_of_work(sessions) as session:
        ticket, _ = service.create_ticket(
            session, intake("U-closed", "k-closed"), router=router, calendar=calendar
        )
        service.transition(session, ticket, "rejected", actor="staff")
        agency = ticket.agency_id
        service.retype(session, ticket, "complaint_flooding", router=router, staff_id=None)
        assert ticket.agency_id == agency and ticket.complaint_type == "complaint_flooding"
