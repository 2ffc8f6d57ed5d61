"""`python -m nlu.evaluate [compare] …`: the NLU report of a model, or the comparison of
candidate pipelines (nlu/evaluation/compare.py)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from nlu.evaluation.compare import compare_main
from nlu.evaluation.metrics import (
    DEFAULT_HOLDOUT,
    DEFAULT_OUT,
    DEFAULT_TRAFFY,
    ROOT,
    evaluate,
    load_examples,
    open_traffy,
)
from nlu.evaluation.report import write_report
from nlu.pipelines import encoder
from nlu.predict import DEFAULT_MODEL, Parser, quiet_rasa


def report_main(argv: Sequence[str]) -> int:
    """`python -m nlu.evaluate --model ... --out ...`."""
    cli = argparse.ArgumentParser(prog="python -m nlu.evaluate", description="NLU report.")
    cli.add_argument("--model", type=Path, default=ROOT / DEFAULT_MODEL)
    cli.add_argument("--out", type=Path, default=DEFAULT_OUT)
    cli.add_argument("--holdout", type=Path, default=DEFAULT_HOLDOUT)
    cli.add_argument("--traffy", type=Path, default=DEFAULT_TRAFFY)
    cli.add_argument("--no-traffy", action="store_true", help="skip the Traffy part")
    args = cli.parse_args(argv)
    if not args.model.is_file():
        print(f"no model at {args.model}", file=sys.stderr)
        return 2
    traffy, note = open_traffy(None if args.no_traffy else args.traffy)
    if traffy is None:
        print(f"Traffy part skipped: {note}", file=sys.stderr)
    quiet_rasa()
    parser = Parser(args.model)
    with encoder.remembering(encoder.EncoderCache(name="evaluation")):
        report = evaluate(parser, load_examples(args.holdout), traffy)
    report["model"] = str(args.model)
    if traffy is None:
        report["traffy_note"] = note
    write_report(report, args.out, str(args.model))
    held = report["holdout"]
    print(f"held-out accuracy {held['accuracy']:.3f}, macro-F1 {held['macro_f1']:.3f}")
    if traffy is not None:
        t = report["traffy"]
        print(
            f"Traffy any-gold {t['any_gold_accuracy']:.3f} (single {t['single_accuracy']:.3f}), "
            f"fallback {100 * t['fallback_rate']:.1f} %"
        )
    print(f"report: {args.out / 'report.md'}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m nlu.evaluate [compare] ...`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["compare"]:
        return compare_main(args[1:])
    return report_main(args)


if __name__ == "__main__":
    sys.exit(main())
