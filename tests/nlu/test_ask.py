"""Asking when unsure (nlu/evaluation/ask.py) and the routing it is measured by
(nlu/evaluation/routing.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.evaluation import ask
from nlu.evaluation.ask import Read, Setting, offer, pick, should_ask, sweep, tally
from nlu.evaluation.routing import Place, Routes, agency_at, load_rules

ROUTES = Routes.load()
URBAN = (
    "complaint_road",
    "complaint_flooding",
    "complaint_garbage",
    "complaint_streetlight",
    "complaint_tree",
    "complaint_stray_animal",
    "complaint_noise",
    "complaint_pollution",
)


# --- routing -------------------------------------------------------------------------------


def test_agencies_of_the_desks_routing_file() -> None:
    rules = load_rules()
    bangkok = Place("กรุงเทพมหานคร", "บางรัก")
    chiang_mai = Place("เชียงใหม่", "เมืองเชียงใหม่")
    assert agency_at(rules, "complaint_road", bangkok) == "bma/district"
    assert agency_at(rules, "complaint_road", chiang_mai) == "dla/district"
    assert agency_at(rules, "complaint_traffic", bangkok) == "bangkok_traffic_police"
    assert agency_at(rules, "complaint_traffic", chiang_mai) == "rtp/province"
    assert agency_at(rules, "complaint_water_supply", chiang_mai) == "pwa"
    assert agency_at(rules, "complaint_flooding", Place()) == "ddpm"
    assert agency_at(rules, "complaint_road", Place()) == "gov_contact_1111"


def test_types_that_route_alike() -> None:
    groups = ROUTES.groups(
        [
            *URBAN,
            "complaint_traffic",
            "complaint_safety",
            "complaint_corruption",
            "complaint_official_conduct",
        ]
    )
    assert groups[0] == sorted(URBAN)
    assert ["complaint_corruption", "complaint_official_conduct"] in groups
    assert ["complaint_traffic"] in groups and ["complaint_safety"] in groups


@pytest.mark.parametrize(
    ("gold", "read", "same"),
    [
        ("complaint_road", "complaint_streetlight", True),  # both to the district office
        ("complaint_road", "complaint_traffic", False),  # traffic police
        ("complaint_traffic", "complaint_streetlight", False),
        ("complaint_road", "inform", False),  # files nothing
        ("service_lookup", "complaint_garbage", False),  # files what should not be
        ("service_lookup", "agency_contact", True),  # nothing filed either way
    ],
)
def test_same_agency(gold: str, read: str, same: bool) -> None:
    assert ROUTES.same_agency(gold, read) is same


def test_a_routing_file_without_a_matching_rule_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "routing.yml"
    path.write_text("rules:\n  - id: x\n    types: [complaint_road]\n    agency: a\n")
    with pytest.raises(ValueError, match="no routing rule"):
        agency_at(load_rules(path), "complaint_tree", Place())


# --- asking --------------------------------------------------------------------------------

SURE = (("complaint_road", 0.9), ("complaint_traffic", 0.05), ("inform", 0.05))
CLOSE = (
    ("complaint_road", 0.45),
    ("complaint_traffic", 0.40),
    ("complaint_safety", 0.1),
    ("complaint_tree", 0.05),
)
LOW = (("complaint_road", 0.3), ("inform", 0.25), ("complaint_traffic", 0.1))
CHAT = (("service_lookup", 0.5), ("complaint_garbage", 0.45))


def test_should_ask() -> None:
    setting = Setting(min_confidence=0.5, min_margin=0.1)
    assert not should_ask(SURE, setting)
    assert should_ask(CLOSE, setting)  # the top two are close
    assert should_ask(LOW, setting)  # below the confidence
    assert not should_ask(CHAT, setting)  # not about to file a complaint
    assert not should_ask((), setting)
    assert not should_ask(CLOSE, Setting(0.0, 0.0))


def test_the_margin_is_between_complaint_readings() -> None:
    # inform is second at 0.25, but the second complaint reading is far below
    assert not should_ask(LOW, Setting(min_confidence=0.0, min_margin=0.1))
    assert should_ask(LOW, Setting(min_confidence=0.0, min_margin=0.25))


def test_complaint_types_and_service_questions_are_offered() -> None:
    setting = Setting(0.5, 0.1)
    assert offer(CLOSE, setting) == ["complaint_road", "complaint_traffic", "complaint_safety"]
    assert offer(LOW, setting) == ["complaint_road", "complaint_traffic"]
    service = (("complaint_road", 0.45), ("service_lookup", 0.4), ("complaint_tree", 0.15))
    assert offer(service, setting) == ["complaint_road", "service_lookup", "complaint_tree"]


def test_types_of_one_agency_count_together_and_are_offered_once() -> None:
    groups = tuple(tuple(g) for g in ROUTES.groups([*URBAN, "complaint_traffic"]))
    setting = Setting(0.5, 0.05, groups=groups)
    # road 0.45 + tree 0.05 against traffic 0.40: the district office holds 0.5 and leads
    assert offer(CLOSE, setting) == []
    mixed = (("complaint_traffic", 0.4), ("complaint_road", 0.3), ("complaint_tree", 0.2))
    assert offer(mixed, setting) == ["complaint_traffic", "complaint_road"]


def test_a_wrong_type_is_caught_for_its_agency_by_a_type_of_the_same_agency() -> None:
    groups = tuple(tuple(g) for g in ROUTES.groups([*URBAN, "complaint_traffic"]))
    mixed = (("complaint_traffic", 0.4), ("complaint_road", 0.3), ("complaint_tree", 0.2))
    row = tally([Read("complaint_tree", mixed)], Setting(0.5, 0.1, groups=groups), ROUTES)
    # tree is not offered, but road reaches the same office: the agency is caught
    assert (row["wrong_type_caught"], row["wrong_agency_caught"]) == (0, 1)


def test_tally_counts_what_asking_catches() -> None:
    reads = [
        Read("complaint_road", SURE),  # right, not asked
        Read("complaint_traffic", CLOSE),  # wrong agency, asked, right type on offer
        Read("complaint_streetlight", CLOSE),  # wrong type, same agency, not on offer
        Read("complaint_safety", SURE),  # wrong agency, not asked
        Read("service_lookup", LOW),  # chat about to be filed, asked
        Read("service_lookup", CHAT),  # not filed
    ]
    row = tally(reads, Setting(0.5, 0.1), ROUTES, ask_cost=1, wrong_cost=3)
    assert row["filed"] == 5
    assert row["asked"] == 3
    assert row["asked_gold_complaints"] == 2
    assert row["gold_complaints"] == 4
    assert row["wrong_type"] == 4
    assert row["wrong_type_caught"] == 2
    assert row["wrong_agency"] == 3
    assert row["wrong_agency_caught"] == 2
    assert row["cost"] == 3 * 1 + 1 * 3


def test_the_sweep_picks_the_cheapest_setting_and_asks_least_on_ties() -> None:
    reads = [Read("complaint_traffic", CLOSE)] + [Read("complaint_road", SURE)] * 5
    rows = sweep(reads, ROUTES, confidences=(0.0, 0.5, 0.95), margins=(0.0, 0.1))
    best = pick(rows)
    assert best["cost"] == 1  # one question instead of one misrouted ticket (3)
    assert best["asked"] == 1
    assert (best["min_confidence"], best["min_margin"]) == (0.0, 0.1)
    # asking costs more than it saves when misrouting is cheap
    cheap = pick(sweep(reads, ROUTES, confidences=(0.0, 0.5), margins=(0.0, 0.1), wrong_cost=0.5))
    assert cheap["asked"] == 0


def test_settings_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "ask.yml"
    row = {"min_confidence": 0.35, "min_margin": 0.1, "max_choices": 3}
    ask.write_setting(row, path, "chosen by\n\ncross-validation")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# chosen by\n#\n# cross-validation\n")
    assert ask.load_setting(path) == Setting(0.35, 0.1, 3)
    grouped = {**row, "groups": [["complaint_road", "complaint_tree"], ["complaint_traffic"]]}
    ask.write_setting(grouped, path, "by agency")
    assert ask.load_setting(path).groups == (
        ("complaint_road", "complaint_tree"),
        ("complaint_traffic",),
    )


def test_the_desks_settings_file_loads() -> None:
    setting = ask.load_setting()
    assert 0.0 <= setting.min_confidence < 1.0
    assert 0.0 <= setting.min_margin < 1.0
    assert setting.max_choices == 3


def test_ranking_of_a_parse_drops_the_fallback() -> None:
    parsed = {
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 1.0},
            {"name": "complaint_road", "confidence": 0.4},
        ]
    }
    assert ask.ranking_of(parsed) == (("complaint_road", 0.4),)
