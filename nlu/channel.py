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
from nlu.tracker import take

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
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            collector = CollectingOutputChannel()
            failures: list[str] = []
            token = _failures.set(failures)
            try:
                await on_new_message(
                    UserMessage(
                        text,
                        collector,
                        sender,
                        input_channel=self.name(),
                        metadata=metadata,
                    )
                )
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
            parsed = take(sender) or {}
            headers = {
                f"X-Desk-{name.title().replace('_', '-')}": str(value)
                for name, value in parsed.items()
                if value is not None
            }
            return response.json(collector.messages, headers=headers)

        return bp
