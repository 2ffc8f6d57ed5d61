"""Many of each on one machine (issue 19): 3 workers, 2 Rasa servers and 2 gateways on one
PostgreSQL and one Redis, started from the process table `desk run` uses, driven through
the LINE stand-in (which spreads webhooks over both gateways, as LINE's platform does
over a load balancer).

50 citizens write 10 messages each, a message every fraction of a second without waiting
for the answers, while the desk loses a worker to SIGKILL and gains another, or loses a
Rasa server and gets it back. Every message must be answered exactly once, and each
citizen's answers must arrive in the order the messages were sent.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.config import ROOT
from bot.line.models import InboundEvent, OutboundMessage
from tests.support.agents import Agent, create_staff
from tests.support.chat import Chat
from tests.support.stack import (
    LOGS,
    REDIS_URL,
    Desk,
    fresh_database,
    make_settings,
    user_id,
    wait_for,
)

# Two Rasa servers starting beside everything else take minutes on a busy two-core
# machine, and pytest-timeout counts the module fixture's start in the first test.
pytestmark = [pytest.mark.stack, pytest.mark.timeout(900)]

CITIZENS = 50
MESSAGES = 10
# Chat turns whose answers need no form state: one answer each, whatever came before.
TEXTS = ["สวัสดีค่ะ", "ขอบคุณมากค่ะ", "บอทช่วยอะไรได้บ้าง", "สวัสดีครับ", "ขอบคุณครับ"]
QUEUE = "gov_contact_1111"


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """The desk with 3 workers, 2 Rasa servers (one shared action server) and 2 gateways,
    on a database and a Redis prefix of its own."""
    model = ROOT / "models" / "desk.tar.gz"
    if not model.exists():
        pytest.fail("no trained model: run `make test` (it trains models/desk.tar.gz)")
    prefix = f"deskscale{uuid.uuid4().hex[:8]}"
    nlu = tmp_path_factory.mktemp("scaling-nlu")
    with fresh_database("desk_scale") as url:
        settings = make_settings(
            url,
            prefix,
            rasa=2,
            gateways=2,
            handoff_auto_assign=False,
            nlu_models_dir=nlu / "models",
            nlu_work_dir=nlu / "work",
        )
        multiproc: Path = tmp_path_factory.mktemp("scaling-prometheus")
        desk = Desk(
            settings,
            logs=LOGS / "scaling",
            env={"PROMETHEUS_MULTIPROC_DIR": str(multiproc)},
            model=model,
            workers=3,
            gateways=2,
        )
        try:
            desk.start_all(timeout=300)
            wait_for(lambda: rasa_servers_ok(desk) == [True, True], 120, "both Rasa servers")
            yield desk
        finally:
            desk.stop_all()
            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"{prefix}*"):
                client.delete(key)
            client.close()


def rasa_servers_ok(desk: Desk) -> list[bool]:
    """Each Rasa server's readiness, as /healthz reports it."""
    rasa = desk.health().get("components", {}).get("rasa", {})
    return [bool(server.get("ok")) for server in rasa.get("servers", [])]


def leases(desk: Desk) -> list[str | None]:
    """Which worker holds each partition of the queue."""
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        prefix, partitions = desk.settings.redis_prefix, desk.settings.queue_partitions
        held = client.mget([f"{prefix}:lease:{p}" for p in range(partitions)])
        return [None if owner is None else str(owner) for owner in held]
    finally:
        client.close()


@dataclass
class Sent:
    """One message a citizen sent."""

    user: str
    index: int
    event_id: str
    reply_token: str


@dataclass
class Citizens:
    """CITIZENS citizens writing MESSAGES messages each, not waiting for answers."""

    desk: Desk
    sent: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def write(self, user: str) -> None:
        with httpx.Client(base_url=self.desk.line, timeout=30) as client:
            for index in range(MESSAGES):
                text = TEXTS[index % len(TEXTS)]
                answer = client.post(
                    "/__send",
                    json={
                        "userId": user,
                        "event": "message",
                        "message": {"type": "text", "text": text},
                    },
                ).json()
                event = answer["body"]["events"][0]
                while answer["webhook_status"] != 200:  # LINE delivers again
                    time.sleep(0.5)
                    answer = client.post(
                        "/__redeliver", json={"webhookEventId": event["webhookEventId"]}
                    ).json()
                with self.lock:
                    self.sent.append(
                        Sent(user, index, event["webhookEventId"], event["replyToken"])
                    )
                time.sleep(random.uniform(0.2, 0.8))

    def sent_at_least(self, count: float) -> bool:
        """Whether `count` messages were sent."""
        return len(self.sent) >= count

    def run(self, during: list[tuple[float, Callable[[], None]]]) -> None:
        """Every citizen writes; each `(share, act)` acts once that share of all the
        messages was sent; returns once every message was sent."""
        threads = [
            threading.Thread(target=self.write, args=(user_id(),), daemon=True)
            for _ in range(CITIZENS)
        ]
        for thread in threads:
            thread.start()
        total = CITIZENS * MESSAGES
        for share, act in during:
            wait_for(partial(self.sent_at_least, share * total), 300, f"{share:.0%} sent")
            act()
        for thread in threads:
            thread.join(300)
        assert len(self.sent) == total


@contextmanager
def database(desk: Desk) -> Iterator[Session]:
    """A session on the desk's database (its engine disposed of afterwards)."""
    engine = create_engine(desk.settings.database_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def settled(desk: Desk, sent: list[Sent]) -> bool:
    """Whether every sent message is handled and nothing is left to send for it."""
    with database(desk) as session:
        rows = session.scalars(
            select(InboundEvent).where(
                InboundEvent.webhook_event_id.in_([s.event_id for s in sent])
            )
        ).all()
        pending = session.scalar(
            select(OutboundMessage.id)
            .where(OutboundMessage.inbound_event_id.in_([r.id for r in rows]))
            .where(OutboundMessage.status == "pending")
            .limit(1)
        )
    return len(rows) == len(sent) and all(r.status == "done" for r in rows) and pending is None


def answers(desk: Desk, sent: list[Sent]) -> dict[str, list[tuple[str, str]]]:
    """Each message's answers LINE accepted, by webhook event id: (arrival, what carried
    it: the reply token, or the retry key of a push). A notice that the answer is delayed
    is not an answer."""
    with database(desk) as session:
        events = {
            row.id: row.webhook_event_id
            for row in session.scalars(
                select(InboundEvent).where(
                    InboundEvent.webhook_event_id.in_([s.event_id for s in sent])
                )
            )
        }
        keys = {
            out.retry_key: events[out.inbound_event_id]
            for out in session.scalars(
                select(OutboundMessage).where(OutboundMessage.inbound_event_id.in_(list(events)))
            )
            # The answer, not a notice that it is delayed (a Rasa server was killed).
            if out.inbound_event_id is not None and out.purpose == "answer"
        }
    by_token = {s.reply_token: s.event_id for s in sent}
    found: dict[str, list[tuple[str, str]]] = {s.event_id: [] for s in sent}
    for call in httpx.get(f"{desk.line}/__calls", timeout=30).json():
        body = call.get("body") or {}
        if call.get("status") != 200:
            continue
        if call["path"] == "/v2/bot/message/reply" and body.get("replyToken") in by_token:
            found[by_token[body["replyToken"]]].append(
                (call["time"], f"reply:{body['replyToken']}")
            )
        elif call["path"] == "/v2/bot/message/push" and call.get("retry_key") in keys:
            found[keys[call["retry_key"]]].append((call["time"], f"push:{call['retry_key']}"))
    return found


def assert_each_answered_once_in_order(desk: Desk, sent: list[Sent]) -> None:
    """Every message answered by exactly one delivery, each citizen's in sending order."""
    wait_for(lambda: settled(desk, sent), 300, "every message answered", every=0.5)
    found = answers(desk, sent)
    lost = [s for s in sent if not found[s.event_id]]
    doubled = [s for s in sent if len(found[s.event_id]) > 1]
    assert not lost, f"{len(lost)} of {len(sent)} messages were never answered"
    assert not doubled, f"{len(doubled)} messages were answered more than once"
    out_of_order = 0
    last: dict[str, str] = {}
    for item in sorted(sent, key=lambda s: (s.user, s.index)):
        arrived = found[item.event_id][0][0]
        if item.user in last and arrived < last[item.user]:
            out_of_order += 1
        last[item.user] = arrived
    assert out_of_order == 0, f"{out_of_order} answers overtook an earlier message's"


def test_a_killed_worker_and_a_new_one_lose_double_and_reorder_nothing(many: Desk) -> None:
    workers = {f"{many.settings.worker_id}.{n}" for n in (1, 2, 3)}
    wait_for(lambda: set(leases(many)) == workers, 60, "each worker holding its share")
    killed, added = f"{many.settings.worker_id}.1", f"{many.settings.worker_id}.4"
    citizens = Citizens(many)
    citizens.run(
        [
            (1 / 3, lambda: many.stop("worker.1", kill=True)),
            (2 / 3, lambda: many.add_worker("worker.4")),
        ]
    )
    assert_each_answered_once_in_order(many, citizens.sent)
    # The killed worker's partitions went to the others, and the new one took its share.
    held = wait_for(
        lambda: (now := leases(many)) and killed not in now and added in now and now,
        60,
        "the partitions shared out again",
    )
    assert None not in held


@pytest.mark.parametrize("kill", [False, True], ids=["stopped", "killed"])
def test_a_rasa_server_stopped_and_started_loses_nothing(many: Desk, kill: bool) -> None:
    citizens = Citizens(many)
    citizens.run(
        [
            (1 / 3, lambda: many.stop("rasa.1", kill=kill)),
            (2 / 3, lambda: many.start("rasa.1")),
        ]
    )
    assert_each_answered_once_in_order(many, citizens.sent)
    wait_for(lambda: rasa_servers_ok(many) == [True, True], 180, "the stopped Rasa server back")


def test_the_console_streams_live_through_either_gateway(many: Desk) -> None:
    """A citizen's words, taken by either gateway and handled by any worker, reach a
    console watching through either gateway."""
    chat = Chat(many, user_id())
    chat._await_handled(many.send(chat.user, None, event="follow", displayName="ทดสอบหลายเครื่อง"))
    chat.say("ขอคุยกับเจ้าหน้าที่")
    username = create_staff(many, "supervisor", QUEUE)
    consoles = [Agent.sign_in(many, username, gateway) for gateway in many.gateways]
    item = wait_for(
        lambda: next((i for i in consoles[0].queue() if i["citizen"] == "ทดสอบหลายเครื่อง"), None),
        30,
        "the citizen waiting in the queue",
    )
    texts = [f"ข้อความที่ {n} ค่ะ" for n in range(4)]  # the stand-in alternates gateways
    seen: list[list[str]] = [[], []]
    ready = [threading.Event(), threading.Event()]

    def listen(index: int) -> None:
        with consoles[index].client.stream("GET", "/console/api/stream", timeout=60) as response:
            name = None
            for line in response.iter_lines():
                if line.startswith("event:"):
                    name = line.split(":", 1)[1].strip()
                    if name == "ready":
                        ready[index].set()
                elif line.startswith("data:") and name == "message":
                    data: dict[str, Any] = json.loads(line.split(":", 1)[1])
                    if data.get("conversation_id") == item["conversation_id"]:
                        seen[index].append(data["entry"]["text"])
                        if len(seen[index]) == len(texts):
                            return

    threads = [threading.Thread(target=listen, args=(i,), daemon=True) for i in (0, 1)]
    for thread in threads:
        thread.start()
    assert all(r.wait(20) for r in ready)
    for text in texts:
        many.say(chat.user, text)
    for thread in threads:
        thread.join(60)
    assert seen == [texts, texts]
    for console in consoles:
        console.close()
