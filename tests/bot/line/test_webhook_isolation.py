"""One bad event never fails the others stored beside it, and odd bodies get a 4xx.

A real gateway (uvicorn) takes concurrent requests, which its intake stores together
in one transaction; crafted, correctly signed bodies are mixed among good ones.
"""

from __future__ import annotations

import copy
import json
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from bot.config import Settings
from bot.db import make_engine
from bot.line.models import InboundEvent
from bot.main import create_app
from tests.support.stack import Served, fresh_database, sign, stored_events


@pytest.fixture
def settings(settings: Settings, own_database: str) -> Settings:
    """This module's events go to a database of their own (conftest's own_database)."""
    return settings.model_copy(update={"database_url": own_database})


@pytest.fixture
def served(settings: Settings) -> Iterator[str]:
    with Served(create_app(settings)) as server:
        yield server.base_url


def body_of(events: list[dict[str, Any]]) -> bytes:
    return json.dumps({"destination": "Udesk", "events": events}, ensure_ascii=False).encode()


def post_raw(base: str, settings: Settings, body: bytes) -> int:
    headers = {
        "X-Line-Signature": sign(settings.line_channel_secret, body),
        "Content-Type": "application/json",
    }
    return httpx.post(f"{base}/line/webhook", content=body, headers=headers, timeout=30).status_code


def fresh(sample: dict[str, Any]) -> dict[str, Any]:
    event = copy.deepcopy(sample)
    event["webhookEventId"] = "01ISO" + uuid.uuid4().hex.upper()
    return event


def rows(settings: Settings, ids: list[str]) -> dict[str, InboundEvent]:
    return stored_events(settings.database_url, ids)


def test_bad_events_never_fail_the_good_ones_stored_beside_them(
    served: str, settings: Settings, webhook_samples: list[dict[str, Any]]
) -> None:
    text_sample = webhook_samples[0]
    good = [fresh(text_sample) for _ in range(120)]
    odd: list[dict[str, Any]] = []
    for index in range(30):
        event = fresh(text_sample)
        kind = index % 5
        if kind == 0:
            event["message"]["text"] = "ถนนพัง\x00ตรงนี้"  # a NUL byte
        elif kind == 1:
            event["timestamp"] = 1e20 if index % 2 else -1e20  # no such time
        elif kind == 2:
            event["source"] = "Ubroken"  # not an object
        elif kind == 3:
            event["source"] = {"type": "user-from-elsewhere", "userId": "U" * 200}
        else:
            event["message"]["text"] = float("inf")
        odd.append(event)
    # Lone surrogates cannot be stored at all: those bodies (only) are refused.
    unstorable = [fresh(text_sample) for _ in range(5)]
    bodies = [body_of([e]) for e in good + odd]
    raw_unstorable = [
        body_of([e]).replace(b'"text": "', b'"text": "\\ud800', 1) for e in unstorable
    ]
    jobs = bodies + raw_unstorable
    order = list(range(len(jobs)))
    order = order[::2] + order[1::2]  # interleave the bad among the good
    with ThreadPoolExecutor(20) as pool:
        statuses = dict(
            zip(order, pool.map(lambda i: post_raw(served, settings, jobs[i]), order), strict=True)
        )
    good_statuses = [statuses[i] for i in range(len(good) + len(odd))]
    assert good_statuses.count(200) == len(good) + len(odd), good_statuses
    assert [statuses[i] for i in range(len(bodies), len(jobs))] == [400] * len(unstorable)
    stored = rows(settings, [e["webhookEventId"] for e in good + odd + unstorable])
    assert len(stored) == len(good) + len(odd)  # every storable event, each once
    nul = stored[odd[0]["webhookEventId"]]
    assert nul.payload["message"]["text"] == "ถนนพัง\ufffdตรงนี้"
    assert stored[odd[1]["webhookEventId"]].event_timestamp is None
    assert stored[odd[2]["webhookEventId"]].line_user_id is None
    assert len(stored[odd[3]["webhookEventId"]].source_type or "") <= 10


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_400(served: str, settings: Settings, depth: int) -> None:
    body = b'{"destination":"U1","events":[{"type":"message","x":' + b"[" * depth
    body += b"]" * depth + b"}]}"
    assert post_raw(served, settings, body) == 400


def test_a_huge_body_is_refused_while_it_is_read(served: str, settings: Settings) -> None:
    """An unsigned chunked body: the 413 comes once 2 MB are in, while the rest is unsent."""
    host, port = served.removeprefix("http://").split(":")
    sent = 0
    answer = b""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /line/webhook HTTP/1.1\r\nHost: desk\r\nX-Line-Signature: unsigned\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"x" * 65536
        while sent < 300_000_000 and not answer:
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                break  # the server closed the connection after answering
            sent += len(chunk)
            sock.settimeout(0)  # a look, without waiting
            try:
                answer = sock.recv(4096)
            except BlockingIOError:
                pass
            finally:
                sock.settimeout(10)
        sock.settimeout(10)
        answer = answer or sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")
    # Refused at the limit: what was sent beyond it sat in the sockets' buffers.
    assert sent < 32_000_000


def test_events_that_could_not_be_stored_answer_503_so_line_delivers_again(
    settings: Settings, webhook_samples: list[dict[str, Any]]
) -> None:
    """The database refuses every insert (its table is gone): not the body's fault."""
    with fresh_database("desk_store_fails") as url:
        broken = settings.model_copy(update={"database_url": url})
        with Served(create_app(broken)) as server:
            engine = make_engine(url)
            with engine.begin() as conn:
                conn.execute(text("ALTER TABLE inbound_event RENAME TO inbound_event_gone"))
            engine.dispose()
            body = body_of([fresh(webhook_samples[0])])
            assert post_raw(server.base_url, broken, body) == 503
