"""An agency's content owner keeps a catalogue entry true, in Chromium on the real desk:
edits a fee, sees the card preview change at phone width, publishes it verified; a
citizen asking on LINE at once gets the new fee on a card marked verified with the
editor's date; another agency's owner gets 404; reverting brings the old entry back."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.catalogue.cards import bangkok_today, thai_date
from tests.support.agents import PASSWORD, create_staff
from tests.support.browser import watched_page
from tests.support.chat import Chat, said
from tests.support.stack import CHROMIUM, Desk, user_id

pytestmark = [
    pytest.mark.stack,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]
SERVICE = "international_driving_permit"
QUESTION = "อยากทำใบขับขี่สากลไปเที่ยวญี่ปุ่น ต้องใช้อะไรบ้างคะ"
NEW_FEE = "ค่าธรรมเนียมใหม่ 555 บาท (รวมค่าคำขอ)"


def _sign_in(page: Page, username: str, path: str) -> None:
    page.goto(path)
    page.get_by_test_id("username").fill(username)
    page.get_by_test_id("password").fill(PASSWORD)
    page.get_by_test_id("password").press("Enter")


def test_an_owner_edits_previews_publishes_and_reverts_a_fee(desk: Desk, browser: Browser) -> None:
    chat = Chat(desk, user_id())
    before = said(chat.say(QUESTION))
    assert "500 บาท" in before and "อาจเปลี่ยนแปลงแล้ว" in before  # shipped: unverified
    owner = create_staff(desk, "agent", "dlt", "สมศรี ขนส่ง", catalogue_owner=True)

    with watched_page(browser, base_url=desk.gateway, viewport=(1280, 900)) as page:
        _sign_in(page, owner, "/console/catalogue")
        page.goto("/console/catalogue")
        row = page.get_by_test_id(f"service-{SERVICE}")
        expect(row).to_have_attribute("data-state", "unverified")
        row.get_by_role("link").click()
        preview = page.get_by_test_id("preview")
        expect(preview).to_contain_text("500 บาท")  # the card as it is now
        page.get_by_test_id("field-fees").fill(NEW_FEE)
        expect(preview).to_contain_text("555 บาท")  # live, before anything is saved
        assert preview.bounding_box()["width"] <= 360  # type: ignore[index]
        page.get_by_test_id("verified").check()
        expect(preview).to_contain_text("ตรวจสอบข้อมูลนี้กับแหล่งที่มาแล้ว")
        page.get_by_test_id("field-summary").fill("ก" * 5000)  # too long: refused, kept
        page.get_by_test_id("publish").click()
        expect(page.get_by_test_id("error")).to_contain_text("ยาวเกิน 1000 ตัวอักษร")
        answer = said(chat.say(QUESTION))
        assert NEW_FEE not in answer and "500 บาท" in answer  # nothing changed

        page.get_by_test_id("field-summary").fill("ใบอนุญาตขับรถระหว่างประเทศ ใช้ขับรถในต่างประเทศ")
        page.get_by_test_id("field-fees").fill(NEW_FEE)
        page.get_by_test_id("verified").check()
        page.get_by_test_id("field-note").fill("ปรับตามประกาศกรม")
        page.get_by_test_id("publish").click()
        expect(page.get_by_test_id("done")).to_be_visible()
        expect(page.get_by_test_id("state")).to_have_attribute("data-state", "verified")

        answer = said(chat.say(QUESTION))  # no restart: the next question has it
        assert NEW_FEE in answer
        assert f"ตรวจสอบข้อมูลนี้กับแหล่งที่มาแล้วเมื่อ {thai_date(bangkok_today())}" in answer

        page.locator("[data-testid=version-2] summary").click()
        expect(page.get_by_test_id("diff-2")).to_contain_text(f"+fees: {NEW_FEE}")
        page.get_by_test_id("revert-1").click()
        expect(page.get_by_test_id("done")).to_contain_text("ย้อนกลับแล้ว")
        expect(page.get_by_test_id("state")).to_have_attribute("data-state", "unverified")

    after = said(chat.say(QUESTION))
    assert "500 บาท" in after and NEW_FEE not in after and "อาจเปลี่ยนแปลงแล้ว" in after

    stranger = create_staff(desk, "supervisor", "dopa", catalogue_owner=True)
    with watched_page(browser, base_url=desk.gateway) as page:
        _sign_in(page, stranger, "/console/catalogue")
        refused = page.goto(f"/console/catalogue/services/{SERVICE}")
        assert refused is not None and refused.status == 404
        page.goto("/console/catalogue")
        expect(page.get_by_test_id(f"service-{SERVICE}")).to_have_count(0)
