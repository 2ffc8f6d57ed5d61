"""Fuzzing: schemathesis over the staff API's own OpenAPI description, and signed webhook
bodies shaped like LINE's with random values anywhere; never a server error.

The gateway runs for real (uvicorn, PostgreSQL, Redis) and the fuzzer calls it as an
admin. Paths that need Rasa or the LINE stand-in (/healthz, the NLU parser, the
simulator), not running here, answer 503 by design and are left out.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from bot.config import ROOT, Settings
from bot.main import create_app
from tests.support.stack import Served, fresh_database, make_settings, new_staff_token, sign

EXCLUDED = r"(healthz|api/nlu/parse|simulator/|line/webhook)"
EXAMPLES = 25


@pytest.fixture(scope="module")
def served_gateway(redis_prefix: str) -> Iterator[tuple[str, Settings, str]]:
    # A database of its own: what the fuzzer stores must not reach the shared desk.
    with fresh_database("desk_fuzz") as url:
        desk_settings = make_settings(url, f"{redis_prefix}:fuzz")
        with Served(create_app(desk_settings)) as server:
            yield server.base_url, desk_settings, new_staff_token(desk_settings.database_url)


def _described() -> dict[str, Any]:
    """The gateway's own description (the document /api/openapi.json serves), less the
    paths left out above (filtered here: the pytest integration drops `exclude`)."""
    document = create_app(Settings(desk_env="test")).openapi()
    document["paths"] = {
        path: item for path, item in document["paths"].items() if not re.search(EXCLUDED, path)
    }
    return document


schema = schemathesis.openapi.from_dict(_described())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_the_staff_api_never_answers_a_server_error(
    case: Any, served_gateway: tuple[str, Settings, str]
) -> None:
    base, _, token = served_gateway
    case.call_and_validate(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error]
    )


SAMPLES = json.loads((ROOT / "tests" / "data" / "line-webhook-samples.json").read_text())["events"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def webhook_bodies(draw: st.DrawFn) -> bytes:
    """LINE's sample events with random values put at random places (and some garbage)."""
    events = []
    for _ in range(draw(st.integers(1, 3))):
        event = copy.deepcopy(draw(st.sampled_from(SAMPLES)))
        event["webhookEventId"] = "01FUZZ" + uuid.uuid4().hex.upper()
        for _ in range(draw(st.integers(0, 4))):
            node: Any = event
            path = draw(
                st.lists(
                    st.sampled_from(
                        [
                            "type",
                            "source",
                            "message",
                            "text",
                            "userId",
                            "timestamp",
                            "replyToken",
                            "postback",
                            "data",
                            "id",
                            "mode",
                            "deliveryContext",
                            "emojis",
                            "mention",
                        ]
                    ),
                    min_size=1,
                    max_size=3,
                )
            )
            for key in path[:-1]:
                if not isinstance(node.get(key), dict):
                    node[key] = {}
                node = node[key]
            node[path[-1]] = draw(JSON)
        events.append(event)
    body: Any = {"destination": "Udesk", "events": events}
    if draw(st.integers(0, 9)) == 0:
        body = draw(JSON)  # not a webhook at all, but signed
    return json.dumps(body, ensure_ascii=draw(st.booleans()), allow_nan=True).encode()


@given(body=webhook_bodies())
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_signed_webhooks_of_any_shape_are_stored_or_refused_never_a_server_error(
    served_gateway: tuple[str, Settings, str], body: bytes
) -> None:
    base, desk_settings, _ = served_gateway
    response = httpx.post(
        f"{base}/line/webhook",
        content=body,
        headers={
            "X-Line-Signature": sign(desk_settings.line_channel_secret, body),
            "Content-Type": "application/json",
        },
        timeout=30,
    )
    assert response.status_code in {200, 400}, (response.status_code, response.text)
