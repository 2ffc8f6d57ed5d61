"""Rasa input channel for the desk's gateway: like REST, but failures are reported.

Rasa's stock REST channel answers HTTP 200 with ``[]`` when the tracker store, the lock
store or the action server fails, which a caller cannot tell from "nothing to say". This
channel answers 422 when a component failed on the message itself (retrying cannot
help), 503 when handling the message raised otherwise, and 502 when Rasa swallowed an
error (a failed custom action, a tracker store that fell back to memory), so the gateway
can keep the message and tell the citizen the truth. It never logs message text, and it
installs `nlu.privacy` so that Rasa does not either.
"""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.engine.exceptions import GraphComponentException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from nlu import privacy
from nlu.tracker import DeskRedisTrackerStore, take

logger = logging.getLogger(__name__)

# Failures Rasa logs and then carries on from, collected per request. Log records are
# emitted synchronously in the task that handles the message, so a context variable
# scopes them to that message.
_failures: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "desk_channel_failures", default=None
)

# (logger name, message prefix) of the errors Rasa swallows.
SWALLOWED = (
    ("rasa.core.processor", "Encountered an exception while running action"),
    ("rasa.core.tracker_store", "Error happened when trying to"),
    ("rasa.core.lock_store", ""),
)


class _SwallowedErrorHandler(logging.Handler):
    """Notes, for the message being handled, errors that Rasa logs and swallows."""

    def emit(self, record: logging.LogRecord) -> None:
        failures = _failures.get()
        if failures is None or record.levelno < logging.ERROR:
            return
        for name, prefix in SWALLOWED:
            if record.name.startswith(name) and str(record.msg).startswith(prefix):
                failures.append(name.rsplit(".", 1)[-1])
                return


_handler = _SwallowedErrorHandler()


def _install_handler() -> None:
    for name, _ in SWALLOWED:
        target = logging.getLogger(name)
        if _handler not in target.handlers:
            target.addHandler(_handler)


async def _turn(
    agent: Any, message: UserMessage, collector: CollectingOutputChannel, failures: list[str]
) -> dict[str, Any] | None:
    """Handles a message at most once, under its conversation's lock (as Rasa's agent does).

    A message the worker sends again (it gave up waiting, but Rasa finished an earlier
    try) is answered with what the bot said then, whichever try came first. Only a
    turn that finished without failures is remembered, so a failed try is processed
    again. Returns the earlier answer ({"messages", "understood"}) when it replayed
    one, else None.
    """
    # Rasa wraps the configured store in a FailSafeTrackerStore.
    store = getattr(agent.tracker_store, "_tracker_store", agent.tracker_store)
    remembers = isinstance(store, DeskRedisTrackerStore) and message.message_id
    async with agent.lock_store.lock(message.sender_id):
        # Every try checks, the first included: after a freeze, the tries queued at Rasa
        # may take the lock in any order.
        if remembers:
            earlier = store.recall_turn(message.sender_id, message.message_id)
            if earlier is not None:
                logger.warning("desk channel: a retried message answered from its first turn")
                return earlier
        await agent.processor.handle_message(message)
        if remembers and not failures:
            parsed = take(message.sender_id) or {}
            answer = {"messages": collector.messages, "understood": parsed}
            store.remember_turn(message.sender_id, message.message_id, answer)
            _noted[message.sender_id] = parsed
    return None


# The parse taken by `_turn` for the channel's answer headers, per sender.
_noted: dict[str, dict[str, Any]] = {}


class DeskInput(InputChannel):
    """POST /webhooks/desk/webhook: one user message in, the bot's messages out."""

    @classmethod
    def name(cls) -> str:
        """Channel name, also the URL segment."""
        return "desk"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> DeskInput:
        """Builds the channel from credentials.yml (`token`)."""
        token = (credentials or {}).get("token") or ""
        return cls(str(token))

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("the desk channel needs a token (RASA_TOKEN)")
        self.token = token
        _install_handler()
        # Rasa has configured its logging by now: redact citizens' words from it.
        privacy.install()

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        given = header.removeprefix("Bearer ").strip() or request.args.get("token", "")
        return hmac.compare_digest(given.encode(), self.token.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The channel's routes."""
        bp = Blueprint("desk_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return response.json({"error": "unauthorised"}, status=401)
            body = request.json or {}
            sender = body.get("sender")
            text = body.get("message")
            if not isinstance(sender, str) or not isinstance(text, str) or not sender:
                return response.json({"error": "sender and message are required"}, status=400)
            given = body.get("metadata")
            metadata: dict[str, Any] = given if isinstance(given, dict) else {}
            collector = CollectingOutputChannel()
            failures: list[str] = []
            token = _failures.set(failures)
            event_id = metadata.get("event_id")
            message = UserMessage(
                text,
                collector,
                sender,
                input_channel=self.name(),
                # The desk's event id: a retried message is recognised by it.
                message_id=f"desk-{event_id}" if isinstance(event_id, int) else None,
                metadata=metadata,
            )
            replayed: dict[str, Any] | None = None
            try:
                agent = getattr(request.app.ctx, "agent", None)
                if message.message_id and agent is not None and agent.is_ready():
                    # Shielded: Sanic cancels a request whose client hung up (the
                    # gateway gave up waiting), and a turn cut off half-way would be
                    # neither remembered nor undone. It finishes, and its retry is
                    # answered from it.
                    turn = asyncio.ensure_future(_turn(agent, message, collector, failures))
                    replayed = await asyncio.shield(turn)
                else:
                    await on_new_message(message)
            except GraphComponentException as error:
                # A component failed on this very message: retrying cannot help.
                logger.error("desk channel: message not processable: %s", type(error).__name__)
                return response.json(
                    {"error": "unprocessable", "detail": type(error).__name__}, status=422
                )
            except Exception as error:  # noqa: BLE001 - reported to the caller, not swallowed
                logger.error("desk channel: handling failed: %s", type(error).__name__)
                return response.json(
                    {"error": "handling_failed", "detail": type(error).__name__}, status=503
                )
            finally:
                _failures.reset(token)
            if failures:
                logger.error("desk channel: rasa swallowed errors in %s", sorted(set(failures)))
                return response.json(
                    {
                        "error": "swallowed_failure",
                        "components": sorted(set(failures)),
                        "messages": collector.messages,
                    },
                    status=502,
                )
            # What the model understood, for the gateway's NLU inbox (never the text).
            if replayed is not None:
                said, parsed = replayed["messages"], replayed.get("understood") or {}
            else:
                said, parsed = collector.messages, _noted.pop(sender, None) or take(sender) or {}
            headers = {
                f"X-Desk-{name.title().replace('_', '-')}": str(value)
                for name, value in parsed.items()
                if value is not None
            }
            return response.json(said, headers=headers)

        return bp
