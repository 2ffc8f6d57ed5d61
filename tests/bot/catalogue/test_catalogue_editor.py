"""The catalogue editor's pages in-process: who sees what, forms refused without CSRF,
bad input answered in the page with nothing changed, export and import as a zip."""

from __future__ import annotations

import io
import zipfile

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import update

from bot.catalogue import store
from bot.db import unit_of_work
from bot.staff.models import Staff
from tests.support.workbench import csrf_of, sign_in_as

SERVICE = "/console/catalogue/services/passport"


def owner_of(gateway: TestClient, agency: str | None, role: str = "agent") -> Staff:
    """A signed-in content owner of `agency` (an admin when `agency` is None)."""
    staff = sign_in_as(gateway, agency, role="admin" if agency is None else role, name="มาลี")
    sessions = gateway.app.state.context.sessions  # type: ignore[attr-defined]
    with unit_of_work(sessions) as session:
        session.execute(update(Staff).where(Staff.id == staff.id).values(catalogue_owner=True))
    return staff


def entry_data(gateway: TestClient, key: str) -> dict[str, object]:
    sessions = gateway.app.state.context.sessions  # type: ignore[attr-defined]
    with unit_of_work(sessions) as session:
        found = store.entry(session, "service", key)
        assert found is not None
        return dict(found.data, version=found.version)


def test_an_owner_sees_their_agencys_entries_and_not_anothers(gateway: TestClient) -> None:
    owner_of(gateway, "consular")
    listing = gateway.get("/console/catalogue")
    assert listing.status_code == 200
    assert 'data-testid="service-passport"' in listing.text
    assert 'data-testid="service-id_card"' not in listing.text
    page = gateway.get(SERVICE)
    assert page.status_code == 200 and 'data-testid="preview"' in page.text
    assert gateway.get("/console/catalogue/services/id_card").status_code == 404
    assert gateway.get("/console/catalogue/export.zip").status_code == 404  # admins only
    sign_in_as(gateway, "consular")  # staff without the content-owner right
    assert "ยังไม่ได้รับสิทธิ์ดูแลข้อมูลบริการ" in gateway.get("/console/catalogue").text
    assert gateway.get(SERVICE).status_code == 404


def test_a_form_without_its_csrf_token_is_refused(gateway: TestClient) -> None:
    owner_of(gateway, "consular")
    before = entry_data(gateway, "passport")
    answer = gateway.post(SERVICE, data={"title": "x", "version": "1"})
    assert answer.status_code == 403
    assert entry_data(gateway, "passport") == before


def test_bad_input_is_answered_in_the_page_and_changes_nothing(gateway: TestClient) -> None:
    owner_of(gateway, "consular")
    page = gateway.get(SERVICE).text
    before = entry_data(gateway, "passport")
    form = {
        "csrf": csrf_of(page),
        "version": str(before["version"]),
        "title": "หนังสือเดินทาง",
        "summary": "สรุป",
        "category": "travel",
        "agency": "consular",
        "source": "https://www.passport.in.th/",
    }
    cases = {
        "summary": ("ก" * 5000, "ยาวเกิน 1000 ตัวอักษร"),
        "source": ("javascript:alert(1)", "ต้องเป็นลิงก์ที่ขึ้นต้นด้วย https://"),
        "title": ("", "ต้องกรอก"),
        "documents": ("<script>alert(1)</script>", "ห้ามมีแท็ก HTML"),
    }
    for field, (value, message) in cases.items():
        answer = gateway.post(SERVICE, data=form | {field: value})
        assert answer.status_code == 422, field
        assert message in answer.text, field
        assert "<script>alert(1)</script>" not in answer.text
    assert entry_data(gateway, "passport") == before


def test_a_duplicate_id_is_refused(gateway: TestClient) -> None:
    owner_of(gateway, None)
    page = gateway.get("/console/catalogue/services/new").text
    answer = gateway.post(
        "/console/catalogue/services/new",
        data={
            "csrf": csrf_of(page),
            "id": "passport",
            "title": "ซ้ำ",
            "summary": "ซ้ำ",
            "category": "travel_transport",
            "agency": "consular",
            "source": "https://www.passport.in.th/",
        },
    )
    assert answer.status_code == 422 and "มีอยู่แล้ว" in answer.text


def test_the_preview_is_the_card_the_citizen_would_get(gateway: TestClient) -> None:
    owner_of(gateway, "consular")
    page = gateway.get(SERVICE).text
    data = entry_data(gateway, "passport")
    form = {
        "csrf": csrf_of(page),
        "title": str(data["title"]),
        "summary": str(data["summary"]),
        "category": str(data["category"]),
        "agency": "consular",
        "fees": "1,000 บาท",
        "source": str(data["source"]),
        "verified": "yes",
    }
    found = gateway.post("/console/catalogue/preview", data=form).json()
    text = str(found["bubble"])
    assert "1,000 บาท" in text and "ตรวจสอบข้อมูลนี้กับแหล่งที่มาแล้วเมื่อ" in text
    problems = gateway.post("/console/catalogue/preview", data=form | {"title": ""}).json()
    assert problems["error"] == ["ชื่อบริการ (title): ต้องกรอก"]


def test_export_and_import_round_trip_as_a_zip(gateway: TestClient) -> None:
    owner_of(gateway, None)
    exported = gateway.get("/console/catalogue/export.zip")
    assert exported.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    names = archive.namelist()
    assert "agencies.yml" in names and any(n.startswith("catalogue/") for n in names)
    csrf = csrf_of(gateway.get("/console/catalogue").text)
    answer = gateway.post(
        "/console/catalogue/import",
        data={"csrf": csrf},
        files={"file": ("catalogue.zip", exported.content, "application/zip")},
    )
    assert answer.status_code == 200
    assert "เปลี่ยน 0" in answer.text and "เลิกใช้ 0" in answer.text
    # A zip that escapes its folder, or holds a broken file, changes nothing.
    bad = io.BytesIO()
    with zipfile.ZipFile(bad, "w") as broken:
        broken.writestr("../agencies.yml", "agencies: []")
    answer = gateway.post(
        "/console/catalogue/import",
        data={"csrf": csrf},
        files={"file": ("bad.zip", bad.getvalue(), "application/zip")},
    )
    assert "นำเข้าไม่ได้ ไม่มีอะไรเปลี่ยน" in answer.text
    document = yaml.safe_load(archive.read("agencies.yml"))
    assert any(a["id"] == "consular" for a in document["agencies"])


def test_an_owner_keeps_their_agencys_directory_entry(gateway: TestClient) -> None:
    owner_of(gateway, "consular")
    page = gateway.get("/console/catalogue/agencies/consular")
    assert page.status_code == 200
    assert gateway.get("/console/catalogue/agencies/dopa").status_code == 404
    sessions = gateway.app.state.context.sessions  # type: ignore[attr-defined]
    with unit_of_work(sessions) as session:
        found = store.entry(session, "agency", "consular")
        assert found is not None
        data, version = dict(found.data), found.version
    answer = gateway.post(
        "/console/catalogue/agencies/consular",
        data={
            "csrf": csrf_of(page.text),
            "version": str(version),
            "name": data["name"],
            "hotline": "02 572 8442",
            "website": "https://www.consular.go.th",
            "office": "ถนนแจ้งวัฒนะ กรุงเทพฯ",
        },
    )
    assert answer.status_code == 200 and 'data-testid="done"' in answer.text
    assert gateway.app.state.context.catalogue.get_agency("consular").hotline == "02 572 8442"  # type: ignore[attr-defined]
