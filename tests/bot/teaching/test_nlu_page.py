"""The admins' NLU page (/console/nlu): access, headers and static files over HTTP, then
inbox labelling, examples, the model registry (refusal, force with a reason, rollback) and
training progress in Debian's Chromium, signed in through the console's log-in form.

The gateway runs in-process (uvicorn) on a PostgreSQL database of this module's own, so
the models and messages inserted here meet no other test's. Rasa is a stub answering
PUT /model: this is about the page, not about loading models.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.db import make_engine, make_sessionmaker, unit_of_work, utcnow
from bot.line.models import InboundEvent
from bot.main import create_app
from bot.staff import auth
from bot.teaching import page as nlu_page
from bot.teaching.models import NluExample, NluModel
from tests.support.agents import PASSWORD, login_form
from tests.support.browser import watched_page
from tests.support.stack import CHROMIUM, Served, fresh_database

REDIS_URL = "redis://127.0.0.1:6379/7"
XSS = '<img src=x onerror="window.__pwned=1"> ถนนพังมาก'
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's Chromium is not at /usr/bin/chromium"
)


@dataclass
class Site:
    """The gateway served over HTTP, its database and the Rasa stub's calls."""

    base_url: str
    settings: Settings
    sessions: sessionmaker[Session]
    rasa_calls: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A fresh PostgreSQL database for this module, dropped afterwards."""
    with fresh_database("desk_nlupage") as url:
        yield url


@pytest.fixture(scope="module")
def site(
    database: str, redis_prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The whole gateway app (console log-in included) and a Rasa stub for PUT /model."""
    calls: list[dict[str, Any]] = []
    rasa = FastAPI()

    @rasa.put("/model")
    async def load_model(request: Request) -> Response:
        calls.append(await request.json())
        return Response(status_code=204)

    work = tmp_path_factory.mktemp("nlu-page")
    with Served(rasa) as stub:
        settings = Settings(
            desk_env="test",
            database_url=database,
            redis_url=REDIS_URL,
            redis_prefix=f"{redis_prefix}:nlupage:",
            rasa_url=stub.base_url,
            session_secret="nlu-page-test-secret",
            nlu_models_dir=work / "models",
            nlu_work_dir=work / "work",
            log_level="WARNING",
        )
        with Served(create_app(settings)) as served:
            engine = make_engine(database)
            yield Site(served.base_url, settings, make_sessionmaker(engine), calls)
            engine.dispose()


def make_staff(site: Site, role: str, agency_id: str | None = None) -> str:
    """A new staff account; its username."""
    username = f"{role}-{uuid.uuid4().hex[:8]}"
    with unit_of_work(site.sessions) as session:
        auth.create_staff(
            session,
            username=username,
            password=PASSWORD,
            role=role,
            agency_id=agency_id,
            display_name=f"ทดสอบ {role}",
        )
    return username


@contextmanager
def http_sign_in(site: Site, username: str) -> Iterator[httpx.Client]:
    """An HTTP client signed in through the console's log-in form."""
    with httpx.Client(base_url=site.base_url, timeout=15) as client:
        token = login_form(client)
        response = client.post(
            "/console/login", data={"username": username, "password": PASSWORD, "csrf": token}
        )
        assert response.status_code == 303, response.text
        yield client


def unclear(site: Site, texts: list[str], **reading: Any) -> None:
    """Messages citizens sent that the model read as `reading` (stored webhook events)."""
    with unit_of_work(site.sessions) as session:
        for text in texts:
            session.add(
                InboundEvent(
                    webhook_event_id=uuid.uuid4().hex,
                    event_type="message",
                    message_type="text",
                    source_type="user",
                    line_user_id="U" + uuid.uuid4().hex,
                    payload={"type": "message", "message": {"type": "text", "text": text}},
                    status="done",
                    **reading,
                )
            )


def examples_of(site: Site, texts: list[str]) -> dict[str, tuple[str, bool]]:
    """The stored examples of these texts: text -> (intent, active)."""
    with site.sessions() as session:
        rows = session.scalars(select(NluExample).where(NluExample.text.in_(texts))).all()
        return {r.text: (r.intent, r.active) for r in rows}


# Over HTTP ---------------------------------------------------------------------------------


def test_signed_out_visitors_are_sent_to_log_in(site: Site) -> None:
    with httpx.Client(base_url=site.base_url) as client:
        page = client.get("/console/nlu", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/console/login"
        assert client.get("/console/api/nlu/models/1").status_code == 401


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_other_staff_get_a_thai_403_page_without_the_script(site: Site, role: str) -> None:
    with http_sign_in(site, make_staff(site, role, "gov_contact_1111")) as client:
        page = client.get("/console/nlu")
        assert page.status_code == 403
        assert nlu_page.FORBIDDEN_TH in page.text
        assert "nlu.js" not in page.text and 'id="groups"' not in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert client.get("/console/api/nlu/models/1").status_code == 403
        assert 'data-testid="nlu-link"' not in client.get("/console").text


def test_an_admin_gets_the_page_with_strict_headers(site: Site) -> None:
    with http_sign_in(site, make_staff(site, "admin")) as client:
        page = client.get("/console/nlu")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'self';" in policy
        assert "style-src 'self';" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["x-content-type-options"] == "nosniff"
        # No inline script or style anywhere: every script is a file, no style attributes.
        scripts = re.findall(r"<script[^>]*>", page.text)
        assert scripts and all('src="/static/teaching/' in s for s in scripts), scripts
        assert page.text.startswith('<!doctype html>\n<html lang="th">')  # the base layout
        assert "<style" not in page.text and " style=" not in page.text
        assert re.search(r'<meta name="csrf-token" content="[0-9a-f]{64}">', page.text)
        assert "กล่องข้อความที่บอทไม่เข้าใจ" in page.text and "(NLU inbox)" in page.text
        assert 'data-testid="nlu-link"' in client.get("/console").text


def test_only_the_pages_own_files_are_served(site: Site) -> None:
    with httpx.Client(base_url=site.base_url) as client:
        script = client.get("/static/teaching/nlu.js")
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        assert "textContent" in script.text and "innerHTML" not in script.text
        # The DOM and API helpers it shares with the console, imported as a module.
        assert 'from "../web/desk.js"' in script.text
        assert "function el(" not in script.text and "function api(" not in script.text
        assert client.get("/static/web/desk.js").status_code == 200
        css = client.get("/static/teaching/nlu.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        for name in ("page.py", "..%2Fpage.py", "nlu.html", "%2E%2E%2Fmodels.py", "console.js"):
            assert client.get(f"/static/teaching/{name}").status_code == 404, name
        assert client.get("/console/nlu/static/nlu.js").status_code == 404  # the old URL


# In Chromium ------------------------------------------------------------------------------


@pytest.fixture
def admin_page(browser: Browser, site: Site) -> Iterator[Page]:
    """An admin signed in through the log-in form who followed the console's NLU link.

    Fails the test on a script error, a dialog, or a Content-Security-Policy violation."""
    with watched_page(
        browser, base_url=site.base_url, viewport=(1280, 900), dialogs=True, csp=True
    ) as tab:
        _sign_in(tab, site)
        yield tab


def _sign_in(tab: Page, site: Site) -> None:
    tab.goto("/console/nlu")
    expect(tab).to_have_url(f"{site.base_url}/console/login")
    tab.get_by_test_id("username").fill(make_staff(site, "admin"))
    tab.get_by_test_id("password").fill(PASSWORD)
    tab.get_by_test_id("login").click()
    expect(tab).to_have_url(f"{site.base_url}/console")
    tab.get_by_test_id("nlu-link").click()
    expect(tab).to_have_url(f"{site.base_url}/console/nlu")
    expect(tab.locator("body")).to_have_attribute("data-ready", "true")


def group_with(page: Page, text: str) -> Any:
    """The inbox group showing this text."""
    return page.get_by_test_id("group").filter(has=page.get_by_text(text, exact=True))


@needs_chromium
@pytest.mark.browser
def test_admins_label_inbox_groups_one_by_one_and_in_bulk(admin_page: Page, site: Site) -> None:
    marker = uuid.uuid4().hex[:6]
    noise = [f"เสียงดังมาก {marker}", f"เสียงดังมากกกก {marker}", f"เสียงดังมากค่ะ {marker}"]
    unclear(site, noise, nlu_intent="nlu_fallback", nlu_confidence=0.2, nlu_guess="complaint_noise")
    unsure = [f"{XSS} {marker}"]
    unclear(site, unsure, nlu_intent="greet", nlu_confidence=0.3, nlu_guess="complaint_road")
    chatter = [f"ฝนตกไหม {marker}"]
    unclear(site, chatter, nlu_intent="out_of_scope", nlu_confidence=0.9, nlu_guess=None)
    page = admin_page
    page.get_by_test_id("inbox-refresh").click()

    noisy = group_with(page, noise[0])
    expect(noisy).to_be_visible()
    expect(noisy.get_by_test_id("group-count")).to_have_text("3 ครั้ง")
    expect(noisy.get_by_test_id("group-text")).to_have_count(len(noise))
    expect(noisy.get_by_test_id("group-reading")).to_contain_text("nlu_fallback")
    expect(noisy.get_by_test_id("group-intent")).to_have_value("complaint_noise")  # the guess
    # Citizen text is text: no element made from it, nothing ran.
    risky = group_with(page, unsure[0])
    expect(risky).to_be_visible()
    expect(risky.get_by_test_id("group-reading")).to_contain_text("0.30")
    assert page.get_by_test_id("groups").locator("img").count() == 0
    assert page.evaluate("window.__pwned") is None
    # out_of_scope can be chosen as a label.
    options = noisy.get_by_test_id("group-intent").locator("option").all_text_contents()
    assert "out_of_scope" in options and "complaint_confirm" not in options

    # The confidence filter: a message read as greet at 0.3 is not shown at ≤ 0.2.
    page.get_by_test_id("max-confidence").fill("0.2")
    page.get_by_test_id("inbox-refresh").click()
    expect(risky).to_have_count(0)
    expect(noisy).to_be_visible()
    page.get_by_test_id("max-confidence").fill("0.5")
    page.get_by_test_id("inbox-refresh").click()
    expect(risky).to_be_visible()

    # One click labels the whole group with the pre-filled guess; the group leaves.
    noisy.get_by_test_id("group-label").click()
    expect(noisy).to_have_count(0)
    expect(page.get_by_test_id("flash")).to_contain_text("ติดป้ายแล้ว 3 ข้อความ")
    assert examples_of(site, noise) == {t: ("complaint_noise", True) for t in noise}

    # Ticked groups take the bulk intent together.
    gossip = group_with(page, chatter[0])
    for group in (risky, gossip):
        group.get_by_test_id("group-tick").check()
    expect(page.get_by_test_id("bulk-label")).to_contain_text("(2)")
    page.get_by_test_id("bulk-intent").select_option("out_of_scope")
    page.get_by_test_id("bulk-label").click()
    expect(risky).to_have_count(0)
    expect(gossip).to_have_count(0)
    assert examples_of(site, unsure + chatter) == {
        t: ("out_of_scope", True) for t in unsure + chatter
    }
    # The new examples are listed, as text.
    rows = page.get_by_test_id("example-rows")
    expect(rows.locator(f'input[value*="{marker}"]')).to_have_count(5)
    assert rows.locator("img").count() == 0

    # A reload still leaves them out: they are labelled in the database, not just hidden.
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(group_with(page, noise[0])).to_have_count(0)


@needs_chromium
@pytest.mark.browser
def test_admins_add_change_and_remove_examples(admin_page: Page, site: Site) -> None:
    page = admin_page
    marker = uuid.uuid4().hex[:6]
    text = f"ไฟถนนดับทั้งซอย {marker}"
    other = f"ขอบคุณมากค่ะ {marker}"  # another intent's example, for the filter
    with unit_of_work(site.sessions) as session:
        session.add(NluExample(text=other, intent="thank", source="inbox"))
    page.get_by_test_id("new-text").fill(text)
    page.get_by_test_id("new-intent").select_option("complaint_road")
    page.get_by_test_id("add-example-submit").click()
    row = page.get_by_test_id("example").filter(has=page.locator(f'input[value="{text}"]'))
    expect(row).to_have_count(1)
    assert examples_of(site, [text]) == {text: ("complaint_road", True)}
    expect(page.locator(f'[data-testid="example"] input[value="{other}"]')).to_have_count(1)

    # Wrong intent: corrected in place.
    row.get_by_test_id("example-intent").select_option("complaint_streetlight")
    row.get_by_test_id("example-save").click()
    expect(page.get_by_test_id("flash")).to_have_text("บันทึกตัวอย่างแล้ว")
    assert examples_of(site, [text]) == {text: ("complaint_streetlight", True)}

    # The intent filter lists only that intent's examples.
    page.get_by_test_id("example-filter").select_option("complaint_streetlight")
    expect(page.get_by_test_id("example-rows")).to_have_attribute(
        "data-filter", "complaint_streetlight"
    )
    expect(page.locator(f'[data-testid="example"] input[value="{text}"]')).to_have_count(1)
    expect(page.locator(f'[data-testid="example"] input[value="{other}"]')).to_have_count(0)
    for value in page.get_by_test_id("example-intent").evaluate_all(
        "nodes => nodes.map(n => n.value)"
    ):
        assert value == "complaint_streetlight"

    # Removed: kept in the database, inactive (left out of the next training).
    row = page.get_by_test_id("example").filter(has=page.locator(f'input[value="{text}"]'))
    row.get_by_test_id("example-remove").click()
    expect(row).to_have_count(0)
    assert examples_of(site, [text]) == {text: ("complaint_streetlight", False)}
    link = page.get_by_test_id("examples-yml")
    assert link.get_attribute("href") == "/console/api/nlu/examples.yml"
    exported = page.request.get("/console/api/nlu/examples.yml")
    assert exported.ok and text not in exported.text()


def _metrics(f1: dict[str, float], accuracy: float, confusion: list[list[int]]) -> dict:
    return {
        "accuracy": accuracy,
        "macro_f1": sum(f1.values()) / len(f1),
        "traffy_any_gold": 0.7,
        "per_intent": {
            name: {"precision": score, "recall": score, "f1": score, "support": 10}
            for name, score in f1.items()
        },
        "confusion": {"labels": ["complaint_noise", "greet", "nlu_fallback"], "matrix": confusion},
    }


@pytest.fixture
def two_models(site: Site, tmp_path: Path) -> Iterator[tuple[int, int]]:
    """An active model and a ready candidate that reads greetings worse (and noise better)."""
    with unit_of_work(site.sessions) as session:
        session.execute(delete(NluModel))
        active = NluModel(
            status="ready",
            stage="shipped",
            path=str(tmp_path / "shipped.tar.gz"),
            active=True,
            activated_at=utcnow() - timedelta(days=1),
            activation_note="the model shipped with the desk",
            metrics=_metrics(
                {"complaint_noise": 0.8, "greet": 0.95}, 0.9, [[8, 0, 2], [0, 10, 0], [0, 0, 0]]
            ),
        )
        candidate = NluModel(
            status="ready",
            stage="ready in 41 s",
            path=str(tmp_path / "model-2.tar.gz"),
            examples=12,
            fingerprint="ab" * 32,
            started_at=utcnow() - timedelta(seconds=41),
            finished_at=utcnow(),
            metrics=_metrics(
                {"complaint_noise": 0.9, "greet": 0.6}, 0.89, [[9, 1, 0], [3, 6, 1], [0, 0, 0]]
            ),
        )
        session.add_all([active, candidate])
        session.flush()
        ids = (active.id, candidate.id)
    for model in ("shipped.tar.gz", "model-2.tar.gz"):
        (tmp_path / model).write_bytes(b"not really a model")
    yield ids
    with unit_of_work(site.sessions) as session:
        session.execute(delete(NluModel))


def _active(site: Site) -> tuple[int | None, str | None]:
    with site.sessions() as session:
        model = session.scalar(select(NluModel).where(NluModel.active.is_(True)))
        return (model.id, model.activation_note) if model else (None, None)


@needs_chromium
@pytest.mark.browser
def test_a_worse_model_is_refused_and_forcing_it_needs_a_reason(
    site: Site, two_models: tuple[int, int], admin_page: Page
) -> None:
    active_id, candidate_id = two_models
    page = admin_page
    rows = page.get_by_test_id("model")
    expect(rows).to_have_count(2)
    active_row = rows.and_(page.locator(f'[data-id="{active_id}"]'))
    candidate_row = rows.and_(page.locator(f'[data-id="{candidate_id}"]'))
    expect(active_row.get_by_test_id("model-active")).to_have_text("● ใช้งานอยู่")
    expect(active_row).to_contain_text("the model shipped with the desk")
    expect(candidate_row.get_by_test_id("model-active")).to_have_text("")
    expect(candidate_row).to_contain_text("0.890")  # accuracy
    expect(candidate_row).to_contain_text("0.750")  # macro-F1
    expect(candidate_row).to_contain_text("0.700")  # Traffy any-gold

    candidate_row.click()
    detail = page.get_by_test_id("detail")
    expect(detail).to_have_attribute("data-id", str(candidate_id))
    intents = page.get_by_test_id("intent-row")
    expect(intents.and_(page.locator('[data-intent="greet"]'))).to_have_attribute(
        "data-change", "worse"
    )
    expect(intents.and_(page.locator('[data-intent="greet"]'))).to_contain_text("-0.350")
    expect(intents.and_(page.locator('[data-intent="complaint_noise"]'))).to_have_attribute(
        "data-change", "better"
    )
    greet_colour = intents.and_(page.locator('[data-intent="greet"]')).locator("td").first
    assert greet_colour.evaluate("n => getComputedStyle(n).color") == "rgb(179, 38, 30)"
    # The confusion matrix: the three non-zero off-diagonal cells, and only those, stand out.
    confusion = page.get_by_test_id("confusion")
    expect(confusion.locator("th.col")).to_have_count(3)
    misses = confusion.get_by_test_id("confusion-miss")
    expect(misses).to_have_count(3)
    assert sorted(misses.all_text_contents()) == ["1 (+1)", "1 (+1)", "3 (+3)"]
    expect(confusion.locator("td.diagonal")).to_have_count(3)
    # Cells that moved against the active model: more right on the diagonal (noise 8 → 9),
    # fewer noise read as fallback (2 → 0) are better; the rest worse.
    expect(confusion.locator('td[data-moved="better"]')).to_have_count(2)
    expect(confusion.locator('td[data-moved="worse"]')).to_have_count(4)
    assert "· (-2)" in confusion.locator('td[data-moved="better"]').all_text_contents()

    # Activation is refused, saying where the model is worse.
    page.get_by_test_id("activate").click()
    refusal = page.get_by_test_id("refusal")
    expect(refusal).to_be_visible()
    expect(page.get_by_test_id("refusal-message")).to_contain_text("worse")
    regression = page.get_by_test_id("regression").and_(page.locator('[data-name="f1:greet"]'))
    expect(regression).to_contain_text("0.950")
    expect(regression).to_contain_text("0.600")
    assert site.rasa_calls == []
    assert _active(site) == (active_id, "the model shipped with the desk")

    # Forcing needs a reason: without one (or only spaces) the button stays disabled.
    force = page.get_by_test_id("force")
    expect(force).to_be_disabled()
    page.get_by_test_id("force-reason").fill("   ")
    expect(force).to_be_disabled()
    page.get_by_test_id("force-reason").fill("ตัวอย่างเรื่องเสียงดังสำคัญกว่า ทดสอบสัปดาห์เดียว")
    expect(force).to_be_enabled()
    force.click()
    expect(page.get_by_test_id("flash")).to_contain_text(f"เปิดใช้โมเดล #{candidate_id} แล้ว")
    expect(candidate_row.get_by_test_id("model-active")).to_have_text("● ใช้งานอยู่")
    expect(candidate_row).to_contain_text("ตัวอย่างเรื่องเสียงดังสำคัญกว่า")
    expect(refusal).to_be_hidden()
    assert len(site.rasa_calls) == 1
    assert site.rasa_calls[0]["model_file"].endswith("model-2.tar.gz")
    assert _active(site) == (candidate_id, "ตัวอย่างเรื่องเสียงดังสำคัญกว่า ทดสอบสัปดาห์เดียว")

    # Rollback goes back to the model active before.
    page.get_by_test_id("rollback").click()
    expect(page.get_by_test_id("flash")).to_contain_text(f"ย้อนกลับไปใช้โมเดล #{active_id} แล้ว")
    expect(active_row.get_by_test_id("model-active")).to_have_text("● ใช้งานอยู่")
    expect(candidate_row.get_by_test_id("model-active")).to_have_text("")
    assert site.rasa_calls[-1]["model_file"].endswith("shipped.tar.gz")
    assert _active(site)[0] == active_id
    site.rasa_calls.clear()


@needs_chromium
@pytest.mark.browser
def test_training_progress_is_shown_and_a_second_training_is_refused(
    site: Site, admin_page: Page
) -> None:
    with unit_of_work(site.sessions) as session:
        session.execute(delete(NluModel))
        session.add(NluModel(status="ready", stage="shipped", active=True, activated_at=utcnow()))
        running = NluModel(
            status="training",
            stage="training NLU components",
            started_at=utcnow() - timedelta(seconds=95),
            examples=7,
            log_tail="Starting to train component DIETClassifier\nEpochs:  42%|████▏     | 42/100",
        )
        session.add(running)
        session.flush()
        running_id = running.id
    try:
        page = admin_page
        page.reload()  # the page finds the running training by itself
        progress = page.get_by_test_id("progress")
        expect(progress).to_be_visible()
        expect(page.get_by_test_id("progress-title")).to_contain_text(f"#{running_id}")
        expect(page.get_by_test_id("progress-title")).to_contain_text("กำลังฝึก")
        expect(page.get_by_test_id("progress-stage")).to_have_text("training NLU components")
        expect(page.get_by_test_id("progress-elapsed")).to_contain_text("วินาที")
        elapsed = int(page.get_by_test_id("progress-elapsed").inner_text().split()[0])
        assert 95 <= elapsed < 200, elapsed
        expect(page.get_by_test_id("progress-log")).to_contain_text("Epochs:  42%")
        expect(page.get_by_test_id("progress-bar")).to_have_attribute("value", "60")
        expect(page.get_by_test_id("train")).to_be_disabled()

        # Another admin (the button is disabled here) asks for a training: 409, and the
        # page says which model is being trained.
        page.get_by_test_id("train").evaluate("b => { b.disabled = false; b.click(); }")
        expect(page.get_by_test_id("error")).to_contain_text(f"#{running_id}")

        # The worker moves on: the page follows by polling, without a reload.
        with unit_of_work(site.sessions) as session:
            session.execute(
                update(NluModel)
                .where(NluModel.id == running_id)
                .values(stage="evaluating", status="evaluating", log_tail="evaluating held-out")
            )
        expect(page.get_by_test_id("progress-stage")).to_have_text("evaluating")
        expect(page.get_by_test_id("progress-bar")).to_have_attribute("value", "90")
        expect(page.get_by_test_id("progress-log")).to_have_text("evaluating held-out")
        with unit_of_work(site.sessions) as session:
            session.execute(
                update(NluModel)
                .where(NluModel.id == running_id)
                .values(status="failed", stage="training failed", error="rasa train failed")
            )
        expect(page.get_by_test_id("progress-title")).to_contain_text("ล้มเหลว")
        expect(page.get_by_test_id("train")).to_be_enabled()
        expect(page.get_by_test_id("detail")).to_have_attribute("data-id", str(running_id))
        expect(page.get_by_test_id("detail-error")).to_have_text("rasa train failed")
        failed = page.get_by_test_id("model").and_(page.locator(f'[data-id="{running_id}"]'))
        expect(failed).to_have_attribute("data-status", "failed")
    finally:
        with unit_of_work(site.sessions) as session:
            session.execute(delete(NluModel))
