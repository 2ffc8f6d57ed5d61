"""Sending to LINE: a small channel protocol, its LINE implementation and a test fake.

The implementation uses the official line-bot-sdk v3 async client. 429 and 5xx answers
are retried with exponential backoff; a reply token LINE rejects raises
`ReplyTokenRejected` so the caller can fall back to a push with a retry key.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
    MarkMessagesAsReadByTokenRequest,
    Message,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.exceptions import ApiException

from bot.config import Settings

logger = logging.getLogger(__name__)

RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0)


class SendError(Exception):
    """LINE did not accept a send (after retries where retrying made sense)."""

    def __init__(self, status: int | None, detail: str) -> None:
        super().__init__(f"LINE answered {status}: {detail}")
        self.status = status
        self.detail = detail


class ReplyTokenRejected(SendError):
    """The reply token is too old, used, or unknown: push instead."""


@dataclass
class SendResult:
    """What LINE said to a send."""

    request_id: str | None
    duplicate: bool = False


@dataclass
class Profile:
    """A LINE user's public profile."""

    user_id: str
    display_name: str


class Channel(Protocol):
    """What the desk needs from a messaging channel."""

    async def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> SendResult:
        """Answers with a reply token (free, once, within LINE's time limit)."""
        ...

    async def push(self, to: str, messages: list[dict[str, Any]], retry_key: str) -> SendResult:
        """Sends at any time; `retry_key` makes retries idempotent."""
        ...

    async def show_loading(self, user_id: str, seconds: int) -> None:
        """Shows the typing animation in the user's chat."""
        ...

    async def mark_read(self, token: str) -> None:
        """Marks the citizen's messages up to this one as read."""
        ...

    async def profile(self, user_id: str) -> Profile | None:
        """The user's profile, or None when LINE has none for us."""
        ...

    async def content(self, message_id: str) -> tuple[bytes, str]:
        """The bytes and content type of an image/video/audio/file message."""
        ...


def _detail(error: ApiException) -> str:
    try:
        body = json.loads(error.body or b"{}")
        return str(body.get("message") or error.reason)
    except (ValueError, TypeError):
        return str(error.reason)


def _retryable(status: int | None) -> bool:
    return status is None or status == 429 or status >= 500


class LineChannel:
    """The real LINE Messaging API, through the official SDK."""

    def __init__(self, settings: Settings) -> None:
        self._client = AsyncApiClient(
            Configuration(
                host=settings.line_api_base, access_token=settings.line_channel_access_token
            )
        )
        # Content and rich-menu images live on LINE's second host (api-data.line.me).
        self._data_client = AsyncApiClient(
            Configuration(
                host=settings.line_api_data_base,
                access_token=settings.line_channel_access_token,
            )
        )
        self.api = AsyncMessagingApi(self._client)
        self.blob = AsyncMessagingApiBlob(self._data_client)

    async def close(self) -> None:
        """Closes the HTTP sessions."""
        await self._client.close()
        await self._data_client.close()

    async def _call(self, what: str, call: Any) -> Any:
        for attempt, delay in enumerate((*RETRY_DELAYS_S, None)):
            try:
                return await call()
            except ApiException as error:
                if not _retryable(error.status) or delay is None:
                    raise
                logger.warning(
                    "line %s: status %s, retry %d in %.1fs", what, error.status, attempt + 1, delay
                )
            except (TimeoutError, OSError) as error:
                if delay is None:
                    raise SendError(None, type(error).__name__) from error
                logger.warning("line %s: %s, retry in %.1fs", what, type(error).__name__, delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> SendResult:
        """Answers with a reply token; ReplyTokenRejected when LINE refuses the token."""
        request = ReplyMessageRequest(
            reply_token=reply_token, messages=[Message.from_dict(m) for m in messages]
        )
        try:
            response = await self._call(
                "reply", lambda: self.api.reply_message_with_http_info(request)
            )
        except ApiException as error:
            detail = _detail(error)
            if error.status == 400 and "reply token" in detail.lower():
                raise ReplyTokenRejected(error.status, detail) from error
            raise SendError(error.status, detail) from error
        return SendResult(request_id=(response.headers or {}).get("x-line-request-id"))

    async def push(self, to: str, messages: list[dict[str, Any]], retry_key: str) -> SendResult:
        """Pushes with X-Line-Retry-Key; a 409 means LINE already accepted this key."""
        request = PushMessageRequest(to=to, messages=[Message.from_dict(m) for m in messages])
        try:
            response = await self._call(
                "push", lambda: self.api.push_message_with_http_info(request, retry_key)
            )
        except ApiException as error:
            if error.status == 409:
                headers = dict(error.headers or {})
                accepted = headers.get("x-line-accepted-request-id")
                return SendResult(request_id=accepted, duplicate=True)
            raise SendError(error.status, _detail(error)) from error
        return SendResult(request_id=(response.headers or {}).get("x-line-request-id"))

    async def show_loading(self, user_id: str, seconds: int) -> None:
        """Starts the loading animation; failures only cost the animation."""
        seconds = max(5, min(60, seconds - seconds % 5))
        try:
            await self.api.show_loading_animation(
                ShowLoadingAnimationRequest(chat_id=user_id, loading_seconds=seconds)
            )
        except (ApiException, TimeoutError, OSError) as error:
            logger.info("line loading animation not shown: %s", type(error).__name__)

    async def mark_read(self, token: str) -> None:
        """Marks messages read (markAsReadToken); failures only cost the read receipt."""
        try:
            await self.api.mark_messages_as_read_by_token(
                MarkMessagesAsReadByTokenRequest(mark_as_read_token=token)
            )
        except (ApiException, TimeoutError, OSError) as error:
            logger.info("line mark-as-read failed: %s", type(error).__name__)

    async def profile(self, user_id: str) -> Profile | None:
        """The user's profile, or None (blocked, unknown, LINE unavailable)."""
        try:
            found = await self.api.get_profile(user_id)
        except (ApiException, TimeoutError, OSError) as error:
            logger.info("line profile unavailable: %s", type(error).__name__)
            return None
        return Profile(user_id=found.user_id, display_name=found.display_name)

    async def content(self, message_id: str) -> tuple[bytes, str]:
        """Downloads message content from LINE's data host."""
        try:
            response = await self._call(
                "content",
                lambda: self.blob.get_message_content_with_http_info(message_id),
            )
        except ApiException as error:
            raise SendError(error.status, _detail(error)) from error
        raw = response.raw_data
        data = raw if isinstance(raw, bytes | bytearray) else bytes(raw or b"")
        content_type = (response.headers or {}).get("Content-Type", "application/octet-stream")
        return bytes(data), content_type


@dataclass
class RecordingChannel:
    """A fake channel for unit tests: records every call, can refuse reply tokens."""

    reject_reply_tokens: bool = False
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    accepted_retry_keys: set[str] = field(default_factory=set)

    async def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> SendResult:
        """Records a reply."""
        self.calls.append(("reply", {"replyToken": reply_token, "messages": messages}))
        if self.reject_reply_tokens:
            raise ReplyTokenRejected(400, "Invalid reply token")
        return SendResult(request_id=f"reply-{len(self.calls)}")

    async def push(self, to: str, messages: list[dict[str, Any]], retry_key: str) -> SendResult:
        """Records a push; a repeated retry key is a duplicate, as at LINE."""
        self.calls.append(("push", {"to": to, "messages": messages, "retryKey": retry_key}))
        duplicate = retry_key in self.accepted_retry_keys
        self.accepted_retry_keys.add(retry_key)
        return SendResult(request_id=f"push-{len(self.calls)}", duplicate=duplicate)

    async def show_loading(self, user_id: str, seconds: int) -> None:
        """Records the loading animation."""
        self.calls.append(("loading", {"chatId": user_id, "loadingSeconds": seconds}))

    async def mark_read(self, token: str) -> None:
        """Records the read receipt."""
        self.calls.append(("mark_read", {"markAsReadToken": token}))

    async def profile(self, user_id: str) -> Profile | None:
        """A made-up profile."""
        return Profile(user_id=user_id, display_name="ผู้ใช้ทดสอบ")

    async def content(self, message_id: str) -> tuple[bytes, str]:
        """Tiny PNG-ish bytes."""
        return b"\x89PNG\r\n\x1a\n", "image/png"
