"""PDPA erasure through the chat, and many citizens filing at once (with replays)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bot.conversations.models import Citizen
from bot.line.models import InboundEvent, OutboundMessage
from bot.tickets.models import Ticket
from tests.bot.tickets.test_ticket_conversations import file_road_complaint
from tests.support.chat import Chat, said
from tests.support.stack import Desk, sign, user_id, wait_for

pytestmark = pytest.mark.stack


def test_a_citizen_sees_what_is_held_and_has_it_erased(desk: Desk) -> None:
    chat = Chat(desk, user_id())
    ticket_id = file_road_complaint(chat, 6, with_photo=False)

    held = said(chat.say("ขอดูข้อมูลส่วนตัวของฉันที่เก็บไว้หน่อยค่ะ"))
    assert ticket_id in held and "081-xxx-5678" in held and "ข้อความ" in held
    assert "0812345678" not in held
    assert "ยืนยัน" in said(chat.tap("/privacy_erase"))
    done = said(chat.tap("/privacy_erase_confirm"))
    assert "ลบข้อมูลของคุณเรียบร้อยแล้ว" in done

    engine = create_engine(desk.settings.database_url)
    with Session(engine) as session:
        stored = session.get(Ticket, ticket_id)
        assert stored is not None  # the agency keeps the work
        assert stored.citizen_id is None and stored.contact_phone is None
        assert not stored.share_identity
        # Nothing stored of what they sent still points at them (their LINE id is in
        # every event's source) — the events themselves stay, emptied, for the record.
        payloads = session.scalars(select(InboundEvent.payload)).all()
        assert not any(chat.user in json.dumps(p) for p in payloads)
        assert not session.scalars(
            select(InboundEvent.id).where(InboundEvent.line_user_id == chat.user)
        ).all()
        assert (
            session.scalar(
                select(func.count()).where(
                    Citizen.line_user_id == chat.user, Citizen.display_name.isnot(None)
                )
            )
            == 0
        )
    # Rasa's record of the chat is gone: the key the tracker store used no longer exists.
    client = redis.Redis.from_url(desk.settings.redis_url)
    key = f"{desk.settings.redis_prefix}rasa:tracker:{chat.user}"
    wait_for(lambda: not client.exists(key), 10, "the Rasa tracker deleted")
    # And so are the turns Rasa keeps for retried messages (they may echo their words).
    turns = f"{desk.settings.redis_prefix}rasa:turn:{chat.user}:*"
    assert list(client.scan_iter(turns)) == []
    # Their old ticket is no longer theirs to follow.
    again = said(chat.say(f"ติดตามเรื่อง {ticket_id}"))
    assert "ไม่พบ" in again


def test_fifty_citizens_filing_at_once_make_fifty_tickets_and_replays_add_nothing(
    desk: Desk,
) -> None:
    users = [user_id() for _ in range(50)]
    steps: list[tuple[str, dict]] = [
        ("message", {"type": "text", "text": "ไฟถนนหน้าซอยดับมาหลายคืนแล้ว มืดมากน่ากลัวค่ะ"}),
        ("message", {"type": "text", "text": "ข้าม"}),
        ("postback", {"data": "/complaint_photos_done"}),
        ("postback", {"data": "/deny"}),
        ("postback", {"data": "/deny"}),
        ("postback", {"data": "/complaint_confirm"}),
    ]
    sent_bodies: list[bytes] = []

    async def one(client: httpx.AsyncClient, user: str) -> None:
        for event, content in steps:
            body: dict[str, Any] = {"userId": user, "event": event}
            if event == "message":
                body["message"] = content
            else:
                body["postbackData"] = content["data"]
            before = len(
                (await client.get(f"{desk.line}/__messages", params={"userId": user})).json()
            )
            response = await client.post(f"{desk.line}/__send", json=body)
            response.raise_for_status()
            sent_bodies.append(
                json.dumps(
                    {"destination": "Udesk", "events": response.json()["body"]["events"]},
                    ensure_ascii=False,
                ).encode()
            )
            for _ in range(600):  # each answer before the next step, like a person
                try:
                    got = (
                        await client.get(f"{desk.line}/__messages", params={"userId": user})
                    ).json()
                except httpx.TransportError:
                    # 50 pollers on one test server: a kept-alive connection the server
                    # just closed fails once; polling again is what a person would do.
                    await asyncio.sleep(0.1)
                    continue
                if len(got) > before:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.3)

    async def everyone() -> None:
        # Idle connections are dropped before the stand-in's server would close them (its
        # keep-alive is 5 s, httpx's too): otherwise a request can go out on a connection
        # the server is closing at that moment ("Server disconnected").
        limits = httpx.Limits(keepalive_expiry=1.0)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            await asyncio.gather(*(one(client, u) for u in users))

    asyncio.run(everyone())
    engine = create_engine(desk.settings.database_url)

    def filed() -> int:
        with Session(engine) as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(Ticket)
                    .join(Citizen, Citizen.id == Ticket.citizen_id)
                    .where(Citizen.line_user_id.in_(users))
                )
                or 0
            )

    wait_for(lambda: filed() == 50, 120, "50 tickets")
    with Session(engine) as session:
        sends_before = session.scalar(
            select(func.count()).where(OutboundMessage.line_user_id.in_(users))
        )
    # LINE redelivers every one of those webhooks.
    for body in sent_bodies:
        response = httpx.post(
            f"{desk.gateway}/line/webhook",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Line-Signature": sign(desk.settings.line_channel_secret, body),
            },
        )
        assert response.status_code == 200
    for user in users:
        desk.wait_settled(user)
    assert filed() == 50
    with Session(engine) as session:
        sends_after = session.scalar(
            select(func.count()).where(OutboundMessage.line_user_id.in_(users))
        )
    assert sends_after == sends_before
