"""An agency officer works a ticket in Chromium on the real desk: finds the ticket a
citizen just filed on LINE by a Thai word of it, resolves it with a message from the
keyboard, and the citizen receives that message; another agency's officer gets 404."""

from __future__ import annotations

from typing import Any

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
        page.get_by_test_id("take").press("Enter")  # the officer takes it
        expect(page.get_by_test_id("assignee")).to_have_text(officer)

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


def _file_directly(desk: Desk, count: int, **fields: Any) -> list[str]:
    """Tickets stored straight in the desk's database (what the chat would file)."""
    from bot.tickets.calendar import BusinessCalendar
    from bot.tickets.routing import Router
    from tests.support import factories

    with Session(create_engine(desk.settings.database_url)) as session, session.begin():
        router, calendar = Router.load(), BusinessCalendar.load()
        return [factories.ticket(session, router, calendar, **fields).id for _ in range(count)]


def test_the_list_shows_a_ticket_filed_while_it_is_open_and_keys_move_in_it(
    desk: Desk, browser: Browser
) -> None:
    chat = Chat(desk, user_id())
    officer = create_staff(desk, "agent", "bma")
    _file_directly(desk, 1)  # one there already, so the arrow keys have somewhere to go
    with watched_page(browser, base_url=desk.gateway, viewport=(1920, 1080), csp=True) as page:
        _sign_in(page, officer)
        expect(page).to_have_url(f"{desk.gateway}/console")
        page.goto("/console/tickets?status=received&sort=created")
        expect(page.locator("main.tickets")).to_have_attribute("data-live", "on")
        page.evaluate("window.stayed = true")  # gone if the page reloads
        ticket_id = file_road_complaint(chat, 10, with_photo=False)
        row = page.locator(f'tr[data-ticket="{ticket_id}"]')
        expect(row).to_be_visible()  # no reload: the list fetched itself
        expect(page.get_by_test_id("live")).to_contain_text(ticket_id)
        assert page.evaluate("window.stayed") is True

        # Arrow keys move between tickets; Enter opens one.
        links = page.get_by_test_id("ticket-link")
        links.first.focus()
        page.keyboard.press("ArrowDown")
        expect(links.nth(1)).to_be_focused()
        page.keyboard.press("ArrowUp")
        expect(links.first).to_be_focused()


def test_a_supervisor_changes_several_tickets_from_the_list(desk: Desk, browser: Browser) -> None:
    word = "บัลค์ทดสอบสถานะ"
    ids = _file_directly(desk, 2, description=f"ถนนทรุดเป็นแอ่ง {word} หน้าตลาด")
    boss = create_staff(desk, "supervisor", "bma")
    with watched_page(browser, base_url=desk.gateway, viewport=(1280, 800)) as page:
        _sign_in(page, boss)
        page.goto(f"/console/tickets?q={word}")
        page.get_by_test_id("select-all").check()
        page.get_by_test_id("bulk-action-status").check()
        page.get_by_test_id("bulk-status").select_option("in_progress")
        page.get_by_test_id("bulk-message").fill("ทีมช่างรับเรื่องแล้วค่ะ")
        page.get_by_test_id("bulk-apply").press("Enter")
        expect(page.get_by_test_id("done")).to_contain_text("ทำแล้ว 2 เรื่อง")
        for ticket_id in ids:
            expect(
                page.locator(f'tr[data-ticket="{ticket_id}"] [data-testid="row-status"]')
            ).to_have_text("กำลังดำเนินการ")


def test_the_map_shows_the_filtered_tickets_without_tiles(desk: Desk, browser: Browser) -> None:
    # No internet here: OpenStreetMap's tiles fail, and the markers must still show.
    word = "แผนที่ทดสอบหมุด"
    _file_directly(desk, 3, description=f"ไฟถนนดับ {word}", latitude=13.75, longitude=100.49)
    officer = create_staff(desk, "agent", "bma")
    with watched_page(browser, base_url=desk.gateway, viewport=(1280, 800)) as page:
        _sign_in(page, officer)
        page.goto(f"/console/tickets?q={word}")
        page.get_by_test_id("map-link").click()
        expect(page.get_by_test_id("map")).to_have_attribute("data-markers", "3")
        expect(page.get_by_test_id("map-status")).to_contain_text("3 เรื่องที่มีตำแหน่ง")
        expect(page.locator(".marker-cluster, path.leaflet-interactive").first).to_be_visible()
