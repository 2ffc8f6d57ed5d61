"""Simulated users: webhooks signed and shaped like LINE's, content served back."""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

import httpx
import pytest
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhooks import (
    FollowEvent,
    ImageMessageContent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
)

from bot.config import ROOT
from bot.dev.standin import create_app
from bot.dev.standin.validation import load_spec, schema_errors
from tests.bot.dev.standin.standin_support import ALICE, SECRET, TOKEN, Standin, make_settings
from tests.support.stack import Served

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(64)


def _received(standin: Standin) -> tuple[bytes, str, list[Any]]:
    """The last webhook the receiver got: raw body, signature, events parsed by the SDK."""
    posted = standin.receiver.posts[-1]
    signature = posted.headers["x-line-signature"]
    return posted.body, signature, WebhookParser(SECRET).parse(posted.body.decode(), signature)


@functools.cache
def _webhook_spec() -> dict[str, Any]:
    return load_spec(ROOT / "bot" / "dev" / "standin" / "spec" / "webhook.yml")


def _conforms(body: dict[str, Any]) -> None:
    """The body is a CallbackRequest as LINE's webhook.yml defines it."""
    assert schema_errors(_webhook_spec(), "CallbackRequest", body) == []


def test_text_message_webhook_is_signed_and_shaped_like_lines(standin: Standin) -> None:
    answer = standin.send(
        userId=ALICE, displayName="สมหญิง", message={"type": "text", "text": "ถนนพัง"}
    )

    raw, _, [event] = _received(standin)
    assert answer["webhook_status"] == 200
    assert answer["body"] == json.loads(raw)
    _conforms(answer["body"])
    assert isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent)
    assert event.message.text == "ถนนพัง"
    assert event.source.user_id == ALICE
    assert event.mode == "active" and event.delivery_context.is_redelivery is False
    assert len(event.webhook_event_id) == 26
    assert event.reply_token and event.message.quote_token and event.message.id.isdigit()
    sent = answer["body"]["events"][0]
    assert sent["message"]["markAsReadToken"]
    assert answer["body"]["destination"].startswith("U")


def test_signature_is_over_the_exact_body(standin: Standin) -> None:
    standin.send(userId=ALICE, message={"type": "text", "text": "ทดสอบ"})

    raw, signature, _ = _received(standin)

    with pytest.raises(InvalidSignatureError):
        WebhookParser(SECRET).parse(raw.decode() + " ", signature)
    with pytest.raises(InvalidSignatureError):
        WebhookParser("another-secret").parse(raw.decode(), signature)


def test_follow_unfollow_and_refollow(standin: Standin) -> None:
    standin.send(userId=ALICE, event="follow")
    _, _, [follow] = _received(standin)
    standin.send(userId=ALICE, event="unfollow")
    _, _, [unfollow] = _received(standin)
    again = standin.send(userId=ALICE, event="follow")
    _, _, [refollow] = _received(standin)

    assert isinstance(follow, FollowEvent) and follow.follow.is_unblocked is False
    assert follow.reply_token
    assert isinstance(unfollow, UnfollowEvent)
    assert "replyToken" not in standin.receiver.posts[1].body.decode()
    assert isinstance(refollow, FollowEvent) and refollow.follow.is_unblocked is True
    _conforms(again["body"])


def test_postback_event(standin: Standin) -> None:
    answer = standin.send(
        userId=ALICE,
        event="postback",
        postbackData="action=status&ticket=A-1024",
        postbackParams={"date": "2025-01-31"},
    )

    _, _, [event] = _received(standin)
    _conforms(answer["body"])
    assert isinstance(event, PostbackEvent)
    assert event.postback.data == "action=status&ticket=A-1024"
    assert event.postback.params == {"date": "2025-01-31"}
    assert event.reply_token


def test_sticker_and_location_messages(standin: Standin) -> None:
    sticker = standin.send(
        userId=ALICE, message={"type": "sticker", "packageId": "446", "stickerId": "1988"}
    )
    _, _, [sticker_event] = _received(standin)
    location = standin.send(
        userId=ALICE,
        message={
            "type": "location",
            "title": "ศาลาว่าการ",
            "address": "ถนนราชดำเนิน",
            "latitude": 13.7563,
            "longitude": 100.5018,
        },
    )
    _, _, [location_event] = _received(standin)

    _conforms(sticker["body"])
    _conforms(location["body"])
    assert isinstance(sticker_event.message, StickerMessageContent)
    assert (sticker_event.message.package_id, sticker_event.message.sticker_id) == ("446", "1988")
    assert isinstance(location_event.message, LocationMessageContent)
    assert location_event.message.latitude == pytest.approx(13.7563)


def test_image_content_round_trip(standin: Standin, api: httpx.Client) -> None:
    answer = standin.send(
        userId=ALICE,
        message={
            "type": "image",
            "contentBase64": base64.b64encode(JPEG).decode(),
            "contentType": "image/jpeg",
        },
    )
    _, _, [event] = _received(standin)
    message_id = event.message.id

    content = api.get(f"/v2/bot/message/{message_id}/content")
    transcoding = api.get(f"/v2/bot/message/{message_id}/content/transcoding")
    missing = api.get("/v2/bot/message/123456789/content")

    _conforms(answer["body"])
    assert isinstance(event.message, ImageMessageContent)
    assert event.message.content_provider.type == "line"
    assert (content.status_code, content.content, content.headers["content-type"]) == (
        200,
        JPEG,
        "image/jpeg",
    )
    assert transcoding.json() == {"status": "succeeded"}
    assert (missing.status_code, missing.json()) == (404, {"message": "Not found"})


def test_redelivery_resends_the_same_event(standin: Standin) -> None:
    first = standin.send(userId=ALICE, message={"type": "text", "text": "ซ้ำ"})
    event_id = first["body"]["events"][0]["webhookEventId"]

    again = standin.http.post("/__redeliver", json={"webhookEventId": event_id}).json()

    _, _, [event] = _received(standin)
    assert again["webhook_status"] == 200
    assert event.webhook_event_id == event_id
    assert event.delivery_context.is_redelivery is True
    assert first["body"]["events"][0]["deliveryContext"] == {"isRedelivery": False}
    unknown = standin.http.post("/__redeliver", json={"webhookEventId": "01NOSUCHEVENT"})
    assert unknown.status_code == 404


def test_webhook_status_is_what_the_bot_answered(standin: Standin) -> None:
    standin.receiver.status = 500

    answer = standin.send(userId=ALICE, message={"type": "text", "text": "ล่ม"})

    assert answer["webhook_status"] == 500


def test_unreachable_webhook_gives_null_status() -> None:
    settings = make_settings(standin_webhook_url="http://127.0.0.1:9/nowhere")
    with Served(create_app(settings)) as served:
        answer = httpx.post(
            f"{served.base_url}/__send",
            json={"userId": ALICE, "message": {"type": "text", "text": "ฮัลโหล"}},
        ).json()
        profile = httpx.get(
            f"{served.base_url}/v2/bot/profile/{ALICE}",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )

    assert answer["webhook_status"] is None
    assert answer["body"]["events"][0]["message"]["text"] == "ฮัลโหล"
    assert profile.status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        {"userId": "Unot-a-user", "message": {"type": "text", "text": "x"}},
        {"userId": ALICE, "event": "message"},
        {"userId": ALICE, "event": "postback"},
        {"userId": ALICE, "message": {"type": "image", "contentBase64": "%%%"}},
    ],
    ids=["bad-user-id", "message-missing", "postback-data-missing", "bad-base64"],
)
def test_send_refuses_impossible_user_actions(standin: Standin, payload: dict[str, Any]) -> None:
    assert standin.http.post("/__send", json=payload).status_code == 422
    assert standin.receiver.posts == []
