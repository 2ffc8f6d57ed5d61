"""Webhook events from simulated users, built, signed and posted the way LINE does it.

Event shapes follow spec/webhook.yml; the request follows LINE's webhook reference
(https://developers.line.biz/en/reference/messaging-api/#request-headers): a compact
UTF-8 JSON body signed with the channel secret in `x-line-signature`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from bot.dev.standin import ids
from bot.dev.standin.schemas import ImageIn, LocationIn, SendRequest, StickerIn, TextIn
from bot.dev.standin.state import Content, StandinState


def sign(body: bytes, channel_secret: str) -> str:
    """The x-line-signature of a webhook body: base64 HMAC-SHA256 with the channel secret."""
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def user_event(state: StandinState, send: SendRequest) -> dict[str, Any]:
    """The webhook event for what a simulated user did, with the tokens LINE would issue."""
    state.see_user(send.userId, send.displayName)
    event: dict[str, Any] = {
        "type": send.event,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": send.userId},
        "webhookEventId": ids.webhook_event_id(),
        "deliveryContext": {"isRedelivery": False},
    }
    if send.event == "unfollow":
        state.set_following(send.userId, False)  # no reply token: nobody to reply to
        return event
    unblocked = state.set_following(send.userId, True)
    event["replyToken"] = state.issue_reply_token(send.userId)
    if send.event == "follow":
        event["follow"] = {"isUnblocked": unblocked}
    elif send.event == "postback":
        event["postback"] = {"data": send.postbackData or ""}
        if send.postbackParams:
            event["postback"]["params"] = send.postbackParams
    elif send.message is not None:
        event["message"] = _message_content(state, send.userId, send.message)
    return event


def _message_content(
    state: StandinState, user_id: str, message: TextIn | StickerIn | LocationIn | ImageIn
) -> dict[str, Any]:
    content: dict[str, Any] = {"id": ids.message_id(), "type": message.type}
    if isinstance(message, TextIn):
        content["text"] = message.text
    elif isinstance(message, StickerIn):
        content.update(
            packageId=message.packageId, stickerId=message.stickerId, stickerResourceType="STATIC"
        )
    elif isinstance(message, LocationIn):
        content.update(
            {k: v for k, v in (("title", message.title), ("address", message.address)) if v}
        )
        content.update(latitude=message.latitude, longitude=message.longitude)
    else:
        content["contentProvider"] = {"type": "line"}
        state.store_content(content["id"], Content(message.content(), message.contentType))
    if not isinstance(message, LocationIn):  # LINE gives no quote token for locations
        content["quoteToken"] = ids.opaque_token()
    content["markAsReadToken"] = state.issue_read_token(user_id)
    return content


async def post(
    client: httpx.AsyncClient,
    *,
    url: str,
    channel_secret: str,
    events: list[dict[str, Any]],
) -> tuple[dict[str, Any], int | None]:
    """POST a signed webhook; the body sent and the status answered (None if unreachable)."""
    body = {"destination": ids.bot_user_id(channel_secret), "events": events}
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "content-type": "application/json; charset=utf-8",
        "user-agent": "LineBotWebhook/2.0",
        "x-line-signature": sign(raw, channel_secret),
    }
    try:
        response = await client.post(url, content=raw, headers=headers, timeout=5.0)
    except httpx.HTTPError:
        return body, None
    return body, response.status_code
