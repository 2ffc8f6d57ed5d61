"""Complaints become tickets, end to end: LINE stand-in → webhook → worker → real Rasa and
action server → PostgreSQL → staff API → outbox → LINE push.

Every step is what a citizen or a staff member would do; nothing is called behind the
desk's back except reading the database to check what was stored.
"""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bot.conversations.models import Citizen
from bot.line.models import InboundEvent
from bot.tickets.models import Media, Ticket, TicketEvent, TicketFollower
from tests.support.chat import (
    ADDRESS,
    LAT,
    LON,
    ROAD,
    TICKET_ID,
    Chat,
    all_text,
    api,
    file_road_complaint,
    postbacks,
    said,
    staff_token,
    ticket,
)
from tests.support.stack import Desk, user_id

pytestmark = pytest.mark.stack


def test_a_complaint_with_location_and_photo_becomes_a_routed_ticket(desk: Desk) -> None:
    chat = Chat(desk, user_id())
    ticket_id = file_road_complaint(chat, 1)

    stored = ticket(desk, ticket_id)
    assert stored is not None
    assert stored.complaint_type == "complaint_road"
    assert stored.status == "received"
    assert stored.province == "กรุงเทพมหานคร" and stored.district == "พระนคร"
    assert stored.agency_id.startswith("bma-district-")
    assert stored.contact_phone == "0812345678"
    assert stored.share_identity is True
    assert ROAD in stored.description
    assert abs((stored.latitude or 0) - (LAT + 0.004)) < 1e-6
    with Session(create_engine(desk.settings.database_url)) as session:
        photos = session.scalars(select(Media).where(Media.ticket_id == ticket_id)).all()
    assert len(photos) == 1 and photos[0].content_type == "image/jpeg"

    # Status by id, typed the way people type it: lower case, no dash.
    status = chat.say(f"ขอติดตามเรื่อง {ticket_id.lower().replace('-', '')} ค่ะ")
    assert ticket_id in said(status) and "รับเรื่องแล้ว" in said(status)
    # Without an id: the citizen's tickets as a carousel.
    recent = chat.say("เรื่องที่แจ้งไว้ถึงไหนแล้วคะ")
    assert recent[-1]["type"] == "flex" and ticket_id in all_text(recent[-1])


def test_status_changes_reach_the_citizen_and_resolution_asks_for_a_rating(desk: Desk) -> None:
    chat = Chat(desk, user_id())
    ticket_id = file_road_complaint(chat, 2, with_photo=False)
    token = staff_token(desk, f"admin-{user_id()[-8:]}", "admin", None)

    response = api(
        desk,
        token,
        "POST",
        f"/api/tickets/{ticket_id}/transitions",
        json={"status": "forwarded", "note": "ส่งให้ฝ่ายโยธา เขตพระนคร แล้ว"},
    )
    assert response.status_code == 200, response.text
    notice = chat.pushes(1)[0]
    assert "ส่งต่อหน่วยงานแล้ว" in all_text(notice) and "ฝ่ายโยธา" in all_text(notice)

    # Not allowed by the transition table: 409, nothing pushed.
    refused = api(
        desk, token, "POST", f"/api/tickets/{ticket_id}/transitions", json={"status": "closed"}
    )
    assert refused.status_code == 409

    for step in ("in_progress", "resolved"):
        assert (
            api(
                desk,
                token,
                "POST",
                f"/api/tickets/{ticket_id}/transitions",
                json={"status": step, "note": "ซ่อมผิวถนนเรียบร้อย" if step == "resolved" else None},
            ).status_code
            == 200
        )
    in_progress, resolved = chat.pushes(2)
    assert "กำลังดำเนินการ" in all_text(in_progress)
    assert "ดำเนินการเสร็จแล้ว" in all_text(resolved)
    choices = postbacks(resolved)
    assert any("rate_ticket" in c and '"rating":"5"' in c for c in choices), choices
    assert any("reopen_ticket" in c for c in choices)

    rated = said(chat.tap(next(c for c in choices if '"rating":"4"' in c)))
    assert "4 จาก 5" in rated and "เพิ่มเติม" in rated
    thanks = said(chat.say("ขอบคุณที่มาซ่อมให้ค่ะ แต่ยังมีหลุมเล็กอีกจุด"))
    assert "ความคิดเห็น" in thanks
    stored = ticket(desk, ticket_id)
    assert stored is not None and stored.rating == 4
    assert stored.rating_comment and "หลุมเล็ก" in stored.rating_comment

    # "Not solved" reopens it, within the window.
    reopened = said(chat.tap(next(c for c in choices if "reopen_ticket" in c)))
    assert "เปิดเรื่อง" in reopened
    stored = ticket(desk, ticket_id)
    assert stored is not None and stored.status == "in_progress" and stored.reopen_count == 1

    detail = api(desk, token, "GET", f"/api/tickets/{ticket_id}").json()
    kinds = [e["kind"] for e in detail["events"]]
    assert kinds[0] == "created" and "reopened" in kinds and "rated" in kinds
    assert detail["reporter"]["phone"] == "0812345678"


def test_a_second_report_nearby_joins_the_open_ticket_and_both_hear_of_changes(
    desk: Desk,
) -> None:
    first = Chat(desk, user_id())
    ticket_id = file_road_complaint(first, 3, with_photo=False)

    second = Chat(desk, user_id())
    said(second.say("ถนนแถวสนามหลวงพังเป็นหลุมเป็นบ่อ ขับรถลำบากมากครับ"))
    offer = second.location(LAT + 3 * 0.004 + 0.0003, LON, "เขตพระนคร")  # ~33 m from it
    assert "ร่วมแจ้ง" in said(offer)
    # Another citizen's ticket: never its number, words or address before joining.
    assert ticket_id not in said(offer)
    assert ROAD[:20] not in said(offer) and ADDRESS[:20] not in said(offer)
    assert "เขตพระนคร" in said(offer) or "ใกล้ตำแหน่ง" in said(offer)
    joined = said(second.tap("/affirm"))
    assert f"ร่วมแจ้งเรื่อง {ticket_id}" in joined

    with Session(create_engine(desk.settings.database_url)) as session:
        followers = session.scalar(
            select(func.count()).where(TicketFollower.ticket_id == ticket_id)
        )
    assert followers == 2
    stored = ticket(desk, ticket_id)
    assert stored is not None and stored.followers_count == 2

    token = staff_token(desk, f"admin-{user_id()[-8:]}", "admin", None)
    assert (
        api(
            desk,
            token,
            "POST",
            f"/api/tickets/{ticket_id}/transitions",
            json={"status": "forwarded"},
        ).status_code
        == 200
    )
    assert "ส่งต่อหน่วยงานแล้ว" in all_text(first.pushes(1)[0])
    assert "ส่งต่อหน่วยงานแล้ว" in all_text(second.pushes(1)[0])


def test_someone_elses_ticket_answers_exactly_like_an_unknown_one(desk: Desk) -> None:
    owner = Chat(desk, user_id())
    ticket_id = file_road_complaint(owner, 4, with_photo=False)
    other = Chat(desk, user_id())
    theirs = said(other.say(f"ติดตามเรื่อง {ticket_id}"))
    unknown = said(other.say("ติดตามเรื่อง DS-0000ZZZZ"))
    assert theirs.replace(ticket_id, "<id>") == unknown.replace("DS-0000ZZZZ", "<id>")
    assert "ไม่พบ" in theirs


def test_cancel_and_a_typed_address_and_a_bad_phone(desk: Desk) -> None:
    chat = Chat(desk, user_id())
    chat.say("ขยะไม่มีใครมาเก็บเลยหนึ่งอาทิตย์แล้ว ส่งกลิ่นเหม็นมากค่ะ")
    # Not a place: asked again, not taken as the location.
    for nowhere in ("5555",):
        again = said(chat.say(nowhere))
        assert "ไม่ทราบว่าปัญหาอยู่ที่ไหน" in again and "รูป" not in again
    typed = said(chat.say("หน้าตลาดสดเทศบาล อำเภอเมืองเชียงใหม่"))
    assert "รูป" in typed
    said(chat.tap("/complaint_photos_done"))
    bad = said(chat.say("โทร 12345"))
    assert "ไม่ถูกต้อง" in bad and "เบอร์" in bad
    said(chat.say("ข้าม"))
    said(chat.tap("/deny"))  # no consent to share personal data
    summary = said(chat.tap("/complaint_edit"))
    assert "แก้ไขข้อไหน" in summary
    back = said(chat.tap('/complaint_edit_field{"field":"none"}'))
    assert "ตรวจสอบก่อนส่งเรื่อง" in back and "เชียงใหม่" in back
    cancelled = said(chat.say("ยกเลิก"))
    assert "ยกเลิก" in cancelled
    with Session(create_engine(desk.settings.database_url)) as session:
        filed = session.scalar(
            select(func.count())
            .select_from(Ticket)
            .join(Citizen, Citizen.id == Ticket.citizen_id)
            .where(Citizen.line_user_id == chat.user)
        )
    assert filed == 0


def test_a_photo_too_large_is_refused_in_thai_and_the_event_is_kept(desk: Desk) -> None:
    chat = Chat(desk, user_id())
    big = base64.b64encode(b"\xff\xd8\xff" + b"\0" * 20_000_000).decode()
    answer = said(chat.image(big))
    assert "ใหญ่เกิน" in answer
    with Session(create_engine(desk.settings.database_url)) as session:
        kept = session.scalars(
            select(InboundEvent).where(InboundEvent.line_user_id == chat.user)
        ).all()
        media = session.scalar(
            select(func.count())
            .select_from(Media)
            .join(Citizen, Citizen.id == Media.citizen_id)
            .where(Citizen.line_user_id == chat.user)
        )
    assert len(kept) == 1 and kept[0].message_type == "image"
    assert not media


def test_a_location_outside_thailand_is_refused(desk: Desk) -> None:
    chat = Chat(desk, user_id())
    chat.say(ROAD)
    answer = said(chat.location(35.6762, 139.6503, "Tokyo, Japan"))
    assert "นอกประเทศไทย" in answer and "ที่ไหน" in answer  # asked again


def test_staff_of_another_agency_cannot_see_the_ticket(desk: Desk) -> None:
    chat = Chat(desk, user_id())
    ticket_id = file_road_complaint(chat, 5, with_photo=False)
    outsider = staff_token(desk, f"ocpb-{user_id()[-8:]}", "agent", "ocpb")
    assert api(desk, outsider, "GET", f"/api/tickets/{ticket_id}").status_code == 404
    assert (
        api(
            desk,
            outsider,
            "POST",
            f"/api/tickets/{ticket_id}/transitions",
            json={"status": "forwarded"},
        ).status_code
        == 404
    )
    listed = api(desk, outsider, "GET", "/api/tickets", params={"q": ticket_id}).json()
    assert listed["total"] == 0
    bma = staff_token(desk, f"bma-{user_id()[-8:]}", "agent", "bma")
    mine = api(desk, bma, "GET", "/api/tickets", params={"q": ticket_id}).json()
    assert [t["id"] for t in mine["items"]] == [ticket_id]
    assert api(desk, "not-a-token", "GET", "/api/tickets").status_code == 401
    with Session(create_engine(desk.settings.database_url)) as session:
        events = session.scalar(select(func.count()).where(TicketEvent.ticket_id == ticket_id))
    assert events == 1  # the outsider changed nothing


def test_a_5000_character_description_is_kept_whole(desk: Desk) -> None:
    chat = Chat(desk, user_id())
    sentence = "ถนนในหมู่บ้านเป็นหลุมเป็นบ่อ น้ำขังทุกครั้งที่ฝนตก รถจักรยานยนต์ล้มบ่อยมาก "
    long = (sentence * (5000 // len(sentence) + 1))[:5000]
    first = said(chat.say(long))
    assert "ถนน ทางเท้า สะพาน" in first and "ที่ไหน" in first, first
    said(chat.say("ข้าม"))
    said(chat.tap("/complaint_photos_done"))
    said(chat.tap("/deny"))
    summary = said(chat.tap("/deny"))
    assert "5,000 ตัวอักษร" in summary
    found = TICKET_ID.search(said(chat.tap("/complaint_confirm")))
    assert found
    stored = ticket(desk, found.group(0))
    assert stored is not None and stored.description == long


def test_asking_for_a_person_mid_intake_stops_the_form(desk: Desk) -> None:
    chat = Chat(desk, user_id())
    question = chat.say(ROAD)
    assert "/request_human" in postbacks(question[-1])  # every question offers a person
    answer = said(chat.tap("/request_human"))
    assert "เจ้าหน้าที่" in answer and "คิว" in answer  # queued for staff
    assert "ที่ไหน" not in answer  # not read as an address; the form asks nothing more
    assert chat.say("ยังอยู่ไหมคะ") == []  # the bot is silent while staff have it
