"""Helpers for the stand-in tests: servers in threads, a movable clock, a webhook receiver."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.config import Settings

SECRET = "standin-test-secret"
TOKEN = "standin-test-token"
ALICE = "U" + "a1" * 16
BOB = "U" + "b2" * 16


class FakeClock:
    """A monotonic clock the tests can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        """Jump ahead."""
        self.offset += seconds


@dataclass
class Posted:
    """One webhook request the receiver got."""

    body: bytes
    headers: dict[str, str]


@dataclass
class Receiver:
    """Stands in for the desk's webhook endpoint: keeps what it is sent."""

    posts: list[Posted] = field(default_factory=list)
    status: int = 200

    def app(self) -> Starlette:
        """The receiver as an ASGI app."""

        async def webhook(request: Request) -> Response:
            self.posts.append(Posted(await request.body(), dict(request.headers)))
            return Response(status_code=self.status)

        return Starlette(routes=[Route("/line/webhook", webhook, methods=["POST"])])


@dataclass
class Standin:
    """A running stand-in and the handles the tests need."""

    base_url: str
    clock: FakeClock
    receiver: Receiver
    settings: Settings
    http: httpx.Client

    def send(self, **payload: Any) -> dict[str, Any]:
        """A simulated user acts (POST /__send); the stand-in's answer."""
        response = self.http.post("/__send", json=payload)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def reply_token(self, user_id: str = ALICE, text: str = "hello") -> str:
        """A fresh reply token: the user sends a text message."""
        token: str = self.send(userId=user_id, message={"type": "text", "text": text})["body"][
            "events"
        ][0]["replyToken"]
        return token

    def messages(self, user_id: str) -> list[dict[str, Any]]:
        """What the bot delivered to a user."""
        result: list[dict[str, Any]] = self.http.get(
            "/__messages", params={"userId": user_id}
        ).json()
        return result

    def calls(self, path: str | None = None) -> list[dict[str, Any]]:
        """Recorded Messaging API calls."""
        params = {"path": path} if path else {}
        result: list[dict[str, Any]] = self.http.get("/__calls", params=params).json()
        return result


def make_settings(**overrides: Any) -> Settings:
    """Settings for a test stand-in, ignoring any .env file."""
    values: dict[str, Any] = {
        "line_channel_secret": SECRET,
        "line_channel_access_token": TOKEN,
        "standin_reply_token_ttl_s": 60.0,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
