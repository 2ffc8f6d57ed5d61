"""Signing in: the rate limit holds on the Redis `make run` bundles (6.2) and the
machine's (7), sequential and concurrent, for the console and the token endpoint alike."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from redis.asyncio import Redis
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.db import make_engine, make_sessionmaker, unit_of_work
from bot.main import create_app
from bot.staff import auth, limits

PASSWORD = "correct horse battery staple"
REDISES = ["private", "machine"]


@pytest.fixture(params=REDISES)
def redis_url(request: pytest.FixtureRequest, settings: Settings) -> str:
    if request.param == "private":
        return str(request.getfixturevalue("private_redis"))
    return settings.redis_url


def new_staff(settings: Settings) -> str:
    username = f"officer{uuid.uuid4().hex[:8]}"
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine).begin() as session:
        auth.create_staff(
            session, username=username, password=PASSWORD, role="agent", agency_id="bma"
        )
    engine.dispose()
    return username


@pytest.fixture
def gateway_on(settings: Settings, redis_url: str) -> Iterator[tuple[TestClient, Settings]]:
    tuned = settings.model_copy(update={"redis_url": redis_url})
    with TestClient(create_app(tuned)) as client:
        yield client, tuned


def token(client: TestClient, username: str, password: str) -> int:
    response = client.post("/api/auth/token", data={"username": username, "password": password})
    return response.status_code


def test_the_token_endpoint_locks_after_the_allowed_failures(
    gateway_on: tuple[TestClient, Settings],
) -> None:
    client, settings = gateway_on
    username = new_staff(settings)
    assert token(client, username, PASSWORD) == 200  # a success does not count against
    for _ in range(settings.login_max_failures):
        assert token(client, username, "wrong password!") == 401
    assert token(client, username, PASSWORD) == 429
    # The console is locked for the same account: the two share one counter.
    page = client.get("/console/login")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    console = client.post(
        "/console/login",
        data={"username": username, "password": PASSWORD, "csrf": csrf},
        follow_redirects=False,
    )
    assert console.status_code == 429
    assert "หลายครั้ง" in console.text


def test_console_failures_lock_the_token_endpoint_too(
    gateway_on: tuple[TestClient, Settings],
) -> None:
    client, settings = gateway_on
    username = new_staff(settings)
    for _ in range(settings.login_max_failures):
        page = client.get("/console/login")
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        wrong = client.post(
            "/console/login", data={"username": username, "password": "nope-nope!", "csrf": csrf}
        )
        assert wrong.status_code == 401
    assert token(client, username, PASSWORD) == 429


async def test_concurrent_guesses_get_only_the_allowed_checks(
    settings: Settings, redis_url: str
) -> None:
    tuned = settings.model_copy(update={"redis_url": redis_url})
    redis = Redis.from_url(redis_url)
    checks = 0

    def check() -> None:
        nonlocal checks
        checks += 1
        return None  # a wrong password

    async def guess() -> str:
        try:
            await limits.attempt(
                redis=redis,
                settings=tuned,
                username="target",
                address="198.51.100.7",
                check=check,
            )
        except limits.SignInRefused as refused:
            return refused.reason
        return "checked"

    username_keys = [k async for k in redis.scan_iter(f"{tuned.redis_prefix}login:*")]
    assert username_keys == []
    outcomes = await asyncio.gather(*(guess() for _ in range(30)))
    await redis.aclose()
    assert checks == tuned.login_max_failures
    assert outcomes.count("checked") == tuned.login_max_failures
    assert outcomes.count("blocked") == 30 - tuned.login_max_failures


async def test_password_checks_are_bounded_so_a_flood_cannot_exhaust_memory() -> None:
    gate = limits._HashGate(slots=2, queue=3)
    running = 0
    peak = 0
    release = asyncio.Event()
    loop = asyncio.get_running_loop()

    def check() -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result(10)
        running -= 1
        return 1

    async def one() -> str:
        try:
            await gate.run(check)
        except limits.SignInRefused as refused:
            return refused.reason
        return "checked"

    tasks = [asyncio.create_task(one()) for _ in range(20)]
    while gate.waiting < 5:
        await asyncio.sleep(0.01)
    release.set()
    outcomes = await asyncio.gather(*tasks)
    assert peak == 2
    assert outcomes.count("checked") == 5
    assert outcomes.count("busy") == 15


def test_a_username_with_a_nul_byte_is_nobody(sessions: sessionmaker[Session]) -> None:
    # PostgreSQL refuses NUL in text: such a name is simply wrong, never a server error.
    with unit_of_work(sessions) as session:
        assert auth.authenticate(session, "admin\x00", "whatever") is None
