"""POST /api/nlu/parse through the gateway and the running Rasa model."""

from __future__ import annotations

import httpx
import pytest

from tests.support.stack import Desk

pytestmark = pytest.mark.stack


def test_parse_gives_intent_ranking_and_entities_with_exact_offsets(desk: Desk) -> None:
    text = "ขอติดตามเรื่อง ds 7k2m 9qxa ที่แจ้งไว้ที่โคราชค่ะ"
    response = httpx.post(f"{desk.gateway}/api/nlu/parse", json={"text": text}, timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["intent"]["name"] == "check_status"
    assert 0 < body["intent"]["confidence"] <= 1
    assert body["intent_ranking"][0]["name"] == "check_status"
    found = {e["entity"]: e for e in body["entities"]}
    assert found["ticket_id"]["value"] == "DS-7K2M9QXA"
    assert found["province"]["value"] == "นครราชสีมา"
    for entity in body["entities"]:
        assert text[entity["start"] : entity["end"]].strip()
    assert text[found["province"]["start"] : found["province"]["end"]] == "โคราช"
    # Not a service question: no confident service.
    assert not any(s["confident"] for s in body["services"])


def test_parse_ranks_catalogue_services(desk: Desk) -> None:
    text = "อยากทำพาสปอร์ตเล่มใหม่ต้องเตรียมอะไรบ้างคะ"
    body = httpx.post(f"{desk.gateway}/api/nlu/parse", json={"text": text}, timeout=10).json()
    assert body["intent"]["name"] == "service_lookup"
    assert body["services"][0]["id"] == "passport"
    assert body["services"][0]["confident"] is True
    scores = [s["score"] for s in body["services"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("payload", [{}, {"text": ""}, {"text": "ก" * 5001}, {"txt": "x"}])
def test_bad_parse_requests_are_422(desk: Desk, payload: dict) -> None:
    response = httpx.post(f"{desk.gateway}/api/nlu/parse", json=payload, timeout=10)
    assert response.status_code == 422
