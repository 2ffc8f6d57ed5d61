"""The ticket workbench's test helpers: tickets filed with a made-up Thai word to find
them by, and a console session for a staff member of a given agency and role."""

from __future__ import annotations

import random
import re
from datetime import timedelta

from fastapi.testclient import TestClient

from bot.console.auth import COOKIE
from bot.db import unit_of_work
from bot.staff import auth
from bot.staff.models import Staff
from bot.tickets.calendar import BusinessCalendar
from bot.tickets.models import Ticket
from bot.tickets.routing import Router
from tests.support import factories


def marker() -> str:
    """A made-up Thai word no other test writes."""
    return "".join(random.choice("กขคฆงจฉชซญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮ") for _ in range(8))


def file(
    gateway: TestClient,
    word: str,
    count: int = 1,
    line_user_id: str | None = None,
    **fields: object,
) -> list[Ticket]:
    """`count` road tickets whose description holds `word` (and `fields` as given)."""
    sessions = gateway.app.state.context.sessions  # type: ignore[attr-defined]
    with unit_of_work(sessions) as session:
        return [
            factories.ticket(
                session,
                Router.load(),
                BusinessCalendar.load(),
                line_user_id,
                **{
                    "description": f"ถนนหน้าบ้านเป็นหลุมใหญ่มาก {word} รถจักรยานยนต์ล้มทุกวัน",
                    **fields,
                },
            )
            for _ in range(count)
        ]


def sign_in_as(
    gateway: TestClient, agency_id: str | None, role: str = "agent", name: str | None = None
) -> Staff:
    """A new staff member signed in to the console (the client's cookie), returned."""
    sessions = gateway.app.state.context.sessions  # type: ignore[attr-defined]
    with unit_of_work(sessions) as session:
        staff = factories.staff(session, role=role, agency_id=agency_id, display_name=name)
        token, _ = auth.issue_token(session, staff.id, timedelta(hours=1))
        session.expunge(staff)
    gateway.cookies.clear()
    gateway.cookies.set(COOKIE, token)
    return staff


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)
