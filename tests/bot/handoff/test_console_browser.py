"""The agent console in Debian's Chromium against the whole running desk.

Two agents and a supervisor, each in their own browser context (own cookies), and a
citizen on the LINE side (the stand-in): the way a call centre actually works.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.tickets.lifecycle import STATUS_TH, allowed_targets
from tests.support.agents import PASSWORD, create_staff
from tests.support.chat import Chat, postbacks, said
from tests.support.stack import Desk, user_id, wait_for

pytestmark = [pytest.mark.stack, pytest.mark.browser]
QUEUE = "gov_contact_1111"
XSS = '<img src=x onerror="window.__pwned=1"> ช่วยด้วยค่ะ'


def _sign_in(browser: Browser, desk: Desk, username: str) -> Page:
    context = browser.new_context(base_url=desk.gateway, locale="th-TH")
    page = context.new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    page.goto("/console")
    expect(page).to_have_url(f"{desk.gateway}/console/login")
    page.get_by_test_id("username").fill(username)
    page.get_by_test_id("password").fill(PASSWORD)
    page.get_by_test_id("login").click()
    expect(page).to_have_url(f"{desk.gateway}/console")
    expect(page.get_by_test_id("live")).to_have_attribute("data-state", "live", timeout=10_000)
    return page


def _report(page: Page) -> dict[str, Any]:
    response = page.request.get("/console/api/reports")
    assert response.ok, response.text()
    data: dict[str, Any] = response.json()
    return data


def test_agents_claim_reply_and_end_while_a_supervisor_watches(
    browser: Browser, desk: Desk
) -> None:
    supervisor = _sign_in(browser, desk, create_staff(desk, "supervisor", QUEUE, name="หัวหน้าเวร"))
    before = _report(supervisor)["handoff_ratings"]["count"]
    agent = _sign_in(browser, desk, create_staff(desk, "agent", QUEUE, name="มาลี"))
    rival = _sign_in(browser, desk, create_staff(desk, "agent", QUEUE, name="สมชาย"))

    # The citizen asks for a person; the waiting conversation appears live.
    chat = Chat(desk, user_id())
    desk.send(chat.user, None, event="follow", displayName="ป้าบุญมี")
    asked = chat.say("อยากคุยกับเจ้าหน้าที่ค่ะ")
    assert "คิว" in said(asked)
    assert chat.say(XSS) == []
    for page in (agent, rival):
        item = page.get_by_test_id("waiting").get_by_text("ป้าบุญมี")
        expect(item).to_be_visible(timeout=10_000)
        expect(page).to_have_title(re.compile(r"^\(\d+\) Agent console"))  # waiting, in the tab
        item.click()
        expect(page.get_by_test_id("claim")).to_be_visible()

    # Citizen text is shown as text: no element, no script.
    history = agent.get_by_test_id("history")
    expect(history.get_by_text(XSS)).to_be_visible()
    assert history.locator("img").count() == 0
    assert agent.evaluate("window.__pwned") is None

    # The first claim wins: the other agent's screen drops the claim button by itself,
    # and a claim sent anyway (a stale screen) is refused.
    agent.get_by_test_id("claim").click()
    expect(agent.get_by_test_id("handoff-state")).to_have_attribute("data-status", "active")
    expect(rival.get_by_test_id("handoff-state")).to_have_attribute("data-status", "active")
    expect(rival.get_by_test_id("claim")).to_be_hidden()
    expect(rival.get_by_test_id("composer")).to_be_hidden()
    handoff_id = rival.evaluate("fetch('/console/api/queue').then(r => r.json())")["items"]
    mine = next(i for i in handoff_id if i["citizen"] == "ป้าบุญมี")
    token = rival.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    stale = rival.request.post(
        f"/console/api/handoffs/{mine['id']}/claim", headers={"X-CSRF-Token": token}
    )
    assert stale.status == 409
    assert stale.json()["detail"]["message"] == "มีเจ้าหน้าที่รับเรื่องนี้ไปแล้ว"
    assert "มาลี" in said(chat.pushes(1))

    # The reply reaches LINE; the citizen's answer appears in the console by itself.
    agent.get_by_test_id("canned").select_option(label="ขอเบอร์ติดต่อ")
    agent.get_by_test_id("reply-text").fill("ขอทราบเลขที่บ้านและเบอร์โทรด้วยค่ะ")
    agent.get_by_test_id("reply-text").press("Enter")
    assert "เลขที่บ้าน" in said(chat.pushes(1))
    calls = [c for c in desk.calls() if "ขอทราบเลขที่บ้าน" in str(c.get("body"))]
    assert len(calls) == 1, calls
    desk.say(chat.user, "บ้านเลขที่ 99 ค่ะ 0812345678")
    expect(history.get_by_text("บ้านเลขที่ 99 ค่ะ 0812345678")).to_be_visible(timeout=5_000)

    # A ticket from the conversation; the agent corrects its type and it is routed again
    # (the correction also becomes a label in the admins' NLU inbox: tests/bot/teaching).
    agent.get_by_test_id("ticket-type").select_option("complaint_road")
    agent.get_by_test_id("ticket-description").fill("ไม่มีน้ำใช้ทั้งซอยมาสองวันแล้วค่ะ")
    agent.get_by_test_id("ticket-province").fill("นนทบุรี")
    agent.get_by_test_id("ticket-create").click()
    ticket = agent.get_by_test_id("ticket")
    expect(ticket).to_have_count(1)
    kind = ticket.get_by_test_id("ticket-type-change")
    expect(kind).to_have_value("complaint_road")
    # The status names are the desk's own (from /console/api/me), not a copy in the page,
    # and only what the lifecycle table allows from here is offered.
    statuses = ticket.get_by_test_id("ticket-status").locator("option")
    offered = ["received", *allowed_targets("received", "staff")]
    expect(statuses).to_have_text([STATUS_TH[s] for s in STATUS_TH if s in offered])
    expect(ticket.get_by_test_id("ticket-status")).to_have_value("received")
    # Rejecting without telling the citizen why is refused, in Thai; with a reason, done.
    ticket.get_by_test_id("ticket-status").select_option("rejected")
    ticket.get_by_test_id("ticket-status-save").click()
    expect(agent.get_by_test_id("error")).to_contain_text("กรุณาเขียนข้อความถึงผู้แจ้ง")
    expect(ticket.locator("small")).to_contain_text("ส่งเสริมการปกครองท้องถิ่นจังหวัดนนทบุรี")
    kind.select_option("complaint_water_supply")
    expect(ticket.locator("small")).to_contain_text("การประปานครหลวง")  # routed again
    expect(ticket.get_by_test_id("ticket-type-change")).to_have_value("complaint_water_supply")

    # A private note: the composer says so unmistakably, and goes back to replies after.
    agent.get_by_test_id("as-note").check()
    expect(agent.get_by_test_id("composer")).to_have_attribute("data-mode", "note")
    expect(agent.get_by_test_id("note-banner")).to_be_visible()
    expect(agent.get_by_test_id("send")).to_have_text("บันทึกภายใน")
    agent.get_by_test_id("reply-text").fill("ผู้ใช้สูงอายุ พูดช้า ๆ")
    agent.get_by_test_id("reply-text").press("Enter")
    expect(history.get_by_text("ผู้ใช้สูงอายุ พูดช้า ๆ")).to_be_visible()
    expect(agent.get_by_test_id("composer")).to_have_attribute("data-mode", "reply")
    expect(agent.get_by_test_id("as-note")).not_to_be_checked()
    expect(agent.get_by_test_id("note-banner")).to_be_hidden()

    # The queue shows the last thing the citizen wrote and can be searched.
    agent.get_by_test_id("queue-search").fill("ป้าบุญมี")
    card = agent.get_by_test_id("queue-item").filter(has_text="ป้าบุญมี")
    expect(card.get_by_test_id("queue-preview")).to_have_text("บ้านเลขที่ 99 ค่ะ 0812345678")
    expect(agent.locator('[data-testid="queue-item"]:visible')).to_have_count(1)
    agent.get_by_test_id("queue-search").fill("")

    # Picking an agency to transfer to asks first; cancelling leaves the chat here.
    transfer = agent.get_by_test_id("transfer")
    transfer.select_option(index=1)
    expect(agent.get_by_test_id("transfer-question")).to_contain_text("โอนแชตนี้ไป")
    agent.get_by_test_id("transfer-cancel").click()
    expect(transfer).to_have_value("")
    expect(agent.get_by_test_id("handoff-state")).to_have_attribute("data-status", "active")

    # Ending hands the citizen back to the bot with a rating question, once confirmed.
    agent.get_by_test_id("end").click()
    agent.get_by_test_id("end-cancel").click()
    expect(agent.get_by_test_id("handoff-state")).to_have_attribute("data-status", "active")
    agent.get_by_test_id("end").click()
    agent.get_by_test_id("end-confirm").click()
    expect(agent.get_by_test_id("handoff-state")).to_have_attribute("data-status", "ended")
    ended = chat.pushes(1)
    assert "ให้คะแนน" in said(ended)
    five = next(p for p in postbacks(ended[-1]) if "score=5" in p)
    assert "ขอบคุณ" in said(chat.tap(five))

    # The supervisor's reports count it.
    wait_for(
        lambda: _report(supervisor)["handoff_ratings"]["count"] == before + 1, 10, "the rating"
    )
    supervisor.goto("/console/reports")
    expect(supervisor.locator("#handoff")).to_be_visible()
    expect(supervisor.get_by_test_id("ratings-table")).to_be_visible()
    for page in (agent, rival, supervisor):
        page.context.close()
