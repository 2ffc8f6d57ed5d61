"""Bad requests are refused the way LINE refuses them: status, message and details."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.bot.dev.standin.standin_support import ALICE, TOKEN, Standin

PUSH = "/v2/bot/message/push"
TEXT = {"type": "text", "text": "สวัสดี"}
AUTH_FAILED = {
    "message": "Authentication failed. Confirm that the access token in the authorization "
    "header is valid."
}


def _push(**overrides: Any) -> dict[str, Any]:
    return {"to": ALICE, "messages": [TEXT], **overrides}


def _bubble(text: str) -> dict[str, Any]:
    body = {"type": "box", "layout": "vertical", "contents": [{"type": "text", "text": text}]}
    return {"type": "bubble", "body": body}


def _carousel(bubbles: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "flex",
        "altText": "รายการ",
        "contents": {"type": "carousel", "contents": bubbles},
    }


def _details(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["message"] == f"The request body has {len(body['details'])} error(s)"
    details: list[dict[str, str]] = body["details"]
    return details


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        pytest.param(
            _push(messages=[TEXT] * 6),
            {"message": "Size must be between 1 and 5", "property": "messages"},
            id="six-messages",
        ),
        pytest.param(
            _push(messages=[]),
            {"message": "Size must be between 1 and 5", "property": "messages"},
            id="no-messages",
        ),
        pytest.param(
            _push(messages=[{"type": "text", "text": ""}]),
            {"message": "May not be empty", "property": "messages[0].text"},
            id="empty-text",
        ),
        pytest.param(
            _push(messages=[TEXT, {"type": "text"}]),
            {"message": "May not be empty", "property": "messages[1].text"},
            id="missing-text",
        ),
        pytest.param(
            _push(messages=[{"type": "text", "text": "ก" * 5001}]),
            {"message": "Length must be between 0 and 5000", "property": "messages[0].text"},
            id="text-too-long",
        ),
        pytest.param(
            {"messages": [TEXT]},
            {"message": "May not be empty", "property": "to"},
            id="missing-to",
        ),
        pytest.param(
            _push(messages=[{"type": "location", "title": "เขต", "latitude": 13.7}]),
            {"message": "May not be empty", "property": "messages[0].address"},
            id="location-without-address",
        ),
        pytest.param(
            _push(
                messages=[
                    {
                        "type": "text",
                        "text": "เลือก",
                        "quickReply": {
                            "items": [
                                {"type": "action", "action": {"type": "message", "label": "ก"}}
                            ]
                            * 14
                        },
                    }
                ]
            ),
            {
                "message": "Size must be between 0 and 13",
                "property": "messages[0].quickReply.items",
            },
            id="fourteen-quick-replies",
        ),
        pytest.param(
            _push(
                messages=[
                    {
                        "type": "template",
                        "altText": "เมนู",
                        "template": {
                            "type": "buttons",
                            "text": "เลือก",
                            "actions": [{"type": "postback", "label": "ก", "data": "x" * 301}],
                        },
                    }
                ]
            ),
            {
                "message": "Length must be between 0 and 300",
                "property": "messages[0].template.actions[0].data",
            },
            id="postback-data-too-long",
        ),
        pytest.param(
            _push(
                messages=[
                    {
                        "type": "image",
                        "originalContentUrl": "http://example.com/a.jpg",
                        "previewImageUrl": "https://example.com/a.jpg",
                    }
                ]
            ),
            {
                "message": "Must be an HTTPS URL of at most 2000 characters",
                "property": "messages[0].originalContentUrl",
            },
            id="image-over-http",
        ),
        pytest.param(
            _push(messages=[_carousel([_bubble("ก")] * 13)]),
            {
                "message": "Size must be between 1 and 12",
                "property": "messages[0].contents.contents",
            },
            id="thirteen-bubbles",
        ),
        pytest.param(
            _push(messages=[_carousel([_bubble("ก" * 1900)] * 10)]),
            {
                "message": "The carousel's JSON must be at most 50 KB",
                "property": "messages[0].contents",
            },
            id="carousel-over-50-kb",
        ),
    ],
)
def test_bad_push_bodies_are_refused_with_details(
    api: httpx.Client, standin: Standin, body: dict[str, Any], detail: dict[str, str]
) -> None:
    response = api.post(PUSH, json=body)

    assert detail in _details(response)
    assert response.headers["x-line-request-id"]
    assert standin.messages(ALICE) == []


def test_unknown_message_type_names_the_known_ones(api: httpx.Client) -> None:
    [detail] = _details(api.post(PUSH, json=_push(messages=[{"type": "fax", "text": "x"}])))

    assert detail["property"] == "messages[0].type"
    assert detail["message"].startswith("Must be one of the following values: [text, ")


def test_every_error_of_a_body_is_reported(api: httpx.Client) -> None:
    body = {"messages": [{"type": "text", "text": ""}] * 6}

    details = _details(api.post(PUSH, json=body))

    assert {(d["property"], d["message"]) for d in details} >= {
        ("to", "May not be empty"),
        ("messages", "Size must be between 1 and 5"),
        ("messages[5].text", "May not be empty"),
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            _push(to="somchai"),
            "The property, 'to', in the request body is invalid (line: -, column: -)",
        ),
        (
            _push(messages=[{"type": "text", "text": 42}]),
            "The property, 'messages[0].text', in the request body is invalid (line: -, column: -)",
        ),
    ],
    ids=["not-a-chat-id", "text-not-a-string"],
)
def test_unreadable_properties_are_refused(
    api: httpx.Client, body: dict[str, Any], message: str
) -> None:
    response = api.post(PUSH, json=body)

    assert (response.status_code, response.json()) == (400, {"message": message})


def test_malformed_json_is_refused(api: httpx.Client) -> None:
    response = api.post(
        PUSH, content=b'{"to": "U1",\n "messages": [', headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["message"].startswith(
        "The request body could not be parsed as JSON (line: 2, column: "
    )


def test_requests_over_2_mb_are_refused(api: httpx.Client) -> None:
    text = "x" * 5000
    body = _push(messages=[{"type": "text", "text": text}] * 5, padding=["y" * 1024] * 2048)

    assert api.post(PUSH, json=body).status_code == 413


def test_loading_seconds_follow_line_rules(api: httpx.Client) -> None:
    path = "/v2/bot/chat/loading/start"

    too_long = _details(api.post(path, json={"chatId": ALICE, "loadingSeconds": 65}))
    odd = _details(api.post(path, json={"chatId": ALICE, "loadingSeconds": 7}))

    assert {"message": "Must be less than or equal to 60", "property": "loadingSeconds"} in too_long
    assert odd == [{"message": "Must be a multiple of 5", "property": "loadingSeconds"}]


def test_retry_key_must_be_a_uuid(api: httpx.Client, standin: Standin) -> None:
    response = api.post(PUSH, json=_push(), headers={"X-Line-Retry-Key": "again-please"})

    assert response.status_code == 400
    assert "X-Line-Retry-Key" in response.json()["message"]
    assert standin.messages(ALICE) == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": f"Basic {TOKEN}"}],
    ids=["missing", "wrong-token", "wrong-scheme"],
)
def test_bad_or_missing_token_is_refused(standin: Standin, headers: dict[str, str]) -> None:
    response = standin.http.post(PUSH, json=_push(), headers=headers)

    assert (response.status_code, response.json()) == (401, AUTH_FAILED)
    assert standin.messages(ALICE) == []
    assert standin.calls(PUSH)[-1]["status"] == 401


def test_token_is_checked_before_the_body(standin: Standin) -> None:
    response = standin.http.post(PUSH, json={"messages": []})

    assert response.status_code == 401


def test_paths_outside_the_spec_are_not_found(api: httpx.Client) -> None:
    response = api.get("/v2/bot/no/such/thing")

    assert (response.status_code, response.json()) == (404, {"message": "Not found"})


def test_spec_operations_the_standin_lacks_say_so(api: httpx.Client) -> None:
    response = api.get("/v2/bot/followers/ids")

    assert response.status_code == 501
    assert response.json() == {"message": "The LINE stand-in does not implement getFollowers"}


def test_wrong_method_on_a_spec_path(api: httpx.Client) -> None:
    assert api.get("/v2/bot/message/push").status_code == 405
