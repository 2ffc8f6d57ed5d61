"""Console sign-in: session cookie, CSRF tokens, role guards (rate limits: bot/staff/limits.py).

The session is a staff token (bot.staff.auth, only its hash stored) in an HttpOnly,
SameSite=Strict cookie scoped to /console. Every state-changing request carries the
session's CSRF token (an HMAC of the token under SESSION_SECRET) in `X-CSRF-Token`,
and its Origin, when the browser sends one, must be this host. The log-in form is
protected the same way with a pre-session cookie (double submit).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from bot.config import Settings
from bot.deps import context_of
from bot.staff.auth import StaffUser, staff_for_token


def staff_page_headers(csp: str) -> dict[str, str]:
    """Headers of every staff page: its content policy, never cached or framed, and no
    referrer beyond this site."""
    return {
        "Content-Security-Policy": csp,
        "Cache-Control": "no-store",
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }


COOKIE = "desk_console"
LOGIN_COOKIE = "desk_login"
CSRF_HEADER = "X-CSRF-Token"
PATH = "/console"


def settings_of(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = context_of(request).settings
    return settings


def csrf_for(secret: str, token: str) -> str:
    """The CSRF token bound to one session (or one log-in form)."""
    return hmac.new(secret.encode(), f"csrf:{token}".encode(), hashlib.sha256).hexdigest()


def cookie_options(settings: Settings) -> dict[str, Any]:
    """HttpOnly, SameSite=Strict, Secure outside development, path /console."""
    return {
        "httponly": True,
        "samesite": "strict",
        "secure": settings.desk_env == "production",
        "path": PATH,
    }


def new_login_nonce() -> str:
    """A random value for the pre-session cookie of the log-in form."""
    return secrets.token_urlsafe(24)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def check_login_csrf(request: Request, form_token: str) -> bool:
    """The log-in form's token matches its cookie, from this origin."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    expected = csrf_for(settings_of(request).session_secret, nonce) if nonce else ""
    return bool(nonce) and hmac.compare_digest(expected, form_token) and _same_origin(request)


def _signed_in(request: Request) -> StaffUser | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    with context_of(request).sessions() as session:
        return staff_for_token(session, token)


def console_staff(request: Request) -> StaffUser:
    """The signed-in staff member; 401 otherwise. Unsafe methods also need the CSRF token."""
    staff = _signed_in(request)
    if staff is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not signed in")
    if request.method not in {"GET", "HEAD", "OPTIONS"}:
        token = request.cookies.get(COOKIE, "")
        sent = request.headers.get(CSRF_HEADER, "")
        expected = csrf_for(settings_of(request).session_secret, token)
        if not (sent and hmac.compare_digest(expected, sent) and _same_origin(request)):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "CSRF check failed")
    request.state.staff = staff
    return staff


def supervisor(staff: Annotated[StaffUser, Depends(console_staff)]) -> StaffUser:
    """Supervisors and admins only (403 for agents)."""
    if staff.role not in {"supervisor", "admin"}:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "supervisors only")
    return staff


def admin(staff: Annotated[StaffUser, Depends(console_staff)]) -> StaffUser:
    """Admins only (they teach the bot; 403 for everyone else)."""
    if staff.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admins only")
    return staff


ConsoleStaffDep = Annotated[StaffUser, Depends(console_staff)]
SupervisorDep = Annotated[StaffUser, Depends(supervisor)]
AdminDep = Annotated[StaffUser, Depends(admin)]


def page_staff(request: Request) -> StaffUser | None:
    """For pages: the signed-in staff member or None (the page redirects to log-in)."""
    return _signed_in(request)


def form_csrf_ok(request: Request, form_token: str) -> bool:
    """A page's plain form carries the session's CSRF token (and comes from this origin)."""
    token = request.cookies.get(COOKIE, "")
    expected = csrf_for(settings_of(request).session_secret, token)
    return bool(form_token) and hmac.compare_digest(expected, form_token) and _same_origin(request)


def page_context(request: Request, staff: StaffUser) -> dict[str, Any]:
    """What every console page template needs: who, their CSRF token, links."""
    token = request.cookies.get(COOKIE, "")
    return {
        "staff": staff,
        "csrf": csrf_for(settings_of(request).session_secret, token),
        "is_supervisor": staff.role in {"supervisor", "admin"},
        "base": PATH,
    }
