"""The evaluation report as files: `report.md`, `report.json` and `confusion.png`.

Rendering only; the numbers come from `nlu.evaluate.evaluate`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nlu.evaluation.metrics import pick_threshold

# An intent name. Rasa reads a message that starts with "/" as "/intent{...}" and answers
# with the message itself as the intent, so a predicted "intent" may be citizen text.
_INTENT_NAME = re.compile(r"[a-z][a-z0-9_]*")


def _intent_or_text(name: str) -> str:
    """The name if it is an intent's; a placeholder where it is a message's text."""
    return name if _INTENT_NAME.fullmatch(name) else "(a message read as an intent name)"


def plot_confusion(labels: Sequence[str], matrix: Sequence[Sequence[int]], path: Path) -> None:
    """The confusion matrix as a PNG (gold rows, predicted columns, counts in the cells)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    size = max(6.0, 0.42 * len(labels) + 2)
    figure, axes = plt.subplots(figsize=(size + 1.5, size))
    image = axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    axes.set_xlabel("predicted")
    axes.set_ylabel("gold")
    top = max((max(row) for row in matrix), default=0)
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            if count:
                colour = "white" if count > top / 2 else "black"
                axes.text(j, i, str(count), ha="center", va="center", fontsize=7, color=colour)
    figure.colorbar(image, fraction=0.04)
    axes.set_title("Held-out set: confusion matrix")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def sweep_table(rows: Sequence[dict[str, Any]], with_traffy: bool = True) -> str:
    """The threshold sweep as a markdown table (percentages)."""
    columns = ["oos_as_complaint", "chat_as_complaint", "oos_caught", "complaints_lost"]
    columns += ["holdout_accuracy"]
    if with_traffy:
        columns += ["traffy_fallback", "traffy_lost", "traffy_any_gold"]
    lines = [
        "| ambiguity | threshold | " + " | ".join(columns) + " |",
        "| ---: | ---: |" + " ---: |" * len(columns),
    ]
    for row in rows:
        cells = " | ".join(f"{100 * row[c]:.1f}" for c in columns)
        lines.append(f"| {row['ambiguity']:.2f} | {row['threshold']:.2f} | {cells} |")
    return "\n".join(lines)


def render_markdown(report: dict[str, Any], model: str) -> str:
    """The report as markdown."""
    held = report["holdout"]
    fallback = report["fallback"]
    out = [
        f"# NLU report: `{model}`",
        "",
        f"FallbackClassifier in the model: threshold {fallback['threshold']}, "
        f"ambiguity_threshold {fallback['ambiguity_threshold']}.",
        "",
        "## Held-out set",
        "",
        f"{held['n']} examples: accuracy **{held['accuracy']:.3f}**, macro-F1 "
        f"**{held['macro_f1']:.3f}** (as deployed, fallbacks count as wrong: "
        f"{held['fallbacks']}); top intent without the fallback: "
        f"{held['top_intent_accuracy']:.3f}. Parse latency, one message: "
        f"p50 {report['latency_ms']['p50']:.1f} ms, p95 {report['latency_ms']['p95']:.1f} ms.",
        "",
        "| intent | precision | recall | F1 | support |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for intent, m in held["per_intent"].items():
        out.append(
            f"| {intent} | {m['precision']:.2f} | {m['recall']:.2f} | {m['f1']:.2f} "
            f"| {m['support']} |"
        )
    out += ["", "Confusion matrix: `confusion.png`.", "", "## Traffy Fondue (real complaints)", ""]
    traffy = report.get("traffy")
    if traffy is None:
        out.append(f"Skipped: {report.get('traffy_note', 'no Traffy file')}.")
    else:
        out += [
            f"{traffy['n']} rows ({traffy['repaired_rows']} repaired, {traffy['skipped_rows']} "
            f"skipped): any-gold accuracy **{traffy['any_gold_accuracy']:.3f}**, on the "
            f"{traffy['n_single']} single-label rows **{traffy['single_accuracy']:.3f}**; "
            f"top intent without the fallback {traffy['top_intent_any_gold_accuracy']:.3f}.",
            f"Fell back: **{traffy['fallbacks']}** ({100 * traffy['fallback_rate']:.1f} %); "
            f"not a complaint intent at all (fallback included): "
            f"{100 * traffy['non_complaint_rate']:.1f} %.",
            "",
            "Predicted intents: "
            + ", ".join(
                f"{_intent_or_text(name)} {count}" for name, count in traffy["predicted"].items()
            ),
            "",
            "Most frequent mistakes on single-label rows (gold → predicted): "
            + ", ".join(
                " → ".join(_intent_or_text(part) for part in pair.split(" → ")) + f" {n}"
                for pair, n in traffy["single_top_mistakes"].items()
            ),
        ]
    swept = report["sweep"]
    pick = swept["pick"]
    best = [
        pick_threshold([r for r in swept["rows"] if r["ambiguity"] == ambiguity])
        for ambiguity in sorted({r["ambiguity"] for r in swept["rows"]})
    ]
    out += [
        "",
        "## Fallback threshold sweep",
        "",
        "Rates in %. `oos_as_complaint`/`chat_as_complaint`: held-out out_of_scope / all "
        "non-complaint examples that would file a complaint; `oos_caught`: out_of_scope "
        "examples that fall back or stay out_of_scope; `complaints_lost`: held-out "
        "complaints that fall back or leave the complaint intents; `traffy_lost`: real "
        "complaints that would not file one.",
        "",
        f"Lowest cost (chat_as_complaint + complaints_lost + traffy_lost): threshold "
        f"**{pick['threshold']:.2f}**, ambiguity_threshold **{pick['ambiguity']:.2f}**.",
        "",
        "Best threshold for each ambiguity_threshold:",
        "",
        sweep_table(best, swept["with_traffy"]),
        "",
        f"Every threshold at ambiguity_threshold {pick['ambiguity']:.2f}:",
        "",
        sweep_table(
            [r for r in swept["rows"] if r["ambiguity"] == pick["ambiguity"]],
            swept["with_traffy"],
        ),
        "",
    ]
    return "\n".join(out)


def write_report(report: dict[str, Any], out: Path, model: str) -> None:
    """report.json, report.md and confusion.png in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (out / "report.md").write_text(render_markdown(report, model), encoding="utf-8")
    plot_confusion(
        report["confusion"]["labels"], report["confusion"]["matrix"], out / "confusion.png"
    )
