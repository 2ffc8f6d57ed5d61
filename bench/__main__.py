"""`python -m bench` (or `make bench`): the desk's performance, written to bench/RESULTS.md.

Measures, in one run on this machine:
- webhook acknowledgement latency under 20 concurrent senders (p50/p99);
- end-to-end webhook-to-reply latency beside Rasa's own REST channel for the same
  messages (the desk's overhead as a share of Rasa's time);
- memory (RSS) of each process;
- time from `make run` to a healthy desk (environments and model already present);
- console latency from a citizen's webhook to the agent's screen (bench/console.py);
- throughput and latency with 1, 2 and 3 worker + Rasa pairs beside Rasa alone, and the
  webhook's acknowledgement while Rasa is saturated (bench/scaling.py);
- an admin's retraining (job queue → `rasa train` → evaluation) and activation time;
- the ticket workbench on 200,000 tickets (bench/workbench.py).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import platform
import signal
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import func, select

from bench import catalogue as catalogue_bench
from bench import console as console_bench
from bench import scaling as scaling_bench
from bench import workbench as workbench_bench
from bench.stack import Stack, descendants, free_port
from bot.config import ROOT
from bot.db import make_engine, make_sessionmaker
from bot.line.models import InboundEvent
from bot.teaching import training
from bot.teaching.models import NluModel

RESULTS = ROOT / "bench" / "RESULTS.md"
MESSAGES = [
    "สวัสดีค่ะ",
    "ขอคุยกับเจ้าหน้าที่หน่อยครับ",
    "ขอบคุณมากค่ะ",
    "บอทช่วยอะไรได้บ้าง",
    "ไฟทางหน้าบ้านดับมาสามวันแล้วค่ะ",
    "ขยะไม่มีคนมาเก็บเลยครับ",
    "ถนนเป็นหลุมใหญ่มากอันตราย",
    "ทำบัตรประชาชนใหม่ต้องใช้อะไรบ้าง",
    "บายค่ะ",
    "เธอเป็นคนหรือบอท",
]


# Complaints as citizens type them (written for the bench, not taken from any data set):
# what parse latency is measured on, beside the short chat turns above.
COMPLAINTS = (ROOT / "bench" / "complaints.txt").read_text(encoding="utf-8").splitlines()


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def sign(secret: str, body: bytes) -> str:
    """LINE's signature."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def event(user: str, text: str) -> dict[str, Any]:
    """A LINE text message event."""
    return {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user},
        "webhookEventId": uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": False},
        "replyToken": uuid.uuid4().hex,
        "message": {"id": str(uuid.uuid4().int)[:18], "type": "text", "text": text},
    }


def webhook_ack(
    stack: Stack, connections: int = 20, seconds: int = 15, pace_ms: int = 0
) -> dict[str, float]:
    """Acknowledgement latency of POST /line/webhook with `connections` concurrent senders.

    wrk (a C load generator, so the client costs little of the two cores) replays
    distinct, correctly signed webhook bodies. The events come from group chats: stored,
    queued and handled by the worker like any event, but not sent to Rasa, so the run
    measures the webhook and not a Rasa backlog.
    """
    secret = stack.settings.line_channel_secret
    bodies = stack.workdir / f"webhooks-{pace_ms}.tsv"
    with bodies.open("w", encoding="utf-8") as out:
        for n in range(60_000):
            ev = event(f"U{n:032x}", MESSAGES[n % len(MESSAGES)])
            group = f"C{pace_ms:04d}{n:028x}"
            ev["source"] = {"type": "group", "groupId": group, "userId": f"U{n:032x}"}
            body = json.dumps({"destination": "Ubench", "events": [ev]}, ensure_ascii=False)
            out.write(f"{sign(secret, body.encode())}\t{body}\n")
    threads = min(2, connections)
    output = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(ROOT / "bench" / "webhook.lua"),
            stack.gateway,
            "--",
            str(bodies),
            str(pace_ms),
            str(threads),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return _wrk_summary(output)


def _wrk_ms(value: str) -> float:
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    for unit in ("us", "ms", "s"):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * units[unit]
    return float(value)


def _wrk_summary(output: str) -> dict[str, float]:
    result: dict[str, float] = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in {"50%", "90%", "99%"}:
            result[f"p{parts[0][:-1]}_ms"] = _wrk_ms(parts[1])
        elif parts[:1] == ["Latency"] and len(parts) >= 4:
            result["max_ms"] = _wrk_ms(parts[3])
        elif parts[:1] == ["Requests/sec:"]:
            result["rps"] = float(parts[1])
        elif len(parts) > 3 and parts[1] == "requests" and parts[2] == "in":
            result["requests"] = float(parts[0])
        elif parts[:2] == ["Non-2xx", "or"]:
            result["errors"] = float(parts[-1])
    return result


def _ms_between(start_wall: float, iso: str) -> float:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return (moment.timestamp() - start_wall) * 1000


def end_to_end(stack: Stack, rounds: int = 20) -> dict[str, float]:
    """Webhook-to-reply through the desk, beside Rasa's REST channel, same messages."""
    desk_ms: list[float] = []
    send_ms: list[float] = []  # from the bench's own request to the stand-in
    rest_ms: list[float] = []
    rest_url = f"{stack.settings.rasa_url}/webhooks/rest/webhook"
    with httpx.Client(timeout=30) as client:
        for _ in range(rounds):
            for text in MESSAGES:
                user = "U" + uuid.uuid4().hex
                started = time.time()
                sent = client.post(
                    f"{stack.line}/__send",
                    json={
                        "userId": user,
                        "event": "message",
                        "message": {"type": "text", "text": text},
                    },
                )
                sent.raise_for_status()
                webhook = sent.json()["body"]["events"][0]
                token = webhook["replyToken"]
                # The stand-in answers when the reply arrives (no polling, which would
                # compete with the desk for the two cores); the time is its arrival's.
                calls = client.get(
                    f"{stack.line}/__calls",
                    params={"path": "/v2/bot/message/reply", "at_least": 1, "wait": 30},
                ).json()
                reply = next(
                    (c for c in calls if (c.get("body") or {}).get("replyToken") == token), None
                )
                assert reply is not None, "no reply"
                # From the webhook (its timestamp, stamped by the stand-in as it signs and
                # posts it) to the reply's arrival, both on the stand-in's clock.
                desk_ms.append(_ms_between(webhook["timestamp"] / 1000, reply["time"]))
                send_ms.append(_ms_between(started, reply["time"]))

                started_rest = time.perf_counter()
                response = client.post(
                    rest_url, json={"sender": "R" + uuid.uuid4().hex, "message": text}
                )
                response.raise_for_status()
                rest_ms.append((time.perf_counter() - started_rest) * 1000)
                client.delete(f"{stack.line}/__calls")
    desk_p50 = statistics.median(desk_ms)
    rest_p50 = statistics.median(rest_ms)
    return {
        "messages": len(desk_ms),
        "desk_p50_ms": desk_p50,
        "desk_p95_ms": pct(desk_ms, 0.95),
        "desk_from_send_p50_ms": statistics.median(send_ms),
        "rasa_rest_p50_ms": rest_p50,
        "rasa_rest_p95_ms": pct(rest_ms, 0.95),
        "overhead_p50_ms": desk_p50 - rest_p50,
        "overhead_share": (desk_p50 - rest_p50) / rest_p50,
    }


def settle(stack: Stack, timeout: float = 300) -> float:
    """Waits until the worker has handled every stored event (a saturated run leaves it
    thousands), so that the next phase measures itself; seconds waited."""
    engine = make_engine(stack.settings.database_url)
    started = time.monotonic()
    try:
        while time.monotonic() - started < timeout:
            with engine.connect() as connection:
                left = connection.scalar(
                    select(func.count())
                    .select_from(InboundEvent)
                    .where(InboundEvent.status.not_in(("done", "skipped", "failed")))
                )
            if not left:
                break
            time.sleep(0.5)
    finally:
        engine.dispose()
    return time.monotonic() - started


def parse_latency(stack: Stack, rounds: int = 10) -> dict[str, float]:
    """POST /api/nlu/parse through the gateway, one at a time, over complaints of the
    length citizens write (COMPLAINTS: 89-116 characters) and the short chat turns."""
    took: list[float] = []
    with httpx.Client(base_url=stack.gateway, timeout=10) as client:
        for _ in range(rounds):
            for text in COMPLAINTS + MESSAGES:
                started = time.perf_counter()
                client.post("/api/nlu/parse", json={"text": text}).raise_for_status()
                took.append((time.perf_counter() - started) * 1000)
    return {"requests": len(took), "p50_ms": statistics.median(took), "p95_ms": pct(took, 0.95)}


def training_time(first: bool = False) -> dict[str, float]:
    """Seconds for `rasa train` (NLU and dialogue) of the project, into a temporary folder.

    `first`: with an empty sentence-encoder cache, as on a machine that never trained
    (every example is encoded); otherwise with the desk's cache, as when retraining."""
    out = Path(tempfile.mkdtemp(prefix="desk-train-"))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHAINLP_OFFLINE": "1",
        "RASA_TELEMETRY_ENABLED": "false",
    }
    if first:
        env["NLU_ENCODER_CACHE"] = str(out / "encoder-cache")
    started = time.monotonic()
    subprocess.run(
        [
            str(ROOT / ".venv-rasa" / "bin" / "rasa"),
            "train",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            "data/nlu",
            "data/rules",
            "--out",
            str(out),
            "--force",
            "--quiet",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return {"seconds": time.monotonic() - started}


def _rss_and_role(pid: int) -> tuple[float, str]:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                mb = int(line.split()[1]) / 1024
                break
        else:
            return 0.0, ""
    except OSError:
        return 0.0, ""
    role = "training" if " train" in cmdline else "evaluation" if "nlu.evaluate" in cmdline else ""
    return mb, role


class PeakMemory(threading.Thread):
    """Samples a process tree's memory every 0.2 s: the peak of the whole tree, and of
    its `rasa train` and evaluation processes (each with their own children)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peaks: dict[str, float] = {"tree": 0.0, "training": 0.0, "evaluation": 0.0}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.2):
            total, by_role = rss_mb(self.pid, tree=False), {"training": 0.0, "evaluation": 0.0}
            for child in descendants(self.pid):
                mb, role = _rss_and_role(child)
                total += mb
                if role:
                    by_role[role] += mb + sum(_rss_and_role(c)[0] for c in descendants(child))
            self.peaks["tree"] = max(self.peaks["tree"], total)
            for role, mb in by_role.items():
                self.peaks[role] = max(self.peaks[role], mb)


def flood_memory(stack: Stack) -> dict[str, float]:
    """The gateway's peak memory through 100 concurrent token requests (wrong passwords,
    each a distinct account and all from this address) and an unsigned 300 MB body
    (target: under 500 MB throughout)."""
    gateway = stack.running["gateway"].pid
    peak = PeakMemory(gateway)
    before = rss_mb(gateway)
    peak.start()
    statuses: list[int] = []

    def sign_in(n: int) -> None:
        response = httpx.post(
            f"{stack.gateway}/api/auth/token",
            data={"username": f"flood{n}", "password": "not the password"},
            timeout=60,
        )
        statuses.append(response.status_code)

    def body() -> Any:
        for _ in range(300):
            yield b"x" * 1_000_000

    try:
        threads = [threading.Thread(target=sign_in, args=(n,)) for n in range(100)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        try:
            big = httpx.post(
                f"{stack.gateway}/line/webhook",
                content=body(),
                headers={"X-Line-Signature": "unsigned"},
                timeout=120,
            ).status_code
        except httpx.HTTPError:
            big = 413  # refused and the connection closed mid-upload
    finally:
        peak.stop.set()
        peak.join()
    return {
        "before_mb": before,
        "peak_mb": max(peak.peaks["tree"], before),
        "refused_busy": float(statuses.count(503)),
        "refused_limit": float(statuses.count(429)),
        "checked": float(statuses.count(401)),
        "big_body_status": float(big),
    }


def retraining(stack: Stack) -> dict[str, float]:
    """An admin's retraining through the desk's trainer process, then activation.

    Seconds from the request to a ready model (queue, `rasa train`, evaluation on the
    held-out set and Traffy), how long Rasa took to load it (`PUT /model`) and to go
    back to the shipped model (rollback). The first training also evaluates the shipped
    model once (it has no metrics to compare with yet): that is measured separately.
    """
    engine = make_engine(stack.settings.database_url)
    sessions = make_sessionmaker(engine)
    results: dict[str, float] = {}
    peak = PeakMemory(stack.running["trainer"].pid)
    peak.start()
    try:
        for run in ("first", "second"):
            started = time.monotonic()
            model_id = training.enqueue_training(sessions, stack.settings, None)
            deadline = started + 900
            while time.monotonic() < deadline:
                with sessions() as session:
                    model = session.get_one(NluModel, model_id)
                    status = model.status
                if status in ("ready", "failed"):
                    break
                time.sleep(0.25)
            if status != "ready":
                raise RuntimeError(f"retraining ended {status}")
            results[f"{run}_s"] = time.monotonic() - started
        with sessions() as session:
            shipped = session.scalar(select(NluModel.id).order_by(NluModel.id).limit(1))
        results["activate_s"] = training.activate(
            sessions, stack.settings, model_id, None, force=True, reason="benchmark"
        )
        results["rollback_s"] = training.activate(
            sessions, stack.settings, int(shipped or 0), None, rollback=True, reason="benchmark"
        )
    finally:
        peak.stop.set()
        peak.join()
        engine.dispose()
    results.update({f"peak_{name}_mb": mb for name, mb in peak.peaks.items()})
    return results


def rss_mb(pid: int, tree: bool = True) -> float:
    """Resident memory of a process and (with `tree`) all its descendants, in MB."""
    total = 0
    pids = [pid, *(descendants(pid) if tree else [])]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total / 1024


def make_run_to_healthy() -> dict[str, float]:
    """Seconds from `make run` to /healthz 200, with environments and model present."""
    port, standin, rasa, actions, redis_port = (free_port() for _ in range(5))
    workdir = Path(tempfile.mkdtemp(prefix="desk-bench-"))
    env = {
        **os.environ,
        "GATEWAY_PORT": str(port),
        "STANDIN_PORT": str(standin),
        "LINE_API_BASE": f"http://127.0.0.1:{standin}",
        "STANDIN_WEBHOOK_URL": f"http://127.0.0.1:{port}/line/webhook",
        "RASA_URL": f"http://127.0.0.1:{rasa}",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{actions}/webhook",
        "DATABASE_URL": f"sqlite:///{workdir / 'desk.db'}",
        "PRIVATE_REDIS_PORT": str(redis_port),
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prom"),
    }
    env.pop("REDIS_URL", None)
    started = time.monotonic()
    process = subprocess.Popen(
        ["make", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    took = float("nan")
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    took = time.monotonic() - started
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    return {"seconds": took}


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def write(results: dict[str, Any]) -> None:
    """Writes bench/RESULTS.md."""
    ack, e2e, memory, start = results["ack"], results["e2e"], results["memory"], results["start"]
    lines = [
        "# Benchmarks",
        "",
        f"Run {results['when']} on {results['machine']} (`make bench`); medians and ratios",
        "from one run. Database: PostgreSQL 127.0.0.1; Redis 127.0.0.1; Rasa 3.6.21 with the",
        "project's model (rules + memoization); LINE stand-in on loopback.",
        "",
        "## Webhook acknowledgement (target p99 < 50 ms)",
        "",
        "wrk (C, so the client costs little of the two cores), 20 connections, 15 s each,",
        "distinct signed bodies from group chats (stored, queued, then skipped by the",
        "worker, so Rasa is not flooded). *Paced*: each sender waits 100 ms between",
        "webhooks (~200 webhooks/s offered, far above a national hotline's peak).",
        "*Saturated*: back to back, the server at full load. Each phase starts once the",
        "worker has handled every stored event (the saturated run leaves it "
        f"{results['ack'].get('drain_s', 0):.0f} s of work).",
        "",
        *table(
            ["20 senders", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "non-2xx"],
            [
                [
                    name,
                    f"{run.get('requests', 0):.0f}",
                    f"{run.get('rps', 0):.0f}",
                    f"{run.get('p50_ms', 0):.1f}",
                    f"{run.get('p90_ms', 0):.1f}",
                    f"{run.get('p99_ms', 0):.1f}",
                    f"{run.get('max_ms', 0):.1f}",
                    f"{run.get('errors', 0):.0f}",
                ]
                for name, run in (("paced", results["ack_paced"]), ("saturated", ack))
            ],
        ),
        "",
        "## End to end: webhook to LINE reply, beside Rasa's REST channel",
        "",
        "Target: the desk's overhead under 15 % of Rasa's own time. Each message from a new",
        "LINE user; *desk*: from the webhook (the event's `timestamp`, stamped by the",
        "LINE stand-in as it signs and posts it) to the reply's arrival at the stand-in;",
        "*Rasa REST*: the same text posted to Rasa's REST channel, in the same run.",
        f"From the bench's own request to the stand-in: p50 {e2e['desk_from_send_p50_ms']:.1f} ms.",
        "",
        *table(
            [
                "messages",
                "desk p50",
                "desk p95",
                "Rasa REST p50",
                "Rasa REST p95",
                "overhead p50",
                "overhead / Rasa",
            ],
            [
                [
                    str(e2e["messages"]),
                    f"{e2e['desk_p50_ms']:.1f} ms",
                    f"{e2e['desk_p95_ms']:.1f} ms",
                    f"{e2e['rasa_rest_p50_ms']:.1f} ms",
                    f"{e2e['rasa_rest_p95_ms']:.1f} ms",
                    f"{e2e['overhead_p50_ms']:.1f} ms",
                    f"{e2e['overhead_share'] * 100:.1f} %",
                ]
            ],
        ),
        "",
        "## NLU",
        "",
        *table(
            ["measure", "value", "target"],
            [
                [
                    "`POST /api/nlu/parse` through the gateway, p50 / p95",
                    f"{results['parse']['p50_ms']:.1f} / {results['parse']['p95_ms']:.1f} ms",
                    "p50 ≤ 15 ms",
                ],
                [
                    "`rasa train` (NLU + rules), from scratch, training texts' encoder "
                    "vectors cached (any retraining)",
                    f"{results['train']['seconds']:.0f} s",
                    "≤ 60 s",
                ],
                [
                    "the same on a machine that never trained (every example encoded)",
                    f"{results['train_first']['seconds']:.0f} s",
                    "",
                ],
            ],
        ),
        "",
        "## Retraining and activation (target: retrain + evaluate ≤ 2 min)",
        "",
        "An admin's retraining through the desk's trainer process (RQ job → `rasa train`",
        "→ evaluation on the held-out set and Traffy), from the request to a ready model;",
        "the first one also evaluates the shipped model once, to compare against. Then",
        "activation (Rasa's `PUT /model`, while it keeps answering) and a rollback.",
        "",
        *table(
            ["measure", "seconds"],
            [
                [
                    "retrain + evaluate (the first, with the shipped model's evaluation)",
                    f"{results['retrain']['first_s']:.1f}",
                ],
                ["retrain + evaluate", f"{results['retrain']['second_s']:.1f}"],
                [
                    "activation (model load in the running Rasa)",
                    f"{results['retrain']['activate_s']:.2f}",
                ],
                ["rollback to the shipped model", f"{results['retrain']['rollback_s']:.2f}"],
            ],
        ),
        "",
        "## Memory",
        "",
        "Each process (with its children) after the load runs above, and the trainer's",
        "peak while it retrained: `rasa train` and the evaluation run as its children,",
        "sampled every 0.2 s.",
        "",
        *table(
            ["process", "MB"],
            [[name, f"{mb:.0f}"] for name, mb in memory.items()]
            + [
                [
                    "trainer while retraining, peak (all its processes)",
                    f"{results['retrain']['peak_tree_mb']:.0f}",
                ],
                ["— `rasa train`, peak", f"{results['retrain']['peak_training_mb']:.0f}"],
                ["— evaluation, peak", f"{results['retrain']['peak_evaluation_mb']:.0f}"],
            ],
        ),
        "",
        "## Log-in flood and a huge body (target: gateway under 500 MB throughout)",
        "",
        "100 concurrent `POST /api/auth/token` with wrong passwords (distinct accounts,",
        "one address), then an unsigned 300 MB chunked webhook body; the gateway's",
        "memory sampled every 0.2 s.",
        "",
        *table(
            ["measure", "value"],
            [
                ["gateway before", f"{results['flood']['before_mb']:.0f} MB"],
                ["gateway peak", f"{results['flood']['peak_mb']:.0f} MB"],
                [
                    "token requests checked / refused (limit) / refused (busy)",
                    f"{results['flood']['checked']:.0f} / {results['flood']['refused_limit']:.0f}"
                    f" / {results['flood']['refused_busy']:.0f}",
                ],
                ["300 MB body", f"HTTP {results['flood']['big_body_status']:.0f}"],
            ],
        ),
        "",
        "## Start-up (target ≤ 30 s)",
        "",
        "`make run` to a healthy `/healthz` (environments and model present): "
        f"**{start['seconds']:.1f} s**.",
        "",
        results.get("console", ""),
        results.get("scaling", ""),
        results.get("catalogue", ""),
        results.get("workbench", ""),
    ]
    # `make chaos` writes its own section: kept from the last chaos run.
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    chaos = ""
    if "## Chaos (" in old:
        start = old.index("## Chaos (")
        end = old.find("\n## ", start + 1)
        chaos = old[start:] if end == -1 else old[start : end + 1]
    RESULTS.write_text("\n".join(lines).rstrip() + ("\n\n" + chaos if chaos else "\n"))


def main() -> None:
    """Runs every benchmark and writes the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-start", action="store_true", help="skip the make run timing")
    args = parser.parse_args()
    name = f"desk_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    results: dict[str, Any] = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": (
            f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
        ),
    }
    try:
        with Stack(
            f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", rest_channel=True
        ) as stack:
            end_to_end(stack, rounds=1)  # warm-up
            results["e2e"] = end_to_end(stack)
            # Let the end-to-end phase's background work (worker, Rasa, the database's
            # autovacuum of the rows it wrote) settle, so each phase measures itself.
            time.sleep(10)
            results["ack_paced"] = webhook_ack(stack, pace_ms=100)
            settle(stack)
            results["ack"] = webhook_ack(stack)
            results["ack"]["drain_s"] = settle(stack)
            results["parse"] = parse_latency(stack)
            results["memory"] = {n: rss_mb(p.pid) for n, p in stack.running.items()}
            results["flood"] = flood_memory(stack)
            results["retrain"] = retraining(stack)
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    # A desk of its own (fresh database, office open around the clock), after the one above.
    results["console"] = console_bench.report(console_bench.run())
    results["scaling"] = scaling_bench.report(scaling_bench.run())
    results["start"] = {"seconds": float("nan")} if args.skip_start else make_run_to_healthy()
    results["train_first"] = training_time(first=True)
    results["train"] = training_time()
    results["catalogue"] = catalogue_bench.report(
        catalogue_bench.QUESTION_SETS,
        catalogue_bench.SYNTHETIC_SERVICES,
        catalogue_bench.LATENCY_SEARCHES,
    )
    results["workbench"] = workbench_bench.report(workbench_bench.run())
    write(results)
    print(RESULTS.read_text())


if __name__ == "__main__":
    main()
