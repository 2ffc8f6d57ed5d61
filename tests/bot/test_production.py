"""In production, nothing about the desk's inside is public: docs, metrics and the NLU
parser answer only staff (or Prometheus with its token)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.config import Settings
from bot.main import create_app

METRICS_TOKEN = "3c9a1f7e5b2d8c4a6e0f1b3d5c7a9e2f"


@pytest.fixture
def production(settings: Settings) -> Iterator[TestClient]:
    strong = settings.model_copy(
        update={
            "desk_env": "production",
            "line_channel_secret": "0f9c2d4e6a8b1c3d5e7f9a0b2c4d6e8f",
            "line_channel_access_token": "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG8=",
            "rasa_token": "6b1f0c9e2d8a4f7b3c5e1a9d0f2b4c6e",
            "session_secret": "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
            "metrics_token": METRICS_TOKEN,
            "line_api_base": "https://api.line.me",
            "line_api_data_base": "https://api-data.line.me",
        }
    )
    with TestClient(create_app(Settings(**strong.model_dump()))) as client:
        yield client


def test_docs_metrics_and_parse_are_not_public(production: TestClient) -> None:
    assert production.get("/api/docs").status_code == 404
    assert production.get("/api/openapi.json").status_code == 404
    assert production.get("/metrics").status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert production.get("/metrics", headers=wrong).status_code == 401
    right = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    metrics = production.get("/metrics", headers=right)
    assert metrics.status_code == 200 and "desk_queue_depth" in metrics.text
    assert production.post("/api/nlu/parse", json={"text": "ถนนพัง"}).status_code == 401
    docs = production.get("/console/api-docs", follow_redirects=False)
    assert docs.status_code == 303 and docs.headers["location"] == "/console/login"
    assert production.get("/console/api-docs/openapi.json").status_code == 401
    assert production.get("/simulator").status_code == 404


def test_development_keeps_them_open_for_the_developer(gateway: TestClient) -> None:
    assert gateway.get("/api/openapi.json").status_code == 200
    assert gateway.get("/metrics").status_code == 200
