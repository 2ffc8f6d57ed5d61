"""`python -m bench.console`: console latency, from a citizen's webhook to the agent's screen.

Measures, on a desk of its own (stand-in, gateway, worker, Rasa, action server):
- *idle*: one citizen in a hand-off, a supervisor's console open; the time from the
  webhook to the citizen's message arriving as a `message` event on the console's
  server-sent-event stream (/console/api/stream), one message every PACE_MS;
- *busy*: the same with OPEN citizens in hand-offs (some claimed by agents, the rest
  waiting), the citizens writing in turn;
- *screen*: optionally, the same supervisor in Debian's Chromium with one conversation
  open, until the message is in the page's DOM (a sample of SCREEN_MESSAGES).

Everything is done the way citizens and staff do it: citizens write through the LINE
stand-in's signed `POST /__send`, staff sign in to the console over HTTP (cookie + CSRF
token) and read the stream like the browser's EventSource.

Two clocks, both wall time on this one machine: *from send* starts just before the
bench's `POST /__send`; *from webhook* starts at the event's `timestamp`, which the
stand-in stamps (ms resolution) just before it signs and posts the webhook to the
gateway. The latter is the desk's own share; the former adds the stand-in's work.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import textwrap
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bench.stack import Stack
from bot.chromium import CHROMIUM, CHROMIUM_ARGS
from bot.config import ROOT
from bot.staff import auth

RESULTS = ROOT / "bench" / "RESULTS.md"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
HEADING = "## Console latency: webhook to the agent's screen (`python -m bench.console`)"
ASK = "ขอคุยกับเจ้าหน้าที่"
OPEN = 50
MESSAGES = 200
IDLE_MESSAGES = 100
PACE_MS = 75
AGENTS = 2
CLAIMS_PER_AGENT = 5
SCREEN_MESSAGES = 20
PASSWORD = "bench console password " + uuid.uuid4().hex[:8]
CSRF_META = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')
LOGIN_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
# Records when each citizen text appears in the open conversation (#history), in the
# page's wall clock (Date.now(), the same clock as Python's time.time()).
WATCH_HISTORY = """
() => {
  window.__seen = [];
  const history = document.getElementById("history");
  new MutationObserver((mutations) => {
    const now = Date.now();
    for (const m of mutations) for (const node of m.addedNodes) {
      const text = node.querySelector && node.querySelector(".text");
      if (text) window.__seen.push({ text: text.textContent, at: now });
    }
  }).observe(history, { childList: true });
}
"""


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict[str, float]:
    """count, p50, p95, max (ms)."""
    if not values:
        return {"count": 0, "p50": float("nan"), "p95": float("nan"), "max": float("nan")}
    return {
        "count": len(values),
        "p50": statistics.median(values),
        "p95": pct(values, 0.95),
        "max": max(values),
    }


# Staff ---------------------------------------------------------------------------------------


def create_staff(stack: Stack, role: str, agency_id: str, name: str) -> str:
    """A new staff account straight in the database (as the tests and `desk staff` do)."""
    username = f"bench-{role}-{uuid.uuid4().hex[:8]}"
    engine = create_engine(stack.settings.database_url)
    try:
        with Session(engine) as session, session.begin():
            auth.create_staff(
                session,
                username=username,
                password=PASSWORD,
                role=role,
                agency_id=agency_id,
                display_name=name,
            )
    finally:
        engine.dispose()
    return username


@dataclass
class Console:
    """A staff member signed in to the console over HTTP, cookies kept like a browser."""

    client: httpx.Client
    csrf: str

    @classmethod
    def sign_in(cls, stack: Stack, username: str) -> Console:
        """Log-in form (cookie + form token), then the console page's CSRF token."""
        client = httpx.Client(base_url=stack.gateway, timeout=15, follow_redirects=False)
        page = client.get("/console/login")
        page.raise_for_status()
        form = LOGIN_CSRF.search(page.text)
        if not form:
            raise RuntimeError("no CSRF token on the log-in page")
        response = client.post(
            "/console/login",
            data={"username": username, "password": PASSWORD, "csrf": form.group(1)},
        )
        if response.status_code != 303:
            raise RuntimeError(f"log-in refused: {response.status_code}")
        found = CSRF_META.search(client.get("/console").text)
        if not found:
            raise RuntimeError("no CSRF token on the console page")
        return cls(client=client, csrf=found.group(1))

    def queue(self) -> list[dict[str, Any]]:
        """The open hand-offs this staff member sees."""
        response = self.client.get("/console/api/queue")
        response.raise_for_status()
        return list(response.json()["items"])

    def claim(self, handoff_id: int) -> None:
        """Claims a waiting hand-off."""
        response = self.client.post(
            f"/console/api/handoffs/{handoff_id}/claim",
            json={},
            headers={"X-CSRF-Token": self.csrf},
        )
        response.raise_for_status()

    def close(self) -> None:
        """Closes the HTTP client."""
        self.client.close()


@dataclass
class Stream:
    """The console's server-sent events, read in a thread like the browser's EventSource.

    Arrival time is taken as soon as the `data:` line of a `message` event is read, before
    parsing, keyed by the message's text (every measured text is unique).
    """

    console: Console
    arrived: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    ready: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._listen, daemon=True)

    def start(self) -> Stream:
        """Opens the stream; returns once the server said `ready`."""
        self._thread.start()
        if not self.ready.wait(15):
            raise RuntimeError(f"the console stream did not open ({self.error!r})")
        return self

    def _listen(self) -> None:
        client = httpx.Client(
            base_url=str(self.console.client.base_url),
            cookies=self.console.client.cookies,
            timeout=httpx.Timeout(15, read=None),
        )
        try:
            with client.stream("GET", "/console/api/stream") as response:
                response.raise_for_status()
                name = None
                for line in response.iter_lines():
                    now = time.time()
                    if self.stop.is_set():
                        return
                    if line.startswith("event:"):
                        name = line.split(":", 1)[1].strip()
                        if name == "ready":
                            self.ready.set()
                    elif line.startswith("data:") and name == "message":
                        data = json.loads(line.split(":", 1)[1])
                        text = str((data.get("entry") or {}).get("text") or "")
                        self.arrived.setdefault(text, (now, data))
        except (httpx.HTTPError, ValueError) as error:
            self.error = error
        finally:
            client.close()

    def close(self) -> None:
        """Stops reading (the thread ends on the next line or tick)."""
        self.stop.set()
        self._thread.join(timeout=2)  # a daemon: the desk's shutdown ends the stream anyway


# The LINE side -------------------------------------------------------------------------------


def send(stack: Stack, client: httpx.Client, user: str, text: str) -> dict[str, Any]:
    """A citizen writes (the stand-in signs and posts the webhook); the event it sent."""
    response = client.post(
        f"{stack.line}/__send",
        json={"userId": user, "event": "message", "message": {"type": "text", "text": text}},
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    if body.get("webhook_status") != 200:
        raise RuntimeError(f"webhook answered {body.get('webhook_status')}")
    event: dict[str, Any] = body["body"]["events"][0]
    return event


def follow(stack: Stack, client: httpx.Client, user: str, name: str) -> None:
    """The citizen adds the desk as a friend (the stand-in gives the profile name)."""
    response = client.post(
        f"{stack.line}/__send", json={"userId": user, "event": "follow", "displayName": name}
    )
    response.raise_for_status()


def wait_for(check: Any, timeout: float, what: str) -> Any:
    """Polls `check` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what} (last: {last!r})")


def open_handoffs(
    stack: Stack, client: httpx.Client, watcher: Console, users: dict[str, str]
) -> None:
    """Each citizen follows and asks for a person; waits until all are in the queue."""
    for user, name in users.items():
        follow(stack, client, user, name)
    time.sleep(1.0)  # the welcome first, so it does not race the request
    for user in users:
        send(stack, client, user, ASK)
        time.sleep(0.05)
    names = set(users.values())

    def all_queued() -> bool:
        seen = {i["citizen"] for i in watcher.queue() if i["status"] in {"waiting", "active"}}
        return names <= seen

    wait_for(all_queued, 60 + 2 * len(users), f"{len(users)} hand-offs in the queue")


# Measuring -----------------------------------------------------------------------------------


@dataclass
class Sent:
    """One measured message."""

    text: str
    user: str
    before_post: float  # time.time() just before POST /__send
    webhook: float  # the event's timestamp (s): the stand-in is about to post the webhook


def measure(
    stack: Stack,
    client: httpx.Client,
    stream: Stream,
    users: list[str],
    count: int,
    pace_ms: int,
    tag: str,
) -> list[Sent]:
    """`count` unique texts from `users` in turn, one every `pace_ms` (not flooding)."""
    sent: list[Sent] = []
    started = time.monotonic()
    for n in range(count):
        slot = started + n * pace_ms / 1000
        time.sleep(max(0.0, slot - time.monotonic()))
        user = users[n % len(users)]
        text = f"ทดสอบเวลา {tag}-{n:04d} {uuid.uuid4().hex[:6]}"
        before = time.time()
        event = send(stack, client, user, text)
        sent.append(Sent(text, user, before, event["timestamp"] / 1000))
    try:
        wait_for(lambda: all(s.text in stream.arrived for s in sent), 15, f"{tag} on the stream")
    except RuntimeError:
        pass  # counted as lost
    return sent


def latencies(sent: list[Sent], stream: Stream) -> dict[str, Any]:
    """From send / from webhook to the stream, and the split at the worker's publish."""
    from_send, from_webhook, to_publish, publish_to_client = [], [], [], []
    lost = 0
    for s in sent:
        found = stream.arrived.get(s.text)
        if found is None:
            lost += 1
            continue
        arrived, data = found
        from_send.append((arrived - s.before_post) * 1000)
        from_webhook.append((arrived - s.webhook) * 1000)
        at = (data.get("entry") or {}).get("at")
        if at:
            published = datetime.fromisoformat(at).timestamp()
            to_publish.append((published - s.webhook) * 1000)
            publish_to_client.append((arrived - published) * 1000)
    return {
        "from_send": summary(from_send),
        "from_webhook": summary(from_webhook),
        "webhook_to_publish": summary(to_publish),
        "publish_to_stream": summary(publish_to_client),
        "lost": lost,
    }


def screen(
    stack: Stack,
    client: httpx.Client,
    supervisor: str,
    watched: tuple[str, str],
    others: list[str],
    count: int,
    pace_ms: int,
    cpu: CpuWatch,
) -> dict[str, Any]:
    """The supervisor's console in Chromium, one conversation open: time to the DOM.

    Each round the watched citizen writes once and three others once each, so the page
    also gets (and reloads its queue for) messages of conversations not on screen.
    """
    from playwright.sync_api import sync_playwright

    user, name = watched
    shown: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(base_url=stack.gateway, locale="th-TH").new_page()
            page.goto("/console")
            page.get_by_test_id("username").fill(supervisor)
            page.get_by_test_id("password").fill(PASSWORD)
            page.get_by_test_id("login").click()
            page.wait_for_url(f"{stack.gateway}/console")
            page.wait_for_selector('[data-testid="live"][data-state="live"]', timeout=15_000)
            page.get_by_test_id("waiting").or_(page.get_by_test_id("active")).get_by_text(
                name, exact=True
            ).first.click()
            page.wait_for_selector('#chat:not([hidden]) [data-testid="entry"]', timeout=15_000)
            page.evaluate(WATCH_HISTORY)
            # How often the page reloads its queue while messages stream in. Playwright's
            # sync API delivers events only when it next runs, so the time is the request's
            # own start (epoch ms, from the browser), not the moment the event arrives.
            reloads: list[float] = []
            page.on(
                "requestfinished",
                lambda r: (
                    reloads.append(r.timing["startTime"] / 1000)
                    if r.url.endswith("/api/queue")
                    else None
                ),
            )
            sent: list[Sent] = []
            cpu.begin()  # Chromium runs now, a descendant of this process: counted as ours
            started = time.monotonic()
            step = 0
            for n in range(count):
                for who in [user, *others[3 * n % len(others) :][:3]]:
                    slot = started + step * pace_ms / 1000
                    time.sleep(max(0.0, slot - time.monotonic()))
                    step += 1
                    text = f"ทดสอบจอ {n:03d} {uuid.uuid4().hex[:6]}"
                    before = time.time()
                    event = send(stack, client, who, text)
                    if who == user:
                        sent.append(Sent(text, who, before, event["timestamp"] / 1000))
            burst = (sent[0].before_post, time.time())
            wanted = {s.text for s in sent}

            def seen() -> dict[str, float]:
                rows = page.evaluate("window.__seen")
                return {r["text"]: r["at"] / 1000 for r in rows if r["text"] in wanted}

            try:
                wait_for(lambda: len(seen()) == len(wanted), 15, "the texts on screen")
            except RuntimeError:
                pass
            at = seen()
            page.wait_for_timeout(1000)  # the queue reload after the last message
            usage = cpu.end()
            queue_reloads = sum(1 for t in reloads if burst[0] <= t <= burst[1])
            queue_reloads_after = sum(1 for t in reloads if t > burst[1])
            shown = [(at[s.text] - s.webhook) * 1000 for s in sent if s.text in at]
            from_send = [(at[s.text] - s.before_post) * 1000 for s in sent if s.text in at]
        finally:
            browser.close()
    return {
        "from_webhook": summary(shown),
        "from_send": summary(from_send),
        "lost": count - len(shown),
        "cpu": usage,
        "messages": step,
        "burst_s": burst[1] - burst[0],
        "queue_reloads": queue_reloads,
        "queue_reloads_after": queue_reloads_after,
    }


# CPU: was the machine quiet? ---------------------------------------------------------------


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _tree_jiffies(pids: list[int]) -> int:
    """utime+stime of these processes and their children (each counted once)."""
    total = 0
    todo = list(pids)
    seen: set[int] = set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            continue
        parts = stat.rsplit(")", 1)[1].split()
        total += int(parts[11]) + int(parts[12])
        children = subprocess.run(
            ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        todo += [int(c) for c in children]
    return total


@dataclass
class CpuWatch:
    """Machine CPU use during a phase, split into the desk + this bench vs. everything else."""

    pids: list[int]
    start: tuple[int, int, int] = (0, 0, 0)

    def begin(self) -> None:
        """Starts a phase."""
        self.start = (*_cpu_jiffies(), _tree_jiffies(self.pids))

    def end(self) -> dict[str, float]:
        """Shares of the machine's CPU time (all cores) since begin()."""
        busy, total, ours = (*_cpu_jiffies(), _tree_jiffies(self.pids))
        span = max(1, total - self.start[1])
        busy_share = (busy - self.start[0]) / span
        ours_share = (ours - self.start[2]) / span
        return {"busy": busy_share, "desk": ours_share, "other": max(0.0, busy_share - ours_share)}


# Running -------------------------------------------------------------------------------------


def run_on(stack: Stack, *, messages: int, pace_ms: int, with_screen: bool) -> dict[str, Any]:
    """Every phase on a running desk (office open around the clock)."""
    queue = stack.settings.handoff_queue
    # The stack's processes are children of this one (and Chromium, while it runs).
    cpu = CpuWatch([os.getpid(), *(p.pid for p in stack.running.values())])
    results: dict[str, Any] = {"open": OPEN, "pace_ms": pace_ms, "load_start": os.getloadavg()}
    names = {f"U{uuid.uuid4().hex}": f"ผู้ทดสอบ {n + 1:02d}" for n in range(OPEN)}
    users = list(names)
    supervisor_name = create_staff(stack, "supervisor", queue, "หัวหน้าเวร (bench)")
    supervisor = Console.sign_in(stack, supervisor_name)
    stream = Stream(supervisor).start()
    with httpx.Client(timeout=30) as client:
        try:
            # Idle: one conversation in a hand-off, nothing else going on.
            open_handoffs(stack, client, supervisor, {users[0]: names[users[0]]})
            measure(stack, client, stream, users[:1], 30, pace_ms, "warm")
            cpu.begin()
            idle = measure(stack, client, stream, users[:1], IDLE_MESSAGES, pace_ms, "idle")
            results["idle"] = {**latencies(idle, stream), "cpu": cpu.end()}

            # Busy: OPEN conversations, some claimed by agents, the rest waiting.
            open_handoffs(stack, client, supervisor, {u: names[u] for u in users[1:]})
            waiting = [i for i in supervisor.queue() if i["status"] == "waiting"]
            agents = [
                Console.sign_in(stack, create_staff(stack, "agent", queue, f"เจ้าหน้าที่ {a + 1}"))
                for a in range(AGENTS)
            ]
            for a, agent in enumerate(agents):
                for item in waiting[a * CLAIMS_PER_AGENT : (a + 1) * CLAIMS_PER_AGENT]:
                    agent.claim(item["id"])
            items = supervisor.queue()
            results["waiting"] = sum(1 for i in items if i["status"] == "waiting")
            results["active"] = sum(1 for i in items if i["status"] == "active")
            time.sleep(2.0)  # the claim notices go out to LINE first
            # What the page fetches after each burst of messages: the whole queue.
            took = []
            for _ in range(30):
                started = time.perf_counter()
                supervisor.queue()
                took.append((time.perf_counter() - started) * 1000)
            results["queue_api"] = summary(took)
            cpu.begin()
            busy = measure(stack, client, stream, users, messages, pace_ms, "busy")
            results["busy"] = {**latencies(busy, stream), "cpu": cpu.end()}

            if with_screen and CHROMIUM.exists():  # `make bench` does not install it
                results["screen"] = screen(
                    stack,
                    client,
                    supervisor_name,
                    (users[1], names[users[1]]),
                    users[2:],
                    SCREEN_MESSAGES,
                    pace_ms,
                    cpu,
                )
            for agent in agents:
                agent.close()
        finally:
            stream.close()
            supervisor.close()
    results["load_end"] = os.getloadavg()
    return results


def run(*, messages: int = MESSAGES, pace_ms: int = PACE_MS, with_screen: bool = True) -> dict:
    """A fresh database and desk of its own; every phase; the database dropped after."""
    name = f"desk_bench_console_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        stack = Stack(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
        # Hand-offs are refused outside office hours; the bench runs at any hour.
        stack.settings = stack.settings.model_copy(update={"office_always_open": True})
        stack.env["OFFICE_ALWAYS_OPEN"] = "true"
        with stack:
            results = run_on(stack, messages=messages, pace_ms=pace_ms, with_screen=with_screen)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    results["when"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return results


# Reporting -----------------------------------------------------------------------------------


def _row(label: str, s: dict[str, float], lost: int | str = "") -> str:
    if not s["count"]:
        return f"| {label} | 0 | | | | {lost} |"
    return (
        f"| {label} | {s['count']:.0f} | {s['p50']:.1f} | {s['p95']:.1f} | {s['max']:.1f} "
        f"| {lost} |"
    )


def _cpu(c: dict[str, float]) -> str:
    return f"{c['busy'] * 100:.0f} % (desk + bench {c['desk'] * 100:.0f} %)"


def report(results: dict[str, Any]) -> str:
    """The markdown section for bench/RESULTS.md."""
    idle, busy = results["idle"], results["busy"]
    lines = [
        HEADING,
        "",
        f"Run {results['when']}. A supervisor's console holds the live stream "
        "(`/console/api/stream`, server-sent events) open; citizens write through the LINE "
        f"stand-in (`POST /__send`), one message every {results['pace_ms']} ms, each text "
        "unique and matched on the stream. *From webhook*: from the event's `timestamp`, "
        "stamped by the stand-in just before it signs and posts the webhook, to the "
        "`message` event read by the console's client. *From send*: from just before the "
        "bench's `POST /__send` (adds the stand-in's own work). *Idle*: one open "
        f"conversation. *{results['open']} open*: {results['waiting']} waiting, "
        f"{results['active']} claimed by {AGENTS} agents, the citizens writing in turn.",
        "",
        "| ms | messages | p50 | p95 | max | lost |",
        "|---|---|---|---|---|---|",
        _row("idle, from webhook", idle["from_webhook"], idle["lost"]),
        _row("idle, from send", idle["from_send"]),
        _row(f"{results['open']} open, from webhook", busy["from_webhook"], busy["lost"]),
        _row(f"{results['open']} open, from send", busy["from_send"]),
        _row(f"{results['open']} open: webhook → worker publishes", busy["webhook_to_publish"]),
        _row(f"{results['open']} open: publish → console client", busy["publish_to_stream"]),
        _row(f"`GET /console/api/queue`, {results['open']} open", results["queue_api"]),
    ]
    screen_result = results.get("screen")
    if screen_result:
        lines.append(
            _row(
                "on screen (Chromium DOM), from webhook",
                screen_result["from_webhook"],
                screen_result["lost"],
            )
        )
        lines.append(_row("on screen (Chromium DOM), from send", screen_result["from_send"]))
    lines += [
        "",
        "*On screen*: the same supervisor in Debian's Chromium with one conversation open; "
        "each of its citizen's messages (three other citizens write between them) timed "
        "until its text is in the page (a MutationObserver's `Date.now()`). The split rows "
        "use the worker's publish time (`entry.at`).",
        *(
            [
                "",
                f"While those {screen_result['messages']} messages streamed in "
                f"({screen_result['burst_s']:.1f} s), the page reloaded its queue "
                f"{screen_result['queue_reloads']} times "
                f"({screen_result['queue_reloads_after']} within 1 s after the last).",
            ]
            if screen_result
            else []
        ),
        "",
        f"Machine CPU in use (both cores) — idle phase: {_cpu(idle['cpu'])}; "
        f"{results['open']} open: {_cpu(busy['cpu'])}"
        + (
            f"; on screen (Chromium counted with the bench): {_cpu(screen_result['cpu'])}"
            if screen_result
            else ""
        )
        + ". Load average at start / end: "
        f"{results['load_start'][0]:.2f} / {results['load_end'][0]:.2f}.",
    ]
    phases = {"idle": idle["cpu"], f"{results['open']} open": busy["cpu"]}
    if screen_result:
        phases["on screen"] = screen_result["cpu"]
    disturbed = [
        f"{name} {c['other'] * 100:.0f} %" for name, c in phases.items() if c["other"] > 0.15
    ]
    if disturbed:
        lines += [
            "",
            "**Disturbed run**: other processes kept the machine busy ("
            + ", ".join(disturbed)
            + " of both cores); rerun `python -m bench.console` on a quiet machine.",
        ]
    note = results.get("note")
    if note:
        lines += ["", note]
    return "\n".join(_wrap(line) for line in lines) + "\n"


def _wrap(line: str) -> str:
    """Prose wrapped like the rest of RESULTS.md; headings and tables as they are."""
    if not line or line.startswith(("#", "|")):
        return line
    return textwrap.fill(line, width=90, break_long_words=False, break_on_hyphens=False)


def update_results(section: str, path: Path = RESULTS, heading: str = HEADING) -> None:
    """Replaces this bench's section of RESULTS.md (or adds it), leaving the rest as is."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    lines = text.splitlines()
    if heading in lines:
        start = lines.index(heading)
        end = next(
            (
                i
                for i in range(start + 1, len(lines))
                if lines[i].startswith("## ") or lines[i] == "---"
            ),
            len(lines),
        )
        lines[start:end] = section.rstrip("\n").splitlines() + [""]
    else:
        # Where `python -m bench` puts it: before the catalogue, else before the notes.
        anchor = next(
            (
                i
                for i, line in enumerate(lines)
                if line.startswith("## Service catalogue") or line == "---"
            ),
            len(lines),
        )
        lines[anchor:anchor] = section.rstrip("\n").splitlines() + [""]
    path.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    """Runs the console benchmark and updates only its section of bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=MESSAGES)
    parser.add_argument("--pace-ms", type=int, default=PACE_MS)
    parser.add_argument("--no-screen", action="store_true", help="skip the Chromium sample")
    parser.add_argument("--note", default="", help="a sentence added to the section")
    parser.add_argument("--print-only", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args()
    results = run(messages=args.messages, pace_ms=args.pace_ms, with_screen=not args.no_screen)
    results["note"] = args.note
    (ROOT / "var").mkdir(exist_ok=True)
    (ROOT / "var" / "bench-console.json").write_text(json.dumps(results, indent=1, default=str))
    section = report(results)
    if not args.print_only:
        update_results(section)
    print(section)


if __name__ == "__main__":
    main()
