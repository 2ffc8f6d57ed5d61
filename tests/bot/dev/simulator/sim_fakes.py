"""Fakes for simulator tests: a LINE stand-in's control endpoints, a desk, a server thread."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from fastapi import BackgroundTasks, FastAPI, HTTPException, Request

from bot import messages as desk_messages

SECRET = "simulator-test-secret"
Fetch = Callable[[str], Awaitable[tuple[bytes, str]]]
TOKEN = "simulator-test-token"


def sign(body: bytes, secret: str = SECRET) -> str:
    """LINE's x-line-signature: base64 HMAC-SHA256 of the body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


CHIPS = {
    "items": [
        {"type": "action", "action": {"type": "location", "label": "ส่งตำแหน่ง"}},
        {"type": "action", "action": {"type": "cameraRoll", "label": "แนบรูปภาพ"}},
        {
            "type": "action",
            "action": {
                "type": "postback",
                "label": "ยืนยันแจ้งเรื่อง",
                "data": "action=confirm&step=1",
                "displayText": "ยืนยันแจ้งเรื่อง",
            },
        },
        {"type": "action", "action": {"type": "message", "label": "ยกเลิก", "text": "ยกเลิก"}},
    ]
}

FLEX_CARD = {
    "type": "flex",
    "altText": "เรื่องที่แจ้ง T-0001",
    "contents": {
        "type": "bubble",
        "header": {
            "type": "box",
            "layout": "vertical",
            "backgroundColor": "#06C755",
            "contents": [
                {"type": "text", "text": "เรื่องที่แจ้ง #T-0001", "color": "#FFFFFF", "weight": "bold"}
            ],
        },
        "body": {
            "type": "box",
            "layout": "vertical",
            "spacing": "md",
            "contents": [
                {
                    "type": "box",
                    "layout": "baseline",
                    "contents": [
                        {"type": "text", "text": "สถานะ", "color": "#888888", "flex": 2},
                        {"type": "text", "text": "กำลังดำเนินการ", "flex": 5, "wrap": True},
                    ],
                },
                {"type": "separator"},
                {
                    "type": "box",
                    "layout": "horizontal",
                    "contents": [
                        {"type": "text", "text": "หน่วยงาน", "color": "#888888"},
                        {"type": "filler"},
                        {"type": "text", "text": "สำนักงานเขตราชเทวี", "align": "end"},
                    ],
                },
            ],
        },
        "footer": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {
                    "type": "button",
                    "style": "primary",
                    "action": {
                        "type": "postback",
                        "label": "ดูรายละเอียด",
                        "data": "action=ticket&id=T-0001",
                        "displayText": "ดูรายละเอียด",
                    },
                }
            ],
        },
    },
}


def _text(text: str, quick: bool = False) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "text", "text": text}
    if quick:
        message["quickReply"] = CHIPS
    return message


def _welcome() -> list[dict[str, Any]]:
    chips = [
        {
            "type": "action",
            "action": {
                "type": "postback",
                "label": choice["title"],
                "data": choice["payload"],
                "displayText": choice["title"],
            },
        }
        for choice in desk_messages.WELCOME_CHOICES
    ]
    return [{**_text(desk_messages.WELCOME), "quickReply": {"items": chips}}]


async def _on_text(event: dict[str, Any], _: Fetch) -> list[dict[str, Any]]:
    text = event["message"]["text"]
    if text == "ช้า":
        await asyncio.sleep(1.0)  # a slow answer, for the typing indicator
        return [_text("ตอบช้าหน่อยนะคะ")]
    if text == "flex":
        return [FLEX_CARD]
    if "<script>" in text:
        return [_text(text)]
    return [
        _text(
            f"รับทราบค่ะ น้องบันทึกเรื่อง “{text}” ไว้แล้ว\nรบกวนส่งตำแหน่งที่เกิดเหตุ หรือแนบรูปภาพเพิ่มเติมได้เลยนะคะ",
            quick=True,
        )
    ]


async def _on_location(event: dict[str, Any], _: Fetch) -> list[dict[str, Any]]:
    m = event["message"]
    where = f"{m.get('title', '')} ({m['latitude']:.4f}, {m['longitude']:.4f})"
    return [_text(f"ได้รับตำแหน่งแล้วค่ะ: {where}")]


async def _on_image(event: dict[str, Any], fetch: Fetch) -> list[dict[str, Any]]:
    data, content_type = await fetch(event["message"]["id"])
    return [_text(f"ได้รับรูปภาพแล้วค่ะ ({len(data)} ไบต์, {content_type})")]


async def _on_sticker(event: dict[str, Any], _: Fetch) -> list[dict[str, Any]]:
    return [{"type": "sticker", "packageId": "446", "stickerId": "1989"}]


async def _on_postback(event: dict[str, Any], _: Fetch) -> list[dict[str, Any]]:
    return [_text(f"ได้รับ postback: {event['postback']['data']}")]


async def _on_follow(event: dict[str, Any], _: Fetch) -> list[dict[str, Any]]:
    return _welcome()


Handler = Callable[[dict[str, Any], Fetch], Awaitable[list[dict[str, Any]]]]
# Replies by (event type, message type), the way the desk dispatches.
REPLIES: dict[tuple[str, str | None], Handler] = {
    ("follow", None): _on_follow,
    ("postback", None): _on_postback,
    ("message", "text"): _on_text,
    ("message", "location"): _on_location,
    ("message", "image"): _on_image,
    ("message", "sticker"): _on_sticker,
}


def create_fake_desk(standin_url: str) -> FastAPI:
    """A desk webhook that checks LINE's signature and replies through the stand-in."""
    app = FastAPI()
    app.state.events = []

    async def fetch(message_id: str) -> tuple[bytes, str]:
        async with httpx.AsyncClient(base_url=standin_url) as client:
            got = await client.get(
                f"/v2/bot/message/{message_id}/content",
                headers={"authorization": f"Bearer {TOKEN}"},
            )
            got.raise_for_status()
            return got.content, got.headers["content-type"]

    # One event at a time, in arrival order, as the desk's per-user queue answers them.
    in_order = asyncio.Lock()

    async def answer(event: dict[str, Any]) -> None:
        async with in_order:
            await _answer(event)

    async def _answer(event: dict[str, Any]) -> None:
        kind = (event["type"], event.get("message", {}).get("type"))
        handler = REPLIES.get(kind)
        if handler is None or "replyToken" not in event:
            return
        messages = await handler(event, fetch)
        async with httpx.AsyncClient(base_url=standin_url) as client:
            sent = await client.post(
                "/v2/bot/message/reply",
                json={"replyToken": event["replyToken"], "messages": messages},
                headers={"authorization": f"Bearer {TOKEN}"},
            )
            sent.raise_for_status()

    @app.post("/line/webhook")
    async def webhook(request: Request, tasks: BackgroundTasks) -> dict[str, str]:
        raw = await request.body()
        if not hmac.compare_digest(request.headers.get("x-line-signature", ""), sign(raw)):
            raise HTTPException(400, "bad signature")
        for event in json.loads(raw)["events"]:
            app.state.events.append(event)
            tasks.add_task(answer, event)  # answer after the 200, like the real desk's worker
        return {}

    return app


class ServerThread:
    """A uvicorn server on a free 127.0.0.1 port, in a thread; bind first, app later."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self, app: FastAPI) -> None:
        """Serve the app and wait until it accepts connections."""
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"server at {self.url} did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)
        self.sock.close()
