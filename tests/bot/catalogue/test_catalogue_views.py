"""GET /services and the catalogue's JSON API, in-process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.catalogue import views
from bot.catalogue.service import Catalogue
from bot.web import views as web_views
from tests.bot.catalogue.catalogue_support import unvalidated_catalogue

XSS = '<img src=x onerror="window.__xss=1">บัตร<script>window.__xss=2</script>'


def app_with(catalogue: Catalogue) -> FastAPI:
    """The router (and the static files' route), with the catalogue where the gateway's
    lifespan puts it."""
    app = FastAPI()
    app.state.context = SimpleNamespace(catalogue=catalogue)
    app.include_router(views.router)
    app.include_router(web_views.static_router(development=False))
    return app


@pytest.fixture
def client(catalogue: Catalogue) -> Iterator[TestClient]:
    with TestClient(app_with(catalogue)) as test_client:
        yield test_client


def test_the_json_list_has_every_service(client: TestClient, catalogue: Catalogue) -> None:
    response = client.get("/api/services")
    assert response.status_code == 200
    body = response.json()
    assert [s["id"] for s in body] == [s.id for s in catalogue.services]
    passport = next(s for s in body if s["id"] == "passport")
    assert passport["category"] == "travel"
    assert passport["online"]["url"] == "https://www.passport.in.th/"
    assert passport["verified_at"] is None  # nobody confirmed it
    house = next(s for s in body if s["id"] == "house_move")
    assert (house["verified_by"], house["verified_at"]) == ("สมชาย ใจดี", "2026-11-22")


def test_one_service_and_an_unknown_one(client: TestClient) -> None:
    assert client.get("/api/services/id_card").json()["agency"] == "dopa"
    assert client.get("/api/services/no_such_service").status_code == 404


def test_search_ranks_with_scores_and_confidence(client: TestClient) -> None:
    response = client.get("/api/services/search", params={"q": "บัตรปชช หายต้องทำไง"})
    assert response.status_code == 200
    [best, *rest] = response.json()
    assert best["service_id"] == "id_card"
    assert best["confident"] is True
    assert 0.5 <= best["confidence"] <= 1.0
    assert all(r["score"] <= best["score"] for r in rest)
    unknown = client.get("/api/services/search", params={"q": "ร้านก๋วยเตี๋ยวอร่อย ๆ แถวนี้"})
    assert not any(m["confident"] for m in unknown.json())


def test_search_limits_and_validation(client: TestClient) -> None:
    assert len(client.get("/api/services/search", params={"q": "บัตร", "limit": 1}).json()) <= 1
    assert client.get("/api/services/search", params={"q": ""}).status_code == 422
    assert client.get("/api/services/search", params={"q": "ก" * 201}).status_code == 422
    assert client.get("/api/services/search", params={"q": "x", "limit": 0}).status_code == 422


def test_agency_search(client: TestClient) -> None:
    body = client.get("/api/agencies/search", params={"q": "ขอเบอร์ สปส. หน่อย"}).json()
    assert body[0]["agency_id"] == "sso"
    assert body[0]["confident"] is True


def test_the_page_lists_categories_and_services(client: TestClient, catalogue: Catalogue) -> None:
    response = client.get("/services")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page = response.text
    for category in catalogue.categories:
        assert f'id="cat-{category.id}"' in page
    for service in catalogue.services:
        assert f'id="service-{service.id}"' in page
    assert 'href="tel:025728442"' in page
    # Scripts and styles only from the desk itself: no CDN, no inline script.
    assets = re.findall(r"<(?:script|link)\b[^>]*\b(?:src|href)=\"([^\"]*)\"", page)
    assert assets and all(a.startswith("/static/catalogue/") or a == "data:," for a in assets)
    assert "<script>" not in page


def test_the_page_ranks_results_without_javascript(client: TestClient) -> None:
    page = client.get("/services", params={"q": "ทำพาสปอร์ต"}).text
    results = page.split('id="result-list"')[1].split("</ol>")[0]
    assert 'data-service-id="passport"' in results
    empty = client.get("/services", params={"q": "ร้านก๋วยเตี๋ยวอร่อย"}).text
    assert 'id="results-empty" hidden' not in empty


def test_static_files_and_nothing_else(client: TestClient) -> None:
    page = client.get("/services").text
    for asset in re.findall(r'(?:src|href)="(/static/[^"]*)"', page):
        assert client.get(asset).status_code == 200, asset
    script = client.get("/static/catalogue/services.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert client.get("/static/catalogue/services.css").status_code == 200
    assert client.get("/static/catalogue/..%2Fservice.py").status_code == 404
    assert client.get("/static/catalogue/services.html").status_code == 404
    assert client.get("/services/static/services.js").status_code == 404  # the old URL


def test_service_text_is_escaped(data_dir: Path) -> None:
    # The schemas refuse markup (test_catalogue_service); escaping is the second wall.
    catalogue = unvalidated_catalogue(data_dir, "passport", title=XSS, summary=XSS, documents=[XSS])
    with TestClient(app_with(catalogue)) as client:
        page = client.get("/services", params={"q": "พาสปอร์ต"}).text
    assert XSS not in page
    assert "<img src=x" not in page and "<script>window" not in page
    assert "&lt;img src=x onerror=&#34;window.__xss=1&#34;&gt;" in page
