"""GET /simulator: chat with the desk as LINE users (development only).

The page talks only to this router; the router forwards to the LINE stand-in's control
endpoints (`/__send`, `/__messages`), which sign and post webhooks the way LINE does. Its
CSS and JS are bot/dev/simulator/static, served by bot.web.views outside production only.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from bot.config import Settings, get_settings
from bot.dev.simulator import texts
from bot.dev.simulator.schemas import USER_ID_PATTERN, SimulatedSend
from bot.web import pages as web

log = logging.getLogger(__name__)


# The page loads nothing from elsewhere and runs no inline script: a message that slips
# past the safe DOM code still cannot run script. Images may come from the desk's host.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data: blob: http: https:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
SEND_TIMEOUT_S = 15.0  # the stand-in waits for the desk's webhook answer (up to 5 s)
READ_TIMEOUT_S = 5.0


def settings_of(request: Request) -> Settings:
    """The app's settings (its context's), or the process-wide ones for an app without."""
    context = getattr(request.app.state, "context", None)
    return context.settings if context is not None else get_settings()


async def http_of(request: Request) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway's shared httpx client, or a client for this request."""
    gateway = getattr(request.app.state, "gateway", None)
    client = getattr(gateway, "http", None)
    if isinstance(client, httpx.AsyncClient):
        yield client
        return
    # An app without a lifespan client (e.g. a bare test app) gets one that closes with
    # the request rather than one that would never be closed.
    async with httpx.AsyncClient() as own:
        yield own


def development_only(request: Request) -> None:
    """404 in production, even if the router were included there by mistake."""
    if settings_of(request).desk_env == "production":
        raise HTTPException(status_code=404)


SettingsDep = Annotated[Settings, Depends(settings_of)]
HttpDep = Annotated[httpx.AsyncClient, Depends(http_of)]

# The stand-in signs webhooks with the channel secret: this must never face the public.
router = APIRouter(tags=["simulator"], dependencies=[Depends(development_only)])


@router.get("/simulator", response_class=HTMLResponse, include_in_schema=False)
async def simulator_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The chat page."""
    root = request.scope.get("root_path", "").rstrip("/")
    values = {
        "root": root,
        "base": root + "/simulator",
        "standin": settings.line_api_base,
        "bot_name": texts.BOT_NAME,
    }
    return web.page("simulator/simulator.html", values, headers=PAGE_HEADERS)


@router.post("/simulator/api/send")
async def simulator_send(send: SimulatedSend, settings: SettingsDep, http: HttpDep) -> JSONResponse:
    """Have the stand-in deliver what a simulated user did to the desk's webhook."""
    url = settings.line_api_base.rstrip("/") + "/__send"
    payload = send.model_dump(mode="json", exclude_none=True)
    response = await _call(http, "POST", url, settings, json=payload, timeout=SEND_TIMEOUT_S)
    log.info(
        "simulator send event=%s standin_status=%s webhook_status=%s",
        send.event,
        response.status_code,
        _json(response).get("webhook_status") if response.is_success else None,
    )
    return _relay(response)


@router.get("/simulator/api/messages")
async def simulator_messages(
    user_id: Annotated[str, Query(alias="userId", pattern=USER_ID_PATTERN)],
    settings: SettingsDep,
    http: HttpDep,
) -> JSONResponse:
    """What the desk has delivered to one simulated user, oldest first."""
    url = settings.line_api_base.rstrip("/") + "/__messages"
    response = await _call(
        http, "GET", url, settings, params={"userId": user_id}, timeout=READ_TIMEOUT_S
    )
    if not response.is_success:
        return _relay(response)
    body = _json_any(response)
    # Accept both a bare list and {"messages": [...]}; the page always gets a list.
    messages = body.get("messages") if isinstance(body, dict) else body
    if not isinstance(messages, list):
        raise HTTPException(status_code=502, detail=texts.STANDIN_BAD_ANSWER)
    return JSONResponse(messages)


async def _call(
    http: httpx.AsyncClient, method: str, url: str, settings: Settings, **kwargs: Any
) -> httpx.Response:
    try:
        return await http.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        log.warning("simulator: LINE stand-in unreachable (%s)", type(exc).__name__)
        raise HTTPException(
            status_code=502, detail=texts.STANDIN_UNREACHABLE.format(url=settings.line_api_base)
        ) from exc


def _relay(response: httpx.Response) -> JSONResponse:
    """The stand-in's answer: as it is when it succeeded, else a Thai reason."""
    if response.is_success:
        body = _json_any(response)
        if body is None:
            raise HTTPException(status_code=502, detail=texts.STANDIN_BAD_ANSWER)
        return JSONResponse(body)
    if response.status_code < 500:
        # The stand-in refused the request (its contract is stricter than ours): say why.
        return JSONResponse(
            {
                "detail": texts.STANDIN_REFUSED.format(status=response.status_code),
                "standin": _json_any(response),
            },
            status_code=response.status_code,
        )
    raise HTTPException(
        status_code=502, detail=texts.STANDIN_FAILED.format(status=response.status_code)
    )


def _json_any(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _json(response: httpx.Response) -> dict[str, Any]:
    body = _json_any(response)
    return body if isinstance(body, dict) else {}
