"""Errors the stand-in answers with, worded and shaped the way LINE words and shapes them."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

# Wording copied from LINE's responses and its error reference:
# https://developers.line.biz/en/reference/messaging-api/#error-responses
AUTH_FAILED = (
    "Authentication failed. Confirm that the access token in the authorization header is valid."
)
NOT_FOUND = "Not found"
INVALID_REPLY_TOKEN = "Invalid reply token"
RETRY_KEY_ACCEPTED = "The retry key is already accepted"
RATE_LIMITED = "The API rate limit has been exceeded. Try again later."
INTERNAL_ERROR = "Internal server error"


class LineError(Exception):
    """An error answer of the Messaging API: status, message and optional details."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """The JSON body LINE sends for this error."""
        body: dict[str, Any] = {"message": self.message}
        if self.details:
            body["details"] = self.details
        body.update(self.extra)
        return body

    def response(self) -> JSONResponse:
        """This error as a response."""
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def body_errors(details: list[dict[str, str]]) -> LineError:
    """The 400 LINE answers when the request body breaks its rules."""
    return LineError(400, f"The request body has {len(details)} error(s)", details=details)


def invalid_property(prop: str) -> LineError:
    """The 400 LINE answers when a property cannot be read as the type it expects."""
    return LineError(
        400, f"The property, '{prop}', in the request body is invalid (line: -, column: -)"
    )


def fault(status: int) -> LineError:
    """The answer of an injected fault."""
    if status == 429:
        return LineError(429, RATE_LIMITED)
    if status >= 500:
        return LineError(status, INTERNAL_ERROR)
    return LineError(status, f"Injected fault {status}")
