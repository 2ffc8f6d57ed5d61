"""Helpers for ticket conversations through the real desk (stand-in → ... → stand-in)."""

from __future__ import annotations

import base64
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.line.models import InboundEvent
from bot.staff import auth
from bot.tickets.models import Ticket
from tests.support.stack import Desk, wait_for


def photo(width: int = 64, height: int = 48, colour: str = "orange") -> str:
    """A small real JPEG, base64 (what the stand-in's __send takes)."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="JPEG")
    return base64.b64encode(out.getvalue()).decode()


def all_text(message: dict[str, Any]) -> str:
    """Every human-readable string of a LINE message (text, altText, Flex texts, labels)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "altText", "label"):
                if isinstance(node.get(key), str):
                    found.append(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message)
    return "\n".join(found)


def postbacks(message: dict[str, Any]) -> list[str]:
    """Postback data of every button and quick reply in a message."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "postback" and isinstance(node.get("data"), str):
                found.append(node["data"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message)
    return found


@dataclass
class Chat:
    """One simulated citizen talking to the desk; each call returns the bot's new messages."""

    desk: Desk
    user: str
    seen: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)

    def _db(self) -> Session:
        return Session(create_engine(self.desk.settings.database_url))

    def _await_handled(self, sent: dict[str, Any]) -> list[dict[str, Any]]:
        event_ids = [e["webhookEventId"] for e in sent["body"]["events"]]

        def handled() -> bool:
            with self._db() as session:
                statuses = session.scalars(
                    select(InboundEvent.status).where(InboundEvent.webhook_event_id.in_(event_ids))
                ).all()
            return len(statuses) == len(event_ids) and all(
                s in {"done", "skipped", "failed"} for s in statuses
            )

        wait_for(handled, 60, "the message handled")
        new = self.desk.delivered(self.user)[self.seen :]
        self.seen += len(new)
        messages = [d["message"] for d in new]
        self.log += messages
        return messages

    def say(self, text: str) -> list[dict[str, Any]]:
        """Sends a text; the bot's answer."""
        return self._await_handled(self.desk.say(self.user, text))

    def tap(self, data: str) -> list[dict[str, Any]]:
        """Taps a button (a postback)."""
        return self._await_handled(
            self.desk.send(self.user, None, event="postback", postbackData=data)
        )

    def location(self, latitude: float, longitude: float, address: str) -> list[dict[str, Any]]:
        """Shares a location."""
        message = {
            "type": "location",
            "latitude": latitude,
            "longitude": longitude,
            "address": address,
        }
        return self._await_handled(self.desk.send(self.user, message))

    def image(self, content_b64: str, content_type: str = "image/jpeg") -> list[dict[str, Any]]:
        """Sends a photo."""
        message = {"type": "image", "contentBase64": content_b64, "contentType": content_type}
        return self._await_handled(self.desk.send(self.user, message))

    def pushes(self, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        """Waits for `count` messages that arrive without the citizen writing (notices)."""
        found = wait_for(
            lambda: (d := self.desk.delivered(self.user)[self.seen :]) and len(d) >= count and d,
            timeout,
            f"{count} pushed messages",
        )
        self.seen += len(found)
        return [d["message"] for d in found]


def said(messages: list[dict[str, Any]]) -> str:
    """Everything the bot said in these messages, as one text."""
    return "\n".join(all_text(m) for m in messages)


def ticket(desk: Desk, ticket_id: str) -> Ticket | None:
    """The stored ticket."""
    with Session(create_engine(desk.settings.database_url)) as session:
        return session.get(Ticket, ticket_id)


def staff_token(desk: Desk, username: str, role: str, agency_id: str | None) -> str:
    """Creates a staff account and signs in through the API; the bearer token."""
    password = "correct horse battery staple"
    with Session(create_engine(desk.settings.database_url)) as session, session.begin():
        auth.create_staff(
            session, username=username, password=password, role=role, agency_id=agency_id
        )
    response = httpx.post(
        f"{desk.gateway}/api/auth/token",
        data={"username": username, "password": password},
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def api(desk: Desk, token: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """Calls the staff API."""
    return httpx.request(
        method,
        f"{desk.gateway}{path}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
        **kwargs,
    )


def payload_json(data: str) -> dict[str, Any]:
    """The entities of a ``/intent{...}`` payload."""
    brace = data.find("{")
    return json.loads(data[brace:]) if brace >= 0 else {}


TICKET_ID = re.compile(r"DS-[0-9A-HJKMNP-TV-Z]{8}")
ROAD = "ถนนหน้าบ้านเป็นหลุมใหญ่มาก รถมอเตอร์ไซค์ล้มไปสองคันแล้ว อยากให้มาซ่อมด่วนค่ะ"
# A spot in Phra Nakhon, Bangkok (Sanam Luang).
LAT, LON = 13.7552, 100.4925
ADDRESS = "ถนนราชดำเนินใน แขวงพระบรมมหาราชวัง เขตพระนคร กรุงเทพมหานคร 10200"


def file_road_complaint(chat: Chat, spot: int, *, with_photo: bool = True) -> str:
    """Goes through the whole intake like a citizen; returns the new ticket id.

    `spot`: each test reports from its own point, ~450 m from the others (farther than
    the +1 radius), so tests do not join each other's tickets.
    """
    first = said(chat.say(ROAD))
    assert "ถนน ทางเท้า สะพาน" in first, first
    assert "ที่ไหน" in first, first  # the location question follows
    after_location = said(chat.location(LAT + spot * 0.004, LON, ADDRESS))
    assert "รูป" in after_location, after_location
    if with_photo:
        got = said(chat.image(photo()))
        assert "ได้รับรูปที่ 1" in got, got
        assert "เบอร์" in said(chat.tap("/complaint_photos_done"))
    else:
        assert "เบอร์" in said(chat.tap("/complaint_photos_done"))
    consent = said(chat.say("081-234-5678"))
    assert "ยินยอม" in consent, consent
    summary = chat.tap("/affirm")
    card = said(summary)
    assert "ตรวจสอบก่อนส่งเรื่อง" in card
    assert "081" in card and "สำนักงานเขตพระนคร" in card, card
    # The summary's buttons name their intake (a tap after the form answers what it was).
    confirm = next(p for p in postbacks(summary[-1]) if p.startswith("/complaint_confirm"))
    done = said(chat.tap(confirm))
    found = TICKET_ID.search(done)
    assert found, done
    assert "สำนักงานเขตพระนคร" in done
    return found.group(0)
