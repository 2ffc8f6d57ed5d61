"""POST /api/nlu/parse with several Rasa servers: a server that is down or failing is
passed over, and only when none answers is the NLU unavailable (503). Stub Rasa servers
answer /model/parse; the gateway runs in-process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Response
from fastapi.testclient import TestClient

from bot.main import create_app
from tests.support.stack import Served, make_settings

NOWHERE = "http://127.0.0.1:9"  # discard: nothing listens


def rasa(status: int) -> FastAPI:
    app = FastAPI()

    @app.post("/model/parse")
    async def parse() -> Any:
        if status != 200:
            return Response(status_code=status)
        return {"intent": {"name": "greet", "confidence": 0.9}, "intent_ranking": []}

    return app


@pytest.fixture
def failing() -> Iterator[str]:
    with Served(rasa(500)) as served:
        yield served.base_url


@pytest.fixture
def working() -> Iterator[str]:
    with Served(rasa(200)) as served:
        yield served.base_url


def parse(pg_url: str, redis_prefix: str, servers: list[str]) -> Any:
    settings = make_settings(pg_url, f"{redis_prefix}:parse", rasa_urls=",".join(servers))
    with TestClient(create_app(settings)) as client:
        return client.post("/api/nlu/parse", json={"text": "สวัสดีค่ะ"})


def test_a_server_down_or_failing_is_passed_over(
    pg_url: str, redis_prefix: str, failing: str, working: str
) -> None:
    response = parse(pg_url, redis_prefix, [NOWHERE, failing, working])
    assert response.status_code == 200
    assert response.json()["intent"]["name"] == "greet"


def test_no_server_answering_is_503(pg_url: str, redis_prefix: str, failing: str) -> None:
    response = parse(pg_url, redis_prefix, [NOWHERE, failing])
    assert response.status_code == 503
    assert response.json()["detail"] == "NLU unavailable"
