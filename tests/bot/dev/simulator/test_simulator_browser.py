"""The simulator page in Debian's Chromium: a person chatting as LINE users with a desk."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Response
from playwright.sync_api import Browser, Page, expect

from bot.config import Settings
from bot.dev.simulator import views
from bot.dev.standin.app import create_app as create_standin
from bot.web import views as web_views
from tests.bot.dev.simulator.sim_fakes import SECRET, TOKEN, ServerThread, create_fake_desk
from tests.support.browser import watched_page
from tests.support.stack import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's Chromium is not at /usr/bin/chromium (apt-get install chromium)",
    ),
]


def standin_app(settings: Settings) -> tuple[FastAPI, str]:
    """The real LINE stand-in."""
    return create_standin(settings), "real"


def gateway_app(settings: Settings) -> FastAPI:
    """Only the simulator router and the static files' route, with the state the
    gateway's lifespan sets."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.context = SimpleNamespace(settings=settings)
        async with httpx.AsyncClient() as http:
            app.state.gateway = SimpleNamespace(http=http)
            yield

    app = FastAPI(lifespan=lifespan)
    app.include_router(views.router)
    app.include_router(web_views.static_router(development=True))
    return app


def settings_for(standin: ServerThread, webhook_url: str) -> Settings:
    return Settings(
        desk_env="test",
        line_api_base=standin.url,
        standin_webhook_url=webhook_url,
        line_channel_secret=SECRET,
        line_channel_access_token=TOKEN,
    )


@dataclass
class Stack:
    """Servers on 127.0.0.1: the working setup and three broken ones."""

    url: str
    desk: FastAPI
    kind: str
    webhook_500_url: str
    webhook_down_url: str
    standin_down_url: str


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    servers = {
        name: ServerThread()
        for name in (
            "gw",
            "standin",
            "desk",
            "gw500",
            "standin500",
            "gwdown",
            "standindown",
            "gwnostandin",
        )
    }
    s = servers
    desk = create_fake_desk(s["standin"].url)

    @desk.post("/line/broken")
    async def broken() -> Response:
        return Response(status_code=500)

    good = settings_for(s["standin"], s["desk"].url + "/line/webhook")
    failing = settings_for(s["standin500"], s["desk"].url + "/line/broken")
    unreachable_desk = settings_for(s["standindown"], closed_port_url() + "/line/webhook")
    app, kind = standin_app(good)
    s["standin"].start(app)
    s["desk"].start(desk)
    s["gw"].start(gateway_app(good))
    s["standin500"].start(standin_app(failing)[0])
    s["gw500"].start(gateway_app(failing))
    s["standindown"].start(standin_app(unreachable_desk)[0])
    s["gwdown"].start(gateway_app(unreachable_desk))
    no_standin = Settings(desk_env="test", line_api_base=closed_port_url())
    s["gwnostandin"].start(gateway_app(no_standin))
    try:
        yield Stack(
            url=s["gw"].url + "/simulator",
            desk=desk,
            kind=kind,
            webhook_500_url=s["gw500"].url + "/simulator",
            webhook_down_url=s["gwdown"].url + "/simulator",
            standin_down_url=s["gwnostandin"].url + "/simulator",
        )
    finally:
        for server in servers.values():
            server.stop()


def closed_port_url() -> str:
    """An address nothing listens on."""
    probe = ServerThread()
    url = probe.url
    probe.stop()
    return url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile (empty localStorage); fails the test on any script error."""
    with watched_page(browser) as tab:
        yield tab


def add_user(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_test_id("add-user").click()


def say(page: Page, text: str) -> None:
    page.get_by_test_id("message-input").fill(text)
    page.get_by_test_id("message-input").press("Enter")


def png(width: int = 8, height: int = 6) -> bytes:
    """A small valid PNG, solid LINE green."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x06\xc7\x55" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def events_of(desk: FastAPI, page: Page) -> list[dict[str, Any]]:
    user_id = page.get_by_test_id("user-id").inner_text()
    return [e for e in desk.state.events if e["source"]["userId"] == user_id]


def test_a_new_user_follows_chats_and_taps_a_chip(page: Page, stack: Stack) -> None:
    add_user(page, stack.url)
    expect(page.get_by_test_id("user-tab")).to_have_count(1)
    welcome = page.get_by_test_id("bot-message").first
    expect(welcome).to_contain_text("สวัสดีค่ะ")
    expect(page.get_by_test_id("quick-reply")).to_have_text(["แจ้งปัญหา", "ติดตามเรื่อง", "คุยกับเจ้าหน้าที่"])
    assert events_of(stack.desk, page)[0]["type"] == "follow"

    say(page, "ถนนหน้าบ้านเป็นหลุมใหญ่")
    expect(page.get_by_test_id("user-message")).to_have_text(["ถนนหน้าบ้านเป็นหลุมใหญ่"])
    expect(page.get_by_test_id("bot-message").nth(1)).to_contain_text("ถนนหน้าบ้านเป็นหลุมใหญ่")
    expect(page.get_by_test_id("message-input")).to_have_value("")

    page.get_by_test_id("quick-reply").filter(has_text="ยืนยันแจ้งเรื่อง").click()
    expect(page.get_by_test_id("user-message").nth(1)).to_have_text("ยืนยันแจ้งเรื่อง")
    expect(page.get_by_test_id("bot-message").nth(2)).to_contain_text(
        "postback: action=confirm&step=1"
    )
    # Quick replies belong to the last message only; the postback's answer has none.
    expect(page.get_by_test_id("quick-reply")).to_have_count(0)
    assert [e["type"] for e in events_of(stack.desk, page)] == ["follow", "message", "postback"]


def test_shift_enter_breaks_the_line_and_enter_sends(page: Page, stack: Stack) -> None:
    add_user(page, stack.url)
    expect(page.get_by_test_id("bot-message")).to_have_count(1)
    box = page.get_by_test_id("message-input")
    box.type("บรรทัดแรก")
    box.press("Shift+Enter")
    box.type("บรรทัดสอง")
    expect(page.get_by_test_id("user-message")).to_have_count(0)
    box.press("Enter")
    expect(page.get_by_test_id("user-message")).to_have_text(["บรรทัดแรก\nบรรทัดสอง"])
    expect(page.get_by_test_id("bot-message")).to_have_count(2)
    texts = [e["message"]["text"] for e in events_of(stack.desk, page) if e["type"] == "message"]
    assert texts == ["บรรทัดแรก\nบรรทัดสอง"]


def test_a_message_chip_sends_its_text(page: Page, stack: Stack) -> None:
    add_user(page, stack.url)
    say(page, "ไฟดับ")
    expect(page.get_by_test_id("bot-message")).to_have_count(2)
    page.get_by_test_id("quick-reply").filter(has_text="ยกเลิก").click()
    expect(page.get_by_test_id("user-message").nth(1)).to_have_text("ยกเลิก")
    expect(page.get_by_test_id("bot-message")).to_have_count(3)
    # Typing straight after "add user" still sends exactly one follow, and first.
    kinds = [e["type"] for e in events_of(stack.desk, page)]
    assert kinds == ["follow", "message", "message"]


def test_a_preset_location_is_shared(page: Page, stack: Stack) -> None:
    add_user(page, stack.url)
    page.get_by_test_id("location-button").click()
    page.get_by_test_id("location-preset").filter(has_text="อนุสาวรีย์ชัยสมรภูมิ").click()
    expect(page.get_by_test_id("location-lat")).to_have_value("13.7649")
    page.get_by_test_id("location-send").click()
    expect(page.get_by_test_id("location-panel")).to_be_hidden()
    expect(page.get_by_test_id("user-message")).to_contain_text(["อนุสาวรีย์ชัยสมรภูมิ"])
    expect(page.get_by_test_id("bot-message").last).to_contain_text("(13.7649, 100.5383)")


def test_a_custom_location_is_checked_before_sending(page: Page, stack: Stack) -> None:
    add_user(page, stack.url)
    expect(page.get_by_test_id("bot-message")).to_have_count(1)
    page.get_by_test_id("location-button").click()
    page.get_by_test_id("location-lat").fill("123")
    page.get_by_test_id("location-lng").fill("100.5")
    page.get_by_test_id("location-send").click()
    expect(page.get_by_test_id("error-banner")).to_contain_text("ละติจูด")
    page.get_by_test_id("location-lat").fill("18.7877")
    page.get_by_test_id("location-address").fill("ท่าแพ เชียงใหม่")
    page.get_by_test_id("location-send").click()
    expect(page.get_by_test_id("error-banner")).to_be_hidden()
    expect(page.get_by_test_id("bot-message").last).to_contain_text("(18.7877, 100.5000)")


def test_a_photo_reaches_the_desk_byte_for_byte(page: Page, stack: Stack) -> None:
    add_user(page, stack.url)
    image = png()
    page.get_by_test_id("photo-input").set_input_files(
        {"name": "pothole.png", "mimeType": "image/png", "buffer": image}
    )
    thumb = page.get_by_test_id("user-message").get_by_test_id("user-image").locator("img")
    expect(thumb).to_have_attribute("src", re.compile(r"^data:image/"))
    expect(page.get_by_test_id("bot-message").last).to_contain_text(
        f"({len(image)} ไบต์, image/png)"
    )


def test_a_photo_over_10_mb_is_refused_in_thai(page: Page, stack: Stack) -> None:
    add_user(page, stack.url)
    expect(page.get_by_test_id("bot-message")).to_have_count(1)
    page.get_by_test_id("photo-input").set_input_files(
        {"name": "huge.png", "mimeType": "image/png", "buffer": b"\0" * (10 * 1024 * 1024 + 1)}
    )
    expect(page.get_by_test_id("error-banner")).to_contain_text("ใหญ่เกิน 10 MB")
    expect(page.get_by_test_id("user-message")).to_have_count(0)


def test_a_sticker_is_sent_and_one_comes_back(page: Page, stack: Stack) -> None:
    add_user(page, stack.url)
    page.get_by_test_id("sticker-button").click()
    page.get_by_test_id("sticker").first.click()
    expect(page.get_by_test_id("user-message")).to_contain_text(["446/1988"])
    expect(
        page.get_by_test_id("bot-message").last.get_by_test_id("sticker-message")
    ).to_be_visible()


def test_a_flex_bubble_is_a_card_whose_button_posts_back(page: Page, stack: Stack) -> None:
    add_user(page, stack.url)
    say(page, "flex")
    card = page.get_by_test_id("flex-card")
    expect(card).to_be_visible()
    expect(card).to_contain_text("เรื่องที่แจ้ง #T-0001")
    expect(card).to_contain_text("สำนักงานเขตราชเทวี")
    header = card.locator(".flex-header > .flex-box")
    expect(header).to_have_css("background-color", "rgb(6, 199, 85)")
    card.get_by_test_id("flex-button").click()
    expect(page.get_by_test_id("user-message").last).to_have_text("ดูรายละเอียด")
    expect(page.get_by_test_id("bot-message").last).to_contain_text(
        "postback: action=ticket&id=T-0001"
    )


XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><b>ตัวหนา</b>'


def test_html_in_messages_is_shown_as_text_and_never_run(page: Page, stack: Stack) -> None:
    add_user(page, stack.url)
    say(page, XSS)
    expect(page.get_by_test_id("user-message")).to_have_text([XSS])
    expect(page.get_by_test_id("bot-message").last).to_contain_text(XSS)
    messages = page.get_by_test_id("messages")
    assert messages.locator("script, b, img[src='x']").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_users_are_separate_and_survive_a_reload(page: Page, stack: Stack) -> None:
    add_user(page, stack.url)
    name = page.get_by_test_id("display-name")
    name.fill("ผู้ใช้ หนึ่ง")
    name.press("Enter")
    say(page, "ข้อความของคนแรก")
    expect(page.get_by_test_id("bot-message")).to_have_count(2)
    page.get_by_test_id("add-user").click()
    expect(page.get_by_test_id("user-tab")).to_have_count(2)
    expect(page.get_by_test_id("bot-message")).to_have_count(1)  # the second user's welcome
    expect(page.get_by_test_id("user-message")).to_have_count(0)

    page.reload()
    tabs = page.get_by_test_id("user-tab")
    expect(tabs).to_have_count(2)
    expect(tabs.first).to_contain_text("ผู้ใช้ หนึ่ง")
    tabs.first.click()
    expect(page.get_by_test_id("user-message")).to_have_text(["ข้อความของคนแรก"])
    expect(page.get_by_test_id("bot-message")).to_have_count(2)


def test_a_failing_webhook_shows_its_status(page: Page, stack: Stack) -> None:
    add_user(page, stack.webhook_500_url)
    expect(page.get_by_test_id("error-banner")).to_contain_text("500")
    say(page, "สวัสดี")
    expect(page.get_by_test_id("user-message")).to_have_attribute("data-failed", "true")


def test_an_unreachable_desk_is_explained(page: Page, stack: Stack) -> None:
    add_user(page, stack.webhook_down_url)
    expect(page.get_by_test_id("error-banner")).to_contain_text("เดสก์ไม่ตอบ")


def test_an_unreachable_standin_is_explained(page: Page, stack: Stack) -> None:
    add_user(page, stack.standin_down_url)
    banner = page.get_by_test_id("error-banner")
    expect(banner).to_contain_text("ติดต่อ LINE stand-in")
    expect(banner).to_contain_text("502")


def test_an_unreachable_gateway_is_explained(page: Page, stack: Stack) -> None:
    page.goto(stack.url)
    page.route("**/simulator/api/**", lambda route: route.abort())
    page.get_by_test_id("add-user").click()
    expect(page.get_by_test_id("error-banner")).to_contain_text("เชื่อมต่อเกตเวย์ไม่ได้")


def test_the_typing_indicator_shows_until_the_answer(page: Page, stack: Stack) -> None:
    add_user(page, stack.url)
    expect(page.get_by_test_id("bot-message")).to_have_count(1)
    expect(page.get_by_test_id("typing-indicator")).to_have_count(0)
    say(page, "ช้า")  # the fake desk answers this one after a second
    expect(page.get_by_test_id("typing-indicator")).to_be_visible()
    expect(page.get_by_test_id("bot-message")).to_have_count(2)
    expect(page.get_by_test_id("typing-indicator")).to_have_count(0)


FLEX_ZOO = {
    "type": "carousel",
    "contents": [
        {
            "type": "bubble",
            "size": "kilo",
            "hero": {
                "type": "image",
                "url": "javascript:alert(1)",
                "size": "full",
                "aspectRatio": "20:13",
                "aspectMode": "cover",
            },
            "body": {
                "type": "box",
                "layout": "vertical",
                "contents": [
                    {
                        "type": "text",
                        "text": "unused",
                        "contents": [
                            {"type": "span", "text": "ตัวหนา ", "weight": "bold"},
                            {"type": "span", "text": "<i>ปกติ</i>", "color": "#FF0000"},
                        ],
                    },
                    {
                        "type": "box",
                        "layout": "baseline",
                        "contents": [
                            {"type": "icon", "url": "https://example.invalid/star.png"},
                            {"type": "text", "text": "4.5", "color": "red;background:url(x)"},
                        ],
                    },
                    {"type": "hologram", "text": "?"},
                    {"type": "image", "url": "data:image/png;base64,iVBORw0KGgo=", "size": "sm"},
                ],
            },
        },
        {
            "type": "bubble",
            "body": {
                "type": "box",
                "layout": "horizontal",
                "spacing": "md",
                "contents": [
                    {
                        "type": "button",
                        "style": "secondary",
                        "action": {
                            "type": "uri",
                            "label": "เว็บไซต์",
                            "uri": "https://example.invalid",
                        },
                    },
                    {"type": "separator", "color": "#00FF00"},
                    {"type": "filler"},
                ],
            },
        },
    ],
}


def test_the_flex_renderer_draws_every_component_safely(page: Page, stack: Stack) -> None:
    page.goto(stack.url)
    summary = page.evaluate(
        """async (contents) => {
            const { renderFlex } = await import("/static/web/flex.js");
            const node = renderFlex(contents, { altText: "การ์ดทดสอบ", onAction: () => {} });
            document.getElementById("messages").append(node);
            const q = (s) => node.querySelector(s);
            return {
                cards: node.querySelectorAll("[data-testid=flex-card]").length,
                heroSrc: q(".flex-hero img").getAttribute("src"),
                spans: [...node.querySelectorAll(".flex-span")].map((s) => s.textContent),
                boldSpan: getComputedStyle(node.querySelector(".flex-span")).fontWeight,
                redSpan: getComputedStyle(node.querySelectorAll(".flex-span")[1]).color,
                iconSrc: q(".flex-icon").getAttribute("src"),
                badColor: q(".flex-baseline .flex-text").style.color,
                unknown: q("[data-testid=flex-alt]").textContent,
                dataImage: q(".flex-body .flex-image img").getAttribute("src").slice(0, 15),
                button: q("[data-testid=flex-button]").textContent,
                separator: getComputedStyle(q(".flex-separator")).borderTopColor,
                horizontal: getComputedStyle(q(".flex-horizontal")).flexDirection,
            };
        }""",
        FLEX_ZOO,
    )
    assert summary == {
        "cards": 2,
        "heroSrc": None,
        "spans": ["ตัวหนา ", "<i>ปกติ</i>"],
        "boldSpan": "700",
        "redSpan": "rgb(255, 0, 0)",
        "iconSrc": "https://example.invalid/star.png",
        "badColor": "",
        "unknown": "การ์ดทดสอบ",
        "dataImage": "data:image/png;",
        "button": "เว็บไซต์",
        "separator": "rgb(0, 255, 0)",
        "horizontal": "row",
    }
