"""An agency officer works a ticket in Chromium on the real desk: finds the ticket a
citizen just filed on LINE by a Thai word of it, resolves it with a message from the
keyboard, and the citizen receives that message; another agency's officer gets 404."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.tickets.models import Ticket
from tests.support.agents import PASSWORD, create_staff
from tests.support.browser import watched_page
from tests.support.chat import Chat, file_road_complaint, said
from tests.support.stack import CHROMIUM, Desk, user_id

pytestmark = [
    pytest.mark.stack,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def _sign_in(page: Page, username: str) -> None:
    page.goto("/console/tickets")
    page.get_by_test_id("username").fill(username)
    page.get_by_test_id("password").fill(PASSWORD)
    page.get_by_test_id("password").press("Enter")


def test_an_officer_resolves_a_citizens_ticket_with_a_message(desk: Desk, browser: Browser) -> None:
    chat = Chat(desk, user_id())
    ticket_id = file_road_complaint(chat, 9, with_photo=False)
    with Session(create_engine(desk.settings.database_url)) as session:
        agency = session.get_one(Ticket, ticket_id).agency_id
    officer = create_staff(desk, "agent", agency)

    with watched_page(browser, base_url=desk.gateway, viewport=(1280, 800)) as page:
        _sign_in(page, officer)
        expect(page).to_have_url(f"{desk.gateway}/console")
        page.get_by_test_id("tickets-link").click()
        search = page.get_by_test_id("search")
        search.fill("หลุม")  # a word of the citizen's description, written without spaces
        search.press("Enter")
        row = page.locator(f'tr[data-ticket="{ticket_id}"]')
        expect(row).to_be_visible()
        link = row.get_by_test_id("ticket-link")
        link.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("ticket-page")).to_have_attribute("data-status", "received")

        page.get_by_test_id("new-status").select_option("in_progress")
        page.get_by_test_id("message").fill("เจ้าหน้าที่ลงพื้นที่ตรวจสอบแล้วค่ะ")
        page.get_by_test_id("change-status").press("Enter")
        expect(page.get_by_test_id("ticket-page")).to_have_attribute("data-status", "in_progress")
        assert "ลงพื้นที่ตรวจสอบแล้ว" in said(chat.pushes(1))

        page.get_by_test_id("new-status").select_option("resolved")
        page.get_by_test_id("change-status").press("Enter")  # without a message: refused
        expect(page.get_by_test_id("error")).to_contain_text("กรุณาเขียนข้อความถึงผู้แจ้ง")
        page.get_by_test_id("new-status").select_option("resolved")
        page.get_by_test_id("message").fill("ซ่อมผิวถนนเรียบร้อยแล้วค่ะ ขอบคุณที่แจ้งนะคะ")
        page.get_by_test_id("change-status").press("Enter")
        expect(page.get_by_test_id("ticket-page")).to_have_attribute("data-status", "resolved")
        assert "ซ่อมผิวถนนเรียบร้อยแล้ว" in said(chat.pushes(1))
        expect(page.get_by_test_id("timeline")).to_contain_text("ซ่อมผิวถนนเรียบร้อยแล้ว")

    stranger = create_staff(desk, "agent", "ocpb")
    with watched_page(browser, base_url=desk.gateway) as page:
        _sign_in(page, stranger)
        expect(page).to_have_url(f"{desk.gateway}/console")
        answer = page.goto(f"/console/tickets/{ticket_id}")
        assert answer is not None and answer.status == 404
