"""Factories: a staff member, a complaint intake and a ticket with sensible defaults,
fresh ids each time, and any field overridden by keyword."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy.orm import Session

from bot.staff import auth
from bot.staff.models import Staff
from bot.tickets import service
from bot.tickets.calendar import BusinessCalendar
from bot.tickets.models import Ticket
from bot.tickets.routing import Router

PASSWORD = "correct horse battery staple"


def user_id() -> str:
    """A fresh LINE-shaped user id."""
    return "U" + uuid.uuid4().hex


def staff(
    session: Session,
    *,
    role: str = "agent",
    agency_id: str | None = "bma",
    username: str | None = None,
    password: str = PASSWORD,
    display_name: str | None = None,
    capacity: int | None = None,
) -> Staff:
    """A staff account (an agent of bma by default) with a fresh username."""
    created = auth.create_staff(
        session,
        username=username or f"{role}-{uuid.uuid4().hex[:8]}",
        password=password,
        role=role,
        agency_id=agency_id,
        display_name=display_name,
    )
    if capacity is not None:
        created.capacity = capacity
        session.flush()
    return created


def intake(
    line_user_id: str | None = None, key: str | None = None, **fields: Any
) -> service.Intake:
    """A road complaint in Bang Rak, Bangkok, unless `fields` say otherwise."""
    values: dict[str, Any] = {
        "complaint_type": "complaint_road",
        "description": "ถนนเป็นหลุมลึกหน้าโรงเรียน",
        "province": "กรุงเทพมหานคร",
        "district": "บางรัก",
        **fields,
    }
    return service.Intake(
        intake_key=key or f"test-{uuid.uuid4().hex}",
        line_user_id=line_user_id or user_id(),
        **values,
    )


def ticket(
    session: Session,
    router: Router,
    calendar: BusinessCalendar,
    line_user_id: str | None = None,
    **fields: Any,
) -> Ticket:
    """A filed ticket (routed, with its deadline) from `intake`'s defaults."""
    filed, _ = service.create_ticket(
        session, intake(line_user_id, **fields), router=router, calendar=calendar
    )
    return filed


def text_event(user: str | None, text: str = "สวัสดีค่ะ", *, tag: str = "T") -> dict[str, Any]:
    """A citizen's LINE text message event as the webhook receives it (no source when
    `user` is None); `tag` starts its webhookEventId, so a test's events are told apart."""
    return {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user} if user else None,
        "webhookEventId": "01" + tag + uuid.uuid4().hex.upper(),
        "deliveryContext": {"isRedelivery": False},
        "replyToken": uuid.uuid4().hex,
        "message": {"id": str(uuid.uuid4().int)[:18], "type": "text", "text": text},
    }
