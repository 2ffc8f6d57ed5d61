"""What the web pages share (bot.web): the static files' one route, the one template
environment with its base layout, desk.js, and the Thai labels the console gets from /me.

The gateway is bot.main's app, not started (no lifespan): the static route and the log-in
page need nothing but settings; the other staff pages are rendered from their templates
with the context their views give them (their views over HTTP and in Chromium are tested
beside them: tests/bot/teaching, reports, handoff/test_console_browser.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jinja2 import Environment

from bot.config import Settings
from bot.console import api as console_api
from bot.console import pages as console_pages
from bot.deadletters import views as dead_letter_views
from bot.handoff import texts as handoff_texts
from bot.main import create_app
from bot.reports import page as report_page
from bot.reports.labels import Labels
from bot.staff.auth import StaffUser
from bot.teaching import page as nlu_page
from bot.tickets.lifecycle import COMPLAINT_TYPES_TH, STATUS_TH
from bot.web import areas, pages

BOT = Path(__file__).resolve().parents[2] / "bot"
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}
PRODUCTION = {
    "desk_env": "production",
    "line_channel_secret": "0f9c2d4e6a8b1c3d5e7f9a0b2c4d6e8f",
    "line_channel_access_token": "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG8=",
    "rasa_token": "6b1f0c9e2d8a4f7b3c5e1a9d0f2b4c6e",
    "session_secret": "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
    "redis_url": "redis://127.0.0.1:6379/0",
    "line_api_base": "https://api.line.me",
}
EVERY_FILE = sorted(areas.static_files(development=True))


def gateway_client(settings: Settings) -> TestClient:
    """The gateway's app, not started: only the settings its pages read are in place."""
    app = create_app(settings)
    app.state.context = SimpleNamespace(settings=settings)
    return TestClient(app)


@pytest.fixture(scope="module")
def development() -> Iterator[TestClient]:
    client = gateway_client(Settings(desk_env="test", session_secret="web-test-secret"))
    yield client  # never entered: the lifespan (database, Redis, Rasa) is not run
    client.close()


@pytest.fixture(scope="module")
def production() -> Iterator[TestClient]:
    client = gateway_client(Settings(**PRODUCTION))  # type: ignore[arg-type]
    yield client
    client.close()


# The static files' route ------------------------------------------------------------------


def test_every_area_has_its_files_listed() -> None:
    listed = {area for area, _ in EVERY_FILE}
    assert listed == {"web", "console", "teaching", "reports", "catalogue", "simulator"} | set(
        areas.VENDOR_AREAS
    )
    for area, name in [
        ("web", "desk.js"),
        ("console", "console.js"),
        ("console", "console.css"),
        ("teaching", "nlu.js"),
        ("teaching", "nlu.css"),
        ("reports", "reports.css"),
        ("catalogue", "services.js"),
        ("catalogue", "services.css"),
        ("simulator", "app.js"),
        ("simulator", "simulator.css"),
    ]:
        assert (area, name) in EVERY_FILE, (area, name)


@pytest.mark.parametrize(("area", "name"), EVERY_FILE)
def test_every_file_is_served_with_its_type_and_headers(
    development: TestClient, area: str, name: str
) -> None:
    got = development.get(f"/static/{area}/{name}")
    assert got.status_code == 200
    assert got.headers["content-type"] == MEDIA_TYPES[Path(name).suffix]
    assert got.headers["cache-control"] == "no-cache"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.content == areas.static_files(development=True)[(area, name)].path.read_bytes()


def test_vendor_libraries_are_served_from_their_npm_packages(development: TestClient) -> None:
    # make env installs them (bot/web/vendor/package-lock.json pins the versions).
    for area, name in [
        ("leaflet", "leaflet.js"),
        ("leaflet", "leaflet.css"),
        ("leaflet", "images/layers.png"),
        ("markercluster", "leaflet.markercluster.js"),
        ("markercluster", "MarkerCluster.Default.css"),
    ]:
        got = development.get(f"/static/{area}/{name}")
        assert got.status_code == 200, (area, name)
        assert got.content == (areas.VENDOR_AREAS[area] / name).read_bytes()
    assert b"1.9.4" in development.get("/static/leaflet/leaflet.js").content


@pytest.mark.parametrize(
    "path",
    [
        "/static/console/nope.js",
        "/static/nope/console.js",
        "/static/console/console.html",  # a template, not a static file
        "/static/web/base.html",
        "/static/teaching/console.js",  # another area's file
        "/static/console/..%2Fpages.py",
        "/static/console/%2E%2E%2Fapi.py",
        "/static/catalogue/..%2F..%2Fconfig.py",
        "/static/..%2Fconsole/pages.py",
        "/static/console/%2E%2E",
        "/static/console/",
        "/static/console",
        "/static/web/desk.js/x",
        "/static/leaflet/../package.json",
        "/static/leaflet/images/../../package.json",
        "/static/leaflet/%2E%2E/package.json",
        "/static/leaflet/leaflet.js.map",  # not a served type
    ],
)
def test_unknown_names_and_traversal_answer_404(development: TestClient, path: str) -> None:
    assert development.get(path).status_code == 404


@pytest.mark.parametrize(
    "old",
    ["/console/static/console.js", "/console/nlu/static/nlu.js", "/services/static/services.js"],
)
def test_the_old_addresses_are_gone(development: TestClient, old: str) -> None:
    assert development.get(old).status_code in {404, 405}


def test_the_list_is_what_the_folders_hold_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "area" / "static"
    (folder / "sub").mkdir(parents=True)
    for name in ("page.js", "page.css", "logo.png", "notes.txt", ".hidden.js", "page.py"):
        (folder / name).write_text("x")
    (folder / "sub" / "deep.js").write_text("x")
    (tmp_path / "dev" / "static").mkdir(parents=True)
    (tmp_path / "dev" / "static" / "tool.js").write_text("x")
    monkeypatch.setattr(areas, "AREAS", {"area": tmp_path / "area", "simulator": tmp_path / "dev"})
    library = tmp_path / "node_modules" / "lib" / "dist"
    (library / "images").mkdir(parents=True)
    (library / "images" / "icon.png").write_text("x")
    (library / "lib.js.map").write_text("x")
    monkeypatch.setattr(areas, "VENDOR_AREAS", {"lib": library})
    listed = areas.static_files.__wrapped__(development=True)
    assert sorted(listed) == [
        ("area", "logo.png"),
        ("area", "page.css"),
        ("area", "page.js"),
        ("lib", "images/icon.png"),
        ("simulator", "tool.js"),
    ]
    assert listed[("area", "logo.png")].media_type == "image/png"
    assert sorted(areas.static_files.__wrapped__(development=False)) == sorted(listed)[:4]


def test_the_simulators_files_are_not_served_in_production(
    development: TestClient, production: TestClient
) -> None:
    for area, name in EVERY_FILE:
        expected = 404 if area == "simulator" else 200
        assert production.get(f"/static/{area}/{name}").status_code == expected, (area, name)
    assert development.get("/static/simulator/app.js").status_code == 200
    assert production.get("/simulator").status_code == 404


# The template environment and the base layout ---------------------------------------------


def served_assets(html: str) -> list[str]:
    return re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="(/static/[^"]*)"', html)


def assert_base_layout(html: str, client: TestClient) -> None:
    """The page is base.html's: Thai, UTF-8, the viewport, a title, no favicon request,
    one head and one body, no inline script, and every file it links is served."""
    assert html.startswith('<!doctype html>\n<html lang="th">\n<head>\n  <meta charset="utf-8">')
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert re.search(r"<title>[^<]+</title>", html)
    assert '<link rel="icon" href="data:,">' in html
    assert html.count("<head>") == html.count("<body") == html.count("</html>") == 1
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert html.rstrip().endswith("</body>\n</html>")
    for asset in served_assets(html):
        assert client.get(asset).status_code == 200, asset


def staff_context(role: str) -> dict[str, Any]:
    """What bot.console.auth.page_context gives every staff page."""
    staff = StaffUser(id=7, username="malee", display_name="มาลี", role=role, agency_id=None)
    return {"staff": staff, "csrf": "c" * 64, "is_supervisor": role != "agent", "base": "/console"}


def test_the_login_page(development: TestClient) -> None:
    page = development.get("/console/login")
    assert page.status_code == 200
    assert_base_layout(page.text, development)
    assert served_assets(page.text) == ["/static/console/console.css"]
    assert 'class="login-body"' in page.text and 'name="csrf"' in page.text
    policy = console_pages.PAGE_HEADERS["Content-Security-Policy"]
    assert page.headers["content-security-policy"] == policy
    assert page.headers["x-frame-options"] == "DENY"


def test_the_console(development: TestClient) -> None:
    html = pages.render("console/console.html", staff_context("supervisor"))
    assert_base_layout(html, development)
    assert served_assets(html) == ["/static/console/console.css", "/static/console/console.js"]
    assert '<script type="module" src="/static/console/console.js">' in html
    assert f'<meta name="csrf-token" content="{"c" * 64}">' in html
    assert '<body data-base="/console" data-staff-id="7" data-role="supervisor">' in html


@pytest.mark.parametrize("forbidden", [False, True])
def test_the_nlu_page(development: TestClient, forbidden: bool) -> None:
    values = {**staff_context("admin"), "forbidden": forbidden, "forbidden_th": "ห้าม"}
    html = pages.render("teaching/nlu.html", values)
    assert_base_layout(html, development)
    scripts = [] if forbidden else ["/static/teaching/nlu.js"]
    assert served_assets(html) == ["/static/teaching/nlu.css", *scripts]
    assert ('data-testid="forbidden"' in html) is forbidden
    assert nlu_page.PAGE_HEADERS["Content-Security-Policy"].startswith("default-src 'none'")


@pytest.mark.parametrize("forbidden", [False, True])
def test_the_report_page(development: TestClient, forbidden: bool) -> None:
    html = report_page.render(
        context=staff_context("supervisor"),
        start=None,
        end=None,
        report=None,
        labels=Labels(),
        scope_names=None,
        error=report_page.FORBIDDEN_TH if forbidden else None,
        forbidden=forbidden,
    )
    assert_base_layout(html, development)
    assert served_assets(html) == ["/static/reports/reports.css"]
    assert ('data-testid="range-form"' in html) is not forbidden


@pytest.mark.parametrize("forbidden", [False, True])
def test_the_dead_letters_page(development: TestClient, forbidden: bool) -> None:
    values = {**staff_context("admin"), "forbidden": forbidden, "letters": []}
    values["event_th"] = dead_letter_views.EVENT_TH
    html = pages.render("deadletters/dead_letters.html", values)
    assert_base_layout(html, development)
    assert served_assets(html) == ["/static/console/console.css"]
    assert ('data-testid="empty"' in html) is not forbidden


def test_templates_are_autoescaped() -> None:
    values = {**staff_context("agent"), "error": '<script>alert("x")</script>'}
    html = pages.render("console/login.html", values)
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html


def test_a_link_to_a_file_that_is_not_there_fails_the_render() -> None:
    with pytest.raises(LookupError, match="console/nope.js"):
        pages.environment().from_string('{{ static("console", "nope.js") }}').render()
    under = pages.environment().from_string('{{ static("web", "desk.js") }}')
    assert under.render(root="/desk") == "/desk/static/web/desk.js"


def test_one_environment_finds_every_areas_templates() -> None:
    env = pages.environment()
    assert isinstance(env, Environment) and env.autoescape is True
    names = set(env.list_templates())
    for name in (
        "web/base.html",
        "console/console.html",
        "console/login.html",
        "teaching/nlu.html",
        "reports/reports.html",
        "deadletters/dead_letters.html",
        "catalogue/services.html",
        "catalogue/service_item.html",
        "simulator/simulator.html",
    ):
        assert name in names, name
    for template in names - {"web/base.html", "catalogue/service_item.html"}:
        source = (env.loader.get_source(env, template)[0]) if env.loader else ""
        assert source.startswith('{% extends "web/base.html" %}'), template


def test_a_filter_name_means_one_function() -> None:
    def first(value: str) -> str:
        return value

    def second(value: str) -> str:
        return value

    assert pages.render("web/base.html", {}, filters={"web_test_filter": first})
    assert pages.render("web/base.html", {}, filters={"web_test_filter": first})
    with pytest.raises(ValueError, match="web_test_filter"):
        pages.render("web/base.html", {}, filters={"web_test_filter": second})


# desk.js and the labels ------------------------------------------------------------------


def read(path: str) -> str:
    return (BOT / path).read_text(encoding="utf-8")


def test_console_and_nlu_import_the_shared_helpers_and_copy_none() -> None:
    desk = read("web/static/desk.js")
    for name in ("el", "api"):
        assert re.search(rf"^export (async )?function {name}\(", desk, re.M), name
    for script in ("console/static/console.js", "teaching/static/nlu.js"):
        text = read(script)
        assert re.search(r'^import \{[^}]*\bel\b[^}]*\} from "\.\./web/desk\.js";$', text, re.M)
        assert "function el(" not in text and "function api(" not in text, script
        assert "fetch(`${base}/api" not in text, script


async def test_the_console_gets_its_thai_labels_from_me() -> None:
    staff = StaffUser(id=1, username="a", display_name="ก", role="agent", agency_id="bma")
    context = SimpleNamespace(router=SimpleNamespace(agencies=lambda: []), settings=Settings())
    me = await console_api.me(context=context, staff=staff)  # type: ignore[arg-type]
    assert me["statuses"] == [{"id": k, "name": v} for k, v in STATUS_TH.items()]
    assert me["complaint_types"] == [{"id": k, "name": v} for k, v in COMPLAINT_TYPES_TH.items()]
    assert me["handoff_statuses"] == handoff_texts.STATUS_TH
    assert me["handoff_reasons"] == handoff_texts.REASON_TH
    console = read("console/static/console.js")
    labels = [*STATUS_TH.values(), *COMPLAINT_TYPES_TH.values()]
    labels += [*handoff_texts.STATUS_TH.values(), *handoff_texts.REASON_TH.values()]
    for label in labels:
        assert f'"{label}"' not in console, label
    assert "STATUS_TH" not in console and "REASON_TH" not in console
