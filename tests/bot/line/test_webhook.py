"""POST /line/webhook: signatures, durable storage before 200, duplicates, odd bodies."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.config import ROOT, Settings
from bot.line.models import InboundEvent
from tests.support.stack import sign

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def post(client: TestClient, settings: Settings, events: list[dict[str, Any]]) -> Any:
    body = json.dumps({"destination": "Udesk", "events": events}, ensure_ascii=False).encode()
    return client.post(
        "/line/webhook",
        content=body,
        headers={"X-Line-Signature": sign(settings.line_channel_secret, body)},
    )


def stored(client: TestClient, webhook_ids: list[str] | None = None) -> list[InboundEvent]:
    with client.app.state.context.sessions() as session:  # type: ignore[attr-defined]
        query = select(InboundEvent).order_by(InboundEvent.id)
        if webhook_ids is not None:
            query = query.where(InboundEvent.webhook_event_id.in_(webhook_ids))
        return list(session.scalars(query))


def queued(client: TestClient) -> int:
    queue = client.app.state.context.queue  # type: ignore[attr-defined]
    assert client.portal is not None
    return int(client.portal.call(queue.depth).waiting)


def test_the_shared_samples_are_lines_own(webhook_samples: list[dict[str, Any]]) -> None:
    shared = ROOT.parent / "shared" / "line-webhook-samples" / "webhook.json"
    if not shared.exists():
        pytest.skip("../shared is not beside this clone")
    ours = json.loads((ROOT / "tests" / "data" / "line-webhook-samples.json").read_text())
    assert ours == json.loads(shared.read_text())


def test_all_28_samples_are_stored_once_and_queued(
    gateway: TestClient, settings: Settings, webhook_samples: list[dict[str, Any]]
) -> None:
    assert len(webhook_samples) == 28
    response = post(gateway, settings, webhook_samples)
    assert response.status_code == 200
    ids = [e["webhookEventId"] for e in webhook_samples]
    rows = stored(gateway, ids)
    assert [r.webhook_event_id for r in rows] == ids
    assert {r.event_type for r in rows} >= {"message", "follow", "postback", "undefined"}
    by_id = {r.webhook_event_id: r for r in rows}
    for event in webhook_samples:
        row = by_id[event["webhookEventId"]]
        assert row.payload == event  # the raw event, unchanged
        assert row.status == "received"
    assert queued(gateway) == 28


def test_redelivery_and_replay_store_nothing_new(
    gateway: TestClient, settings: Settings, webhook_samples: list[dict[str, Any]]
) -> None:
    events = copy.deepcopy(webhook_samples[:3])
    assert post(gateway, settings, events).status_code == 200
    for event in events:
        event["deliveryContext"]["isRedelivery"] = True
    assert post(gateway, settings, events).status_code == 200
    assert post(gateway, settings, events).status_code == 200
    ids = [e["webhookEventId"] for e in events]
    rows = stored(gateway, ids)
    assert len(rows) == 3
    assert not any(r.is_redelivery for r in rows)
    assert queued(gateway) == 3


def test_an_event_repeated_inside_one_body_is_stored_once(
    gateway: TestClient, settings: Settings, webhook_samples: list[dict[str, Any]]
) -> None:
    event = webhook_samples[0]
    assert post(gateway, settings, [event, event]).status_code == 200
    assert len(stored(gateway, [event["webhookEventId"]])) == 1
    assert queued(gateway) == 1


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl", "x" * 44])
def test_missing_or_bad_signature_is_400_and_stores_nothing(
    gateway: TestClient, webhook_samples: list[dict[str, Any]], signature: str | None
) -> None:
    before = len(stored(gateway))
    body = json.dumps({"destination": "U1", "events": webhook_samples[:1]}).encode()
    headers = {} if signature is None else {"X-Line-Signature": signature}
    response = gateway.post("/line/webhook", content=body, headers=headers)
    assert response.status_code == 400
    assert len(stored(gateway)) == before
    assert queued(gateway) == 0


def test_signed_with_another_secret_is_refused(
    gateway: TestClient, webhook_samples: list[dict[str, Any]]
) -> None:
    body = json.dumps({"destination": "U1", "events": webhook_samples[:1]}).encode()
    response = gateway.post(
        "/line/webhook", content=body, headers={"X-Line-Signature": sign("other", body)}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body", [b"{not json", b"[]", b'{"destination": "U1"}', b'{"events": [1, 2]}', b"\xff\xfe"]
)
def test_malformed_signed_bodies_are_400(
    gateway: TestClient, settings: Settings, body: bytes
) -> None:
    before = len(stored(gateway))
    response = gateway.post(
        "/line/webhook",
        content=body,
        headers={"X-Line-Signature": sign(settings.line_channel_secret, body)},
    )
    assert response.status_code == 400
    assert len(stored(gateway)) == before


def test_a_1mb_body_is_stored(
    gateway: TestClient, settings: Settings, webhook_samples: list[dict[str, Any]]
) -> None:
    event = copy.deepcopy(webhook_samples[0])
    event["message"]["text"] = "ก" * (1024 * 1024 // 3)  # ~1 MB of UTF-8
    response = post(gateway, settings, [event])
    assert response.status_code == 200
    [row] = stored(gateway, [str(event["webhookEventId"])])
    assert row.payload["message"]["text"] == event["message"]["text"]


def test_a_body_over_2mb_is_refused(gateway: TestClient, settings: Settings) -> None:
    body = b'{"destination":"U1","events":[],"pad":"' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = gateway.post(
        "/line/webhook",
        content=body,
        headers={"X-Line-Signature": sign(settings.line_channel_secret, body)},
    )
    assert response.status_code == 413


def test_unknown_event_types_are_stored_and_acknowledged(
    gateway: TestClient, settings: Settings
) -> None:
    event = {
        "type": "somethingNew",
        "mode": "active",
        "timestamp": 1462629479859,
        "source": {"type": "user", "userId": "U" + "a" * 32},
        "webhookEventId": "01UNKNOWNTYPE0000000000001",
        "deliveryContext": {"isRedelivery": False},
        "novel": {"field": [1, 2, 3]},
    }
    assert post(gateway, settings, [event]).status_code == 200
    [row] = stored(gateway, [str(event["webhookEventId"])])
    assert row.event_type == "somethingNew"
    assert row.payload["novel"] == {"field": [1, 2, 3]}


def test_an_empty_verification_call_answers_200(gateway: TestClient, settings: Settings) -> None:
    # LINE's "Verify" button sends a signed body with no events.
    assert post(gateway, settings, []).status_code == 200
