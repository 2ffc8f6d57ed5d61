"""The stand-in's own endpoints: call recording, injected faults, reset, the runner."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
import pytest
from linebot.v3.messaging import (
    ApiException,
    AsyncMessagingApi,
    PushMessageRequest,
    ReplyMessageRequest,
    TextMessage,
)

from bot.dev.standin import __main__ as runner
from tests.bot.dev.standin.standin_support import ALICE, BOB, Standin

REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"


async def test_faults_answer_like_line_then_wear_off(
    standin: Standin, line_api: AsyncMessagingApi
) -> None:
    token = standin.reply_token(ALICE)
    standin.http.post("/__faults", json={"path": REPLY, "status": 429, "count": 2})
    request = ReplyMessageRequest(reply_token=token, messages=[TextMessage(text="ตอบ")])

    statuses, bodies = [], []
    for _ in range(2):
        with pytest.raises(ApiException) as caught:
            await line_api.reply_message(request)
        statuses.append(caught.value.status)
        bodies.append(json.loads(caught.value.body))
    await line_api.reply_message(request)  # the token survived the refused attempts

    assert statuses == [429, 429]
    assert bodies[0] == {"message": "The API rate limit has been exceeded. Try again later."}
    assert [c["status"] for c in standin.calls(REPLY)] == [429, 429, 200]
    assert len(standin.messages(ALICE)) == 1
    assert standin.http.get("/__faults").json() == []


async def test_server_error_fault_delivers_nothing(
    standin: Standin, line_api: AsyncMessagingApi
) -> None:
    standin.http.post("/__faults", json={"path": PUSH, "status": 500, "count": 1})

    with pytest.raises(ApiException) as caught:
        await line_api.push_message(PushMessageRequest(to=ALICE, messages=[TextMessage(text="x")]))

    assert caught.value.status == 500
    assert json.loads(caught.value.body) == {"message": "Internal server error"}
    assert standin.messages(ALICE) == []


def test_faults_can_be_cleared(standin: Standin, api: httpx.Client) -> None:
    standin.http.post("/__faults", json={"path": "/v2/bot/info", "status": 503, "count": 5})
    assert api.get("/v2/bot/info").status_code == 503

    assert standin.http.delete("/__faults").status_code == 204

    assert api.get("/v2/bot/info").status_code == 200


def test_calls_are_recorded_in_order_with_their_answers(
    standin: Standin, api: httpx.Client
) -> None:
    key = "123e4567-e89b-12d3-a456-426614174000"
    api.post(PUSH, json={"to": ALICE, "messages": [{"type": "text", "text": "หนึ่ง"}]})
    api.post(
        PUSH,
        json={"to": ALICE, "messages": [{"type": "text", "text": ""}]},
        headers={"X-Line-Retry-Key": key},
    )
    api.get(f"/v2/bot/profile/{BOB}")
    api.post(
        "/v2/bot/richmenu/richmenu-0/content",
        content=b"\x89PNG",
        headers={"content-type": "image/png"},
    )
    standin.http.get("/__messages", params={"userId": ALICE})  # control calls are not recorded

    calls = standin.calls()

    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("POST", PUSH, 200),
        ("POST", PUSH, 400),
        ("GET", f"/v2/bot/profile/{BOB}", 404),
        ("POST", "/v2/bot/richmenu/richmenu-0/content", 404),
    ]
    assert calls[0]["body"] == {"to": ALICE, "messages": [{"type": "text", "text": "หนึ่ง"}]}
    assert [c["retry_key"] for c in calls] == [None, key, None, None]
    assert calls[2]["body"] is None
    assert calls[3]["body"] == "<image/png, 4 bytes>"
    times = [datetime.fromisoformat(c["time"]) for c in calls]
    assert times == sorted(times) and all(t.utcoffset() is not None for t in times)


def test_calls_filter_by_path_prefix_and_clear(standin: Standin, api: httpx.Client) -> None:
    api.get("/v2/bot/info")
    api.get("/v2/bot/message/quota")
    api.get("/v2/bot/message/quota/consumption")

    quota = standin.calls("/v2/bot/message/quota")
    cleared = standin.http.delete("/__calls")

    assert [c["path"] for c in quota] == [
        "/v2/bot/message/quota",
        "/v2/bot/message/quota/consumption",
    ]
    assert cleared.status_code == 204
    assert standin.calls() == []


def test_a_client_can_wait_for_a_call_instead_of_polling(
    standin: Standin, api: httpx.Client
) -> None:
    import threading
    import time

    def later() -> None:
        time.sleep(0.3)
        api.get("/v2/bot/message/quota")
        api.get("/v2/bot/info")

    threading.Thread(target=later).start()
    started = time.monotonic()
    waited = standin.http.get(
        "/__calls", params={"path": "/v2/bot/info", "at_least": 1, "wait": 10}
    )
    took = time.monotonic() - started
    assert [c["path"] for c in waited.json()] == ["/v2/bot/info"]
    assert 0.25 < took < 5  # answered when the call came, not at the deadline
    started = time.monotonic()
    none = standin.http.get(
        "/__calls", params={"path": "/v2/bot/nothing", "at_least": 1, "wait": 0.3}
    )
    assert (
        none.json() == [] and time.monotonic() - started >= 0.3
    )  # the deadline, then what there is
    assert standin.http.get("/__calls", params={"wait": 61}).status_code == 422


def test_messages_can_be_cleared(standin: Standin, api: httpx.Client) -> None:
    api.post(PUSH, json={"to": ALICE, "messages": [{"type": "text", "text": "x"}]})

    assert standin.http.delete("/__messages").status_code == 204

    assert standin.messages(ALICE) == []


def test_reset_forgets_everything(standin: Standin, api: httpx.Client) -> None:
    token = standin.reply_token(ALICE)
    api.post("/v2/bot/richmenu", json=_rich_menu())
    standin.http.post("/__faults", json={"path": "/v2/bot/info", "status": 500})

    assert standin.http.delete("/__state").status_code == 204

    assert api.get(f"/v2/bot/profile/{ALICE}").status_code == 404
    assert api.get("/v2/bot/richmenu/list").json() == {"richmenus": []}
    assert api.get("/v2/bot/info").status_code == 200
    reply = api.post(REPLY, json={"replyToken": token, "messages": [{"type": "text", "text": "x"}]})
    assert reply.json() == {"message": "Invalid reply token"}
    assert [c["path"] for c in standin.calls()] == [
        f"/v2/bot/profile/{ALICE}",
        "/v2/bot/richmenu/list",
        "/v2/bot/info",
        REPLY,
    ]


def test_runner_serves_on_the_configured_or_given_port(monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(runner.uvicorn, "run", lambda app, **kwargs: served.update(kwargs))

    runner.main(["--port", "18181"])

    assert served["port"] == 18181
    assert served["host"] == runner.get_settings().standin_host


def _rich_menu() -> dict[str, Any]:
    return {
        "size": {"width": 2500, "height": 843},
        "selected": False,
        "name": "m",
        "chatBarText": "เมนู",
        "areas": [
            {
                "bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                "action": {"type": "postback", "data": "action=menu"},
            }
        ],
    }
