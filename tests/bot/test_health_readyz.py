"""/readyz/{part}: one part of /healthz, for Kubernetes' readiness probes (deploy/). The
gateway's own readiness follows its database, not Redis: it keeps taking webhooks while
Redis is down."""

from __future__ import annotations

import time

import pytest
import redis
from fastapi.testclient import TestClient

from bot.config import Settings
from bot.db import make_engine, make_sessionmaker
from bot.main import create_app
from bot.worker.runner import heartbeat_key
from tests.support.stack import free_port


def test_the_gateway_is_ready_with_its_database(gateway: TestClient) -> None:
    answer = gateway.get("/readyz/gateway")
    assert answer.status_code == 200
    assert answer.json()["part"] == "gateway"
    assert answer.json()["database"] == {"ok": True}


def test_the_gateway_stays_ready_while_redis_is_down(settings: Settings) -> None:
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    with TestClient(create_app(down)) as client:
        ready = client.get("/readyz/gateway")
        health = client.get("/healthz")
    assert ready.status_code == 200
    assert ready.json()["redis"]["ok"] is False
    assert health.status_code == 503  # the whole desk is not healthy, the gateway serves


def test_the_gateway_is_not_ready_without_its_database(gateway: TestClient) -> None:
    context = gateway.app.state.context  # type: ignore[attr-defined]
    kept = context.sessions
    dead = make_engine(f"postgresql+psycopg://desk@127.0.0.1:{free_port()}/desk")
    context.sessions = make_sessionmaker(dead)
    try:
        answer = gateway.get("/readyz/gateway")
    finally:
        context.sessions = kept
        dead.dispose()
    assert answer.status_code == 503
    assert answer.json()["database"]["ok"] is False


def test_the_worker_part_is_ready_once_a_worker_beats(
    gateway: TestClient, settings: Settings
) -> None:
    assert gateway.get("/readyz/worker").status_code == 503  # nobody beats under this prefix
    client = redis.Redis.from_url(settings.redis_url)
    try:
        client.zadd(heartbeat_key(settings.redis_prefix), {"worker-a": time.time()})
        answer = gateway.get("/readyz/worker")
    finally:
        client.delete(heartbeat_key(settings.redis_prefix))
        client.close()
    assert answer.status_code == 200
    assert answer.json()["workers"] == 1


@pytest.mark.parametrize("part", ["rasa", "action_server"])
def test_a_part_that_is_not_running_is_not_ready(gateway: TestClient, part: str) -> None:
    answer = gateway.get(f"/readyz/{part}")
    assert answer.status_code == 503
    assert answer.json()["ok"] is False


def test_an_unknown_part_is_refused(gateway: TestClient) -> None:
    assert gateway.get("/readyz/database").status_code == 422
