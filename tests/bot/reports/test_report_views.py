"""The report endpoints through FastAPI's TestClient, signed in with real console sessions.

The app holds only the reports router and the context it reads (bot.context); staff sign in
with a real token in the console cookie, as bot.console.auth expects.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.console.auth import COOKIE
from bot.context import Context
from bot.db import make_engine, make_sessionmaker, migrate, unit_of_work
from bot.reports import views
from bot.reports.service import bangkok_today
from bot.staff import auth
from bot.staff.models import AuditEntry
from bot.web import views as web_views
from tests.bot.reports.reportdata import BMA, scenario

RANGE = {"start": "2026-03-01", "end": "2026-03-10"}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    """A migrated SQLite file holding the scenario and one account per role."""
    url = f"sqlite:///{tmp_path_factory.mktemp('report-views') / 'desk.db'}"
    migrate(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as session:
        scenario(session)
        for username, role, agency in (
            ("super", "supervisor", BMA),
            ("agent", "agent", BMA),
            ("admin", "admin", None),
        ):
            auth.create_staff(
                session, username=username, password="report-test-pw", role=role, agency_id=agency
            )
    yield factory
    engine.dispose()


@pytest.fixture(scope="module")
def client(seeded: sessionmaker[Session]) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(views.router)
    app.include_router(web_views.static_router(development=False))
    app.state.context = Context(
        Settings(desk_env="test", session_secret="report-test-secret"), sessions=seeded
    )
    with TestClient(app) as test_client:
        yield test_client


def sign_in(client: TestClient, seeded: sessionmaker[Session], username: str) -> None:
    """Puts a live console session for `username` in the client's cookie jar."""
    with unit_of_work(seeded) as session:
        user = auth.authenticate(session, username, "report-test-pw")
        assert user is not None
        token, _ = auth.issue_token(session, user.id, timedelta(hours=1))
    client.cookies.clear()
    client.cookies.set(COOKIE, token)


def test_signed_out_visitors_are_sent_to_log_in(client: TestClient) -> None:
    client.cookies.clear()
    page = client.get("/console/reports", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/console/login"
    assert client.get("/console/api/reports", params=RANGE).status_code == 401
    assert client.get("/console/api/reports.csv", params=RANGE).status_code == 401


def test_agents_may_not_see_reports(client: TestClient, seeded: sessionmaker[Session]) -> None:
    sign_in(client, seeded, "agent")
    page = client.get("/console/reports", params=RANGE)
    assert page.status_code == 403
    assert "หัวหน้างาน" in page.text and "<img" not in page.text
    assert client.get("/console/api/reports", params=RANGE).status_code == 403
    assert client.get("/console/api/reports.csv", params=RANGE).status_code == 403


def test_a_supervisor_gets_the_page_json_and_csv_of_their_agency(
    client: TestClient, seeded: sessionmaker[Session]
) -> None:
    sign_in(client, seeded, "super")
    page = client.get("/console/reports", params=RANGE)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert "กรุงเทพมหานคร" in page.text  # the scope, by name
    assert page.text.count("<img ") == 6 and "ดาวน์โหลด CSV" in page.text

    data = client.get("/console/api/reports", params=RANGE).json()
    assert data["scope"] == [BMA] and data["tickets"] == 6
    assert {a["key"] for a in data["by_agency"]} == {BMA, "bma-district-1004"}
    assert next(a for a in data["by_agency"] if a["key"] == BMA)["label"] == "กรุงเทพมหานคร (กทม.)"

    with seeded() as session:
        before = session.scalars(select(AuditEntry.id)).all()
    download = client.get("/console/api/reports.csv", params=RANGE)
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.headers["content-disposition"] == (
        'attachment; filename="desk-report-2026-03-01_2026-03-10.csv"'
    )
    assert download.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert ["by_agency", "", "bma", "กรุงเทพมหานคร (กทม.)", "4"] in rows
    with seeded() as session:
        exports = session.scalars(
            select(AuditEntry).where(AuditEntry.id.not_in(before or [0]))
        ).all()
    assert [(e.action, e.detail) for e in exports] == [
        ("report_export", {"start": "2026-03-01", "end": "2026-03-10"})
    ]


def test_an_admin_sees_every_agency(client: TestClient, seeded: sessionmaker[Session]) -> None:
    sign_in(client, seeded, "admin")
    data = client.get("/console/api/reports", params=RANGE).json()
    assert data["scope"] is None and data["tickets"] == 8
    assert "ทุกหน่วยงาน" in client.get("/console/reports", params=RANGE).text


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-03-10", "end": "2026-03-01"},  # backwards
        {"start": "2025-02-28", "end": "2026-03-01"},  # 367 days
        {"start": "2026-02-30"},  # not a date
    ],
)
def test_bad_ranges_answer_422(
    client: TestClient, seeded: sessionmaker[Session], query: dict[str, str]
) -> None:
    sign_in(client, seeded, "super")
    assert client.get("/console/api/reports", params=query).status_code == 422
    assert client.get("/console/api/reports.csv", params=query).status_code == 422
    page = client.get("/console/reports", params=query)
    assert page.status_code == 422


def test_a_year_and_a_day_is_the_longest_range(
    client: TestClient, seeded: sessionmaker[Session]
) -> None:
    sign_in(client, seeded, "super")
    query = {"start": "2025-03-01", "end": "2026-03-01"}  # 366 days
    assert client.get("/console/api/reports", params=query).status_code == 200


def test_the_range_page_explains_in_thai_and_defaults_to_30_days(
    client: TestClient, seeded: sessionmaker[Session]
) -> None:
    sign_in(client, seeded, "super")
    page = client.get("/console/reports", params={"start": "2026-03-10", "end": "2026-03-01"})
    assert "วันเริ่มต้องไม่อยู่หลังวันสิ้นสุด" in page.text
    data = client.get("/console/api/reports").json()
    today = bangkok_today()
    assert data["end"] == today.isoformat()
    assert data["start"] == (today - timedelta(days=29)).isoformat()


def test_the_page_links_its_css_which_is_served_and_nothing_else(
    client: TestClient, seeded: sessionmaker[Session]
) -> None:
    sign_in(client, seeded, "super")
    page = client.get("/console/reports", params=RANGE).text
    assert page.startswith('<!doctype html>\n<html lang="th">')  # the base layout
    assert '<link rel="stylesheet" href="/static/reports/reports.css">' in page
    css = client.get("/static/reports/reports.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert css.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/reports/..%2Fviews.py").status_code == 404
    assert client.get("/static/reports/reports.html").status_code == 404
    assert client.get("/console/reports/static/reports.css").status_code == 404  # the old URL
