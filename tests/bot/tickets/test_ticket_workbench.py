"""The ticket workbench (/console/tickets) through the gateway in-process, signed in with
real console sessions on the session's PostgreSQL: find by a Thai word, filter, count,
page by keyset, open one, change its status with a message the citizen receives, note."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlencode

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console import tickets as workbench
from bot.db import unit_of_work
from bot.line.models import OutboundMessage
from bot.staff.models import AuditEntry
from bot.tickets.calendar import BusinessCalendar
from bot.tickets.routing import Router
from tests.support import factories
from tests.support.stack import new_staff_token
from tests.support.workbench import csrf_of, file, marker, sign_in_as


def test_an_officer_finds_a_ticket_by_a_thai_word_and_others_do_not_see_it(
    gateway: TestClient,
) -> None:
    word = marker()
    [ticket] = file(gateway, word)
    sign_in_as(gateway, ticket.agency_id)
    # The form's "any type" and "any SLA" choices send empty values.
    listed = gateway.get("/console/tickets", params={"q": word, "type": "", "sla": ""})
    assert listed.status_code == 200
    assert f'data-ticket="{ticket.id}"' in listed.text
    assert 'data-testid="count-received">(1)' in listed.text  # counted by status, all filters
    closed = gateway.get("/console/tickets", params={"q": word, "status": "closed"})
    assert ticket.id not in closed.text and 'data-testid="empty"' in closed.text
    assert ticket.id in gateway.get(f"/console/tickets/{ticket.id}").text

    sign_in_as(gateway, "ocpb" if ticket.agency_id != "ocpb" else "bma")
    assert ticket.id not in gateway.get("/console/tickets", params={"q": word}).text
    for guessed in (ticket.id, "TCK-NOPE000"):
        hidden = gateway.get(f"/console/tickets/{guessed}")
        assert hidden.status_code == 404 and f"ไม่พบเรื่อง {guessed}" in hidden.text


def test_resolving_needs_a_message_and_the_citizen_receives_it(
    gateway: TestClient, db: Session
) -> None:
    citizen = factories.user_id()
    [ticket] = file(gateway, marker(), line_user_id=citizen)
    sign_in_as(gateway, ticket.agency_id)
    page = gateway.get(f"/console/tickets/{ticket.id}").text
    token = csrf_of(page)
    offered = re.findall(r'<option value="([a-z_]+)">', page.split('data-testid="new-status"')[1])
    assert "resolved" not in offered and "in_progress" in offered  # only what the table allows
    path = f"/console/tickets/{ticket.id}/status"

    forbidden = gateway.post(path, data={"status": "in_progress"}, follow_redirects=False)
    assert forbidden.status_code == 403  # no CSRF token

    moved = gateway.post(path, data={"status": "in_progress", "csrf": token})
    assert moved.status_code == 200 and 'data-testid="done"' in moved.text
    empty = gateway.post(path, data={"status": "resolved", "message": " ", "csrf": token})
    assert "กรุณาเขียนข้อความถึงผู้แจ้ง" in empty.text
    done = gateway.post(
        path, data={"status": "resolved", "message": "ซ่อมผิวถนนเรียบร้อยแล้วค่ะ", "csrf": token}
    )
    assert 'data-status="resolved"' in done.text
    told = db.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.line_user_id == citizen)
        .order_by(OutboundMessage.id)
    ).all()
    assert len(told) == 2  # in progress, then resolved with the officer's words
    assert "ซ่อมผิวถนนเรียบร้อยแล้วค่ะ" in str(told[-1].messages)


def test_unknown_filters_are_refused_in_thai(gateway: TestClient) -> None:
    sign_in_as(gateway, "bma")
    refused = gateway.get("/console/tickets", params={"status": "archived", "sla": "soon"})
    assert refused.status_code == 422
    assert "ไม่รู้จักตัวกรอง" in refused.text and "archived" in refused.text
    assert gateway.get("/console/tickets", params={"q": "ก" * 500}).status_code == 422
    assert gateway.get("/console/tickets", params={"after": "not-a-cursor"}).status_code == 422


def test_pages_follow_one_another_without_gaps_or_repeats(
    gateway: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    word = marker()
    filed = file(gateway, word, count=5)
    sign_in_as(gateway, filed[0].agency_id)
    monkeypatch.setattr(workbench, "PAGE_SIZE", 2)
    seen: list[str] = []
    url = f"/console/tickets?{urlencode({'q': word})}"
    for _ in range(5):
        page = gateway.get(url).text
        seen += re.findall(r'data-ticket="([^"]+)"', page)
        following = re.search(r'href="([^"]+)" data-testid="next"', page)
        if not following:
            break
        url = "/console/tickets" + following.group(1).replace("&amp;", "&")
    assert sorted(seen) == sorted(t.id for t in filed) and len(seen) == len(set(seen))


def test_the_api_has_the_same_filters_and_counts(gateway: TestClient) -> None:
    word = marker()
    [ticket] = file(gateway, word)
    database = gateway.app.state.context.settings.database_url  # type: ignore[attr-defined]
    token = new_staff_token(database, role="agent", agency_id=ticket.agency_id)
    headers = {"Authorization": f"Bearer {token}"}

    def ids(**params: object) -> list[str]:
        found = gateway.get("/api/tickets", params={"q": word, **params}, headers=headers)
        assert found.status_code == 200, found.text
        return [item["id"] for item in found.json()["items"]]

    assert ids() == [ticket.id]
    assert ids(sla="on_time") == [ticket.id]  # due in 15 business days
    assert ids(sla="overdue") == [] and ids(sla="due_soon") == []
    assert ids(district=ticket.district) == [ticket.id] and ids(district="ไม่มีเขตนี้") == []
    assert ids(min_followers=2) == []
    listed = gateway.get("/api/tickets", params={"q": word, "status": "closed"}, headers=headers)
    assert listed.json()["items"] == [] and listed.json()["counts"] == {"received": 1}
    refused = gateway.get("/api/tickets", params={"status": "archived"}, headers=headers)
    assert refused.status_code == 422 and "ไม่รู้จักตัวกรอง" in refused.json()["detail"]
    assert gateway.get("/api/tickets", params={"sla": "soon"}, headers=headers).status_code == 422


def test_supervisors_export_the_filtered_list_as_csv_and_xlsx_audited(
    gateway: TestClient, db: Session
) -> None:
    word = marker()
    sessions = gateway.app.state.context.sessions  # type: ignore[attr-defined]
    with unit_of_work(sessions) as session:
        calendar, router = BusinessCalendar.load(), Router.load()
        shared = factories.ticket(
            session,
            router,
            calendar,
            description=f"ไฟดับทั้งซอย {word}",
            contact_phone="0812345678",
            share_identity=True,
        )
        private = factories.ticket(
            session, router, calendar, description=f"ไฟดับหน้าตลาด {word}", contact_phone="0899999999"
        )
    sign_in_as(gateway, shared.agency_id)  # an agent: not allowed
    assert gateway.get("/console/tickets/export.csv", params={"q": word}).status_code == 403
    sign_in_as(gateway, shared.agency_id, role="supervisor")
    listed = gateway.get("/console/tickets", params={"q": word}).text
    assert 'data-testid="export-csv"' in listed

    got = gateway.get("/console/tickets/export.csv", params={"q": word})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert got.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert table[0][0].startswith("เลขเรื่อง")
    by_id = {row[0]: row for row in table[1:]}
    assert set(by_id) == {shared.id, private.id}
    assert by_id[shared.id][-1] == "0812345678"  # consented
    assert by_id[private.id][-1] == "" and "0899999999" not in got.text  # did not

    book = openpyxl.load_workbook(
        io.BytesIO(gateway.get("/console/tickets/export.xlsx", params={"q": word}).content)
    )
    sheet = list(book.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert sheet[0][0] == table[0][0] and {r[0] for r in sheet[1:]} == {shared.id, private.id}
    exports = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "ticket_export").order_by(AuditEntry.id)
    ).all()
    mine = [e.detail["format"] for e in exports if e.detail["filters"].get("q") == word]
    assert mine == ["csv", "xlsx"]
