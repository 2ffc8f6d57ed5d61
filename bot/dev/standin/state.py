"""The stand-in's memory: what the platform knows and what the bot sent, behind one lock."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.dev.standin import ids
from bot.dev.standin.errors import INVALID_REPLY_TOKEN, NOT_FOUND, RETRY_KEY_ACCEPTED, LineError

Clock = Callable[[], float]

RETRY_KEY_WINDOW_S = 24 * 60 * 60  # LINE remembers an accepted retry key for 24 hours
# Messages LINE answers with a quoteToken (those a user can quote).
QUOTABLE = {"text", "textV2", "sticker", "image", "video", "template", "flex"}


def utc_now() -> str:
    """The current time as ISO 8601 UTC, to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class CallRecord:
    """One Messaging API call as the stand-in saw and answered it."""

    method: str
    path: str
    body: Any
    retry_key: str | None
    time: str
    status: int | None = None


@dataclass
class SimUser:
    """A simulated LINE user."""

    user_id: str
    display_name: str
    following: bool = True
    blocked_before: bool = False

    def profile(self) -> dict[str, Any]:
        """The user's profile as GET /v2/bot/profile answers it."""
        return {"userId": self.user_id, "displayName": self.display_name, "language": "th"}


@dataclass
class Content:
    """Bytes a user sent (image) or the bot uploaded (rich menu image)."""

    data: bytes
    content_type: str


@dataclass
class RichMenu:
    """A rich menu and, once uploaded, its image."""

    menu: dict[str, Any]
    image: Content | None = None


@dataclass
class _Accepted:
    request_id: str
    at: float
    sent: list[dict[str, str]]


@dataclass
class _ReplyToken:
    user_id: str
    expires_at: float


@dataclass
class _Store:
    calls: list[CallRecord] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    reply_tokens: dict[str, _ReplyToken] = field(default_factory=dict)
    read_tokens: dict[str, str] = field(default_factory=dict)
    users: dict[str, SimUser] = field(default_factory=dict)
    contents: dict[str, Content] = field(default_factory=dict)
    rich_menus: dict[str, RichMenu] = field(default_factory=dict)
    default_rich_menu: str | None = None
    accepted: dict[str, _Accepted] = field(default_factory=dict)
    # path -> [status, remaining, hold seconds (0: answer the status)]
    faults: dict[str, list[float]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    pushed: int = 0


class StandinState:
    """All state of one stand-in; every method is atomic under one lock."""

    def __init__(self, *, reply_token_ttl_s: float, clock: Clock) -> None:
        self._lock = threading.Lock()
        self._ttl = reply_token_ttl_s
        self._clock = clock
        self._s = _Store()
        # Set (and replaced) on every recorded call, for `/__calls?wait=`; calls are
        # recorded on the event loop (the app's middleware), where waiters wait.
        self._new_call: asyncio.Event | None = None

    def reset(self) -> None:
        """Forget everything."""
        with self._lock:
            self._s = _Store()

    # Calls -------------------------------------------------------------------------------

    def begin_call(self, method: str, path: str, body: Any, retry_key: str | None) -> CallRecord:
        """Record a call on arrival; its status is filled in by `end_call`."""
        record = CallRecord(method, path, body, retry_key, utc_now())
        with self._lock:
            self._s.calls.append(record)
        if self._new_call is not None:
            self._new_call.set()
            self._new_call = None
        return record

    async def next_call(self, timeout: float) -> None:
        """Returns when the next call is recorded, or after `timeout` seconds."""
        if self._new_call is None:
            self._new_call = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._new_call.wait(), timeout)

    def end_call(self, record: CallRecord, status: int) -> None:
        """Record the status a call was answered with."""
        with self._lock:
            record.status = status

    def calls(self, path_prefix: str | None = None) -> list[dict[str, Any]]:
        """Recorded calls in arrival order, optionally only paths starting with a prefix."""
        with self._lock:
            return [
                copy.deepcopy(asdict(call))
                for call in self._s.calls
                if not path_prefix or call.path.startswith(path_prefix)
            ]

    def clear_calls(self) -> None:
        """Forget recorded calls."""
        with self._lock:
            self._s.calls.clear()

    # Faults ------------------------------------------------------------------------------

    def add_fault(self, path: str, status: int, count: int, hold_s: float = 0.0) -> None:
        """Make the next `count` calls to `path` answer `status` (or be held `hold_s`)."""
        with self._lock:
            self._s.faults[path] = [status, count, hold_s]

    def take_fault(self, path: str) -> tuple[int, float] | None:
        """(status, hold seconds) injected for this call to `path`, if one is pending."""
        with self._lock:
            pending = self._s.faults.get(path)
            if not pending or pending[1] <= 0:
                return None
            pending[1] -= 1
            return int(pending[0]), pending[2]

    def faults(self) -> list[dict[str, Any]]:
        """Pending faults."""
        with self._lock:
            return [
                {"path": path, "status": int(status), "count": int(count), "hold_s": hold}
                for path, (status, count, hold) in self._s.faults.items()
                if count > 0
            ]

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._s.faults.clear()

    # Simulated users and their events ---------------------------------------------------

    def see_user(self, user_id: str, display_name: str | None) -> SimUser:
        """The simulated user, created (or renamed) on first sight."""
        with self._lock:
            user = self._s.users.get(user_id)
            if user is None:
                user = SimUser(user_id, display_name or f"User {user_id[-4:]}")
                self._s.users[user_id] = user
            elif display_name:
                user.display_name = display_name
            return copy.copy(user)

    def set_following(self, user_id: str, following: bool) -> bool:
        """Follow or block; True when a follow unblocks a user who had blocked the bot."""
        with self._lock:
            user = self._s.users[user_id]
            unblocked = following and user.blocked_before
            user.following = following
            user.blocked_before = user.blocked_before or not following
            return unblocked

    def profile(self, user_id: str) -> dict[str, Any] | None:
        """A user's profile; None for unknown users and users who blocked the bot."""
        with self._lock:
            user = self._s.users.get(user_id)
            return user.profile() if user and user.following else None

    def issue_reply_token(self, user_id: str) -> str:
        """A reply token for a webhook event of `user_id`, valid for the configured TTL."""
        token = ids.reply_token()
        with self._lock:
            self._s.reply_tokens[token] = _ReplyToken(user_id, self._clock() + self._ttl)
        return token

    def issue_read_token(self, user_id: str) -> str:
        """A markAsReadToken for a message of `user_id`."""
        token = ids.opaque_token()
        with self._lock:
            self._s.read_tokens[token] = user_id
        return token

    def mark_read(self, token: str) -> bool:
        """Whether `token` is a markAsReadToken the stand-in issued."""
        with self._lock:
            return token in self._s.read_tokens

    def store_content(self, message_id: str, content: Content) -> None:
        """Keep the bytes of a message a user sent."""
        with self._lock:
            self._s.contents[message_id] = content

    def content(self, message_id: str) -> Content | None:
        """The bytes of a message a user sent."""
        with self._lock:
            return self._s.contents.get(message_id)

    def remember_event(self, event: dict[str, Any]) -> None:
        """Keep a sent webhook event for redelivery."""
        with self._lock:
            self._s.events[event["webhookEventId"]] = copy.deepcopy(event)

    def event(self, webhook_event_id: str) -> dict[str, Any] | None:
        """A copy of a previously sent webhook event."""
        with self._lock:
            found = self._s.events.get(webhook_event_id)
            return copy.deepcopy(found) if found else None

    # Sending -----------------------------------------------------------------------------

    def reply(self, token: str, messages: list[dict[str, Any]]) -> list[dict[str, str]]:
        """Deliver a reply: the token must be issued, unexpired and unused; it is then used."""
        with self._lock:
            issued = self._s.reply_tokens.get(token)
            if issued is None or issued.expires_at <= self._clock():
                raise LineError(400, INVALID_REPLY_TOKEN)
            del self._s.reply_tokens[token]
            return self._deliver([issued.user_id], messages, "reply")

    def push(
        self,
        to: list[str],
        messages: list[dict[str, Any]],
        *,
        retry_key: str | None,
        request_id: str,
    ) -> list[dict[str, str]]:
        """Deliver a push or multicast; a retry key accepted in the last 24 h answers 409."""
        with self._lock:
            now = self._clock()
            self._s.accepted = {
                key: seen
                for key, seen in self._s.accepted.items()
                if now - seen.at < RETRY_KEY_WINDOW_S
            }
            first = self._s.accepted.get(retry_key) if retry_key else None
            if first is not None:
                raise LineError(
                    409,
                    RETRY_KEY_ACCEPTED,
                    headers={"x-line-accepted-request-id": first.request_id},
                    extra={"sentMessages": copy.deepcopy(first.sent)},
                )
            sent = self._deliver(to, messages, "push")
            self._s.pushed += len(messages) * len(to)
            if retry_key:
                self._s.accepted[retry_key] = _Accepted(request_id, now, sent)
            return sent

    def _deliver(
        self, to: list[str], messages: list[dict[str, Any]], via: str
    ) -> list[dict[str, str]]:
        sent = []
        for message in messages:
            entry = {"id": ids.message_id()}
            if message.get("type") in QUOTABLE:
                entry["quoteToken"] = ids.opaque_token()
            sent.append(entry)
        time = utc_now()
        for user_id in to:
            for message, entry in zip(messages, sent, strict=True):
                self._s.deliveries.append(
                    {
                        "time": time,
                        "via": via,
                        "userId": user_id,
                        "id": entry["id"],
                        "message": copy.deepcopy(message),
                    }
                )
        return sent

    def deliveries(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """Messages the bot delivered, in order, optionally only those to one user."""
        with self._lock:
            return [
                copy.deepcopy(item)
                for item in self._s.deliveries
                if user_id is None or item["userId"] == user_id
            ]

    def clear_deliveries(self) -> None:
        """Forget delivered messages."""
        with self._lock:
            self._s.deliveries.clear()

    def pushed_count(self) -> int:
        """Messages sent by push or multicast (what LINE counts against the quota)."""
        with self._lock:
            return self._s.pushed

    # Rich menus --------------------------------------------------------------------------

    def create_rich_menu(self, menu: dict[str, Any]) -> str:
        """Keep a new rich menu; its ID."""
        rich_menu_id = ids.rich_menu_id()
        with self._lock:
            self._s.rich_menus[rich_menu_id] = RichMenu({"richMenuId": rich_menu_id, **menu})
        return rich_menu_id

    def rich_menu(self, rich_menu_id: str) -> RichMenu:
        """A copy of a rich menu; LINE's 404 when there is none."""
        with self._lock:
            found = self._s.rich_menus.get(rich_menu_id)
            if found is None:
                raise LineError(404, NOT_FOUND)
            return copy.deepcopy(found)

    def rich_menus(self) -> list[dict[str, Any]]:
        """Every rich menu, oldest first."""
        with self._lock:
            return [copy.deepcopy(item.menu) for item in self._s.rich_menus.values()]

    def delete_rich_menu(self, rich_menu_id: str) -> None:
        """Delete a rich menu (and unset it as default)."""
        with self._lock:
            if self._s.rich_menus.pop(rich_menu_id, None) is None:
                raise LineError(404, NOT_FOUND)
            if self._s.default_rich_menu == rich_menu_id:
                self._s.default_rich_menu = None

    def set_rich_menu_image(self, rich_menu_id: str, image: Content) -> None:
        """Attach an image to a rich menu; LINE allows this once per menu."""
        with self._lock:
            found = self._s.rich_menus.get(rich_menu_id)
            if found is None:
                raise LineError(404, NOT_FOUND)
            if found.image is not None:
                raise LineError(400, "An image has already been uploaded to the richmenu")
            found.image = image

    def set_default_rich_menu(self, rich_menu_id: str) -> None:
        """Make a rich menu (which must have its image) the default for all users."""
        with self._lock:
            found = self._s.rich_menus.get(rich_menu_id)
            if found is None:
                raise LineError(404, NOT_FOUND)
            if found.image is None:
                raise LineError(400, "must upload richmenu image before applying it to user")
            self._s.default_rich_menu = rich_menu_id

    def default_rich_menu(self) -> str | None:
        """The default rich menu's ID."""
        with self._lock:
            return self._s.default_rich_menu

    def clear_default_rich_menu(self) -> None:
        """Unset the default rich menu."""
        with self._lock:
            self._s.default_rich_menu = None
