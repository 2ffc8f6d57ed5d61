"""Complaint routing on the project's real data (data/routing.yml, agencies.yml, geo)."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import ROOT
from bot.tickets.routing import Router, RoutingError

DATA = ROOT / "data"
COMPLAINT_TYPES = [
    "complaint_road",
    "complaint_flooding",
    "complaint_garbage",
    "complaint_streetlight",
    "complaint_noise",
    "complaint_traffic",
    "complaint_tree",
    "complaint_stray_animal",
    "complaint_pollution",
    "complaint_safety",
    "complaint_consumer",
    "complaint_corruption",
    "complaint_water_supply",
    "complaint_official_conduct",
]


def _provinces() -> dict[str, int]:
    with (DATA / "geo" / "provinces.csv").open(encoding="utf-8", newline="") as handle:
        return {row["name_th"]: int(row["id"]) for row in csv.DictReader(handle)}


PROVINCES = _provinces()


@pytest.fixture(scope="module")
def router() -> Router:
    """The router on the project's data, loaded once."""
    return Router.load()


def test_the_routed_types_are_the_domain_complaint_intents(router: Router) -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(COMPLAINT_TYPES) <= set(domain["intents"])
    routing = yaml.safe_load((DATA / "routing.yml").read_text(encoding="utf-8"))
    assert sorted(routing["due_business_days"]) == sorted(COMPLAINT_TYPES)
    for complaint_type in COMPLAINT_TYPES:
        assert 1 <= router.due_business_days(complaint_type) <= 90


def test_every_type_routes_for_every_province_and_without_one(router: Router) -> None:
    assert len(PROVINCES) == 77
    known = {a.id for a in router.agencies()}
    for complaint_type in COMPLAINT_TYPES:
        for province in [*PROVINCES, None]:
            route = router.route(complaint_type, province)
            assert route.agency.id in known, (complaint_type, province)
            assert route.agency.name and route.rule
            assert route.due_business_days == router.due_business_days(complaint_type)


def test_bangkok_road_with_a_district_goes_to_the_district_office(router: Router) -> None:
    route = router.route("complaint_road", "กรุงเทพมหานคร", "เขตบางรัก")
    assert route.agency.id == "bma-district-1004"
    assert route.agency.name == "สำนักงานเขตบางรัก"
    assert route.agency.parent_id == "bma"
    assert route.rule == "urban-bangkok"
    # The NLU gazetteer hands Bangkok districts over without "เขต".
    assert router.route("complaint_road", "กรุงเทพมหานคร", "บางรัก").agency == route.agency


def test_bangkok_road_without_a_district_goes_to_bma(router: Router) -> None:
    route = router.route("complaint_road", "กรุงเทพมหานคร")
    assert (route.agency.id, route.agency.parent_id) == ("bma", None)


def test_a_district_alone_finds_its_province(router: Router) -> None:
    route = router.route("complaint_garbage", None, "เมืองเชียงใหม่")
    assert route.agency.id == "dla-district-5001"


def test_tap_water_goes_to_mwa_or_pwa_by_province(router: Router) -> None:
    assert router.route("complaint_water_supply", "เชียงใหม่").agency.id == "pwa"
    for province in ("นนทบุรี", "กรุงเทพมหานคร", "สมุทรปราการ"):
        assert router.route("complaint_water_supply", province).agency.id == "mwa"
    # Pathum Thani borders Bangkok but is PWA country.
    assert router.route("complaint_water_supply", "ปทุมธานี").agency.id == "pwa"


def test_consumer_complaints_go_to_ocpb_anywhere(router: Router) -> None:
    for province in [*PROVINCES, None]:
        assert router.route("complaint_consumer", province).agency.id == "ocpb", province


def test_corruption_goes_to_the_province_damrongdhama_centre(router: Router) -> None:
    route = router.route("complaint_corruption", "เชียงใหม่", "เมืองเชียงใหม่")
    assert route.agency.id == f"damrongdhama-{PROVINCES['เชียงใหม่']}"
    assert route.agency.name == "ศูนย์ดำรงธรรมจังหวัดเชียงใหม่"
    assert route.agency.parent_id == "damrongdhama"
    bangkok = router.route("complaint_corruption", "กรุงเทพมหานคร").agency
    assert bangkok.name == "ศูนย์ดำรงธรรมกรุงเทพมหานคร"
    assert router.route("complaint_corruption").agency.id == "nacc"


def test_urban_problems_outside_bangkok_go_to_the_local_administration(router: Router) -> None:
    by_district = router.route("complaint_streetlight", "เชียงใหม่", "อำเภอเมืองเชียงใหม่").agency
    assert by_district.id == "dla-district-5001"
    assert by_district.name == "องค์กรปกครองส่วนท้องถิ่นในพื้นที่อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่"
    assert by_district.parent_id == "dla"
    by_province = router.route("complaint_streetlight", "เชียงใหม่").agency
    assert by_province.name == "สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัดเชียงใหม่"


def test_police_matters_go_to_the_province_police(router: Router) -> None:
    assert router.route("complaint_safety", "ขอนแก่น").agency.name == "ตำรวจภูธรจังหวัดขอนแก่น"
    assert router.route("complaint_safety", "กรุงเทพมหานคร").agency.name.startswith(
        "กองบัญชาการตำรวจนครบาล"
    )
    assert router.route("complaint_traffic", "กรุงเทพมหานคร").agency.id == "bangkok_traffic_police"


def test_without_a_place_national_bodies_or_1111(router: Router) -> None:
    assert router.route("complaint_pollution").agency.id == "pcd"
    assert router.route("complaint_flooding").agency.id == "ddpm"
    assert router.route("complaint_official_conduct").agency.id == "gov_contact_1111"
    route = router.route("complaint_road")
    assert (route.agency.id, route.rule) == ("gov_contact_1111", "catch-all")


def test_a_place_not_in_the_geo_data_counts_as_not_given(router: Router) -> None:
    assert router.route("complaint_road", "เชียงใหม่", "ไม่มีอำเภอนี้").agency.id == ("dla-province-38")
    assert router.route("complaint_road", "เมืองแอตแลนติส").agency.id == "gov_contact_1111"
    # เฉลิมพระเกียรติ is a district of several provinces: without one it says nothing.
    assert router.route("complaint_road", None, "เฉลิมพระเกียรติ").rule == "catch-all"


def test_unknown_complaint_type_is_a_value_error(router: Router) -> None:
    with pytest.raises(ValueError, match="complaint_alien"):
        router.route("complaint_alien", "เชียงใหม่")
    with pytest.raises(ValueError):
        router.due_business_days("complaint_alien")


def test_agencies_lists_generated_offices_with_unique_ids(router: Router) -> None:
    agencies = router.agencies()
    ids = [a.id for a in agencies]
    assert len(ids) == len(set(ids))
    bangkok_offices = [a for a in agencies if a.id.startswith("bma-district-")]
    assert len(bangkok_offices) == 50
    assert {"ocpb", "bma", "damrongdhama-1", "dla-district-5001"} <= set(ids)
    assert router.agency("bma-district-1004").name == "สำนักงานเขตบางรัก"
    assert router.agency("ocpb").hotline == "1166"
    with pytest.raises(KeyError):
        router.agency("bma-district-9999")


# ---- Broken data: copies of the real files, each with one mistake ----

Edit = Callable[[dict[str, Any]], None]


def _broken(tmp_path: Path, edit: Edit) -> Path:
    shutil.copy(DATA / "agencies.yml", tmp_path / "agencies.yml")
    shutil.copytree(DATA / "geo", tmp_path / "geo")
    routing = yaml.safe_load((DATA / "routing.yml").read_text(encoding="utf-8"))
    edit(routing)
    (tmp_path / "routing.yml").write_text(
        yaml.safe_dump(routing, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return tmp_path


def _rule(routing: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in routing["rules"] if r["id"] == rule_id)


def test_an_unchanged_copy_loads(tmp_path: Path) -> None:
    # The baseline for the tests below: only their one edit breaks the data.
    router = Router.load(_broken(tmp_path, lambda routing: None))
    assert router.route("complaint_consumer").agency.id == "ocpb"


def test_unknown_agency_in_a_rule(tmp_path: Path) -> None:
    def edit(routing: dict[str, Any]) -> None:
        _rule(routing, "consumer")["agency"] = "ocbp"

    with pytest.raises(RoutingError, match=r"routing\.yml: rule 'consumer': unknown agency 'ocbp'"):
        Router.load(_broken(tmp_path, edit))


def test_unknown_province_in_a_rule(tmp_path: Path) -> None:
    def edit(routing: dict[str, Any]) -> None:
        _rule(routing, "water-metropolitan")["provinces"] = ["กรุงเทพมหานคร", "นนทบูรี"]

    with pytest.raises(RoutingError, match=r"rule 'water-metropolitan': unknown province.*นนทบูรี"):
        Router.load(_broken(tmp_path, edit))


def test_unknown_complaint_type_in_a_rule(tmp_path: Path) -> None:
    def edit(routing: dict[str, Any]) -> None:
        _rule(routing, "consumer")["types"] = ["complaint_consumers"]

    with pytest.raises(RoutingError, match=r"rule 'consumer': unknown complaint type"):
        Router.load(_broken(tmp_path, edit))


def test_missing_catch_all(tmp_path: Path) -> None:
    def edit(routing: dict[str, Any]) -> None:
        routing["rules"] = [r for r in routing["rules"] if r["id"] != "catch-all"]

    with pytest.raises(RoutingError, match=r"routing\.yml: the last rule .* must be a catch-all"):
        Router.load(_broken(tmp_path, edit))


def test_a_catch_all_before_other_rules(tmp_path: Path) -> None:
    def edit(routing: dict[str, Any]) -> None:
        routing["rules"].insert(0, {"id": "too-early", "agency": "gov_contact_1111"})

    with pytest.raises(RoutingError, match=r"rule 'too-early': matches every complaint"):
        Router.load(_broken(tmp_path, edit))


def test_a_misspelt_key(tmp_path: Path) -> None:
    def edit(routing: dict[str, Any]) -> None:
        rule = _rule(routing, "water-metropolitan")
        rule["provences"] = rule.pop("provinces")

    with pytest.raises(RoutingError, match=r"rule 'water-metropolitan': provences"):
        Router.load(_broken(tmp_path, edit))


def test_per_district_without_generated_offices(tmp_path: Path) -> None:
    def edit(routing: dict[str, Any]) -> None:
        _rule(routing, "consumer")["per"] = "district"

    with pytest.raises(RoutingError, match=r"rule 'consumer': per district, but no generated"):
        Router.load(_broken(tmp_path, edit))


def test_a_template_without_the_place_id(tmp_path: Path) -> None:
    def edit(routing: dict[str, Any]) -> None:
        routing["generated"][0]["id"] = "bma-district"

    with pytest.raises(RoutingError, match=r"id 'bma-district' is not unique"):
        Router.load(_broken(tmp_path, edit))
