"""Helpers for hand-off tests: staff accounts and a signed-in console client."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.staff import auth
from tests.support.stack import Desk

PASSWORD = "correct horse battery staple"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')
LOGIN_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def create_staff(
    desk: Desk,
    role: str,
    agency_id: str | None,
    name: str | None = None,
    capacity: int = 5,
    *,
    catalogue_owner: bool = False,
) -> str:
    """A new staff account (unique username); returns the username."""
    username = f"{role}-{uuid.uuid4().hex[:8]}"
    with Session(create_engine(desk.settings.database_url)) as session, session.begin():
        staff = auth.create_staff(
            session,
            username=username,
            password=PASSWORD,
            role=role,
            agency_id=agency_id,
            display_name=name or username,
            catalogue_owner=catalogue_owner,
        )
        staff.capacity = capacity
    return username


def login_form(client: httpx.Client) -> str:
    """Opens the log-in page (setting its cookie); the form's CSRF token."""
    page = client.get("/console/login")
    page.raise_for_status()
    found = LOGIN_CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


@dataclass
class Agent:
    """A staff member signed in to the console over HTTP (cookies kept, like a browser)."""

    client: httpx.Client
    csrf: str
    username: str

    @classmethod
    def sign_in(cls, desk: Desk, username: str, gateway: str | None = None) -> Agent:
        """Signs in on the desk's gateway (or another gateway process of the same desk)."""
        client = httpx.Client(base_url=gateway or desk.gateway, timeout=15)
        token = login_form(client)
        response = client.post(
            "/console/login", data={"username": username, "password": PASSWORD, "csrf": token}
        )
        assert response.status_code == 303, response.text
        page = client.get("/console")
        found = CSRF_META.search(page.text)
        assert found, page.text
        return cls(client=client, csrf=found.group(1), username=username)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(f"/console/api{path}", **kwargs)

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.client.post(
            f"/console/api{path}", json=body or {}, headers={"X-CSRF-Token": self.csrf}
        )

    def queue(self) -> list[dict[str, Any]]:
        response = self.get("/queue")
        response.raise_for_status()
        return list(response.json()["items"])

    def close(self) -> None:
        self.client.close()
