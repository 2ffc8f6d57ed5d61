"""Comparing a candidate model with the active one: the measures that gate activation and
the confusion-matrix cells that moved (pure functions of two evaluation reports)."""

from __future__ import annotations

from typing import Any

from bot.teaching import training


def report(matrix: list[list[int]], road_f1: float, accuracy: float) -> dict[str, Any]:
    labels = ["complaint_road", "complaint_traffic", "nlu_fallback"]
    return {
        "accuracy": accuracy,
        "macro_f1": accuracy,
        "per_intent": {"complaint_road": {"f1": road_f1}, "complaint_traffic": {"f1": 0.9}},
        "confusion": {"labels": labels, "matrix": matrix},
    }


ACTIVE = report([[8, 2, 0], [0, 10, 0], [0, 0, 0]], road_f1=0.88, accuracy=0.90)
WORSE = report([[5, 4, 1], [0, 10, 0], [0, 0, 0]], road_f1=0.70, accuracy=0.75)


def test_a_drop_beyond_the_margin_is_a_regression_and_a_small_one_is_not() -> None:
    changes = training.compare(ACTIVE, WORSE)
    worse = {c.name for c in training.regressions(changes, margin=0.02)}
    assert worse == {"accuracy", "macro_f1", "f1:complaint_road"}
    slightly = report([[8, 2, 0], [0, 10, 0], [0, 0, 0]], road_f1=0.87, accuracy=0.89)
    assert training.regressions(training.compare(ACTIVE, slightly), margin=0.02) == []
    assert training.compare(None, WORSE) == []  # nothing active to compare with


def test_the_confusion_cells_that_moved_are_listed_largest_first() -> None:
    moved = training.confusion_changes(ACTIVE, WORSE)
    assert moved == [
        {"gold": "complaint_road", "predicted": "complaint_road", "active": 8, "candidate": 5},
        {"gold": "complaint_road", "predicted": "complaint_traffic", "active": 2, "candidate": 4},
        {"gold": "complaint_road", "predicted": "nlu_fallback", "active": 0, "candidate": 1},
    ]
    assert training.confusion_changes(ACTIVE, ACTIVE) == []
    assert training.confusion_changes(None, WORSE) == []


def test_matrices_over_different_labels_are_compared_cell_by_name() -> None:
    other = {
        "confusion": {
            "labels": ["complaint_traffic", "complaint_road"],
            "matrix": [[10, 0], [2, 8]],
        }
    }
    assert training.confusion_changes(ACTIVE, other) == []  # same cells, other order


def test_the_training_log_is_plain_text_for_the_console() -> None:
    # Rasa and TensorFlow colour their output and redraw progress bars even into a pipe.
    assert training.plain("\x1b[92mYour Rasa model is trained\x1b[0m") == (
        "Your Rasa model is trained"
    )
    assert training.plain("Epochs: 100%|\x1b[32m██████\x1b[0m| 20/20\r") == (
        "Epochs: 100%|██████| 20/20"
    )
    assert training.plain("\x1b[2K\x1b[1Gไม่มีรหัสสี") == "ไม่มีรหัสสี"
