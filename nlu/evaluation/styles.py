"""`python -m nlu.evaluation.styles`: how a pipeline reads a style of writing it never saw.

Stratified cross-validation holds back examples at random, so every fold's test messages
share their author, session and habits with the training examples: it measures how well
the model knows this data, not how it reads citizens who write differently. Real
complaints are such citizens, and the evaluation file of them may not choose anything.

This tool holds back one *style* at a time instead: each complaint file of `data/nlu`
after the first (`complaints_citizen.yml`, `complaints_detailed.yml`,
`complaints_families.yml`, `complaints_long.yml`) was written in its own round, to its
own brief, with its own habits. A model trained on everything else reads the whole file.
When the held-back file is one that `nlu.compose` builds its long examples from, those
are rebuilt without it, so none of its sentences reaches training in disguise.

    python -m nlu.evaluation.styles [--variant NAME:key=value,... ...] [--out DIR]

Each variant changes the options of the config's intent classifier
(`nlu.pipelines.cascade.TfidfEncoderClassifier`); the config as shipped is always
measured first. Per variant and style: accuracy, complaints filed at another agency
(data/routing.yml), and what asking at the shipped setting (data/ask_when_unsure.yml)
catches and costs. Readings (style, gold, ranking; no text) go to `DIR/readings.json`.
Runs in the Rasa environment (Python 3.10).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from nlu.evaluation.ask import (
    DEFAULT_CONFIG,
    DEFAULT_DATA,
    Read,
    Setting,
    agency_groups,
    load_setting,
    read_texts,
    tally,
    training_cache_copy,
)
from nlu.evaluation.routing import Routes, is_complaint

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "reports" / "nlu" / "styles"
STYLES = (
    "complaints_citizen.yml",
    "complaints_detailed.yml",
    "complaints_families.yml",
    "complaints_long.yml",
)
COMPOSED = "complaints_composed.yml"
CLASSIFIER = "nlu.pipelines.cascade.TfidfEncoderClassifier"


def parse_variant(text: str) -> tuple[str, dict[str, Any]]:
    """`NAME:key=value,key=value` → (name, options); values read as YAML scalars."""
    name, _, options = text.partition(":")
    changes: dict[str, Any] = {}
    for item in filter(None, options.split(",")):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise argparse.ArgumentTypeError(f"not key=value: {item!r}")
        changes[key.strip()] = yaml.safe_load(value)
    if not name.strip():
        raise argparse.ArgumentTypeError(f"a variant needs a name: {text!r}")
    return name.strip(), changes


def variant_config(config: Path, changes: dict[str, Any], out: Path) -> Path:
    """A copy of `config` with the intent classifier's options changed."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    steps = [step for step in data["pipeline"] if step.get("name") == CLASSIFIER]
    if len(steps) != 1:
        raise SystemExit(f"{config}: expected one {CLASSIFIER}")
    steps[0].update(changes)
    out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def training_folder(data_dir: Path, held_back: str, workdir: Path) -> Path:
    """`data_dir` without `held_back`, its composed examples rebuilt when it is a core."""
    from nlu.compose import DEFAULT_CORES

    folder = workdir / f"train-{Path(held_back).stem}"
    folder.mkdir()
    for path in sorted(data_dir.glob("*.yml")):
        if path.name not in (held_back, COMPOSED):
            shutil.copy(path, folder / path.name)
    cores = [data_dir / c.name for c in DEFAULT_CORES if c.name != held_back]
    if len(cores) == len(DEFAULT_CORES):
        if (data_dir / COMPOSED).is_file():
            shutil.copy(data_dir / COMPOSED, folder / COMPOSED)
    else:
        command = [sys.executable, "-m", "nlu.compose", "--out", str(folder / COMPOSED)]
        command += ["--cores", *map(str, cores)]
        subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return folder


def read_styles(
    config: Path, data_dir: Path, workdir: Path, styles: Sequence[str] = STYLES
) -> list[dict[str, Any]]:
    """Each style file read by a model trained on everything but it (and its compositions)."""
    from rasa.shared.nlu.training_data.loading import load_data

    from nlu.evaluation.compare import train
    from nlu.evaluation.metrics import load_examples

    rows: list[dict[str, Any]] = []
    for style in styles:
        folder = training_folder(data_dir, style, workdir)
        cache = training_cache_copy(workdir / f"cache-{Path(style).stem}")
        with contextlib.redirect_stdout(sys.stderr):  # Rasa's "model saved" line
            model, seconds = train(config, load_data(str(folder)), workdir, Path(style).stem)
        examples = load_examples(data_dir / style)
        rankings = read_texts(model, [e.text for e in examples], cache=cache)
        rows += [
            {"style": style, "gold": e.intent, "ranking": [list(item) for item in ranking]}
            for e, ranking in zip(examples, rankings, strict=True)
        ]
        Path(model).unlink()
        shutil.rmtree(folder)
        print(f"  {style}: trained in {seconds:.0f} s", file=sys.stderr)
    return rows


def summary(rows: Sequence[dict[str, Any]], setting: Setting, routes: Routes) -> dict[str, Any]:
    """Accuracy, wrong-agency filings and asking, per style and over all styles."""
    by_style: dict[str, list[Read]] = {}
    for row in rows:
        ranking = tuple((str(n), float(c)) for n, c in row["ranking"])
        by_style.setdefault(row["style"], []).append(Read(str(row["gold"]), ranking))
    every = [read for reads in by_style.values() for read in reads]
    grouped = Setting(
        setting.min_confidence,
        setting.min_margin,
        setting.max_choices,
        agency_groups(routes, every),
        setting.floor,
    )
    out: dict[str, Any] = {}
    for name, reads in [*by_style.items(), ("all", every)]:
        asked = tally(reads, grouped, routes)
        out[name] = {
            "examples": len(reads),
            "accuracy": sum(r.top == r.gold for r in reads) / len(reads),
            "not_filed": sum(is_complaint(r.gold) and not is_complaint(r.top) for r in reads),
            "wrong_agency": asked["wrong_agency"],
            "asked": asked["asked"],
            "wrong_agency_left": asked["wrong_agency_left"],
            "cost": asked["cost"],
        }
    return out


def table(results: dict[str, dict[str, Any]]) -> str:
    """Markdown: one row per variant, accuracy (wrong agency; left after asking) per style."""
    names = [*STYLES, "all"]
    head = "| variant | " + " | ".join(n.removesuffix(".yml") for n in names) + " | asked, cost |"
    lines = [head, "| --- |" + " ---: |" * (len(names) + 1)]
    for variant, styles in results.items():
        cells = [
            f"{s['accuracy']:.3f} ({s['wrong_agency']}; {s['wrong_agency_left']})"
            for s in (styles[n] for n in names)
        ]
        lines.append(
            f"| {variant} | "
            + " | ".join(cells)
            + f" | {styles['all']['asked']}, {styles['all']['cost']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m nlu.evaluation.styles [--variant NAME:k=v,...] [--out DIR]`."""
    cli = argparse.ArgumentParser(prog="python -m nlu.evaluation.styles")
    cli.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    cli.add_argument("--data", type=Path, default=DEFAULT_DATA)
    cli.add_argument("--variant", type=parse_variant, action="append", default=[])
    cli.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = cli.parse_args(argv)

    from nlu.predict import quiet_rasa

    os.environ["RASA_MAX_CACHE_SIZE"] = "0"
    quiet_rasa()
    routes = Routes.load()
    setting = load_setting()
    args.out.mkdir(parents=True, exist_ok=True)
    readings: dict[str, list[dict[str, Any]]] = {}
    results: dict[str, dict[str, Any]] = {}
    for name, changes in [("shipped", {}), *args.variant]:
        print(f"{name}: {changes or 'as shipped'}", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="nlu-styles-") as tmp:
            workdir = Path(tmp)
            config = variant_config(args.config, changes, workdir / "config.yml")
            readings[name] = read_styles(config, args.data, workdir)
        results[name] = summary(readings[name], setting, routes)
        (args.out / "readings.json").write_text(json.dumps(readings) + "\n", encoding="utf-8")
        (args.out / "styles.json").write_text(json.dumps(results, indent=1) + "\n", "utf-8")
        print(table({name: results[name]}).splitlines()[-1], file=sys.stderr)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
