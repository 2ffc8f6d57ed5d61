"""The LINE Messaging API stand-in: one FastAPI app serving api.line.me and api-data paths.

Every Messaging API request passes one gate, in LINE's order: size, token, operation lookup,
injected fault, contract (messaging-api.yml plus LINE's documented limits); then its
handler. The gate records each call with the status it was answered and adds
`x-line-request-id`, as LINE does on every response.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.config import Settings, get_settings
from bot.dev.standin import api, control, ids, richmenu
from bot.dev.standin.errors import AUTH_FAILED, LineError, fault
from bot.dev.standin.state import Clock, StandinState
from bot.dev.standin.validation import Contract

CONTROL_PREFIX = "/__"
WEBHOOK_TIMEOUT_S = 5.0
# https://developers.line.biz/en/reference/messaging-api/#status-codes: 413 over 2 MB
MAX_REQUEST_BYTES = 2 * 1024 * 1024


def create_app(settings: Settings | None = None, *, clock: Clock = time.monotonic) -> FastAPI:
    """A stand-in app: LINE's spec loaded once, state in memory; `clock` times reply tokens."""
    settings = settings or get_settings()
    app = FastAPI(
        title="LINE Messaging API stand-in",
        lifespan=_lifespan,
        docs_url=f"{CONTROL_PREFIX}docs",
        openapi_url=f"{CONTROL_PREFIX}openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.webhook_urls = itertools.cycle(
        [url.strip() for url in settings.standin_webhook_url.split(",") if url.strip()]
    )
    app.state.contract = Contract(settings.standin_spec_path)
    app.state.standin = StandinState(
        reply_token_ttl_s=settings.standin_reply_token_ttl_s, clock=clock
    )
    app.state.implemented = {
        route.name
        for route in [*api.router.routes, *richmenu.router.routes]
        if isinstance(route, APIRoute)
    }
    app.include_router(api.router)
    app.include_router(richmenu.router)
    app.include_router(control.router)
    app.add_exception_handler(LineError, _line_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.middleware("http")(_gate)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_S) as client:
        app.state.webhook_client = client
        yield


async def _gate(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Record, authenticate, fault-inject and validate a Messaging API call."""
    path = request.url.path
    if path.startswith(CONTROL_PREFIX):
        return await call_next(request)
    state: StandinState = request.app.state.standin
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    record = state.begin_call(
        request.method, path, _describe(body, content_type), request.headers.get("x-line-retry-key")
    )
    request.state.request_id = ids.request_id()
    try:
        response = await _admit(request, body, content_type, call_next)
    except LineError as exc:
        response = exc.response()
    response.headers["x-line-request-id"] = request.state.request_id
    state.end_call(record, response.status_code)
    return response


async def _admit(
    request: Request,
    body: bytes,
    content_type: str,
    call_next: Callable[[Request], Awaitable[Response]],
) -> Response:
    app_state = request.app.state
    settings: Settings = app_state.settings
    contract: Contract = app_state.contract
    if len(body) > MAX_REQUEST_BYTES:
        raise LineError(413, "Request Entity Too Large")
    if not _authorized(
        request.headers.get("authorization", ""), settings.line_channel_access_token
    ):
        raise LineError(401, AUTH_FAILED)
    path = request.url.path
    operation_id = contract.operation_id(request.method, path)
    injected = app_state.standin.take_fault(path)
    hold_s = 0.0
    if injected is not None:
        status, hold_s = injected
        if not hold_s:
            raise fault(status)
    contract.check(
        operation_id=operation_id,
        method=request.method,
        path=path,
        query=request.query_params,
        headers=request.headers,
        body=body,
        content_type=content_type,
    )
    if operation_id not in app_state.implemented:
        raise LineError(501, f"The LINE stand-in does not implement {operation_id}")
    response = await call_next(request)
    if hold_s:
        await asyncio.sleep(hold_s)  # carried out; the caller hears nothing for a while
    return response


def _authorized(header: str, token: str) -> bool:
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), token.encode()
    )


def _describe(body: bytes, content_type: str) -> Any:
    """A call's body for the record: parsed JSON, or a short note for anything else."""
    if not body:
        return None
    if "json" in content_type:
        try:
            return json.loads(body)
        except ValueError:
            return f"<unparsable JSON, {len(body)} bytes>"
    return f"<{content_type or 'no content type'}, {len(body)} bytes>"


async def _line_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LineError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if request.url.path.startswith(CONTROL_PREFIX):
        return await http_exception_handler(request, exc)
    return JSONResponse({"message": str(exc.detail)}, exc.status_code, headers=exc.headers)
