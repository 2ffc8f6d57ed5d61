"""What officers do to tickets in the workbench and through the REST API, in-process on
PostgreSQL: take and assign, transfer with a reason, merge a duplicate, reopen, bulk
changes, photos, the newer filters, and the live update each change announces."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import aware, unit_of_work
from bot.line.models import OutboundMessage
from bot.staff.auth import StaffUser
from bot.staff.models import AuditEntry
from bot.tickets import flows, service
from bot.tickets.calendar import BusinessCalendar
from bot.tickets.models import Media, Ticket, TicketFollower
from bot.tickets.routing import Router
from tests.support import factories
from tests.support.stack import new_staff_token
from tests.support.workbench import csrf_of, file, marker, sign_in_as


def told(db: Session, line_user_id: str) -> list[str]:
    """Everything the desk queued for this citizen, as text, oldest first."""
    db.expire_all()
    rows = db.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.line_user_id == line_user_id)
        .order_by(OutboundMessage.id)
    ).all()
    return [str(r.messages) for r in rows]


def shown(page: str) -> list[str]:
    """The ticket ids a list page lists."""
    return re.findall(r'data-ticket="([^"]+)"', page)


def test_an_officer_takes_a_ticket_and_finds_it_under_mine(gateway: TestClient) -> None:
    word = marker()
    [ticket] = file(gateway, word)
    me = sign_in_as(gateway, ticket.agency_id, name="คุณสมศรี ทดสอบ")
    page = gateway.get(f"/console/tickets/{ticket.id}").text
    assert 'data-testid="take"' in page
    # Times as officers read them: Bangkok time, 7 hours ahead of the stored UTC.
    filed = aware(ticket.created_at)
    assert f"{(filed + timedelta(hours=7)).strftime('%Y-%m-%d %H:%M')} น." in page
    taken = gateway.post(
        f"/console/tickets/{ticket.id}/assign", data={"assignee": "me", "csrf": csrf_of(page)}
    )
    assert "เปลี่ยนผู้รับผิดชอบแล้ว" in taken.text
    assert 'data-testid="assignee">คุณสมศรี ทดสอบ' in taken.text
    assert 'data-testid="take"' not in taken.text  # already mine
    mine = gateway.get("/console/tickets", params={"q": word, "assignee": "me"}).text
    assert f'data-ticket="{ticket.id}"' in mine and "คุณสมศรี ทดสอบ" in mine
    nobody = gateway.get("/console/tickets", params={"q": word, "assignee": "none"}).text
    assert shown(nobody) == []
    by_id = gateway.get("/console/tickets", params={"q": word, "assignee": str(me.id)}).text
    assert shown(by_id) == [ticket.id]


def test_a_ticket_cannot_be_given_to_someone_of_another_agency(
    gateway: TestClient, db: Session
) -> None:
    [ticket] = file(gateway, marker())
    other = "ocpb" if not ticket.agency_id.startswith("ocpb") else "bma"
    with unit_of_work(gateway.app.state.context.sessions) as session:  # type: ignore[attr-defined]
        outsider = factories.staff(session, agency_id=other).id
    sign_in_as(gateway, ticket.agency_id)
    page = gateway.get(f"/console/tickets/{ticket.id}").text
    refused = gateway.post(
        f"/console/tickets/{ticket.id}/assign",
        data={"assignee": str(outsider), "csrf": csrf_of(page)},
    )
    assert "มอบหมายได้เฉพาะเจ้าหน้าที่ของหน่วยงานที่รับผิดชอบเรื่องนี้" in refused.text
    assert db.get(Ticket, ticket.id).assignee_id is None  # type: ignore[union-attr]
    junk = gateway.post(
        f"/console/tickets/{ticket.id}/assign", data={"assignee": "x'; --", "csrf": csrf_of(page)}
    )
    assert junk.status_code == 200 and 'data-testid="error"' in junk.text


def test_transfer_needs_a_reason_tells_the_citizen_and_moves_the_ticket(
    gateway: TestClient, db: Session
) -> None:
    citizen = factories.user_id()
    [ticket] = file(gateway, marker(), line_user_id=citizen)
    sign_in_as(gateway, ticket.agency_id)
    token = csrf_of(gateway.get(f"/console/tickets/{ticket.id}").text)
    path = f"/console/tickets/{ticket.id}/transfer"
    blank = gateway.post(path, data={"agency": "mwa", "reason": "  ", "csrf": token})
    assert "กรุณาระบุเหตุผลที่ส่งต่อ" in blank.text
    unknown = gateway.post(path, data={"agency": "nope", "reason": "ผิดหน่วย", "csrf": token})
    assert "ไม่รู้จักหน่วยงาน" in unknown.text
    moved = gateway.post(
        path,
        data={"agency": "mwa", "reason": "ท่อประปาแตกใต้ถนน เป็นงานของการประปา", "csrf": token},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    db.expire_all()
    stored = db.get(Ticket, ticket.id)
    assert stored is not None and stored.agency_id == "mwa" and stored.routing_rule == "transfer"
    last = told(db, citizen)[-1]
    assert "การประปานครหลวง" in last and "ท่อประปาแตก" not in last  # the reason stays inside
    # It left the sender's scope: 404 there now, like any other agency's ticket.
    assert gateway.get(f"/console/tickets/{ticket.id}").status_code == 404
    sign_in_as(gateway, "mwa")
    page = gateway.get(f"/console/tickets/{ticket.id}").text
    assert "เหตุผลที่ส่งต่อ: ท่อประปาแตกใต้ถนน" in page  # internal note for the new agency
    audit = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "ticket_transfer", AuditEntry.target == ticket.id
        )
    ).one()
    assert audit.detail == {"before": ticket.agency_id, "after": "mwa"}


def test_merging_a_duplicate_moves_its_reporters_and_tells_them(
    gateway: TestClient, db: Session
) -> None:
    first, second = factories.user_id(), factories.user_id()
    word = marker()
    [survivor] = file(gateway, word, line_user_id=first)
    [duplicate] = file(gateway, word, line_user_id=second)
    sign_in_as(gateway, survivor.agency_id)
    token = csrf_of(gateway.get(f"/console/tickets/{survivor.id}").text)
    path = f"/console/tickets/{survivor.id}/merge"
    itself = gateway.post(path, data={"duplicate": survivor.id, "csrf": token})
    assert "รวมเรื่องเข้ากับตัวเองไม่ได้" in itself.text
    missing = gateway.post(path, data={"duplicate": "DS-00000000", "csrf": token})
    assert "ไม่พบเรื่อง DS-00000000" in missing.text
    merged = gateway.post(path, data={"duplicate": duplicate.id.lower(), "csrf": token})
    assert "รวมเรื่องแล้ว" in merged.text and 'data-testid="followers">2 คน' in merged.text
    db.expire_all()
    gone = db.get(Ticket, duplicate.id)
    assert gone is not None and gone.status == "duplicate" and gone.merged_into == survivor.id
    assert survivor.id in told(db, second)[-1]  # told the number to follow
    followers = db.scalars(
        select(TicketFollower.citizen_id).where(TicketFollower.ticket_id == survivor.id)
    ).all()
    assert len(followers) == 2
    # From now on both reporters hear about the survivor.
    page = gateway.get(f"/console/tickets/{survivor.id}").text
    gateway.post(
        f"/console/tickets/{survivor.id}/status",
        data={"status": "in_progress", "csrf": csrf_of(page)},
    )
    assert "กำลังดำเนินการ" in told(db, first)[-1] and "กำลังดำเนินการ" in told(db, second)[-1]
    again = gateway.post(path, data={"duplicate": duplicate.id, "csrf": token})
    assert "รวมได้เฉพาะเรื่องที่ยังเปิดอยู่" in again.text


def test_a_resolved_ticket_is_reopened_from_its_page(gateway: TestClient) -> None:
    [ticket] = file(gateway, marker())
    sign_in_as(gateway, ticket.agency_id)
    path = f"/console/tickets/{ticket.id}/status"
    token = csrf_of(gateway.get(f"/console/tickets/{ticket.id}").text)
    gateway.post(path, data={"status": "in_progress", "csrf": token})
    done = gateway.post(path, data={"status": "resolved", "message": "ซ่อมแล้วค่ะ", "csrf": token})
    assert "(เปิดเรื่องใหม่)" in done.text
    reopened = gateway.post(path, data={"status": "in_progress", "csrf": token})
    assert 'data-status="in_progress"' in reopened.text


def test_supervisors_change_many_at_once_and_each_citizen_hears(
    gateway: TestClient, db: Session
) -> None:
    word = marker()
    citizens = [factories.user_id() for _ in range(3)]
    mine = [file(gateway, word, line_user_id=c)[0] for c in citizens]
    agency = mine[0].agency_id
    [foreign] = file(gateway, word, complaint_type="complaint_water_supply")
    assert foreign.agency_id != agency
    sign_in_as(gateway, agency)  # an agent: no bulk
    listed = gateway.get("/console/tickets", params={"q": word}).text
    assert 'data-testid="bulk"' not in listed
    refused = gateway.post(
        "/console/tickets/bulk",
        data={
            "id": [t.id for t in mine],
            "action": "status",
            "status": "in_progress",
            "csrf": csrf_of(listed),
        },
    )
    assert "เฉพาะหัวหน้างานและผู้ดูแลระบบ" in refused.text

    sign_in_as(gateway, agency, role="supervisor")
    listed = gateway.get("/console/tickets", params={"q": word}).text
    assert 'data-testid="bulk"' in listed
    ids = [t.id for t in mine] + [foreign.id]
    needs = gateway.post(
        "/console/tickets/bulk",
        data={"id": ids, "action": "status", "status": "rejected", "csrf": csrf_of(listed)},
    )
    assert "กรุณาเขียนข้อความถึงผู้แจ้ง" in needs.text
    done = gateway.post(
        "/console/tickets/bulk",
        data={
            "id": ids,
            "action": "status",
            "status": "in_progress",
            "message": "ทีมช่างเข้าพื้นที่แล้วค่ะ",
            "back": f"q={word}",
            "csrf": csrf_of(listed),
        },
    )
    assert "ทำแล้ว 3 เรื่อง" in done.text and "ทำไม่ได้ 1 เรื่อง: ไม่พบเรื่องนี้" in done.text
    for citizen in citizens:
        assert "ทีมช่างเข้าพื้นที่แล้วค่ะ" in told(db, citizen)[-1]
    db.expire_all()
    assert db.get(Ticket, foreign.id).status == "received"  # type: ignore[union-attr]
    assigned = gateway.post(
        "/console/tickets/bulk",
        data={"id": ids[:2], "action": "assign", "assignee": "me", "csrf": csrf_of(listed)},
    )
    assert "ทำแล้ว 2 เรื่อง" in assigned.text
    mine_now = gateway.get("/console/tickets", params={"q": word, "assignee": "me"}).text
    assert sorted(shown(mine_now)) == sorted(ids[:2])

    # Export only the ticked ones.
    got = gateway.get("/console/tickets/export.csv", params={"id": ids[:2]})
    table = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert sorted(row[0] for row in table[1:]) == sorted(ids[:2])


def test_photos_show_on_the_page_and_only_for_the_agency(gateway: TestClient) -> None:
    citizen = factories.user_id()
    [ticket] = file(gateway, marker(), line_user_id=citizen)
    [bare] = file(gateway, marker())
    with unit_of_work(gateway.app.state.context.sessions) as session:  # type: ignore[attr-defined]
        session.add(
            Media(
                id=uuid.uuid4().hex,
                line_message_id=uuid.uuid4().hex,
                ticket_id=ticket.id,
                content_type="image/png",
                size=4,
                width=1,
                height=1,
                sha256="0" * 64,
                data=b"\x89PNG",
            )
        )
    sign_in_as(gateway, ticket.agency_id)
    page = gateway.get(f"/console/tickets/{ticket.id}").text
    [url] = re.findall(r'<img src="([^"]+)"', page)
    got = gateway.get(url)
    assert got.status_code == 200 and got.content == b"\x89PNG"

    def listed(**params: str) -> list[str]:
        return shown(gateway.get("/console/tickets", params=params).text)

    assert listed(photos="yes", q=ticket.id) == [ticket.id]
    assert listed(photos="no", q=ticket.id) == []
    assert listed(photos="yes", q=bare.id) == [] and listed(photos="no", q=bare.id) == [bare.id]
    sign_in_as(gateway, "ocpb" if ticket.agency_id != "ocpb" else "bma")
    assert gateway.get(url).status_code == 404


def test_dates_followers_and_sort_filters(gateway: TestClient) -> None:
    word = marker()
    older, newer = file(gateway, word, count=2)
    sign_in_as(gateway, older.agency_id)
    # Days are Bangkok days, as officers count them.
    today = aware(older.created_at).astimezone(ZoneInfo("Asia/Bangkok")).date().isoformat()
    listed = gateway.get(
        "/console/tickets", params={"q": word, "created_from": today, "created_to": today}
    ).text
    assert sorted(shown(listed)) == sorted([older.id, newer.id])
    before = gateway.get("/console/tickets", params={"q": word, "created_to": "2020-01-01"})
    assert shown(before.text) == []
    refused = gateway.get("/console/tickets", params={"created_from": "31/12/2569"})
    assert refused.status_code == 422 and "วันที่ “31/12/2569”" in refused.text
    for bad in ({"min_followers": "0"}, {"assignee": "somebody"}, {"photos": "maybe"}):
        assert gateway.get("/console/tickets", params=bad).status_code == 422
    # What cannot match (NUL bytes, a malformed id) lists nothing, never a server error.
    for odd in ({"q": "ถนน\x00"}, {"id": ["x\x00y", "DS-"]}, {"agency": "bma\x00"}):
        assert gateway.get("/console/tickets", params=odd).status_code == 200, odd
    assert shown(gateway.get("/console/tickets", params={"id": "not an id"}).text) == []
    popular = gateway.get("/console/tickets", params={"q": word, "sort": "followers"})
    assert popular.status_code == 200 and older.id in shown(popular.text)


def test_the_api_assigns_transfers_merges_and_acts_in_bulk(
    gateway: TestClient, db: Session
) -> None:
    word = marker()
    a, b, c = file(gateway, word, count=3)
    database = gateway.app.state.context.settings.database_url  # type: ignore[attr-defined]
    agent = {
        "Authorization": "Bearer " + new_staff_token(database, role="agent", agency_id=a.agency_id)
    }
    boss = {
        "Authorization": "Bearer "
        + new_staff_token(database, role="supervisor", agency_id=a.agency_id)
    }
    me = gateway.get("/api/tickets", params={"q": word}, headers=agent)
    assert me.json()["total"] == 3

    taken = gateway.post(f"/api/tickets/{a.id}/assignee", json={"assignee_id": None}, headers=agent)
    assert taken.status_code == 200 and taken.json()["assignee_id"] is None

    merged = gateway.post(f"/api/tickets/{a.id}/merge", json={"duplicate_id": b.id}, headers=agent)
    assert merged.status_code == 200 and merged.json()["followers_count"] == 2
    assert (
        gateway.post(
            f"/api/tickets/{a.id}/merge", json={"duplicate_id": b.id}, headers=agent
        ).status_code
        == 409
    )

    assert (
        gateway.post(
            "/api/tickets/bulk", json={"ids": [a.id], "status": "in_progress"}, headers=agent
        ).status_code
        == 403
    )
    bulk = gateway.post(
        "/api/tickets/bulk",
        json={"ids": [a.id, c.id, "DS-ZZZZZZZZ"], "status": "in_progress", "note": "เริ่มงานแล้ว"},
        headers=boss,
    )
    assert bulk.status_code == 200
    assert sorted(bulk.json()["done"]) == sorted([a.id, c.id])
    assert list(bulk.json()["refused"]) == ["DS-ZZZZZZZZ"]
    # What is no ticket id at all (NUL, an unpaired surrogate, 500 letters) is a clear 422.
    for odd in ("DS-1\x00", "\udb2f", "D" * 500):
        refused = gateway.post(
            "/api/tickets/bulk",
            content=json.dumps({"ids": [a.id, odd], "status": "resolved"}),  # \u-escaped
            headers={**boss, "content-type": "application/json"},
        )
        assert refused.status_code == 422, odd
    unknown = gateway.post("/api/tickets/bulk", json={"ids": [a.id], "status": "x"}, headers=boss)
    assert unknown.status_code == 422 and unknown.json()["detail"] == "ไม่มีสถานะนี้ในระบบ"
    # What the database cannot store (NUL in a note) is a clear 422, and changes nothing.
    before = gateway.get(f"/api/tickets/{c.id}", headers=agent).json()
    for path, body in [
        (f"/api/tickets/{c.id}/transitions", {"status": "rejected", "note": "ซ้ำ\x00"}),
        (f"/api/tickets/{c.id}/notes", {"body": "โน้ต\x00"}),
    ]:
        stored = gateway.post(path, json=body, headers=boss)
        assert stored.status_code == 422 and "NUL" in stored.json()["detail"], path
    assert gateway.get(f"/api/tickets/{c.id}", headers=agent).json() == before
    sessions = gateway.app.state.context.sessions  # type: ignore[attr-defined]
    with sessions() as session, session.begin():
        person = factories.staff(session, agency_id=a.agency_id)
        user = StaffUser(person.id, person.username, "x", "supervisor", a.agency_id)
        result = flows.bulk(session, user, [a.id, "DS-1\x00"], status="resolved", message="ซ่อม")
        session.flush()  # the audit entry, written without the NUL
        assert list(result.refused) == ["DS-1\x00"]
        session.rollback()

    moved = gateway.post(
        f"/api/tickets/{c.id}/transfer",
        json={"agency_id": "mwa", "reason": "งานท่อประปา"},
        headers=agent,
    )
    assert moved.status_code == 200 and moved.json()["agency_id"] == "mwa"
    assert gateway.get(f"/api/tickets/{c.id}", headers=agent).status_code == 404

    # Keyset pages through the API, and the export (supervisors only).
    first = gateway.get("/api/tickets", params={"q": word, "per_page": 1}, headers=agent).json()
    assert first["next"]
    second = gateway.get(
        "/api/tickets", params={"q": word, "per_page": 1, "after": first["next"]}, headers=agent
    ).json()
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {a.id, b.id}
    assert second["next"] is None
    assert (
        gateway.get("/api/tickets/export.csv", params={"q": word}, headers=agent).status_code == 403
    )
    book = openpyxl.load_workbook(
        io.BytesIO(
            gateway.get("/api/tickets/export.xlsx", params={"q": word}, headers=boss).content
        )
    )
    rows = list(book.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert {r[0] for r in rows[1:]} == {a.id, b.id}
    bad = gateway.get("/api/tickets", params={"assignee": "everyone"}, headers=agent)
    assert bad.status_code == 422


def test_every_ticket_change_is_announced_to_its_agencys_lists(gateway: TestClient) -> None:
    sessions = gateway.app.state.context.sessions  # type: ignore[attr-defined]
    router, calendar = Router.load(), BusinessCalendar.load()
    with sessions() as session, session.begin():
        ticket = factories.ticket(session, router, calendar)
        service.transition(session, ticket, "in_progress", actor="staff")
        before = ticket.agency_id
        staff = factories.staff(session, agency_id=before)
        user = StaffUser(staff.id, staff.username, "x", "agent", before)
        flows.transfer(session, user, ticket, "mwa", "ผิดหน่วย", router)
        updates = list(session.info["console_updates"])
        session.rollback()
    changes = [(queue, event["change"]) for queue, event in updates]
    # The transfer tells both the agency that has it now and the one it left.
    assert sorted(changes) == sorted(
        [(before, "created"), (before, "status"), ("mwa", "agency"), (before, "agency")]
    )
    assert {event["id"] for _, event in updates} == {ticket.id}
    assert {event["type"] for _, event in updates} == {"ticket"}
