"""`python -m bench.scaling` (part of `make bench`): the desk scaled out on one machine.

One desk with 3 Rasa servers (one shared action server), 3 workers and a gateway, on its
own PostgreSQL database and Redis prefix; measured with 3, then 2, then 1 worker + Rasa
pairs running (the others stopped):

- *throughput*: 600 chat turns (60 citizens × 10, each citizen's messages back to back,
  20 citizens at a time) through the LINE stand-in; answered turns per second from the
  first webhook to the last reply, and how many were lost. Beside it, the same 600 texts
  posted to the running Rasa servers' REST channel by 20 senders: what Rasa sustains alone.
- *latency*: at half the desk's throughput, open loop: the desk from the webhook (the
  event's timestamp) to the reply's arrival at the stand-in, and Rasa's REST channel at
  the same pace; the difference of the medians is the desk's overhead.
- *CPU per turn* of each kind of process during the throughput phase (utime + stime),
  from which throughput per core follows.

First, with 3 workers: how long the partitions take to be shared out again when a worker
is killed, joins and leaves.

Then, with one pair: the webhook's acknowledgement (wrk, 20 senders back to back) with
text events that reach Rasa, so Rasa and the worker work through a backlog meanwhile,
beside group events that skip Rasa (Rasa idle).

`--sizes 1` measures only the sizes given (the rebalancing only with 3 workers or more),
and `--no-ack` leaves the acknowledgement out: a quicker before/after of one change.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import textwrap
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis
from sqlalchemy import func, select, text

from bench.console import _cpu_jiffies, _tree_jiffies, update_results
from bench.stack import Stack, descendants
from bot.config import ROOT
from bot.db import make_engine
from bot.devstack import NICE
from bot.line.models import InboundEvent

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
HEADING = "## Scaling out on one machine (`python -m bench.scaling`)"
SIZES = (3, 2, 1)
CITIZENS = 60
TURNS = 10
SENDERS = 20
PACED_MESSAGES = 200
# Chat turns whose answers need no form state (any order of citizens is comparable).
TEXTS = ["สวัสดีค่ะ", "ขอบคุณมากค่ะ", "บอทช่วยอะไรได้บ้าง", "สวัสดีครับ", "ขอบคุณครับ"]
TICK_S = os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _at(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


# The processes --------------------------------------------------------------------------


def _pids_of(marker: str) -> list[int]:
    """Processes of the machine whose command line holds `marker` (the shared
    PostgreSQL and Redis servers; their CPU includes whatever else uses them)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if marker in cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


class CpuByRole:
    """CPU seconds each kind of process used during a phase, and the machine's."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.database = stack.settings.database_url.rsplit("/", 1)[1]
        self.start: dict[str, int] = {}

    def _roles(self) -> dict[str, list[int]]:
        roles: dict[str, list[int]] = {}
        for name, process in self.stack.running.items():
            roles.setdefault(name.split(".", 1)[0], []).append(process.pid)
        # PostgreSQL's backends of this desk's database (its shared writers not counted);
        # the machine's Redis serves others too.
        roles["postgresql"] = _pids_of(f" {self.database} ")
        roles["redis"] = _pids_of("redis-server 127.0.0.1:6379")
        return roles

    def _now(self) -> dict[str, int]:
        jiffies = {role: _tree_jiffies(pids) for role, pids in self._roles().items()}
        # This process alone (the desk's processes are its children).
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        jiffies["bench client"] = int(fields[11]) + int(fields[12])
        busy, total = _cpu_jiffies()
        return {**jiffies, "_busy": busy, "_total": total}

    def begin(self) -> None:
        """Starts a phase."""
        self.start = self._now()

    def end(self) -> dict[str, float]:
        """CPU seconds per role since begin(), and the machine's busy share ("_busy")."""
        now = self._now()
        used = {
            role: (now[role] - self.start.get(role, now[role])) / TICK_S
            for role in now
            if not role.startswith("_")
        }
        span = max(1, now["_total"] - self.start["_total"])
        used["_busy"] = (now["_busy"] - self.start["_busy"]) / span
        # Everything else on the machine (other people's work on a shared machine).
        ours = sum(v for role, v in used.items() if not role.startswith("_")) * TICK_S / span
        used["_other"] = max(0.0, used["_busy"] - ours)
        return used


def _holders(stack: Stack) -> list[str | None]:
    """Which worker holds each partition's lease."""
    client = redis.Redis.from_url(stack.settings.redis_url, decode_responses=True)
    prefix, partitions = stack.settings.redis_prefix, stack.settings.queue_partitions
    try:
        return [
            None if h is None else str(h)
            for h in client.mget([f"{prefix}:lease:{p}" for p in range(partitions)])
        ]
    finally:
        client.close()


def _shared_by(stack: Stack, numbers: range) -> bool:
    """Whether exactly these workers hold every partition, in even shares."""
    held = _holders(stack)
    # One worker alone is `worker`, under the plain WORKER_ID (bot.devstack._names).
    alone = "worker" in stack.procs
    owners = [
        stack.settings.worker_id if alone else f"{stack.settings.worker_id}.{n}" for n in numbers
    ]
    counts = [held.count(owner) for owner in owners]
    return None not in held and set(held) == set(owners) and max(counts) - min(counts) <= 1


def rebalancing(stack: Stack) -> dict[str, float]:
    """Seconds until the partitions are shared out again when one of 3 workers is killed
    (SIGKILL), starts again (from its start: imports and migrations included), and is
    stopped (SIGTERM)."""
    took: dict[str, float] = {}
    _until(lambda: _shared_by(stack, range(1, 4)), 60, "3 workers sharing the partitions")
    for what, act, running in (
        ("killed", lambda: stack.stop("worker.3", kill=True), range(1, 3)),
        ("joined", lambda: stack.start("worker.3"), range(1, 4)),
        ("stopped", lambda: stack.stop("worker.3"), range(1, 3)),
    ):
        started = time.monotonic()
        act()
        _until(lambda running=running: _shared_by(stack, running), 120, f"worker {what}", 0.05)
        took[what] = time.monotonic() - started
    stack.start("worker.3")
    return took


def run_pairs(stack: Stack, pairs: int) -> None:
    """Leaves `pairs` workers and Rasa servers running (stopping the others), once each
    running worker holds its share of the partitions and each running Rasa is ready."""
    for n in range(pairs + 1, len(stack.settings.rasa_servers()) + 1):
        stack.stop(f"worker.{n}")
        stack.stop(f"rasa.{n}")
    _until(lambda: _shared_by(stack, range(1, pairs + 1)), 60, "the partitions rebalanced")
    servers = stack.settings.rasa_servers()[:pairs]
    _until(lambda: all(_rasa_ready(stack, url) for url in servers), 300, "Rasa ready")


def _rasa_ready(stack: Stack, url: str) -> bool:
    try:
        response = httpx.get(
            f"{url}/status", params={"token": stack.settings.rasa_token}, timeout=5
        )
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and bool(response.json().get("model_file"))


def _until(check: Any, timeout: float, what: str, every: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise RuntimeError(f"timed out waiting for {what}")


# Phases -----------------------------------------------------------------------------------


class Ledger:
    """Finished events in the desk's database, and replies at the stand-in."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.engine = make_engine(stack.settings.database_url)

    def finished(self, event_ids: list[str]) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.scalar(
                    select(func.count())
                    .select_from(InboundEvent)
                    .where(InboundEvent.webhook_event_id.in_(event_ids))
                    .where(InboundEvent.status.in_(("done", "skipped", "failed")))
                )
                or 0
            )

    def wait_finished(self, event_ids: list[str], timeout: float = 600) -> None:
        _until(lambda: self.finished(event_ids) == len(event_ids), timeout, "answers", 0.5)

    def transactions(self) -> int:
        """Transactions committed or rolled back in the desk's database so far."""
        with self.engine.connect() as connection:
            return int(
                connection.scalar(
                    text(
                        "SELECT xact_commit + xact_rollback FROM pg_stat_database"
                        " WHERE datname = current_database()"
                    )
                )
                or 0
            )

    def replies(self) -> dict[str, float]:
        """Arrival time of each accepted reply, by reply token."""
        calls = httpx.get(
            f"{self.stack.line}/__calls", params={"path": "/v2/bot/message/reply"}, timeout=60
        ).json()
        return {
            str((c.get("body") or {}).get("replyToken")): _at(c["time"])
            for c in calls
            if c.get("status") == 200
        }

    def close(self) -> None:
        self.engine.dispose()


def _send(client: httpx.Client, user: str, text: str) -> dict[str, Any]:
    """A citizen's message through the stand-in; its webhook event."""
    answer = client.post(
        "/__send",
        json={"userId": user, "event": "message", "message": {"type": "text", "text": text}},
    ).json()
    if answer["webhook_status"] != 200:
        raise RuntimeError(f"webhook answered {answer['webhook_status']}")
    event: dict[str, Any] = answer["body"]["events"][0]
    return event


def desk_throughput(stack: Stack, ledger: Ledger, cpu: CpuByRole) -> dict[str, Any]:
    """CITIZENS × TURNS turns, SENDERS citizens at a time, each citizen's back to back."""
    httpx.delete(f"{stack.line}/__calls", timeout=30)
    events: list[dict[str, Any]] = []

    def citizen(_: int) -> None:
        user = "U" + uuid.uuid4().hex
        with httpx.Client(base_url=stack.line, timeout=60) as client:
            for turn in range(TURNS):
                events.append(_send(client, user, TEXTS[turn % len(TEXTS)]))

    transactions = ledger.transactions()
    cpu.begin()
    started = time.time()
    with ThreadPoolExecutor(SENDERS) as pool:
        list(pool.map(citizen, range(CITIZENS)))
    ids = [e["webhookEventId"] for e in events]
    ledger.wait_finished(ids)
    used = cpu.end()
    time.sleep(1.5)  # PostgreSQL publishes its counters within a second
    transactions = ledger.transactions() - transactions
    replies = ledger.replies()
    arrived = [replies[e["replyToken"]] for e in events if e["replyToken"] in replies]
    took = max(arrived) - started
    return {
        "turns": len(events),
        "answered": len(arrived),
        "lost": len(events) - len(arrived),
        "seconds": took,
        "per_s": len(arrived) / took,
        "cpu": used,
        "transactions": transactions,
    }


def rasa_throughput(stack: Stack, pairs: int, cpu: CpuByRole) -> dict[str, Any]:
    """The same turns posted straight to the running Rasa servers' REST channel."""
    servers = stack.settings.rasa_servers()[:pairs]

    def sender(n: int) -> int:
        url = f"{servers[n % len(servers)]}/webhooks/rest/webhook"
        with httpx.Client(timeout=60) as client:
            done = 0
            for c in range(n, CITIZENS, SENDERS):
                user = f"R{c}{uuid.uuid4().hex}"
                for turn in range(TURNS):
                    response = client.post(url, json={"sender": user, "message": TEXTS[turn % 5]})
                    response.raise_for_status()
                    done += 1
            return done

    cpu.begin()
    started = time.perf_counter()
    with ThreadPoolExecutor(SENDERS) as pool:
        answered = sum(pool.map(sender, range(SENDERS)))
    took = time.perf_counter() - started
    return {"turns": answered, "seconds": took, "per_s": answered / took, "cpu": cpu.end()}


def _paced(rate: float, count: int, send: Any) -> None:
    """Calls send(i) for i < count at `rate` per second (open loop)."""
    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        futures = []
        for i in range(count):
            wait = started + i / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            futures.append(pool.submit(send, i))
        for future in futures:
            future.result()


def latency(stack: Stack, ledger: Ledger, pairs: int, rate: float) -> dict[str, float]:
    """Desk and Rasa REST latency at `rate` turns per second, same texts, same pace."""
    httpx.delete(f"{stack.line}/__calls", timeout=30)
    users = ["U" + uuid.uuid4().hex for _ in range(SENDERS)]
    events: list[dict[str, Any]] = []
    local = threading.local()

    def desk(i: int) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=stack.line, timeout=60)
        events.append(_send(local.client, users[i % SENDERS], TEXTS[(i // SENDERS) % 5]))

    _paced(rate, PACED_MESSAGES, desk)
    ledger.wait_finished([e["webhookEventId"] for e in events])
    replies = ledger.replies()
    desk_ms = [
        (replies[e["replyToken"]] - e["timestamp"] / 1000) * 1000
        for e in events
        if e["replyToken"] in replies
    ]
    servers = stack.settings.rasa_servers()[:pairs]
    senders = ["R" + uuid.uuid4().hex for _ in range(SENDERS)]
    rest_ms: list[float] = []

    def rest(i: int) -> None:
        if not hasattr(local, "rest"):
            local.rest = httpx.Client(timeout=60)
        url = f"{servers[i % len(servers)]}/webhooks/rest/webhook"
        started = time.perf_counter()
        body = {"sender": senders[i % SENDERS], "message": TEXTS[(i // SENDERS) % 5]}
        local.rest.post(url, json=body).raise_for_status()
        rest_ms.append((time.perf_counter() - started) * 1000)

    _paced(rate, PACED_MESSAGES, rest)
    return {
        "rate": rate,
        "desk_p50_ms": statistics.median(desk_ms),
        "desk_p95_ms": pct(desk_ms, 0.95),
        "rest_p50_ms": statistics.median(rest_ms),
        "rest_p95_ms": pct(rest_ms, 0.95),
        "overhead_p50_ms": statistics.median(desk_ms) - statistics.median(rest_ms),
        "lost": PACED_MESSAGES - len(desk_ms),
    }


def acknowledgement(
    stack: Stack, cpu: CpuByRole, *, to_rasa: bool, seconds: int = 10, pace_ms: int = 0
) -> dict[str, float]:
    """wrk, 20 senders (back to back, or `pace_ms` apart), distinct signed webhooks: from
    citizens (each reaches Rasa) or from group chats (stored, queued, skipped: Rasa idle)."""
    # `python -m bench`'s own helpers (imported here: it imports this module).
    from bench.__main__ import _wrk_summary, event, sign

    secret = stack.settings.line_channel_secret
    bodies = stack.workdir / f"ack-{'rasa' if to_rasa else 'groups'}.tsv"
    tag = uuid.uuid4().hex[:8]
    with bodies.open("w", encoding="utf-8") as out:
        for n in range(30_000):
            ev = event(f"U{tag}{n:024x}", TEXTS[n % len(TEXTS)])
            if not to_rasa:
                user = ev["source"]["userId"]
                ev["source"] = {"type": "group", "groupId": f"C{tag}{n:024x}", "userId": user}
            body = json.dumps({"destination": "Ubench", "events": [ev]}, ensure_ascii=False)
            out.write(f"{sign(secret, body.encode())}\t{body}\n")
    cpu.begin()
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c20",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(ROOT / "bench" / "webhook.lua"),
            stack.gateway,
            "--",
            str(bodies),
            str(pace_ms),
            "2",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {**_wrk_summary(output), "other": cpu.end()["_other"]}


def _renice(stack: Stack, level: int) -> bool:
    """Sets every thread of the Rasa servers, action server and workers to `level`;
    whether it could."""
    for name, process in stack.running.items():
        if name.split(".", 1)[0] not in NICE:
            continue
        for pid in [process.pid, *descendants(process.pid)]:
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:
                    os.setpriority(os.PRIO_PROCESS, int(task.name), level)
                except PermissionError:
                    return False
                except (ProcessLookupError, ValueError):
                    continue
    return True


def run(sizes: tuple[int, ...] = SIZES, *, ack: bool = True) -> dict[str, Any]:
    """Every phase (at each of `sizes` pairs; the acknowledgement if `ack`); the figures."""
    from bench.__main__ import settle

    name = f"desk_scaling_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    results: dict[str, Any] = {
        "sizes": {},
        "cores": os.cpu_count(),
        "load_start": os.getloadavg(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        with Stack(url, rest_channel=True, rasa=max(sizes), workers=max(sizes)) as stack:
            ledger = Ledger(stack)
            cpu = CpuByRole(stack)
            try:
                if max(sizes) >= 3:
                    results["rebalancing"] = rebalancing(stack)
                for pairs in sizes:
                    run_pairs(stack, pairs)
                    desk_throughput(stack, ledger, cpu)  # warm-up (the trackers, the caches)
                    size: dict[str, Any] = {"rasa": rasa_throughput(stack, pairs, cpu)}
                    size["desk"] = desk_throughput(stack, ledger, cpu)
                    # At half what the desk sustains: its latency, not its queue's.
                    size["latency"] = latency(stack, ledger, pairs, rate=size["desk"]["per_s"] / 2)
                    results["sizes"][pairs] = size
                if ack:
                    if sizes[-1] != 1:
                        run_pairs(stack, 1)
                    results["ack_groups"] = acknowledgement(stack, cpu, to_rasa=False)
                    settle(stack)
                    results["ack_rasa"] = acknowledgement(stack, cpu, to_rasa=True)
                    # The same with every process at one priority (an A/B of
                    # devstack.NICE; raising priorities back needs root), Rasa still
                    # working off its backlog.
                    if _renice(stack, 0):
                        results["ack_rasa_equal"] = acknowledgement(stack, cpu, to_rasa=True)
            finally:
                ledger.close()
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    results["load_end"] = os.getloadavg()
    return results


ROLES = ["rasa", "actions", "worker", "gateway", "postgresql", "redis", "line", "bench client"]


def _per_turn_ms(phase: dict[str, Any], role: str) -> float:
    return float(phase["cpu"].get(role, 0.0)) * 1000 / max(1, phase.get("answered", phase["turns"]))


def report(results: dict[str, Any]) -> str:
    """The markdown section for bench/RESULTS.md."""
    sizes = {int(k): v for k, v in results["sizes"].items()}
    order = sorted(sizes)
    lines = [
        HEADING,
        "",
        f"Run {results['when']} on {results['cores']} cores. "
        f"One desk with {max(order)} Rasa servers (one shared action server), {max(order)} "
        "workers and a gateway; measured with "
        + _spoken(sorted(order, reverse=True))
        + " worker + Rasa pairs running (the others stopped). "
        f"*Throughput*: {CITIZENS * TURNS} chat turns ({CITIZENS} citizens × {TURNS}, each "
        f"citizen's back to back, {SENDERS} at a time) through the LINE stand-in, from the "
        "first webhook to the last reply; beside it the same texts posted by "
        f"{SENDERS} senders to the running Rasa servers' REST channel (*Rasa alone*). "
        "Goal: the desk ≥ 90 % of Rasa alone at every size, 0 lost.",
        "",
        "| pairs | Rasa alone turns/s | desk turns/s | desk / Rasa alone | lost "
        "| database transactions per turn | machine busy | others' share |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k in order:
        rasa, desk = sizes[k]["rasa"], sizes[k]["desk"]
        lines.append(
            f"| {k} | {rasa['per_s']:.1f} | {desk['per_s']:.1f} | "
            f"{desk['per_s'] / rasa['per_s'] * 100:.0f} % | {desk['lost']} | "
            f"{desk['transactions'] / desk['turns']:.1f} | "
            f"{desk['cpu']['_busy'] * 100:.0f} % | {desk['cpu']['_other'] * 100:.0f} % |"
        )
    moved = results.get("rebalancing")
    if moved:
        lines += [
            "",
            "*Rebalancing* (3 workers, heartbeat 2 s): seconds until the partitions are held "
            f"in even shares again after a worker is killed (SIGKILL): {moved['killed']:.1f}; "
            f"after it starts again, from its start: {moved['joined']:.1f}; after it is "
            f"stopped (SIGTERM): {moved['stopped']:.1f}.",
        ]
    lines += [
        "",
        f"*Latency* at half the desk's throughput ({PACED_MESSAGES} turns, open loop): the desk "
        "from the webhook (the event's timestamp) to the reply's arrival at the stand-in; "
        "Rasa's REST channel at the same pace. Goal: overhead p50 ≤ 20 ms.",
        "",
        "| pairs | turns/s | desk p50 | desk p95 | Rasa REST p50 | Rasa REST p95 | overhead p50 "
        "| lost |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k in order:
        lat = sizes[k]["latency"]
        lines.append(
            f"| {k} | {lat['rate']:.1f} | {lat['desk_p50_ms']:.1f} ms | "
            f"{lat['desk_p95_ms']:.1f} ms | {lat['rest_p50_ms']:.1f} ms | "
            f"{lat['rest_p95_ms']:.1f} ms | {lat['overhead_p50_ms']:.1f} ms | {lat['lost']} |"
        )
    lines += [
        "",
        "*CPU per answered turn* (ms of CPU, utime + stime) during the desk's throughput run, "
        "by kind of process; *line* is the LINE stand-in (LINE's platform, not the desk) and "
        "*bench client* the citizens. Beside it, Rasa's own CPU per turn when alone.",
        "",
        "| pairs | " + " | ".join(ROLES) + " | desk total | Rasa alone |",
        "|---|" + "---|" * (len(ROLES) + 2),
    ]
    for k in order:
        desk = sizes[k]["desk"]
        desk_total = sum(_per_turn_ms(desk, r) for r in ROLES if r not in {"line", "bench client"})
        lines.append(
            f"| {k} | "
            + " | ".join(f"{_per_turn_ms(desk, r):.1f}" for r in ROLES)
            + f" | {desk_total:.1f} | {_per_turn_ms(sizes[k]['rasa'], 'rasa'):.1f} |"
        )
    if "ack_groups" in results:
        lines += _ack_lines(results)
    one = sizes[min(order)]["desk"]
    per_turn = {r: _per_turn_ms(one, r) for r in ROLES}
    desk_ms = sum(v for r, v in per_turn.items() if r not in {"line", "bench client"})
    lines += [
        "",
        f"*Per core*, from the CPU per turn with one pair: the desk spends {desk_ms:.0f} ms "
        f"of CPU per answered turn, of which Rasa {per_turn['rasa']:.0f} ms and the "
        f"desk's own steps (worker {per_turn['worker']:.0f}, PostgreSQL "
        f"{per_turn['postgresql']:.0f}, gateway {per_turn['gateway']:.0f}, Redis "
        f"{per_turn['redis']:.0f}, action server {per_turn['actions']:.0f}) the rest, "
        f"so each core adds about {1000 / desk_ms:.0f} answered turns per second, as long "
        "as no single process is saturated: one Rasa server (one event loop) tops out "
        f"near {1000 / per_turn['rasa']:.0f} turns/s, one worker near "
        f"{1000 / per_turn['worker']:.0f}, one gateway near "
        f"{1000 / max(per_turn['gateway'], 0.1):.0f}. Where Rasa alone and the desk are "
        "both held by the same cores, the desk reaches at most Rasa's share of its CPU, "
        f"{per_turn['rasa'] / desk_ms * 100:.0f} % of Rasa alone.",
    ]
    lines += [
        "",
        f"Load average at start / end: {results['load_start'][0]:.2f} / "
        f"{results['load_end'][0]:.2f}.",
    ]
    return "\n".join(_wrap(line) for line in lines) + "\n"


def _ack_lines(results: dict[str, Any]) -> list[str]:
    """The acknowledgement table."""
    nice = ", ".join(f"{kind} {level}" for kind, level in NICE.items())
    ack_rows = [
        ("group events (Rasa idle)", results["ack_groups"]),
        (f"text events, Rasa saturated (nice: {nice})", results["ack_rasa"]),
    ]
    if "ack_rasa_equal" in results:
        ack_rows.append(("text events, Rasa saturated, all at nice 0", results["ack_rasa_equal"]))
    lines = [
        "",
        "*Webhook acknowledgement with Rasa saturated* (one pair): wrk, 20 senders back to "
        "back (the gateway at full load), 10 s each, distinct signed bodies: from citizens, "
        "each of which reaches Rasa (the worker and Rasa work through the backlog "
        "meanwhile, on the same two cores), or from group chats, which the worker skips. "
        "The last row is the same run with every process at the same priority (measured "
        "after the row above it). *Others' share*: the machine's CPU used by processes "
        "other than the desk and the bench (a shared machine). Goal: p99 < 50 ms with "
        "Rasa saturated.",
        "",
        "| 20 senders, back to back | requests | req/s | p50 ms | p90 ms | p99 ms | max ms "
        "| non-2xx | others' share |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, run in ack_rows:
        lines.append(
            f"| {label} | {run.get('requests', 0):.0f} | {run.get('rps', 0):.0f} | "
            f"{run.get('p50_ms', 0):.1f} | {run.get('p90_ms', 0):.1f} | "
            f"{run.get('p99_ms', 0):.1f} | {run.get('max_ms', 0):.1f} | "
            f"{run.get('errors', 0):.0f} | {run.get('other', 0) * 100:.0f} % |"
        )
    return lines


def _spoken(numbers: list[int]) -> str:
    """3, 2 and 1."""
    words = [str(n) for n in numbers]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _wrap(line: str) -> str:
    if not line or line.startswith(("#", "|")):
        return line
    return textwrap.fill(line, width=90, break_long_words=False, break_on_hyphens=False)


def main() -> None:
    """Runs the scaling benchmark and updates only its section of bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--print-only", action="store_true", help="do not touch RESULTS.md")
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="worker + Rasa pairs to measure, largest first (default: %(default)s)",
    )
    parser.add_argument(
        "--no-ack", action="store_true", help="leave out the webhook acknowledgement phase"
    )
    args = parser.parse_args()
    sizes = tuple(sorted({int(n) for n in args.sizes.split(",")}, reverse=True))
    results = run(sizes, ack=not args.no_ack)
    (ROOT / "var").mkdir(exist_ok=True)
    (ROOT / "var" / "bench-scaling.json").write_text(json.dumps(results, indent=1, default=str))
    section = report(results)
    if not args.print_only:
        update_results(section, heading=HEADING)
    print(section)


if __name__ == "__main__":
    main()
