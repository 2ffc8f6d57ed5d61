"""The agent console's pages: log-in, log-out and the console itself (a thin shell; the
browser talks to the JSON API of bot.console.api and bot.console.actions and listens to
bot.console.stream)."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from redis.exceptions import RedisError

from bot import live
from bot.console import auth as console_auth
from bot.console.auth import ConsoleStaffDep, staff_page_headers
from bot.deps import ContextDep
from bot.staff import flows as staff_flows
from bot.staff import limits
from bot.web import pages as web

router = APIRouter(include_in_schema=False)

# No inline script, nothing from elsewhere: citizen text that slipped past the safe DOM
# code still could not run. Photos come from this host only.
PAGE_HEADERS = staff_page_headers(
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


# Pages (their CSS and JS: bot/console/static, served by bot.web.views) -------------------


@router.get("/console/login")
async def login_page(request: Request, error: str | None = None) -> HTMLResponse:
    """The log-in form (with its pre-session CSRF cookie)."""
    return _login_form(request, error)


def _login_form(request: Request, error: str | None, status_code: int = 200) -> HTMLResponse:
    settings = console_auth.settings_of(request)
    nonce = console_auth.new_login_nonce()
    response = web.page(
        "console/login.html",
        {
            "csrf": console_auth.csrf_for(settings.session_secret, nonce),
            "error": error,
            "base": console_auth.PATH,
        },
        headers=PAGE_HEADERS,
        status_code=status_code,
    )
    response.set_cookie(
        console_auth.LOGIN_COOKIE, nonce, max_age=3600, **console_auth.cookie_options(settings)
    )
    return response


ERRORS = {
    "credentials": "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง",
    "blocked": "เข้าสู่ระบบผิดหลายครั้งเกินไป กรุณารอสักครู่แล้วลองใหม่",
    "csrf": "แบบฟอร์มหมดอายุ กรุณาลองใหม่อีกครั้ง",
    "busy": "ระบบกำลังมีผู้เข้าสู่ระบบจำนวนมาก กรุณารอสักครู่แล้วลองใหม่",
}


@router.post("/console/login")
async def login(
    request: Request,
    context: ContextDep,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Signs in: sets the session cookie and goes to the console."""
    settings = console_auth.settings_of(request)
    if not console_auth.check_login_csrf(request, csrf):
        return _login_form(request, ERRORS["csrf"], status.HTTP_403_FORBIDDEN)

    ttl = timedelta(hours=settings.api_token_ttl_hours)
    work = partial(
        staff_flows.sign_in, context.sessions, username, password, ttl=ttl, door="console"
    )
    try:
        issued = await limits.attempt_request(request, username, work)
    except limits.SignInRefused as refused:
        if refused.reason == "busy":
            return _login_form(request, ERRORS["busy"], status.HTTP_503_SERVICE_UNAVAILABLE)
        return _login_form(request, ERRORS["blocked"], status.HTTP_429_TOO_MANY_REQUESTS)
    if issued is None:
        return _login_form(request, ERRORS["credentials"], status.HTTP_401_UNAUTHORIZED)
    token, _ = issued
    response = RedirectResponse(console_auth.PATH, status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        console_auth.COOKIE,
        token,
        max_age=settings.api_token_ttl_hours * 3600,
        **console_auth.cookie_options(settings),
    )
    response.delete_cookie(console_auth.LOGIN_COOKIE, path=console_auth.PATH)
    return response


@router.post("/console/logout")
async def logout(request: Request, context: ContextDep, staff: ConsoleStaffDep) -> Response:
    """Signs out: the token is deleted, the cookie cleared."""
    token = request.cookies.get(console_auth.COOKIE, "")

    await context.transaction(lambda s: staff_flows.sign_out(s, staff, token))
    with contextlib.suppress(RedisError):
        await live.mark_offline(context.redis, context.settings.redis_prefix, staff.id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(console_auth.COOKIE, path=console_auth.PATH)
    return response


@router.get("/console")
async def console_page(request: Request) -> Response:
    """The agent console (the log-in page when not signed in)."""
    staff = await run_in_threadpool(console_auth.page_staff, request)
    if staff is None:
        return RedirectResponse(f"{console_auth.PATH}/login", status.HTTP_303_SEE_OTHER)
    return web.page(
        "console/console.html", console_auth.page_context(request, staff), headers=PAGE_HEADERS
    )
