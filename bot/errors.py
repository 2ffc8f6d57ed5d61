"""Domain errors: what a person asked for cannot happen, and why.

Flows and services raise them; views never catch them. One exception handler
(`install`) answers them for the console and the REST API alike: 404 for what the person
may not see (exactly like an id that does not exist), 403 for what the role may not
do, 409 for a step the current state
does not allow, 422 for a request that can never be right.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, StatementError


class DomainError(Exception):
    """Base of the domain errors; `detail` is what the API answers (a text, or a dict
    with a machine `code` and a Thai `message` for the console)."""

    status_code = 422

    def __init__(self, message: str, *, detail: Any = None) -> None:
        super().__init__(message)
        self.detail = message if detail is None else detail


class NotFound(DomainError):
    """Nothing there for this person: missing, or outside their scope."""

    status_code = 404


class Forbidden(DomainError):
    """Within scope, but not for this role (bulk actions and exports are supervisors')."""

    status_code = 403


class Conflict(DomainError):
    """Not in the current state (taken, ended, a transition the table forbids)."""

    status_code = 409


class Invalid(DomainError):
    """A request that can never be right (an unknown type, a missing field)."""

    status_code = 422


async def _answer(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    return JSONResponse({"detail": error.detail}, status_code=error.status_code)


class _EscapedJSON(JSONResponse):
    """JSON with non-ASCII escaped: what a request sent (an unpaired surrogate from a
    \\u-escape, which UTF-8 cannot encode) can be echoed back without a server error."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, allow_nan=False, separators=(",", ":")).encode("ascii")


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    # FastAPI's own answer (422, the errors with their input), escaped.
    assert isinstance(error, RequestValidationError)
    return _EscapedJSON({"detail": jsonable_encoder(error.errors())}, status_code=422)


# What the database cannot store: a NUL in text (PostgreSQL), an unpaired surrogate (not
# UTF-8), a number beyond its column. The request is wrong; its transaction rolled back.
UNSTORABLE = "ข้อมูลที่ส่งมามีอักขระหรือค่าที่บันทึกไม่ได้ (เช่น NUL) กรุณาแก้ไขแล้วส่งใหม่"


def unstorable(error: BaseException) -> bool:
    """Whether `error` is the database refusing a value the request carried."""
    return isinstance(error, DataError) or (
        isinstance(error, StatementError) and isinstance(error.orig, UnicodeEncodeError)
    )


async def _unstorable(request: Request, error: Exception) -> JSONResponse:
    if not unstorable(error):
        raise error
    # The error's text holds the statement's parameters (what was typed): never logged.
    return JSONResponse({"detail": UNSTORABLE}, status_code=422)


def install(app: FastAPI) -> None:
    """Answers every DomainError the app's routes raise, requests that fail validation
    (FastAPI's 422, safe whatever the request held) and values the database cannot
    store (422, nothing changed)."""
    app.add_exception_handler(DomainError, _answer)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StatementError, _unstorable)
