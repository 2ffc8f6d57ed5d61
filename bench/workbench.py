"""`python -m bench.workbench`: the ticket workbench on PostgreSQL with 200,000 tickets.

Generates 200,000 tickets over every agency (a quarter of them in Bangkok's district
offices, and 10,000 in one of them, the export's), one "created" entry each plus notes on a
fifth of them, photos on one in twenty; then measures, as server time of the gateway app
in-process (FastAPI's TestClient: routing, the queries and the page's rendering, no
network), signed in as a Bangkok supervisor (scope: bma and its 50 district offices,
about 57,000 tickets):
- the list with each one filter (status, type, SLA, district, assignee, photos, +1,
  created range, agency; distinct values and pages for each request), p50/p95;
- Thai search for words of the descriptions (distinct words), p50/p95;
- one ticket's page (distinct tickets), p50/p95;
- CSV exports of one office's open tickets (about 4,300) and all of its 10,000: time,
  and the gateway's resident memory growth (peak over the export, sampled every 10 ms),
  which stays flat when rows stream.

Targets (issue 16): list p95 ≤ 150 ms, search p95 ≤ 300 ms, detail ≤ 100 ms, export of
10,000 rows ≤ 10 s with flat memory. Writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from bot.config import ROOT
from bot.console.auth import COOKIE
from bot.db import make_engine, make_sessionmaker, migrate
from bot.dev.stack import local_settings
from bot.main import create_app
from bot.staff import auth
from bot.tickets.lifecycle import COMPLAINT_TYPES, STATUSES
from bot.tickets.routing import Router
from bot.tickets.service import searchable

RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Ticket workbench ("
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
TICKETS = 200_000
BIG_OFFICE = "bma-district-1001"
BIG_SHARE = 0.05  # of all tickets: exactly 10,000 for the export
SAMPLES = 60
WORDS = [
    "หลุม",
    "ฝาท่อ",
    "ไฟดับ",
    "น้ำขัง",
    "ขยะ",
    "กลิ่นเหม็น",
    "เสียงดัง",
    "สุนัข",
    "ต้นไม้",
    "ทางเท้า",
    "ป้ายรถเมล์",
    "สายไฟ",
    "ท่อแตก",
    "ควันดำ",
    "จอดรถ",
    "หาบเร่",
    "ตลาด",
    "โรงเรียน",
    "สะพานลอย",
    "คลอง",
    "ซอย",
    "หมู่บ้าน",
    "วัด",
    "โรงพยาบาล",
    "ตลิ่ง",
    "เสาไฟ",
    "ฝุ่น",
    "รถติด",
    "ทางม้าลาย",
    "ไฟจราจร",
    "น้ำประปาไม่ไหล",
    "ยุง",
    "หนู",
    "งูเห่า",
    "ตึกร้าง",
]
PLACES = ["หน้าปากซอย", "ข้างร้านสะดวกซื้อ", "ตรงข้ามวัด", "ใกล้ป้ายรถเมล์", "หลังตลาดสด", "ริมคลอง"]


def generate(url: str, agencies: list[str], staff_ids: list[int]) -> None:
    """200,000 tickets (COPY), their created entries and some notes and photos."""
    rng = random.Random(16)
    now = datetime.now(UTC)
    bangkok = [a for a in agencies if a.startswith("bma") and a != BIG_OFFICE]
    elsewhere = [a for a in agencies if not a.startswith("bma")]
    notes = {
        n: f"โทรประสานแล้ว {rng.choice(WORDS)} {rng.choice(PLACES)}" for n in range(0, TICKETS, 5)
    }
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY ticket (id, intake_key, complaint_type, description, status, agency_id,"
            " routing_rule, province, district, latitude, longitude, address, share_identity,"
            " followers_count, due_at, created_at, updated_at, reopen_count, assignee_id,"
            " search_text) FROM STDIN"
        ) as copy:
            for n in range(TICKETS):
                if n % round(1 / BIG_SHARE) == 0:
                    agency = BIG_OFFICE
                else:  # Bangkok files a quarter of the country's complaints
                    agency = rng.choice(bangkok if rng.random() < 0.25 else elsewhere)
                created = now - timedelta(minutes=rng.randrange(0, 60 * 24 * 365))
                words = rng.sample(WORDS, 3)
                description = f"{words[0]}{rng.choice(PLACES)}{words[1]} แจ้งมาหลายครั้งแล้ว {words[2]}"
                address = f"{rng.randrange(1, 999)} ซอย {rng.randrange(1, 120)}"
                copy.write_row(
                    (
                        f"DS-B{n:07d}",
                        f"bench-{n}",
                        rng.choice(COMPLAINT_TYPES),
                        description,
                        rng.choice(STATUSES),
                        agency,
                        "bench",
                        "กรุงเทพมหานคร",
                        f"เขต{rng.randrange(1, 51)}",
                        13.6 + rng.random() * 0.3,
                        100.4 + rng.random() * 0.3,
                        address,
                        rng.random() < 0.3,
                        1 + int(rng.expovariate(1.0)),
                        created + timedelta(days=rng.randrange(1, 30)),
                        created,
                        created + timedelta(hours=rng.randrange(0, 200)),
                        0,
                        rng.choice(staff_ids) if rng.random() < 0.4 else None,
                        searchable(f"DS-B{n:07d}", description, address, notes.get(n)),
                    )
                )
        with cur.copy(
            "COPY ticket_event (ticket_id, kind, to_status, actor_type, public, note, created_at)"
            " FROM STDIN"
        ) as copy:
            for n in range(TICKETS):
                copy.write_row((f"DS-B{n:07d}", "created", "received", "citizen", True, None, now))
                if n in notes:
                    copy.write_row((f"DS-B{n:07d}", "note", None, "staff", False, notes[n], now))
        with cur.copy(
            "COPY media (id, line_message_id, ticket_id, content_type, size, width, height,"
            " sha256, data, created_at) FROM STDIN"
        ) as copy:
            for n in range(0, TICKETS, 20):
                copy.write_row(
                    (
                        uuid.uuid4().hex,
                        f"bench{n}",
                        f"DS-B{n:07d}",
                        "image/jpeg",
                        4,
                        1,
                        1,
                        "0" * 64,
                        b"\xff\xd8\xff\xd9",
                        now,
                    )
                )
        conn.commit()
    # What autovacuum does to a table in service: statistics and the visibility map.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@contextmanager
def peak_growth() -> Iterator[dict[str, float]]:
    """The resident memory's peak growth (MB) over the block, sampled every 10 ms."""
    found = {"mb": 0.0}
    start = rss_kb()
    peak = start
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_kb())
            done.wait(0.01)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        done.set()
        thread.join()
        found["mb"] = (max(peak, rss_kb()) - start) / 1024


def timed(client: TestClient, paths: list[str]) -> list[float]:
    """Milliseconds of each GET (all must answer 200)."""
    spent = []
    for path in paths:
        start = time.perf_counter()
        got = client.get(path)
        spent.append((time.perf_counter() - start) * 1000)
        if got.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {got.status_code}")
    return spent


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(samples: int = SAMPLES, keep: str | None = None) -> dict[str, Any]:
    """Generates the tickets in a database of its own, measures, drops the database
    (unless `keep` names it: then it stays, to study its query plans)."""
    name = keep or f"desk_workbench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        return _measure(url, f"postgresql://postgres@127.0.0.1:5432/{name}", samples)
    finally:
        if not keep:
            with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _measure(url: str, raw_url: str, samples: int) -> dict[str, Any]:
    migrate(url)
    engine = make_engine(url)
    with make_sessionmaker(engine).begin() as session:
        people = [
            auth.create_staff(
                session,
                username=f"bench-{i}",
                password="bench-password-1",
                role="agent",
                agency_id=BIG_OFFICE if i else "bma",
                display_name=f"เจ้าหน้าที่ {i}",
            )
            for i in range(20)
        ]
        boss = auth.create_staff(
            session,
            username="bench-boss",
            password="bench-password-1",
            role="supervisor",
            agency_id="bma",
            display_name="หัวหน้า",
        )
        token, _ = auth.issue_token(session, boss.id, timedelta(hours=2))
        staff_ids = [p.id for p in people]
    agencies = [a.id for a in Router.load().agencies()]
    started = time.perf_counter()
    generate(raw_url, agencies, staff_ids)
    generated_s = time.perf_counter() - started
    with psycopg.connect(raw_url) as conn:
        mine = [
            str(r[0])
            for r in conn.execute(
                "SELECT id FROM ticket WHERE agency_id = 'bma' OR agency_id LIKE 'bma-%'"
            )
        ]
        scope = len(mine)
    engine.dispose()

    rng = random.Random(7)
    settings = local_settings(url, "redis://127.0.0.1:6379/0", f"bench-wb-{uuid.uuid4().hex[:6]}:")
    results: dict[str, Any] = {
        "generated_s": generated_s,
        "agencies": len(agencies),
        "scope": scope,
    }
    with TestClient(create_app(settings)) as client:
        client.cookies.set(COOKIE, token)
        client.get("/console/tickets")  # warm-up: templates, pools
        days = [(datetime.now(UTC) - timedelta(days=d)).date().isoformat() for d in range(365)]
        filters: dict[str, Callable[[int], str]] = {
            "status": lambda i: f"status={STATUSES[i % len(STATUSES)]}",
            "type": lambda i: f"type={COMPLAINT_TYPES[i % len(COMPLAINT_TYPES)]}",
            "SLA": lambda i: f"sla={['overdue', 'due_soon', 'on_time'][i % 3]}",
            "district": lambda i: f"district=เขต{1 + i % 50}",
            "assignee": lambda i: f"assignee={staff_ids[i % len(staff_ids)] if i % 3 else 'none'}",
            "photos": lambda i: f"photos={'yes' if i % 2 else 'no'}",
            "+1 at least": lambda i: f"min_followers={2 + i % 4}",
            "created range": lambda i: (
                f"created_from={days[30 + i % 300]}&created_to={days[i % 300]}"
            ),
            "agency": lambda i: f"agency=bma-district-{1001 + i % 50}",
            "sorted by due": lambda i: f"sort=due&status={STATUSES[i % 3]}",
        }
        results["list"] = {
            label: timed(client, [f"/console/tickets?{make(i)}" for i in range(samples)])
            for label, make in filters.items()
        }
        results["search"] = timed(
            client,
            [f"/console/tickets?q={w}" for w in rng.sample(WORDS, len(WORDS))]
            + [
                f"/console/tickets?q={a}{b}"[:60]
                for a, b in (rng.sample(WORDS, 2) for _ in range(samples - len(WORDS)))
            ],
        )
        results["detail"] = timed(
            client, [f"/console/tickets/{ticket_id}" for ticket_id in rng.sample(mine, samples)]
        )
        exports = {}
        for label, query in (
            (
                "one office's open tickets",
                f"agency={BIG_OFFICE}&status=received&status=forwarded&status=in_progress",
            ),
            ("all of one office's tickets", f"agency={BIG_OFFICE}"),
        ):
            with peak_growth() as grown:
                start = time.perf_counter()
                got = client.get(f"/console/tickets/export.csv?{query}")
                seconds = time.perf_counter() - start
            rows = got.content.count(b"\n") - 1
            exports[label] = {"rows": rows, "seconds": seconds, "mb": grown["mb"]}
        results["export"] = exports
    return results


def report(results: dict[str, Any]) -> str:
    """The markdown section."""
    lines = [
        f"{SECTION}`python -m bench.workbench`)",
        "",
        f"PostgreSQL with {TICKETS:,} generated tickets over all {results['agencies']:,} "
        "agencies (generated with their timeline entries in "
        f"{results['generated_s']:.0f} s); a Bangkok "
        f"supervisor's scope (bma and its district offices, {results['scope']:,} tickets). "
        "Server time "
        "of the gateway app in-process (routing, queries, rendering; no network), "
        f"{SAMPLES} distinct requests per row.",
        "",
        "| request | p50 ms | p95 ms | target p95 |",
        "|---|---|---|---|",
    ]
    for label, spent in results["list"].items():
        lines.append(
            f"| list, {label} | {statistics.median(spent):.1f} | {pct(spent, 0.95):.1f} | ≤ 150 |"
        )
    for label, key, target in (
        ("Thai search", "search", "≤ 300"),
        ("one ticket", "detail", "≤ 100"),
    ):
        spent = results[key]
        lines.append(
            f"| {label} | {statistics.median(spent):.1f} | {pct(spent, 0.95):.1f} | {target} |"
        )
    lines += [
        "",
        "| CSV export of | rows | seconds | gateway memory growth, peak MB |",
        "|---|---|---|---|",
    ]
    for label, found in results["export"].items():
        lines.append(
            f"| {label} | {found['rows']:,} | {found['seconds']:.2f} | {found['mb']:.1f} |"
        )
    lines.append("")
    lines.append("Target: 10,000 rows ≤ 10 s, memory flat (about the same growth for more rows).")
    return "\n".join(lines) + "\n"


def write(section: str) -> None:
    """Puts the section into bench/RESULTS.md in place of the last one (or at the end)."""
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    if SECTION in old:
        start = old.index(SECTION)
        end = old.find("\n## ", start + 1)
        old = old[:start] + section + ("\n" + old[end + 1 :] if end != -1 else "")
        RESULTS.write_text(old.rstrip() + "\n", encoding="utf-8")
    else:
        RESULTS.write_text(old.rstrip() + "\n\n" + section, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--keep", metavar="DATABASE", help="keep the generated database")
    args = parser.parse_args()
    section = report(run(args.samples, args.keep))
    write(section)
    print(section)


if __name__ == "__main__":
    main()
