"""The /services page in Debian's Chromium: search, see ranked results, expand one."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect

from bot.catalogue import views
from bot.web import views as web_views
from tests.bot.catalogue.catalogue_support import FIXTURES, unvalidated_catalogue
from tests.support.browser import watched_page
from tests.support.stack import CHROMIUM, Served

XSS_TITLE = '<img src=x onerror="window.__xss=1">พาสปอร์ต<b>ตัวหนา</b>'

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's Chromium is not at /usr/bin/chromium (apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The catalogue router (and the static files' route) served over HTTP, the passport's
    title an XSS attempt."""
    app = FastAPI()
    catalogue = unvalidated_catalogue(FIXTURES, "passport", title=XSS_TITLE)
    app.state.context = SimpleNamespace(catalogue=catalogue)
    app.include_router(views.router)
    app.include_router(web_views.static_router(development=False))
    with Served(app) as served:
        yield served.base_url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab; fails the test on any script error, dialog or file that did not load."""
    with watched_page(browser, viewport=(420, 860), dialogs=True, http_errors=True) as tab:
        yield tab


def test_search_shows_ranked_results_that_expand(page: Page, site: str) -> None:
    page.goto(f"{site}/services")
    results = page.get_by_test_id("results")
    expect(results).to_be_hidden()
    page.get_by_test_id("search-input").fill("บัตรปชช หายต้องทำยังไง")
    first = page.locator("#result-list > li").first
    expect(first).to_have_attribute("data-service-id", "id_card")
    expect(results).to_be_visible()
    details = first.locator("details")
    expect(details.locator(".documents")).to_be_hidden()
    details.locator("summary").click()
    expect(details.locator(".documents")).to_be_visible()
    expect(details.locator(".documents")).to_contain_text("สูติบัตร")
    expect(details.locator(".fees")).to_contain_text("100 บาท")
    assert "q=" in page.url  # the search can be bookmarked and shared


def test_submitting_and_clearing_the_search(page: Page, site: str) -> None:
    page.goto(f"{site}/services")
    box = page.get_by_test_id("search-input")
    box.fill("ตกงานได้เงินไหม")
    box.press("Enter")
    expect(page.locator("#result-list > li").first).to_have_attribute(
        "data-service-id", "unemployment_benefit"
    )
    box.fill("")
    expect(page.get_by_test_id("results")).to_be_hidden()
    box.fill("ร้านก๋วยเตี๋ยวเปิดกี่โมง")
    expect(page.locator("#results-empty")).to_be_visible()


def test_a_shared_search_link_opens_with_results(page: Page, site: str) -> None:
    page.goto(f"{site}/services?q=ย้ายทะเบียนบ้าน")
    expect(page.locator("#result-list > li").first).to_have_attribute(
        "data-service-id", "house_move"
    )


def test_a_script_in_a_title_is_shown_as_text(page: Page, site: str) -> None:
    page.goto(f"{site}/services")
    page.get_by_test_id("search-input").fill("พาสปอร์ต")
    first = page.locator("#result-list > li").first
    expect(first).to_have_attribute("data-service-id", "passport")
    expect(first.locator(".service-title")).to_have_text(XSS_TITLE)
    assert page.locator("img").count() == 0
    assert page.locator(".service-title b").count() == 0
    assert page.evaluate("window.__xss") is None
    listed = page.locator("#service-passport .service-title")
    expect(listed).to_have_text(XSS_TITLE)
