"""The simulator against the real desk, in Debian's Chromium: type, send, see the reply."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.config import ROOT
from tests.support.browser import watched_page
from tests.support.stack import CHROMIUM, Desk

pytestmark = [
    pytest.mark.stack,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with watched_page(browser, timeout_ms=20_000) as tab:
        yield tab


def test_a_newcomer_chats_with_the_desk_in_the_simulator(desk: Desk, page: Page) -> None:
    page.goto(f"{desk.gateway}/simulator")
    page.get_by_test_id("add-user").click()
    # Adding the account as a friend: the desk's welcome and privacy notice.
    expect(page.get_by_test_id("bot-message")).to_have_count(2)
    expect(page.get_by_test_id("bot-message").nth(1)).to_contain_text("ข้อมูลส่วนบุคคล")

    page.get_by_test_id("message-input").fill("สวัสดีค่ะ มีเรื่องจะสอบถามค่ะ")
    page.get_by_test_id("send-button").click()
    expect(page.get_by_test_id("user-message")).to_have_count(1)
    expect(page.get_by_test_id("bot-message")).to_have_count(3)
    expect(page.get_by_test_id("bot-message").nth(2)).to_contain_text("ยินดีให้บริการ")

    # Quick replies are tappable chips; tapping one goes back to the desk as a postback.
    chip = page.get_by_test_id("quick-reply").filter(has_text="คุยกับเจ้าหน้าที่")
    expect(chip).to_have_count(1)
    chip.click()
    expect(page.get_by_test_id("user-message")).to_have_count(2)
    expect(page.get_by_test_id("bot-message")).to_have_count(4)
    expect(page.get_by_test_id("bot-message").nth(3)).to_contain_text("คิว")

    # Waiting for staff: the newcomer changes their mind and is back with the bot.
    cancel = page.get_by_test_id("quick-reply").filter(has_text="ยกเลิกการรอ")
    expect(cancel).to_have_count(1)
    cancel.click()
    expect(page.get_by_test_id("bot-message")).to_have_count(5)
    expect(page.get_by_test_id("bot-message").nth(4)).to_contain_text("ยกเลิกการรอ")

    # A service question: the answer is a Flex card, rendered readably.
    page.get_by_test_id("message-input").fill("ต่อพาสปอร์ตต้องใช้อะไรบ้างคะ")
    page.get_by_test_id("send-button").click()
    expect(page.get_by_test_id("flex-card")).to_have_count(1)
    expect(page.get_by_test_id("flex-card")).to_contain_text("หนังสือเดินทาง")

    page.get_by_test_id("message-input").blur()
    shot = ROOT / "var" / "simulator-desk.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot))
    if os.environ.get("DESK_SCREENSHOT"):  # `DESK_SCREENSHOT=1 make test-bot` renews the README's
        (ROOT / "docs" / "simulator.png").write_bytes(shot.read_bytes())
