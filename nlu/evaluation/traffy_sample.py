"""`python -m nlu.evaluation.traffy_sample`: wrong-agency routings on real complaints.

A fixed random sample of `../shared/eval/traffy_eval.jsonl` was read by a person and each
row labelled by the desk's written definitions (docs/nlu.md, "Complaint types"), not by
Traffy's labels or any model's reading. Only row numbers and labels are stored
(`traffy_sample_labels.csv`); the texts stay in the evaluation file. The sample is for
measuring only: nothing is chosen by it.

    python -m nlu.evaluation.traffy_sample draw              # the sample's row numbers
    python -m nlu.evaluation.traffy_sample show              # their texts, to read (stdout)
    python -m nlu.evaluation.traffy_sample measure --model M [--model M2 ...] [--all]

`measure` reports, per model, intent accuracy against the labels and the share of rows the
model would send to another agency than the label's (nlu/evaluation/routing.py); with
`--all`, the whole file's any-gold intent accuracy and routing-agency accuracy too.
Runs in the Rasa environment (Python 3.10).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from nlu.evaluation.metrics import DEFAULT_TRAFFY, load_traffy
from nlu.evaluation.routing import Routes

LABELS = Path(__file__).resolve().parent / "traffy_sample_labels.csv"
SEED = 20261204
SIZE = 150


def draw(rows: int, size: int = SIZE, seed: int = SEED) -> list[int]:
    """The sample's row numbers (0-based, in the order `load_traffy` reads), sorted."""
    return sorted(random.Random(seed).sample(range(rows), size))


def read_labels(path: Path = LABELS) -> dict[int, str]:
    """Row number → label."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {int(row["row"]): row["label"].strip() for row in csv.DictReader(handle)}


def agency_accuracy(routes: Routes, gold: Sequence[Sequence[str]], read: Sequence[str]) -> float:
    """Share of readings that reach the agency of any of their row's gold labels."""
    right = sum(
        any(routes.same_agency(label, got) for label in labels)
        for labels, got in zip(gold, read, strict=True)
    )
    return right / len(read) if read else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m nlu.evaluation.traffy_sample {draw,show,measure}`."""
    cli = argparse.ArgumentParser(prog="python -m nlu.evaluation.traffy_sample")
    cli.add_argument("command", choices=("draw", "show", "measure"))
    cli.add_argument("--traffy", type=Path, default=DEFAULT_TRAFFY)
    cli.add_argument("--labels", type=Path, default=LABELS)
    cli.add_argument("--model", type=Path, action="append", default=[])
    cli.add_argument("--all", action="store_true", help="also the whole file's scores")
    args = cli.parse_args(argv)
    traffy = load_traffy(args.traffy)
    sample = draw(len(traffy.rows))
    if args.command == "draw":
        print("\n".join(map(str, sample)))
        return 0
    if args.command == "show":
        for number in sample:
            print(f"{number}\t{' '.join(traffy.rows[number].text.split())}")
        return 0

    from nlu.evaluation.ask import Read, load_setting, read_texts, tally
    from nlu.predict import quiet_rasa

    quiet_rasa()
    routes = Routes.load()
    setting = load_setting()
    labels = read_labels(args.labels)
    numbers = sorted(labels)
    for model in args.model:
        rankings = read_texts(model, [traffy.rows[n].text for n in numbers])
        read = [r[0][0] if r else "nlu_fallback" for r in rankings]
        gold = [labels[n] for n in numbers]
        right = sum(g == r for g, r in zip(gold, read, strict=True))
        wrong_agency = sum(not routes.same_agency(g, r) for g, r in zip(gold, read, strict=True))
        print(
            f"{model}: sample of {len(numbers)}: intent {right / len(numbers):.3f}, "
            f"wrong agency {wrong_agency} ({100 * wrong_agency / len(numbers):.1f} %)"
        )
        # Asking at the shipped setting (data/ask_when_unsure.yml): a row read as no
        # complaint is never asked, so it stays wrong.
        asked = tally([Read(g, r) for g, r in zip(gold, rankings, strict=True)], setting, routes)
        print(
            f"  asking at the shipped setting: asked {asked['asked']}, wrong agency left "
            f"{wrong_agency - asked['wrong_agency_caught']}"
        )
        if args.all:
            whole = read_texts(model, [row.text for row in traffy.rows])
            tops = [r[0][0] if r else "nlu_fallback" for r in whole]
            golds = [row.gold for row in traffy.rows]
            intent = sum(t in g for t, g in zip(tops, golds, strict=True)) / len(tops)
            single = [
                (t, g) for t, g, row in zip(tops, golds, traffy.rows, strict=True) if row.single
            ]
            single_intent = sum(t in g for t, g in single) / len(single)
            print(
                f"  Traffy, all {len(tops)} rows: any-gold intent {intent:.3f} "
                f"(single-label {single_intent:.3f}), routing agency "
                f"{agency_accuracy(routes, golds, tops):.3f} (single-label "
                f"{agency_accuracy(routes, [g for _, g in single], [t for t, _ in single]):.3f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
