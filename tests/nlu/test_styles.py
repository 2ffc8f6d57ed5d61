"""Holding back one style of writing (nlu/evaluation/styles.py): the training folder it
builds, the variants it reads, and its tallies. Training itself is Rasa's, run by the tool."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml

from nlu.evaluation.ask import Setting
from nlu.evaluation.routing import Routes
from nlu.evaluation.styles import (
    COMPOSED,
    STYLES,
    parse_variant,
    summary,
    table,
    training_folder,
    variant_config,
)

ROOT = Path(__file__).resolve().parents[2]


def nlu_file(path: Path, intent: str, *texts: str) -> None:
    examples = "".join(f"    - {text}\n" for text in texts)
    path.write_text(
        f'version: "3.1"\nnlu:\n- intent: {intent}\n  examples: |\n{examples}', encoding="utf-8"
    )


def test_a_variant_is_a_name_and_options() -> None:
    assert parse_variant("C5w4:C=5,encoder_weight=4.0") == ("C5w4", {"C": 5, "encoder_weight": 4.0})
    assert parse_variant("shipped:") == ("shipped", {})
    with pytest.raises(argparse.ArgumentTypeError):
        parse_variant("bad:C")
    with pytest.raises(argparse.ArgumentTypeError):
        parse_variant(":C=5")


def test_a_variant_changes_only_the_classifier(tmp_path: Path) -> None:
    out = variant_config(ROOT / "config.yml", {"C": 5, "consult_below": 0.8}, tmp_path / "c.yml")
    shipped = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    changed = yaml.safe_load(out.read_text(encoding="utf-8"))
    differ = [
        (a, b) for a, b in zip(shipped["pipeline"], changed["pipeline"], strict=True) if a != b
    ]
    assert len(differ) == 1
    before, after = differ[0]
    assert after == {**before, "C": 5, "consult_below": 0.8}
    assert changed["policies"] == shipped["policies"]


def test_the_held_back_style_and_its_compositions_leave_training(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    nlu_file(data / "complaints.yml", "complaint_road", "ถนนเป็นหลุมลึกมาก", "ถนนทรุดตัว")
    nlu_file(data / "complaints_detailed.yml", "complaint_road", "ถนนหน้าบ้านพังเสียหายหนัก")
    nlu_file(data / "complaints_citizen.yml", "complaint_road", "ถนนพังจ้าาา ซ่อมด้วย")
    nlu_file(data / "complaints_long.yml", "complaint_road", "เรียนเขต ถนนชำรุดมานาน")
    nlu_file(data / COMPOSED, "complaint_road", "shipped composition")
    work = tmp_path / "work"
    work.mkdir()

    # a style no composition is built from: everything else as it is
    long = training_folder(data, "complaints_long.yml", work)
    assert sorted(p.name for p in long.iterdir()) == sorted(
        ["complaints.yml", "complaints_detailed.yml", "complaints_citizen.yml", COMPOSED]
    )
    assert "shipped composition" in (long / COMPOSED).read_text(encoding="utf-8")

    # a core of the compositions: they are rebuilt without its sentences
    citizen = training_folder(data, "complaints_citizen.yml", work)
    assert not (citizen / "complaints_citizen.yml").exists()
    composed = (citizen / COMPOSED).read_text(encoding="utf-8")
    assert "shipped composition" not in composed
    assert "ซ่อมด้วย" not in composed
    assert "หลุมลึก" in composed or "ทรุดตัว" in composed or "พังเสียหาย" in composed


def test_the_tally_per_style_and_overall() -> None:
    routes = Routes.load()
    rows = [
        # right
        {"style": "a.yml", "gold": "complaint_road", "ranking": [["complaint_road", 0.9]]},
        # another type of the same agency: wrong type, same agency
        {"style": "a.yml", "gold": "complaint_road", "ranking": [["complaint_streetlight", 0.9]]},
        # another agency, sure: not asked
        {"style": "b.yml", "gold": "complaint_road", "ranking": [["complaint_traffic", 0.95]]},
        # another agency, unsure: asked, and the right agency is on offer
        {
            "style": "b.yml",
            "gold": "complaint_road",
            "ranking": [["complaint_traffic", 0.40], ["complaint_road", 0.35]],
        },
        # not filed at all
        {"style": "b.yml", "gold": "complaint_road", "ranking": [["inform", 0.8]]},
    ]
    result = summary(rows, Setting(0.5, 0.35), routes)
    assert result["a.yml"]["accuracy"] == 0.5 and result["a.yml"]["wrong_agency"] == 0
    assert result["b.yml"]["wrong_agency"] == 2  # "inform" files nothing: not counted here
    assert result["b.yml"]["not_filed"] == 1
    assert result["b.yml"]["asked"] == 1 and result["b.yml"]["wrong_agency_left"] == 1
    assert result["all"]["examples"] == 5
    assert result["all"]["accuracy"] == pytest.approx(0.2)
    assert result["all"]["cost"] == 1 * 1.0 + 1 * 5.0
    # the table names the four styles of data/nlu: here each shows the overall figures
    row = table({"v": {**{name: result["all"] for name in STYLES}, "all": result["all"]}})
    assert row.splitlines()[-1] == "| v | " + " | ".join(["0.200 (2; 1)"] * 5) + " | 1, 6 |"
