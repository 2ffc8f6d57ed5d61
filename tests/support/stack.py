"""Test support: the whole desk as real processes, and LINE webhook helpers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvicorn

from bot import devstack
from bot.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: F401 - re-exported
from bot.config import ROOT, Settings
from bot.dev.stack import LocalDesk, free_port, local_settings, wait_for  # noqa: F401 - re-exported

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def fresh_database(prefix: str, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database on the machine's server (its SQLAlchemy URL), dropped
    afterwards; a copy of `template` (a database name) when given."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


LOGS = ROOT / "var" / "test-logs"


class Served:
    """An ASGI app served by uvicorn in a background thread on a free 127.0.0.1 port."""

    def __init__(self, app: Any) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> Served:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()


# The machine's Redis, database 7, for tests (each session under its own key prefix).
REDIS_URL = "redis://127.0.0.1:6379/7"


def make_settings(pg_url: str, redis_prefix: str, **overrides: Any) -> Settings:
    """Test settings on free ports, the session's database and Redis prefix (`rasa` and
    `gateways`: how many of each, bot.dev.stack.local_settings)."""
    values: dict[str, Any] = {
        "rasa_timeout_s": 10.0,
        "retry_max_delay_s": 2.0,
        "loading_after_s": 0.0,
        "log_level": "INFO",
        # Tests run at any hour: the closed-office path has its own tests.
        "office_always_open": True,
    }
    values.update(overrides)
    redis_url = str(values.pop("redis_url", REDIS_URL))
    return local_settings(pg_url, redis_url, redis_prefix, **values)


def start_redis(port: int, data: Path) -> subprocess.Popen[bytes]:
    """`make run`'s private Redis (its binary and flags) on `port`, once it answers."""
    import redis

    server = subprocess.Popen(
        devstack.redis_proc(port, data).argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)

    def up() -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    wait_for(up, 20, "redis to answer")
    client.close()
    return server


def new_staff_token(database_url: str, role: str = "admin", agency_id: str | None = None) -> str:
    """A new staff account (an admin by default) and a live token of theirs."""
    from datetime import timedelta

    from bot.db import make_engine, make_sessionmaker
    from bot.staff import auth

    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            staff = auth.create_staff(
                session,
                username=f"{role}{uuid.uuid4().hex[:8]}",
                password="a-long-password",
                role=role,
                agency_id=agency_id,
            )
            token, _ = auth.issue_token(session, staff.id, timedelta(hours=1))
    finally:
        engine.dispose()
    return token


def stored_events(database_url: str, webhook_ids: list[str]) -> dict[str, Any]:
    """The stored events (InboundEvent rows, detached) by their webhookEventId."""
    from sqlalchemy import select

    from bot.db import make_engine, make_sessionmaker
    from bot.line.models import InboundEvent

    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session:
            rows = session.scalars(
                select(InboundEvent).where(InboundEvent.webhook_event_id.in_(webhook_ids))
            )
            return {row.webhook_event_id: row for row in rows}
    finally:
        engine.dispose()


def sign(secret: str, body: bytes) -> str:
    """LINE's X-Line-Signature for a body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def user_id() -> str:
    """A fresh LINE-shaped user id."""
    return "U" + uuid.uuid4().hex


class Desk(LocalDesk):
    """The running desk (bot.dev.stack) and clients for the LINE side."""

    def settled(self, user: str) -> bool:
        """Whether everything of `user` is over: each stored event handled (done, skipped
        or failed), no message to them waiting to be sent, and the queue drained."""
        from sqlalchemy import create_engine, func, select
        from sqlalchemy.orm import Session

        from bot.line.models import InboundEvent, OutboundMessage

        engine = create_engine(self.settings.database_url)
        try:
            with Session(engine) as session:
                open_events = session.scalar(
                    select(func.count()).where(
                        InboundEvent.line_user_id == user,
                        InboundEvent.status.not_in(("done", "skipped", "failed")),
                    )
                )
                open_sends = session.scalar(
                    select(func.count()).where(
                        OutboundMessage.line_user_id == user,
                        OutboundMessage.status == "pending",
                    )
                )
        finally:
            engine.dispose()
        worker = self.health().get("components", {}).get("worker", {})
        return not open_events and not open_sends and worker.get("queue_depth") == 0

    def wait_settled(self, user: str, timeout: float = 60) -> None:
        """Waits until `user`'s events are all handled and nothing is left to send to them:
        what was delivered by then is all that ever will be (instead of sleeping)."""
        wait_for(lambda: self.settled(user), timeout, "the desk settled for the user", every=0.2)

    # The LINE side ------------------------------------------------------------------

    def send(self, user: str, message: dict[str, Any] | None = None, **extra: Any) -> dict:
        """A simulated LINE user sends something (through the stand-in, signed like LINE)."""
        body = {"userId": user, "event": "message", "message": message, **extra}
        response = httpx.post(f"{self.line}/__send", json=body, timeout=10)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def say(self, user: str, text: str) -> dict:
        """A simulated user sends a text message."""
        return self.send(user, {"type": "text", "text": text})

    def delivered(self, user: str) -> list[dict[str, Any]]:
        """Messages the bot delivered to `user`, in order."""
        response = httpx.get(f"{self.line}/__messages", params={"userId": user}, timeout=5)
        response.raise_for_status()
        return list(response.json())

    def wait_delivered(self, user: str, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        """Waits until at least `count` messages reached `user`."""
        return wait_for(
            lambda: (found := self.delivered(user)) and len(found) >= count and found,
            timeout,
            f"{count} messages to the user",
        )

    def calls(self, path: str = "") -> list[dict[str, Any]]:
        """LINE API calls the stand-in recorded."""
        response = httpx.get(f"{self.line}/__calls", params={"path": path} if path else {})
        response.raise_for_status()
        return list(response.json())

    def post_webhook(self, body: bytes, signature: str | None) -> httpx.Response:
        """POSTs a raw webhook body to the gateway."""
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Line-Signature"] = signature
        return httpx.post(f"{self.gateway}/line/webhook", content=body, headers=headers)

    def post_events(self, events: list[dict[str, Any]]) -> httpx.Response:
        """POSTs events in a correctly signed webhook body."""
        body = json.dumps({"destination": "Udesk", "events": events}, ensure_ascii=False).encode()
        return self.post_webhook(body, sign(self.settings.line_channel_secret, body))


def texts(delivered: list[dict[str, Any]]) -> list[str]:
    """The texts of delivered messages."""
    return [m["message"].get("text", "") for m in delivered if m["message"]["type"] == "text"]


def read_log(name: str) -> str:
    """A process's test log."""
    path = Path(LOGS / f"{name}.log")
    return path.read_text(errors="replace") if path.exists() else ""
