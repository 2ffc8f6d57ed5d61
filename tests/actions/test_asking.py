"""When the desk asks which complaint a citizen meant: readings of one agency count
together, one reading per agency is offered, and the action server's rule is the one that
cross-validation measured (nlu/evaluation/ask.py)."""

from __future__ import annotations

import random

import pytest

from actions.complaint import asking
from actions.complaint.answers import Asking, Reading, unsure
from nlu.evaluation import ask

SHIPPED = asking.thresholds()
URBAN = next(group for group in SHIPPED.groups if "complaint_road" in group)
# Round numbers, so the cases below do not move with the shipped values.
RULE = Asking(min_confidence=0.5, min_margin=0.3, groups=SHIPPED.groups)


def readings(*pairs: tuple[str, float]) -> list[Reading]:
    return [Reading(intent, confidence) for intent, confidence in pairs]


def test_the_shipped_groups_are_the_agencies_of_the_routing_file() -> None:
    assert {"complaint_road", "complaint_streetlight", "complaint_flooding"} <= set(URBAN)
    assert "complaint_traffic" not in URBAN
    every = [intent for group in SHIPPED.groups for intent in group]
    assert len(every) == len(set(every))  # each type in one group


def test_two_types_of_the_same_agency_are_not_asked_about() -> None:
    # Road or street light: the district office gets it either way, and fixes the type.
    got = readings(
        ("complaint_road", 0.45), ("complaint_streetlight", 0.40), ("complaint_traffic", 0.1)
    )
    assert unsure(got, RULE) == []
    alone = Asking(min_confidence=0.5, min_margin=0.3)  # without groups each type counts alone
    assert unsure(got, alone) == ["complaint_road", "complaint_streetlight", "complaint_traffic"]


def test_one_reading_per_agency_is_offered_the_top_one_first() -> None:
    got = readings(
        ("complaint_traffic", 0.42),
        ("complaint_road", 0.30),
        ("complaint_streetlight", 0.15),
        ("service_lookup", 0.08),
        ("greet", 0.05),
    )
    assert unsure(got, RULE) == ["complaint_traffic", "complaint_road", "service_lookup"]


def test_a_reading_below_the_floor_is_not_offered() -> None:
    got = readings(("complaint_traffic", 0.45), ("inform", 0.42), ("complaint_safety", 0.03))
    assert unsure(got, RULE) == ["complaint_traffic"]


@pytest.mark.parametrize("seed", range(5))
def test_the_action_server_asks_exactly_when_cross_validation_counted_it(seed: int) -> None:
    rng = random.Random(seed)
    intents = [*(t for group in SHIPPED.groups for t in group), "service_lookup", "greet"]
    setting = ask.Setting(
        RULE.min_confidence, RULE.min_margin, RULE.max_choices, SHIPPED.groups, RULE.floor
    )
    asked = 0
    for _ in range(400):
        names = rng.sample(intents, rng.randint(1, 6))
        weights = [rng.random() ** 2 for _ in names]
        total = sum(weights)
        ranking = sorted(
            ((n, round(w / total, 4)) for n, w in zip(names, weights, strict=True)),
            key=lambda pair: -pair[1],
        )
        offered = unsure(readings(*ranking), RULE)
        assert offered == ask.offer(tuple(ranking), setting), ranking
        asked += bool(offered)
    assert 0 < asked < 400  # the samples reach both sides of the rule
