"""Signing staff in and out, for the console (a cookie) and the REST API (a bearer
token) alike: one transaction each, audited. Sign-in runs inside the rate limit and the
hashing gate of bot.staff.limits, in a worker thread (Argon2 is slow on purpose)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from bot.db import unit_of_work
from bot.staff import auth
from bot.staff.auth import StaffUser

Door = Literal["console", "api"]


def sign_in(
    sessions: sessionmaker[Session], username: str, password: str, *, ttl: timedelta, door: Door
) -> tuple[str, datetime] | None:
    """A new token and its expiry for the right password; None otherwise. Audited: every
    sign-in, and the console's failed ones."""
    with unit_of_work(sessions) as session:
        user = auth.authenticate(session, username, password)
        if user is None:
            if door == "console":
                auth.audit(session, None, "console_login_failed", None)
            return None
        token, expires = auth.issue_token(session, user.id, ttl)
        auth.audit(session, user, "console_login" if door == "console" else "api_sign_in", None)
        return token, expires


def sign_out(session: Session, staff: StaffUser, token: str) -> None:
    """Deletes the console session's token, audited."""
    auth.revoke_token(session, token)
    auth.audit(session, staff, "console_logout", None)
