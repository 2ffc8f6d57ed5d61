"""/api/docs works on a network without internet: Swagger UI's files come from the desk
(the swagger-ui-bundle package), never from a CDN."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Route, expect

from bot import apidocs
from bot.config import Settings
from bot.main import create_app
from tests.support.browser import watched_page
from tests.support.stack import CHROMIUM, Served


def test_the_docs_page_links_only_files_the_desk_serves(gateway: TestClient) -> None:
    page = gateway.get("/api/docs")
    assert page.status_code == 200
    links = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
    assert links and all(link.startswith("/api/docs/assets/") for link in links), links
    for link in links:
        served = gateway.get(link)
        assert served.status_code == 200, link
        assert served.content == (apidocs.ASSET_DIR / link.rsplit("/", 1)[1]).read_bytes()
    assert "cdn" not in page.text.lower()


@pytest.mark.parametrize("name", ["redoc.standalone.js", "../../../../etc/passwd", "core.py"])
def test_only_swagger_uis_own_files_are_served(gateway: TestClient, name: str) -> None:
    assert gateway.get(f"/api/docs/assets/{name}").status_code == 404


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_swagger_ui_renders_the_operations_with_every_other_host_unreachable(
    browser: Browser, settings: Settings
) -> None:
    app = create_app(settings)
    with TestClient(app), Served(app) as served:
        with watched_page(browser, base_url=served.base_url, http_errors=True) as page:
            outside: list[str] = []

            def only_the_desk(route: Route) -> None:
                if route.request.url.startswith(served.base_url):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", only_the_desk)
            page.goto("/api/docs")
            expect(page.get_by_text("/api/tickets/{ticket_id}/transitions")).to_be_visible()
            assert outside == []
