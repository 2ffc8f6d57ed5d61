"""`python -m nlu.evaluate compare`: candidate pipelines, measured the same way.

For each config: stratified k-fold cross-validation on the training data (train on k-1
folds, score the held-back fold, predictions pooled over the folds), then one model on all
the training data scored on the held-out set and on Traffy, with its training time and
one-message parse latency. Scores are the classifier's own top intent: the fallback
threshold is calibrated afterwards, on the chosen model (`python -m nlu.evaluate`).
Models go to a temporary folder; Rasa's training cache is off, so every run trains from
scratch and the times compare.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from nlu.evaluation.metrics import (
    AMBIGUITIES,
    DEFAULT_HOLDOUT,
    DEFAULT_TRAFFY,
    FALLBACK,
    ROOT,
    THRESHOLDS,
    Example,
    Reading,
    Traffy,
    any_gold_accuracy,
    intent_metrics,
    latency_ms,
    load_examples,
    open_traffy,
    parse_all,
    pick_threshold,
    reading,
    sweep,
)

DEFAULT_DATA = ROOT / "data" / "nlu"
DEFAULT_OUT = ROOT / "reports" / "nlu" / "compare"


def folds(labels: list[str], k: int, seed: int) -> list[list[int]]:
    """Indices of the held-back examples of each of k stratified folds."""
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return [list(test) for _, test in splitter.split(labels, labels)]


def train(config: Path, data: Any, workdir: Path, name: str) -> tuple[str, float]:
    """Trains an NLU model on a TrainingData; returns the archive and the seconds it took."""
    from rasa.model_training import train_nlu

    data_file = workdir / f"{name}.yml"
    data_file.write_text(data.nlu_as_yaml(), encoding="utf-8")
    started = time.perf_counter()
    model = train_nlu(
        config=str(config), nlu_data=str(data_file), output=str(workdir), fixed_model_name=name
    )
    seconds = time.perf_counter() - started
    if model is None:
        raise RuntimeError(f"training {config} on {name} gave no model")
    return model, seconds


def readings(model: str, texts: list[str]) -> tuple[list[Reading], Any]:
    """The classifier's reading of each text, and the loaded parser."""
    from nlu.predict import Parser

    parser = Parser(model)
    return [reading(parsed) for parsed in parse_all(parser, texts)], parser


def tops(read: list[Reading]) -> list[str]:
    """The top intents (the fallback where there is none)."""
    return [r.intent or FALLBACK for r in read]


def run_candidate(
    config: Path,
    data: Any,
    holdout: list[Example],
    traffy: Traffy | None,
    k: int,
    seed: int,
) -> dict[str, Any]:
    """Cross-validation, held-out and Traffy scores and timings of one pipeline."""
    from rasa.shared.nlu.training_data.training_data import TrainingData

    examples = [m for m in data.training_examples if m.get("text") and m.get("intent")]
    labels = [m.get("intent") for m in examples]
    gold: list[str] = []
    predicted: list[Reading] = []
    fold_seconds = []
    with tempfile.TemporaryDirectory(prefix="nlu-compare-") as tmp:
        workdir = Path(tmp)
        for number, test in enumerate(folds(labels, k, seed)):
            held_back = set(test)
            train_part = TrainingData(
                [m for i, m in enumerate(examples) if i not in held_back],
                entity_synonyms=data.entity_synonyms,
                regex_features=data.regex_features,
                lookup_tables=data.lookup_tables,
            )
            model, seconds = train(config, train_part, workdir, f"fold{number}")
            fold_seconds.append(seconds)
            got, _ = readings(model, [examples[i].get("text") for i in test])
            gold += [labels[i] for i in test]
            predicted += got
            Path(model).unlink()
            print(f"  fold {number + 1}/{k}: trained in {seconds:.1f} s", file=sys.stderr)
        model, full_seconds = train(config, data, workdir, "full")
        size = Path(model).stat().st_size
        held_got, parser = readings(model, [e.text for e in holdout])
        result: dict[str, Any] = {
            "config": str(config),
            "name": config.stem,
            "cv": {k_: v for k_, v in intent_metrics(gold, tops(predicted)).items() if k_ != "n"},
            "cv_folds": k,
            "holdout": intent_metrics([e.intent for e in holdout], tops(held_got)),
            "train_seconds_full": full_seconds,
            "train_seconds_fold_mean": statistics.mean(fold_seconds),
            "latency_ms": latency_ms(parser, [e.text for e in holdout[:100]]),
            "model_bytes": size,
        }
        traffy_pairs: list[tuple[tuple[str, ...], Reading]] = []
        if traffy is not None:
            started = time.perf_counter()
            real_read = [reading(p) for p in parse_all(parser, [r.text for r in traffy.rows])]
            result["traffy_parse_seconds"] = time.perf_counter() - started
            traffy_pairs = [(r.gold, read) for r, read in zip(traffy.rows, real_read, strict=True)]
            real = tops(real_read)
            single = [(r.gold, got) for r, got in zip(traffy.rows, real, strict=True) if r.single]
            result["traffy"] = {
                "any_gold_accuracy": any_gold_accuracy([r.gold for r in traffy.rows], real),
                "single_accuracy": any_gold_accuracy(
                    [g for g, _ in single], [p for _, p in single]
                ),
                "n": len(traffy.rows),
            }
    # The fallback settings on out-of-fold readings: every training example is unseen by
    # the model that reads it, which gives the sweep far more chat than the held-out set.
    rows = sweep(list(zip(gold, predicted, strict=True)), traffy_pairs, THRESHOLDS, AMBIGUITIES)
    result["cv_sweep"] = {"rows": rows, "pick": pick_threshold(rows)}
    return result


def table(results: list[dict[str, Any]]) -> str:
    """The comparison as a markdown table."""
    lines = [
        "| pipeline | CV acc | CV macro-F1 | held-out acc | held-out macro-F1 | Traffy any-gold "
        "| Traffy single | train s (all data) | parse ms p50 / p95 | model MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['name']} | failed: {r['error'].splitlines()[0]} |" + " |" * 8)
            continue
        traffy = r.get("traffy")
        real = (
            f"{traffy['any_gold_accuracy']:.3f} | {traffy['single_accuracy']:.3f}"
            if traffy
            else "– | –"
        )
        lines.append(
            f"| {r['name']} | {r['cv']['accuracy']:.3f} | {r['cv']['macro_f1']:.3f} "
            f"| {r['holdout']['accuracy']:.3f} | {r['holdout']['macro_f1']:.3f} | {real} "
            f"| {r['train_seconds_full']:.1f} | {r['latency_ms']['p50']:.1f} / "
            f"{r['latency_ms']['p95']:.1f} | {r['model_bytes'] / 1e6:.1f} |"
        )
    return "\n".join(lines)


def compare_main(argv: list[str]) -> int:
    """`python -m nlu.evaluate compare --configs nlu/pipelines/*.yml`."""
    from nlu.predict import quiet_rasa

    cli = argparse.ArgumentParser(prog="python -m nlu.evaluate compare")
    cli.add_argument("--configs", type=Path, nargs="+", required=True)
    cli.add_argument("--data", type=Path, default=DEFAULT_DATA)
    cli.add_argument("--holdout", type=Path, default=DEFAULT_HOLDOUT)
    cli.add_argument("--traffy", type=Path, default=DEFAULT_TRAFFY)
    cli.add_argument("--no-traffy", action="store_true")
    cli.add_argument("--folds", type=int, default=5)
    cli.add_argument("--seed", type=int, default=42)
    cli.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = cli.parse_args(argv)
    missing = [str(c) for c in args.configs if not c.is_file()]
    if missing:
        print(f"no such config: {', '.join(missing)}", file=sys.stderr)
        return 2
    traffy, note = open_traffy(None if args.no_traffy else args.traffy)
    if traffy is None:
        print(f"Traffy part skipped: {note}", file=sys.stderr)
    # Rasa's cache would hand later candidates the tokenizer output of earlier ones and
    # make their training times meaningless; 0 MB turns it off.
    os.environ["RASA_MAX_CACHE_SIZE"] = "0"
    quiet_rasa()
    from rasa.shared.exceptions import RasaException
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(args.data))
    holdout = load_examples(args.holdout)
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for config in args.configs:
        print(f"{config}:", file=sys.stderr)
        try:
            results.append(run_candidate(config, data, holdout, traffy, args.folds, args.seed))
        except RasaException as error:
            # A pipeline Rasa will not train is a result too; the others still run.
            print(f"  failed: {error}", file=sys.stderr)
            results.append({"config": str(config), "name": config.stem, "error": str(error)})
        # Written after every candidate: a long run that dies keeps what it measured.
        write(results, args.out, note)
    print(table(results))
    print(f"\nreport: {args.out / 'compare.md'}")
    return 0


def write(results: list[dict[str, Any]], out: Path, traffy_note: str) -> None:
    """compare.json and compare.md in `out`."""
    (out / "compare.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    pipelines = {
        r["name"]: yaml.safe_load(Path(r["config"]).read_text(encoding="utf-8")) for r in results
    }
    k = max(r.get("cv_folds", 0) for r in results)
    text = [
        "# NLU pipeline comparison",
        "",
        "Top intent of the classifier (no fallback). CV: stratified "
        f"{k}-fold on data/nlu, predictions pooled. Held-out: "
        "tests/data/nlu_holdout.yml. Train s: one in-process training on all data "
        "(Python start-up and imports not counted). Parse: one message at a time.",
        "",
        table(results),
        "",
    ]
    if traffy_note:
        text += [f"Traffy skipped: {traffy_note}.", ""]
    text += [
        "Fallback settings with the lowest cost (chat_as_complaint + complaints_lost + "
        "traffy_lost) on the out-of-fold readings (rates in %):",
        "",
        "| pipeline | threshold | ambiguity | chat_as_complaint | oos_caught "
        "| complaints_lost | traffy_lost |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        if "cv_sweep" not in r:
            continue
        p = r["cv_sweep"]["pick"]
        text.append(
            f"| {r['name']} | {p['threshold']:.2f} | {p['ambiguity']:.2f} "
            f"| {100 * p['chat_as_complaint']:.1f} | {100 * p['oos_caught']:.1f} "
            f"| {100 * p['complaints_lost']:.1f} | {100 * p['traffy_lost']:.1f} |"
        )
    text.append("")
    for name, config in pipelines.items():
        components = ", ".join(step["name"] for step in config.get("pipeline") or [])
        text.append(f"- `{name}` ({config.get('language')}): {components}")
    (out / "compare.md").write_text("\n".join(text) + "\n", encoding="utf-8")
