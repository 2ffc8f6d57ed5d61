"""The ticket workbench (/console/tickets) through the gateway in-process, signed in with
real console sessions on the session's PostgreSQL: find by a Thai word, filter, count,
page by keyset, open one, change its status with a message the citizen receives, note."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console import tickets as workbench
from bot.console.auth import COOKIE
from bot.db import make_engine, make_sessionmaker, unit_of_work
from bot.line.models import OutboundMessage
from bot.staff import auth
from bot.tickets.calendar import BusinessCalendar
from bot.tickets.models import Ticket
from bot.tickets.routing import Router
from tests.support import factories


@pytest.fixture
def db(gateway: TestClient) -> Iterator[Session]:
    engine = make_engine(gateway.app.state.context.settings.database_url)  # type: ignore[attr-defined]
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


def marker() -> str:
    """A made-up Thai word no other test writes."""
    return "".join(random.choice("กขคฆงจฉชซญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮ") for _ in range(8))


def file(
    gateway: TestClient, word: str, count: int = 1, line_user_id: str | None = None
) -> list[Ticket]:
    sessions = gateway.app.state.context.sessions  # type: ignore[attr-defined]
    with unit_of_work(sessions) as session:
        return [
            factories.ticket(
                session,
                Router.load(),
                BusinessCalendar.load(),
                line_user_id,
                description=f"ถนนหน้าบ้านเป็นหลุมใหญ่มาก {word} รถจักรยานยนต์ล้มทุกวัน",
            )
            for _ in range(count)
        ]


def sign_in_as(gateway: TestClient, agency_id: str | None, role: str = "agent") -> None:
    sessions = gateway.app.state.context.sessions  # type: ignore[attr-defined]
    with unit_of_work(sessions) as session:
        staff = factories.staff(session, role=role, agency_id=agency_id)
        token, _ = auth.issue_token(session, staff.id, timedelta(hours=1))
    gateway.cookies.clear()
    gateway.cookies.set(COOKIE, token)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_an_officer_finds_a_ticket_by_a_thai_word_and_others_do_not_see_it(
    gateway: TestClient,
) -> None:
    word = marker()
    [ticket] = file(gateway, word)
    sign_in_as(gateway, ticket.agency_id)
    # The form's "any type" and "any SLA" choices send empty values.
    listed = gateway.get("/console/tickets", params={"q": word, "type": "", "sla": ""})
    assert listed.status_code == 200
    assert f'data-ticket="{ticket.id}"' in listed.text
    assert 'data-testid="count-received">(1)' in listed.text  # counted by status, all filters
    closed = gateway.get("/console/tickets", params={"q": word, "status": "closed"})
    assert ticket.id not in closed.text and 'data-testid="empty"' in closed.text
    assert ticket.id in gateway.get(f"/console/tickets/{ticket.id}").text

    sign_in_as(gateway, "ocpb" if ticket.agency_id != "ocpb" else "bma")
    assert ticket.id not in gateway.get("/console/tickets", params={"q": word}).text
    for guessed in (ticket.id, "TCK-NOPE000"):
        hidden = gateway.get(f"/console/tickets/{guessed}")
        assert hidden.status_code == 404 and f"ไม่พบเรื่อง {guessed}" in hidden.text


def test_resolving_needs_a_message_and_the_citizen_receives_it(
    gateway: TestClient, db: Session
) -> None:
    citizen = factories.user_id()
    [ticket] = file(gateway, marker(), line_user_id=citizen)
    sign_in_as(gateway, ticket.agency_id)
    page = gateway.get(f"/console/tickets/{ticket.id}").text
    token = csrf_of(page)
    offered = re.findall(r'<option value="([a-z_]+)">', page.split('data-testid="new-status"')[1])
    assert "resolved" not in offered and "in_progress" in offered  # only what the table allows
    path = f"/console/tickets/{ticket.id}/status"

    forbidden = gateway.post(path, data={"status": "in_progress"}, follow_redirects=False)
    assert forbidden.status_code == 403  # no CSRF token

    moved = gateway.post(path, data={"status": "in_progress", "csrf": token})
    assert moved.status_code == 200 and 'data-testid="done"' in moved.text
    empty = gateway.post(path, data={"status": "resolved", "message": " ", "csrf": token})
    assert "กรุณาเขียนข้อความถึงผู้แจ้ง" in empty.text
    done = gateway.post(
        path, data={"status": "resolved", "message": "ซ่อมผิวถนนเรียบร้อยแล้วค่ะ", "csrf": token}
    )
    assert 'data-status="resolved"' in done.text
    told = db.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.line_user_id == citizen)
        .order_by(OutboundMessage.id)
    ).all()
    assert len(told) == 2  # in progress, then resolved with the officer's words
    assert "ซ่อมผิวถนนเรียบร้อยแล้วค่ะ" in str(told[-1].messages)


def test_unknown_filters_are_refused_in_thai(gateway: TestClient) -> None:
    sign_in_as(gateway, "bma")
    refused = gateway.get("/console/tickets", params={"status": "archived", "sla": "soon"})
    assert refused.status_code == 422
    assert "ไม่รู้จักตัวกรอง" in refused.text and "archived" in refused.text
    assert gateway.get("/console/tickets", params={"q": "ก" * 500}).status_code == 422
    assert gateway.get("/console/tickets", params={"after": "not-a-cursor"}).status_code == 422


def test_pages_follow_one_another_without_gaps_or_repeats(
    gateway: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    word = marker()
    filed = file(gateway, word, count=5)
    sign_in_as(gateway, filed[0].agency_id)
    monkeypatch.setattr(workbench, "PAGE_SIZE", 2)
    seen: list[str] = []
    url = f"/console/tickets?{urlencode({'q': word})}"
    for _ in range(5):
        page = gateway.get(url).text
        seen += re.findall(r'data-ticket="([^"]+)"', page)
        following = re.search(r'href="([^"]+)" data-testid="next"', page)
        if not following:
            break
        url = "/console/tickets" + following.group(1).replace("&amp;", "&")
    assert sorted(seen) == sorted(t.id for t in filed) and len(seen) == len(set(seen))
