"""`make chaos`: the desk under `desk run` (supervised, as on one machine) while 20
citizens chat steadily (a few messages each, seconds apart, as people do); each process
is killed with SIGKILL in turn (gateway, worker, Rasa, action server, trainer, Redis),
then PostgreSQL is restarted. Counted from what
the LINE stand-in delivered: answered, lost, duplicated and out-of-order answers, and
the seconds from each process being back (a green /healthz) to every message sent so
far being answered. Goal: 0 / 0 / 0 and recovery ≤ 10 s. Figures into bench/RESULTS.md.

Webhooks the gateway could not take (killed, or PostgreSQL restarting) are sent again,
as LINE redelivers them; a citizen does not resend.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import select

from bench.stack import descendants, free_port
from bot.config import ROOT, Settings
from bot.db import make_engine, make_sessionmaker
from bot.line.models import InboundEvent, OutboundMessage

RESULTS = ROOT / "bench" / "RESULTS.md"
CITIZENS = 20
# Chat turns whose answers need no form state, so any order of arrival is checkable.
TEXTS = ["สวัสดีค่ะ", "ขอบคุณมากค่ะ", "บอทช่วยอะไรได้บ้าง", "สวัสดีครับ", "ขอบคุณครับ"]
# (name as in the process table, what its command line holds)
VICTIMS = [
    ("gateway", "bot.main:create_app"),
    ("worker", "-m bot.worker"),
    ("rasa", "nlu.serve"),
    ("actions", "rasa_sdk"),
    ("trainer", "nlu worker"),
    ("redis", "redis-server"),
]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Sent:
    """One message a citizen sent: its webhook event id and when."""

    user: str
    index: int
    event_id: str
    at: float


# Each of the 20 is a citizen writing a few messages (a new one takes over after
# TURNS), one every 3-6 s: conversations as long and as quick as people's.
TURNS = 6
PAUSE_S = (3.0, 6.0)


@dataclass
class Chatter:
    """The citizens: each chats a few turns, redelivering webhooks LINE could not give."""

    line: str
    sent: list[Sent] = field(default_factory=list)
    redelivered: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run_one(self, user: str) -> None:
        with httpx.Client(base_url=self.line, timeout=30) as client:
            index = 0
            while not self.stop.is_set():
                if index == TURNS:
                    user, index = "U" + uuid.uuid4().hex, 0  # the next citizen
                text = TEXTS[index % len(TEXTS)]
                answer = client.post(
                    "/__send",
                    json={
                        "userId": user,
                        "event": "message",
                        "message": {"type": "text", "text": text},
                    },
                ).json()
                event_id = answer["body"]["events"][0]["webhookEventId"]
                self.sent.append(Sent(user, index, event_id, time.time()))
                status = answer["webhook_status"]
                while status != 200 and not self.stop.is_set():
                    time.sleep(1.0)  # LINE redelivers after a while
                    self.redelivered += 1
                    status = client.post("/__redeliver", json={"webhookEventId": event_id}).json()[
                        "webhook_status"
                    ]
                index += 1
                self.stop.wait(random.uniform(*PAUSE_S))

    def start(self, users: list[str]) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.run_one, args=(u,), daemon=True) for u in users]
        for thread in threads:
            thread.start()
        return threads


def _find(root: int, marker: str) -> int | None:
    for pid in descendants(root):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline and not cmdline.startswith("/bin/sh"):
            return pid
    return None


def _healthy(gateway: str) -> bool:
    try:
        return httpx.get(f"{gateway}/healthz", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


def _wait(check: Any, timeout: float, every: float = 0.2) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(every)
    return None


class Ledger:
    """What the desk stored and the stand-in delivered, read after (or during) the run."""

    def __init__(self, settings: Settings, line: str) -> None:
        self.engine = make_engine(settings.database_url)
        self.sessions = make_sessionmaker(engine=self.engine)
        self.line = line

    def unanswered(self, sent: list[Sent]) -> int:
        ids = [s.event_id for s in sent]
        try:
            with self.sessions() as session:
                done = set(
                    session.scalars(
                        select(InboundEvent.webhook_event_id).where(
                            InboundEvent.webhook_event_id.in_(ids),
                            InboundEvent.status.in_(("done", "skipped", "failed")),
                        )
                    )
                )
        except Exception:  # noqa: BLE001 - the database may be restarting
            return len(ids)
        return len(set(ids) - done)

    def tally(self, sent: list[Sent]) -> dict[str, int]:
        calls = httpx.get(f"{self.line}/__calls", timeout=30).json()
        by_event = {s.event_id: s for s in sent}
        with self.sessions() as session:
            events = {
                row.id: row
                for row in session.scalars(
                    select(InboundEvent).where(InboundEvent.webhook_event_id.in_(list(by_event)))
                )
            }
            sends = list(
                session.scalars(
                    select(OutboundMessage).where(
                        OutboundMessage.inbound_event_id.in_(list(events))
                    )
                )
            )
        token_of = {e.reply_token: e.id for e in events.values() if e.reply_token}
        key_of = {o.retry_key: o.inbound_event_id for o in sends}
        sent_rows: dict[int, int] = {}
        for out in sends:
            if out.status == "sent" and out.inbound_event_id is not None:
                sent_rows[out.inbound_event_id] = sent_rows.get(out.inbound_event_id, 0) + 1
        # Each delivery LINE accepted, by the event it answers: (time, what carried it).
        delivered: dict[int, list[tuple[str, str]]] = {}
        for call in calls:
            if call.get("status") != 200:
                continue
            body = call.get("body") or {}
            if call["path"] == "/v2/bot/message/reply":
                event = token_of.get(str(body.get("replyToken")))
                mark = f"reply:{body.get('replyToken')}"
            elif call["path"] == "/v2/bot/message/push":
                event = key_of.get(str(call.get("retry_key")))
                mark = f"push:{call.get('retry_key')}"
            else:
                continue
            if event is not None:
                delivered.setdefault(event, []).append((str(call["time"]), mark))
        by_webhook_id = {row.webhook_event_id: row for row in events.values()}
        answered = lost = duplicated = out_of_order = 0
        last: dict[str, str] = {}
        for item in sorted(sent, key=lambda s: (s.user, s.index)):
            row = by_webhook_id.get(item.event_id)
            got = delivered.get(row.id, []) if row is not None else []
            if row is None or not got:
                lost += 1
                continue
            answered += 1
            marks = [mark for _, mark in got]
            if len(marks) != len(set(marks)) or len(marks) > max(sent_rows.get(row.id, 0), 1):
                duplicated += 1
            first = min(moment for moment, _ in got)
            if item.user in last and first < last[item.user]:
                out_of_order += 1
            last[item.user] = first
        return {
            "sent": len(sent),
            "answered": answered,
            "lost": lost,
            "duplicated": duplicated,
            "out_of_order": out_of_order,
        }


def run() -> dict[str, Any]:
    """Runs the chaos and returns its figures."""
    name = f"desk_chaos_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    work = Path(tempfile.mkdtemp(prefix="desk-chaos-"))
    gateway_port, standin, rasa, actions, redis_port = (free_port() for _ in range(5))
    env_settings = {
        "DESK_ENV": "test",
        "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
        "REDIS_URL": "",
        "PRIVATE_REDIS_PORT": str(redis_port),
        "PRIVATE_REDIS_DIR": str(work / "redis"),
        "REDIS_PREFIX": "chaos",
        "GATEWAY_PORT": str(gateway_port),
        "STANDIN_PORT": str(standin),
        "LINE_API_BASE": f"http://127.0.0.1:{standin}",
        "STANDIN_WEBHOOK_URL": f"http://127.0.0.1:{gateway_port}/line/webhook",
        "RASA_URL": f"http://127.0.0.1:{rasa}",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{actions}/webhook",
        "WORKER_ID": "chaos-worker",
        "NLU_MODELS_DIR": str(work / "registry"),
        "NLU_WORK_DIR": str(work / "nlu"),
        "PROMETHEUS_MULTIPROC_DIR": str(work / "prometheus"),
        "OFFICE_ALWAYS_OPEN": "true",
        "LOG_LEVEL": "WARNING",
        "RETRY_MAX_DELAY_S": "2",
    }
    env = {**os.environ, **env_settings}
    log = (work / "desk-run.log").open("wb")
    desk = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "desk"), "run"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    gateway = f"http://127.0.0.1:{gateway_port}"
    line = f"http://127.0.0.1:{standin}"
    settings = Settings(**{k.lower(): v for k, v in env_settings.items() if v})  # type: ignore[arg-type]
    results: dict[str, Any] = {"kills": []}
    chatter = Chatter(line)
    try:
        if _wait(lambda: _healthy(gateway), 240, every=0.5) is None:
            raise RuntimeError(f"the desk did not start; see {work / 'desk-run.log'}")
        ledger = Ledger(settings, line)
        threads = chatter.start(["U" + uuid.uuid4().hex for _ in range(CITIZENS)])
        time.sleep(10)  # steady state
        victims: list[tuple[str, str | None]] = [(n, m) for n, m in VICTIMS] + [
            ("postgresql", None)
        ]
        for victim, marker in victims:
            killed_at = time.monotonic()
            if marker is None:
                subprocess.run(
                    [
                        "pg_ctlcluster",
                        "--skip-systemctl-redirect",
                        sorted(os.listdir("/etc/postgresql"))[0],
                        "main",
                        "restart",
                    ],
                    check=True,
                    capture_output=True,
                )
            else:
                pid = _find(desk.pid, marker)
                if pid is None:
                    raise RuntimeError(f"no {victim} process")
                # The whole process as `desk run` started it (its own process group:
                # Sanic's and RQ's children too), as a crash or the OOM killer would.
                group = os.getpgid(pid)
                if group in {os.getpgid(0), os.getpgid(desk.pid)}:
                    raise RuntimeError(f"{victim} shares the supervisor's process group")
                os.killpg(group, signal.SIGKILL)
                _wait(lambda pid=pid: not Path(f"/proc/{pid}").exists(), 10)
                time.sleep(0.5)  # let the supervisor see it go
            back = _wait(lambda: _healthy(gateway), 180, every=0.25)
            snapshot = list(chatter.sent)
            drained = _wait(
                lambda snapshot=snapshot: ledger.unanswered(snapshot) == 0, 120, every=0.25
            )
            results["kills"].append(
                {
                    "process": victim,
                    "back_s": back if back is not None else float("nan"),
                    "recovery_s": drained if drained is not None else float("nan"),
                    "since_kill_s": (
                        time.monotonic() - killed_at if drained is not None else float("nan")
                    ),
                }
            )
            time.sleep(8)  # steady again before the next
        chatter.stop.set()
        for thread in threads:
            thread.join(60)
        _wait(lambda: ledger.unanswered(chatter.sent) == 0, 120, every=0.5)
        results["tally"] = ledger.tally(chatter.sent)
        results["redelivered"] = chatter.redelivered
        ledger.engine.dispose()
    finally:
        chatter.stop.set()
        desk.send_signal(signal.SIGINT)
        try:
            desk.wait(60)
        except subprocess.TimeoutExpired:
            desk.kill()
        log.close()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results


def report(results: dict[str, Any]) -> str:
    """The chaos section of bench/RESULTS.md."""
    tally = results["tally"]
    lines = [
        "## Chaos (`make chaos`: goal 0 lost / 0 duplicated / 0 out of order, recovery ≤ 10 s)",
        "",
        f"`desk run` (supervised) with {CITIZENS} citizens chatting at once ({TURNS} messages",
        f"each, {PAUSE_S[0]:.0f}-{PAUSE_S[1]:.0f} s apart, then the next citizen);",
        "each process killed with SIGKILL in turn, then PostgreSQL restarted. *Back*: from",
        "the kill to a green `/healthz`; *recovery*: from then until every message sent",
        "so far was answered.",
        "",
        "| process | back (s) | recovery (s) | kill to all answered (s) |",
        "|---|---|---|---|",
        *(
            f"| {k['process']} | {k['back_s']:.1f} | {k['recovery_s']:.1f} "
            f"| {k['since_kill_s']:.1f} |"
            for k in results["kills"]
        ),
        "",
        f"Messages sent **{tally['sent']}**, answered **{tally['answered']}**, lost "
        f"**{tally['lost']}**, duplicated **{tally['duplicated']}**, out of order "
        f"**{tally['out_of_order']}**; webhooks redelivered (as LINE would) "
        f"{results['redelivered']}.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Runs the chaos and puts its section into bench/RESULTS.md."""
    section = report(run())
    print(section)
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    start = text.find("## Chaos (")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + (text[end + 1 :] if end >= 0 else "")
    RESULTS.write_text(text.rstrip() + "\n\n" + section, encoding="utf-8")


if __name__ == "__main__":
    main()
