"""Staff passwords (Argon2 via pwdlib), API bearer tokens and the FastAPI guards."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pwdlib import PasswordHash
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.db import aware, utcnow
from bot.deps import context_of
from bot.staff import scope as scopes
from bot.staff.models import ROLES, AuditEntry, Staff, StaffToken

_hasher = PasswordHash.recommended()
# Verified against when the username is unknown, so timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD = 10


@dataclass(frozen=True)
class StaffUser:
    """The signed-in staff member, detached from the session."""

    id: int
    username: str
    display_name: str
    role: str
    agency_id: str | None
    # May edit the service catalogue's entries of their agency (bot.catalogue.store).
    catalogue_owner: bool = False

    @property
    def scope(self) -> list[str] | None:
        """Agency ids this person may see; None means every agency (admins only)."""
        return scopes.of(self.role, self.agency_id)


def _user(staff: Staff) -> StaffUser:
    return StaffUser(
        id=staff.id,
        username=staff.username,
        display_name=staff.display_name,
        role=staff.role,
        agency_id=staff.agency_id,
        catalogue_owner=staff.catalogue_owner,
    )


def create_staff(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    agency_id: str | None,
    display_name: str | None = None,
    catalogue_owner: bool = False,
) -> Staff:
    """A new account; admins may be agency-less, everyone else belongs to an agency."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role != "admin" and not agency_id:
        raise ValueError("agents and supervisors belong to an agency")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password must have at least {MIN_PASSWORD} characters")
    staff = Staff(
        username=username.strip().lower(),
        display_name=display_name or username,
        password_hash=_hasher.hash(password),
        role=role,
        agency_id=agency_id,
        catalogue_owner=catalogue_owner,
    )
    session.add(staff)
    session.flush()
    return staff


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    """The active account with these credentials, else None (constant-time-ish). A
    username no account can have (a NUL byte, which PostgreSQL refuses) is nobody's."""
    name = username.strip().lower()
    staff = (
        None
        if "\x00" in name
        else session.scalars(
            select(Staff).where(Staff.username == name, Staff.active.is_(True))
        ).first()
    )
    if staff is None:
        _hasher.verify(password, _DUMMY_HASH)
        return None
    valid, new_hash = _hasher.verify_and_update(password, staff.password_hash)
    if not valid:
        return None
    if new_hash:
        staff.password_hash = new_hash
    staff.last_login_at = utcnow()
    return _user(staff)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, staff_id: int, ttl: timedelta) -> tuple[str, datetime]:
    """A new bearer token (shown once) and its expiry; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    expires = utcnow() + ttl
    session.add(StaffToken(staff_id=staff_id, token_hash=_digest(token), expires_at=expires))
    return token, expires


def revoke_token(session: Session, token: str) -> None:
    """Deletes a token (signing out)."""
    session.execute(delete(StaffToken).where(StaffToken.token_hash == _digest(token)))


def staff_for_token(session: Session, token: str) -> StaffUser | None:
    """The active account a live token belongs to."""
    row = session.execute(
        select(Staff, StaffToken.expires_at)
        .join(StaffToken, StaffToken.staff_id == Staff.id)
        .where(StaffToken.token_hash == _digest(token), Staff.active.is_(True))
    ).first()
    if row is None:
        return None
    staff, expires = row
    if aware(expires) < utcnow():
        return None
    return _user(staff)


def audit(
    session: Session, staff: StaffUser | None, action: str, target: str | None, **detail: Any
) -> None:
    """Records a staff action."""
    session.add(
        AuditEntry(
            staff_id=staff.id if staff else None, action=action, target=target, detail=detail
        )
    )


_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/auth/token")


def current_staff(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> StaffUser:
    """The API caller, from `Authorization: Bearer <token>`; 401 otherwise."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "not signed in",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with context_of(request).sessions() as session:
        user = staff_for_token(session, credentials.credentials)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "token invalid or expired",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


StaffDep = Annotated[StaffUser, Depends(current_staff)]


def staff_in_production(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> StaffUser | None:
    """In production, a signed-in staff member (401 otherwise); elsewhere, anyone."""
    if context_of(request).settings.desk_env != "production":
        return None
    return current_staff(request, credentials)


StaffInProductionDep = Annotated[StaffUser | None, Depends(staff_in_production)]
