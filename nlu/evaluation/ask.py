"""`python -m nlu.evaluation.ask`: when the desk should ask "did you mean A, B or C?".

The desk files a complaint under the top complaint reading. When that reading is below
`min_confidence`, or the second complaint reading is within `min_margin` of it, it offers
the top `max_choices` complaint readings instead and lets the citizen choose. Asking costs
the citizen a tap; filing under a type that reaches another agency (data/routing.yml, read
by nlu/evaluation/routing.py) costs a misrouted ticket. A wrong type that reaches the same
agency costs nothing here: the same office gets it and can fix the type.

    python -m nlu.evaluation.ask cv [--folds 5] [--out reports/nlu/ask]   # train folds, sweep
    python -m nlu.evaluation.ask sweep [--readings reports/nlu/ask/cv_readings.json] [--write]
    python -m nlu.evaluation.ask holdout --model models/desk.tar.gz --holdout F [F ...]

`cv` trains the config on k-1 folds of data/nlu and keeps every example's out-of-fold
ranking (gold intent and ranking only, no text) in `cv_readings.json`; `sweep` picks the
settings with the lowest cost on those readings (`--write` puts them in
data/ask_when_unsure.yml); `holdout` reports what the chosen settings do on hidden sets.
Runs in the Rasa environment (Python 3.10).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nlu.evaluation.routing import Routes, is_complaint

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SETTINGS = ROOT / "data" / "ask_when_unsure.yml"
DEFAULT_OUT = ROOT / "reports" / "nlu" / "ask"
DEFAULT_DATA = ROOT / "data" / "nlu"
DEFAULT_CONFIG = ROOT / "config.yml"
FALLBACK = "nlu_fallback"
SERVICE = "service_lookup"
ASK_COST = 1.0
# A ticket at the wrong agency waits until an officer transfers it: five taps (docs/nlu.md).
WRONG_AGENCY_COST = 5.0
CONFIDENCES = tuple(round(0.05 * step, 2) for step in range(0, 20))
MARGINS = tuple(round(0.05 * step, 2) for step in range(0, 11))

Ranking = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Read:
    """A message's gold intent and the classifier's own ranking, best first."""

    gold: str
    ranking: Ranking

    @property
    def top(self) -> str | None:
        """The classifier's top intent (None when it gave none)."""
        return self.ranking[0][0] if self.ranking else None


@dataclass(frozen=True)
class Setting:
    """When to ask, and how many readings to offer.

    `groups` are the complaint types that reach the same agency (data/routing.yml): their
    confidences count together, so the desk asks when it is unsure *which agency* a
    complaint is for, and offers one reading per agency. Without groups, each type counts
    alone. A reading below `floor` is not offered (as in actions/complaint/answers.py).
    """

    min_confidence: float
    min_margin: float
    max_choices: int = 3
    groups: tuple[tuple[str, ...], ...] = ()
    floor: float = 0.05


def ranking_of(parsed: dict[str, Any]) -> Ranking:
    """The ranking of a parse without the fallback's entry."""
    items = parsed.get("intent_ranking") or []
    return tuple(
        (str(item["name"]), float(item["confidence"]))
        for item in items
        if item.get("name") and item["name"] != FALLBACK
    )


def askable(intent: str) -> bool:
    """Whether a reading can be offered: a complaint type, or a question about a service."""
    return is_complaint(intent) or intent == SERVICE


def offer(ranking: Ranking, setting: Setting) -> list[str]:
    """The readings offered before a complaint is filed ("did you mean …?"), the top one
    first; empty when the desk is sure (or is not about to file a complaint).

    The desk is sure when the top reading's agency holds at least `min_confidence` and
    leads the next agency (or a service question) by `min_margin`. The same rule as
    `actions.complaint.answers.unsure`, which the action server runs.
    """
    if not ranking or not is_complaint(ranking[0][0]):
        return []
    member = {intent: group[0] for group in setting.groups for intent in group}
    mass: dict[str, float] = {}
    best: dict[str, tuple[str, float]] = {}
    for name, confidence in ranking:
        if askable(name):
            group = member.get(name, name)
            mass[group] = mass.get(group, 0.0) + confidence
            best.setdefault(group, (name, confidence))
    top = member.get(ranking[0][0], ranking[0][0])
    others = sorted((g for g in mass if g != top), key=lambda g: -mass[g])
    second = mass[others[0]] if others else 0.0
    if mass[top] >= setting.min_confidence and mass[top] - second >= setting.min_margin:
        return []
    offered = [ranking[0][0], *(best[g][0] for g in others if best[g][1] >= setting.floor)]
    return offered[: setting.max_choices]


def should_ask(ranking: Ranking, setting: Setting) -> bool:
    """Whether a message the desk would file as a complaint gets "did you mean …?" first."""
    return bool(offer(ranking, setting))


def agency_groups(routes: Routes, reads: Iterable[Read]) -> tuple[tuple[str, ...], ...]:
    """The complaint types seen in `reads`, grouped by the agencies they reach."""
    seen = {r.gold for r in reads} | {name for r in reads for name, _ in r.ranking}
    return tuple(tuple(group) for group in routes.groups(seen))


def tally(
    reads: Sequence[Read],
    setting: Setting,
    routes: Routes,
    ask_cost: float = ASK_COST,
    wrong_cost: float = WRONG_AGENCY_COST,
) -> dict[str, Any]:
    """What asking at `setting` does to the messages the desk would file as complaints.

    A wrong reading is *caught* when it is asked about and the right answer is on offer
    (its type among the choices, or, for a message that is no complaint, "none of these").
    Cost = asked × `ask_cost` + wrong-agency filings not caught × `wrong_cost`.
    """
    filed = [r for r in reads if is_complaint(r.top)]
    gold_complaints = sum(is_complaint(r.gold) for r in reads)
    asked = asked_gold_complaint = 0
    wrong_type = wrong_agency = caught_type = caught_agency = 0
    for read in filed:
        offered = offer(read.ranking, setting)
        ask = bool(offered)
        nothing_to_file = not is_complaint(read.gold)  # "none of these" is on offer
        asked += ask
        asked_gold_complaint += ask and is_complaint(read.gold)
        if read.top != read.gold:
            wrong_type += 1
            caught_type += ask and (read.gold in offered or nothing_to_file)
        if not routes.same_agency(read.gold, read.top):
            wrong_agency += 1
            caught_agency += ask and (
                nothing_to_file or any(routes.same_agency(read.gold, o) for o in offered)
            )
    return {
        "min_confidence": setting.min_confidence,
        "min_margin": setting.min_margin,
        "max_choices": setting.max_choices,
        "groups": [list(group) for group in setting.groups],
        "messages": len(reads),
        "gold_complaints": gold_complaints,
        "filed": len(filed),
        "asked": asked,
        "asked_share_of_filed": _ratio(asked, len(filed)),
        "asked_gold_complaints": asked_gold_complaint,
        "asked_share_of_complaints": _ratio(asked_gold_complaint, gold_complaints),
        "wrong_type": wrong_type,
        "wrong_type_caught": caught_type,
        "wrong_agency": wrong_agency,
        "wrong_agency_caught": caught_agency,
        "wrong_agency_left": wrong_agency - caught_agency,
        "cost": asked * ask_cost + (wrong_agency - caught_agency) * wrong_cost,
    }


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def sweep(
    reads: Sequence[Read],
    routes: Routes,
    confidences: Iterable[float] = CONFIDENCES,
    margins: Iterable[float] = MARGINS,
    max_choices: int = 3,
    ask_cost: float = ASK_COST,
    wrong_cost: float = WRONG_AGENCY_COST,
    groups: tuple[tuple[str, ...], ...] = (),
) -> list[dict[str, Any]]:
    """`tally` for every (min_confidence, min_margin) pair."""
    margins = tuple(margins)
    return [
        tally(reads, Setting(confidence, margin, max_choices, groups), routes, ask_cost, wrong_cost)
        for confidence in confidences
        for margin in margins
    ]


def pick(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The cheapest row; on a tie the one that asks least, then the lowest settings."""
    return min(
        rows,
        key=lambda r: (round(r["cost"], 6), r["asked"], r["min_confidence"], r["min_margin"]),
    )


# --- reading texts with a model (Rasa environment) -----------------------------------------


def read_texts(model: str | Path, texts: Sequence[str], cache: Path | None = None) -> list[Ranking]:
    """A model's ranking of each text; encoder vectors kept in `cache` (a folder) if given."""
    from nlu.evaluation.metrics import parse_all
    from nlu.pipelines import encoder
    from nlu.predict import Parser

    parser = Parser(model)
    remembered = encoder.EncoderCache(cache, name="evaluation")
    with encoder.remembering(remembered):
        return [ranking_of(parsed) for parsed in parse_all(parser, list(texts))]


def training_cache_copy(folder: Path) -> Path:
    """`folder`, made, holding a copy of the full data's encoder cache, and made the cache
    the next training uses: the training cache keeps only its last training's texts, so
    trainings on parts of the data (folds, held-back styles) must not evict one
    another's vectors."""
    from nlu.pipelines import encoder

    shipped = encoder.EncoderCache(name="training").path
    folder.mkdir(exist_ok=True)
    if shipped.is_file():
        shutil.copy(shipped, folder / shipped.name)
    os.environ[encoder.CACHE_ENV] = str(folder)
    return folder


def cross_validate(
    config: Path, data_dir: Path, k: int, seed: int, workdir: Path
) -> list[dict[str, Any]]:
    """Out-of-fold rankings of every example of `data_dir` (index, gold, ranking)."""
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlu.evaluation.compare import folds, train

    data = load_data(str(data_dir))
    examples = [m for m in data.training_examples if m.get("text") and m.get("intent")]
    labels = [m.get("intent") for m in examples]
    out: list[dict[str, Any]] = []
    for number, test in enumerate(folds(labels, k, seed)):
        held_back = set(test)
        fold_cache = training_cache_copy(workdir / f"cache{number}")
        part = TrainingData(
            [m for i, m in enumerate(examples) if i not in held_back],
            entity_synonyms=data.entity_synonyms,
            regex_features=data.regex_features,
            lookup_tables=data.lookup_tables,
        )
        model, seconds = train(config, part, workdir, f"fold{number}")
        rankings = read_texts(model, [examples[i].get("text") for i in test], cache=fold_cache)
        out += [
            {"index": int(i), "gold": labels[i], "ranking": [list(item) for item in ranking]}
            for i, ranking in zip(test, rankings, strict=True)
        ]
        Path(model).unlink()
        print(f"  fold {number + 1}/{k}: trained in {seconds:.1f} s", file=sys.stderr)
    return sorted(out, key=lambda row: row["index"])


def reads_from(rows: Iterable[dict[str, Any]]) -> list[Read]:
    """`Read`s from saved rows (`gold`, `ranking` as [name, confidence] pairs)."""
    return [
        Read(str(row["gold"]), tuple((str(n), float(c)) for n, c in row["ranking"])) for row in rows
    ]


def load_setting(path: Path = DEFAULT_SETTINGS) -> Setting:
    """The desk's settings from data/ask_when_unsure.yml."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Setting(
        float(data["min_confidence"]),
        float(data["min_margin"]),
        int(data["max_choices"]),
        tuple(tuple(group) for group in data.get("groups") or ()),
    )


def write_setting(chosen: dict[str, Any], path: Path, how: str) -> None:
    """data/ask_when_unsure.yml with a comment on how the values were chosen."""
    comment = "".join(f"# {line}\n" if line else "#\n" for line in how.splitlines())
    values = {key: chosen[key] for key in ("min_confidence", "min_margin", "max_choices")}
    if chosen.get("groups"):
        values["groups"] = chosen["groups"]
    path.write_text(
        comment + yaml.safe_dump(values, allow_unicode=True, sort_keys=False, width=100),
        encoding="utf-8",
    )


def describe(row: dict[str, Any]) -> str:
    """One line of numbers for a tally."""
    return (
        f"min_confidence {row['min_confidence']:.2f}, min_margin {row['min_margin']:.2f}: "
        f"asked {row['asked']} of {row['filed']} filed "
        f"({100 * row['asked_share_of_filed']:.1f} %; {row['asked_gold_complaints']} of "
        f"{row['gold_complaints']} complaints, "
        f"{100 * row['asked_share_of_complaints']:.1f} %); wrong type "
        f"{row['wrong_type_caught']} of {row['wrong_type']} caught; wrong agency "
        f"{row['wrong_agency_caught']} of {row['wrong_agency']} caught; cost {row['cost']:.0f}"
    )


HOW = """Ask-when-unsure thresholds (issue 17). Before filing a complaint, the desk offers one
reading per agency (up to {max_choices}, the top one first) when the top reading's agency
holds less than min_confidence or leads the next agency by less than min_margin (the types
in one line of `groups` reach the same agency, data/routing.yml, and count together).
Chosen by `python -m nlu.evaluation.ask cv` + `sweep --write`: 5-fold cross-validation on
data/nlu (out-of-fold readings of {messages} examples), lowest cost with asking = {ask}
and a filing that reaches another agency = {wrong}; at this setting {asked} of the
{filed} messages read as complaints are asked ({share:.1f} %) and {caught} of their
{wrong_agency} wrong-agency readings are caught. See docs/nlu.md.
Read by the action server (actions/complaint/asking.py), not the model."""


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m nlu.evaluation.ask {cv,sweep,holdout} …`."""
    cli = argparse.ArgumentParser(prog="python -m nlu.evaluation.ask")
    sub = cli.add_subparsers(dest="command", required=True)
    cv = sub.add_parser("cv", help="out-of-fold readings of data/nlu, then the sweep")
    cv.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    cv.add_argument("--data", type=Path, default=DEFAULT_DATA)
    cv.add_argument("--folds", type=int, default=5)
    cv.add_argument("--seed", type=int, default=42)
    cv.add_argument("--out", type=Path, default=DEFAULT_OUT)
    sw = sub.add_parser("sweep", help="pick the settings from saved out-of-fold readings")
    sw.add_argument("--readings", type=Path, default=DEFAULT_OUT / "cv_readings.json")
    for parser in (cv, sw):
        parser.add_argument("--ask-cost", type=float, default=ASK_COST)
        parser.add_argument("--wrong-cost", type=float, default=WRONG_AGENCY_COST)
        parser.add_argument("--max-choices", type=int, default=3)
        parser.add_argument("--write", type=Path, nargs="?", const=DEFAULT_SETTINGS)
    ho = sub.add_parser("holdout", help="the chosen settings on hidden sets")
    ho.add_argument("--model", type=Path, default=ROOT / "models" / "desk.tar.gz")
    ho.add_argument("--holdout", type=Path, nargs="+", required=True)
    ho.add_argument("--settings", type=Path, default=DEFAULT_SETTINGS)
    args = cli.parse_args(argv)
    routes = Routes.load()

    if args.command == "holdout":
        from nlu.evaluation.metrics import load_examples
        from nlu.predict import quiet_rasa

        quiet_rasa()
        setting = load_setting(args.settings)
        for path in args.holdout:
            examples = load_examples(path)
            rankings = read_texts(args.model, [e.text for e in examples])
            reads = [Read(e.intent, r) for e, r in zip(examples, rankings, strict=True)]
            print(f"{path.name}: {describe(tally(reads, setting, routes))}")
        return 0

    if args.command == "cv":
        from nlu.predict import quiet_rasa

        os.environ["RASA_MAX_CACHE_SIZE"] = "0"
        quiet_rasa()
        args.out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="nlu-ask-") as tmp:
            rows = cross_validate(args.config, args.data, args.folds, args.seed, Path(tmp))
        readings_path = args.out / "cv_readings.json"
        readings_path.write_text(json.dumps(rows) + "\n", encoding="utf-8")
    else:
        readings_path = args.readings
        rows = json.loads(readings_path.read_text(encoding="utf-8"))
    reads = reads_from(rows)
    costs = {"ask_cost": args.ask_cost, "wrong_cost": args.wrong_cost}
    # Each type alone (as before 12-04's third round), then types of one agency together.
    by_type = pick(sweep(reads, routes, max_choices=args.max_choices, **costs))
    table = sweep(
        reads,
        routes,
        max_choices=args.max_choices,
        groups=agency_groups(routes, reads),
        **costs,
    )
    chosen = pick(table)
    print(f"each type alone: {describe(by_type)}")
    never = tally(
        reads, Setting(0.0, 0.0, args.max_choices), routes, args.ask_cost, args.wrong_cost
    )
    out = readings_path.parent
    (out / "ask.json").write_text(
        json.dumps({"rows": table, "pick": chosen, "never": never}, indent=1) + "\n",
        encoding="utf-8",
    )
    print(f"never asking: {describe(never)}")
    print(f"chosen:       {describe(chosen)}")
    if args.write:
        how = HOW.format(
            max_choices=chosen["max_choices"],
            messages=chosen["messages"],
            ask=args.ask_cost,
            wrong=args.wrong_cost,
            asked=chosen["asked"],
            filed=chosen["filed"],
            share=100 * chosen["asked_share_of_filed"],
            caught=chosen["wrong_agency_caught"],
            wrong_agency=chosen["wrong_agency"],
        )
        write_setting(chosen, args.write, how)
        print(f"written: {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
