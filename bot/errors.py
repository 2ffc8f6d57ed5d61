"""Domain errors: what a person asked for cannot happen, and why.

Flows and services raise them; views never catch them. One exception handler
(`install`) answers them for the console and the REST API alike: 404 for what the person
may not see (exactly like an id that does not exist), 403 for what the role may not
do, 409 for a step the current state
does not allow, 422 for a request that can never be right.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


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


def install(app: FastAPI) -> None:
    """Answers every DomainError the app's routes raise."""
    app.add_exception_handler(DomainError, _answer)
