"""Loading and validating the catalogue data, and rebuilding it without retraining."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.catalogue.service import (
    Catalogue,
    CatalogueError,
    follow_up_aspect,
    load_catalogue,
    question_kind,
)
from tests.bot.catalogue.catalogue_support import edit_yaml


def first_service(doc: dict[str, Any]) -> dict[str, Any]:
    service: dict[str, Any] = doc["services"][0]
    return service


def test_the_fixture_catalogue_loads_with_categories_and_agencies(catalogue: Catalogue) -> None:
    assert [c.id for c in catalogue.categories] == ["civil_registration", "travel", "welfare"]
    assert len(catalogue.services) == 6
    house = catalogue.get("house_move")
    assert house is not None
    assert house.category == "civil_registration"
    assert house.hotline == "1548"  # unquoted in the YAML: read as a number, kept as text
    assert house.verified_at == date(2026, 11, 22)
    assert house.verified_on(date(2027, 5, 22)) == date(2026, 11, 22)
    assert house.verified_on(date(2027, 5, 23)) is None  # past its review date
    assert catalogue.get("nope") is None
    assert catalogue.get_agency("dca") is not None
    grouped = {c.id: [s.id for s in c.services] for c in catalogue.by_category()}
    assert grouped["travel"] == ["passport"]


def test_an_unknown_agency_is_named_with_its_file_and_service(data_dir: Path) -> None:
    path = data_dir / "catalogue" / "travel.yml"
    edit_yaml(path, lambda doc: first_service(doc).update(agency="ministry_of_magic"))
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(data_dir=data_dir)
    message = str(caught.value)
    assert str(path) in message
    assert "service 'passport'" in message
    assert "ministry_of_magic" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"source": "http://insecure.example.go.th"}, "source"),
        ({"online": {"url": "javascript:alert(1)"}}, "online.url"),
        ({"verified_at": "last week", "verified_by": "ก"}, "verified_at"),
        ({"verified_by": "สมชาย ใจดี"}, "(top): Value error, verified_by and verified_at go"),
        ({"checked": "2026-11-22"}, "checked"),
        ({"summary": '<script>alert("x")</script>'}, "summary: Value error, must be plain"),
        ({"summary": "ก" * 1001}, "summary: String should have at most 1000 characters"),
        ({"documnets": ["typo"]}, "documnets"),
        ({"title": "  "}, "title"),
        ({"id": "Bad Id"}, "id"),
        ({"hotline": "call us"}, "hotline"),
    ],
)
def test_bad_fields_are_named_with_file_and_service(
    data_dir: Path, change: dict[str, Any], expected: str
) -> None:
    path = data_dir / "catalogue" / "welfare.yml"
    edit_yaml(path, lambda doc: first_service(doc).update(change))
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(data_dir=data_dir)
    message = str(caught.value)
    assert str(path) in message
    owner = "Bad Id" if expected == "id" else "elderly_allowance"
    assert f"service '{owner}': {expected}" in message


def test_a_missing_required_field_is_reported(data_dir: Path) -> None:
    path = data_dir / "catalogue" / "welfare.yml"
    edit_yaml(path, lambda doc: first_service(doc).pop("summary"))
    with pytest.raises(
        CatalogueError, match=r"service 'elderly_allowance': summary: Field required"
    ):
        load_catalogue(data_dir=data_dir)


def test_a_service_id_defined_twice_names_both_files(data_dir: Path) -> None:
    edit_yaml(
        data_dir / "catalogue" / "welfare.yml",
        lambda doc: first_service(doc).update(id="passport"),
    )
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(data_dir=data_dir)
    message = str(caught.value)
    assert "service 'passport'" in message
    assert "travel.yml" in message and "welfare.yml" in message


def split_travel(data_dir: Path, title: str = "เดินทางต่างประเทศ") -> Path:
    """A second travel file, sorted after every other, with a copy of the passport entry."""
    path = data_dir / "catalogue" / "zz_travel_more.yml"
    path.write_text((data_dir / "catalogue" / "travel.yml").read_text(encoding="utf-8"))

    def change(doc: dict[str, Any]) -> None:
        doc["category"]["title"] = title
        doc["services"] = [{**first_service(doc), "id": "passport_more"}]

    edit_yaml(path, change)
    return path


def test_several_files_may_share_a_category(data_dir: Path) -> None:
    split_travel(data_dir)
    catalogue = load_catalogue(data_dir=data_dir)
    assert [c.id for c in catalogue.categories] == ["civil_registration", "travel", "welfare"]
    grouped = {c.id: [s.id for s in c.services] for c in catalogue.by_category()}
    assert grouped["travel"] == ["passport", "passport_more"]
    # A category's services stay together, in the order of its first file.
    order = [s.category for s in catalogue.services]
    assert order == sorted(order, key=["civil_registration", "travel", "welfare"].index)


def test_files_sharing_a_category_must_define_it_alike(data_dir: Path) -> None:
    path = split_travel(data_dir, title="อีกชื่อหนึ่ง")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(data_dir=data_dir)
    message = str(caught.value)
    assert str(path) in message and "travel.yml" in message
    assert "category 'travel'" in message


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("เบอร์กรมการกงสุล", "contact"),
        ("ขอเบอร์ สคบ หน่อยค่ะ", "contact"),
        ("ติดต่อประกันสังคมยังไง", "contact"),
        ("สำนักงานที่ดินอยู่ที่ไหน", "contact"),
        ("โทรถามเรื่องเอกสารทำพาสปอร์ตได้เบอร์ไหน", "contact"),  # a number, whatever else
        ("ทำพาสปอร์ตต้องใช้เอกสารอะไรบ้าง", "how_to"),
        ("ขอใบขับขี่ได้ที่ไหน", "how_to"),
        ("ทำ บัตร ประชาชน ยังไง", "how_to"),
        ("เบี้ยผู้สูงอายุ", None),
        ("กรมการกงสุล", None),
    ],
)
def test_the_kind_of_question(question: str, kind: str | None) -> None:
    assert question_kind(question) == kind


def test_broken_yaml_and_missing_files_are_reported(data_dir: Path) -> None:
    broken = data_dir / "catalogue" / "travel.yml"
    broken.write_text("category: {id: travel\nservices: [", encoding="utf-8")
    with pytest.raises(CatalogueError, match="travel.yml: cannot read"):
        load_catalogue(data_dir=data_dir)
    broken.unlink()
    (data_dir / "agencies.yml").unlink()
    with pytest.raises(CatalogueError, match="agencies.yml: cannot read"):
        load_catalogue(data_dir=data_dir)


def test_a_file_without_category_is_reported(data_dir: Path) -> None:
    edit_yaml(data_dir / "catalogue" / "travel.yml", lambda doc: doc.pop("category"))
    with pytest.raises(CatalogueError, match=r"travel.yml: category: Field required"):
        load_catalogue(data_dir=data_dir)


def test_an_agency_without_a_name_is_reported(data_dir: Path) -> None:
    edit_yaml(data_dir / "agencies.yml", lambda doc: doc["agencies"][1].pop("name"))
    with pytest.raises(CatalogueError, match=r"agencies.yml: agency 'dca': name: Field required"):
        load_catalogue(data_dir=data_dir)


def test_a_new_service_is_found_after_reload_without_training(data_dir: Path) -> None:
    catalogue = load_catalogue(data_dir=data_dir)
    question = "จดทะเบียนสมรสต้องใช้เอกสารอะไรบ้าง"
    assert not any(m.confident for m in catalogue.search(query=question))

    def add(doc: dict[str, Any]) -> None:
        doc["services"].append(
            {
                "id": "marriage_registration",
                "title": "จดทะเบียนสมรส",
                "aliases": ["จดทะเบียนสมรส", "ทะเบียนสมรส", "จดทะเบียนแต่งงาน"],
                "keywords": ["สมรส", "แต่งงาน"],
                "agency": "dopa",
                "summary": "คู่สมรสยื่นจดทะเบียนสมรสที่สำนักทะเบียนใดก็ได้",
                "source": "https://www.bora.dopa.go.th/",
            }
        )

    edit_yaml(data_dir / "catalogue" / "civil_registration.yml", add)
    catalogue.reload()
    [best, *_] = catalogue.search(query=question)
    assert best.service_id == "marriage_registration"
    assert best.confident


def test_a_failed_reload_keeps_serving_the_old_catalogue(data_dir: Path) -> None:
    catalogue = load_catalogue(data_dir=data_dir)
    (data_dir / "catalogue" / "travel.yml").write_text("services: 3", encoding="utf-8")
    with pytest.raises(CatalogueError):
        catalogue.reload()
    assert catalogue.search(query="ทำพาสปอร์ต")[0].service_id == "passport"


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("ค่าธรรมเนียมเท่าไหร่", "fees"),
        ("ฟรีไหมคะ", "fees"),
        ("ต้องใช้เอกสารอะไรบ้างคะ", "documents"),
        ("แล้วต้องไปทำที่ไหนครับ", "where"),
        ("ใช้เวลากี่วันคะ", "time"),
        # a service named, two details, or no detail: a search, not a follow-up
        ("ค่าธรรมเนียมทำพาสปอร์ตเท่าไหร่", None),
        ("ทำบัตรประชาชนใหม่ต้องใช้อะไรบ้าง", None),
        ("เอกสารกับค่าธรรมเนียม", None),
        ("ขอบคุณค่ะ", None),
    ],
)
def test_a_follow_up_question_names_a_detail_and_no_service(
    question: str, aspect: str | None
) -> None:
    assert follow_up_aspect(question) == aspect
