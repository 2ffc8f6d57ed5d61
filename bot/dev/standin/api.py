"""The Messaging API endpoints the desk uses (messages, content, users, bot, quota).

Every route is named by its operationId in messaging-api.yml. Requests reach these
handlers only after the gate in app.py has checked the token and the contract.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from bot.dev.standin import ids
from bot.dev.standin.deps import JsonBody, SettingsDep, StateDep
from bot.dev.standin.errors import NOT_FOUND, LineError

router = APIRouter()


@router.post("/v2/bot/message/reply", name="replyMessage")
def reply_message(body: JsonBody, state: StateDep) -> dict[str, Any]:
    """Send a reply with a reply token from a webhook event."""
    return {"sentMessages": state.reply(body["replyToken"], body["messages"])}


@router.post("/v2/bot/message/push", name="pushMessage")
def push_message(body: JsonBody, request: Request, state: StateDep) -> dict[str, Any]:
    """Send messages to one user, group or room."""
    sent = state.push(
        [body["to"]],
        body["messages"],
        retry_key=request.headers.get("x-line-retry-key"),
        request_id=request.state.request_id,
    )
    return {"sentMessages": sent}


@router.post("/v2/bot/message/multicast", name="multicast")
def multicast(body: JsonBody, request: Request, state: StateDep) -> dict[str, Any]:
    """Send the same messages to several users."""
    state.push(
        body["to"],
        body["messages"],
        retry_key=request.headers.get("x-line-retry-key"),
        request_id=request.state.request_id,
    )
    return {}


@router.post("/v2/bot/chat/loading/start", name="showLoadingAnimation", status_code=202)
def show_loading_animation(body: JsonBody) -> dict[str, Any]:
    """Show the loading animation in a one-on-one chat."""
    return {}


@router.post("/v2/bot/chat/markAsRead", name="markMessagesAsReadByToken")
def mark_as_read_by_token(body: JsonBody, state: StateDep) -> dict[str, Any]:
    """Mark a user's messages as read with a markAsReadToken from a webhook event."""
    if not state.mark_read(body["markAsReadToken"]):
        raise LineError(400, "Invalid markAsReadToken")
    return {}


@router.post("/v2/bot/message/markAsRead", name="markMessagesAsRead")
def mark_as_read(body: JsonBody) -> dict[str, Any]:
    """Mark a user's messages as read (the older, chat-based API)."""
    return {}


@router.get("/v2/bot/message/{message_id}/content", name="getMessageContent")
def get_message_content(message_id: str, state: StateDep) -> Response:
    """The bytes of an image a simulated user sent."""
    content = state.content(message_id)
    if content is None:
        raise LineError(404, NOT_FOUND)
    return Response(content.data, media_type=content.content_type)


@router.get(
    "/v2/bot/message/{message_id}/content/transcoding",
    name="getMessageContentTranscodingByMessageId",
)
def get_transcoding(message_id: str, state: StateDep) -> dict[str, Any]:
    """Content is ready as soon as the stand-in has it."""
    if state.content(message_id) is None:
        raise LineError(404, NOT_FOUND)
    return {"status": "succeeded"}


@router.get("/v2/bot/profile/{user_id}", name="getProfile")
def get_profile(user_id: str, state: StateDep) -> dict[str, Any]:
    """A simulated user's profile."""
    profile = state.profile(user_id)
    if profile is None:
        raise LineError(404, NOT_FOUND)
    return profile


@router.get("/v2/bot/message/quota", name="getMessageQuota")
def get_message_quota() -> dict[str, Any]:
    """No monthly limit is set."""
    return {"type": "none"}


@router.get("/v2/bot/message/quota/consumption", name="getMessageQuotaConsumption")
def get_quota_consumption(state: StateDep) -> dict[str, Any]:
    """Messages pushed so far (replies are free, as on LINE)."""
    return {"totalUsage": state.pushed_count()}


@router.get("/v2/bot/info", name="getBotInfo")
def get_bot_info(settings: SettingsDep) -> dict[str, Any]:
    """The bot's basic information."""
    return {
        "userId": ids.bot_user_id(settings.line_channel_secret),
        "basicId": "@000standin",
        "displayName": "Service desk (stand-in)",
        "chatMode": "bot",
        "markAsReadMode": "manual",
    }
