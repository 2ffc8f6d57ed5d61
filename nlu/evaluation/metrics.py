"""How good a trained model is, on our held-out set and on Traffy (`python -m nlu.evaluate`).

    python -m nlu.evaluate --model models/desk.tar.gz --out reports/nlu
        [--holdout tests/data/nlu_holdout.yml] [--traffy ../shared/eval/traffy_eval.jsonl]
    python -m nlu.evaluate compare --configs nlu/pipelines/*.yml [--out reports/nlu/compare]

The report (`report.json`, `report.md`, `confusion.png`) holds per-intent precision,
recall and F1 on the held-out set, accuracy and macro-F1, Traffy "any-gold" accuracy
(a prediction is right when it is any of the row's labels) and how many real complaints
fell back, and a sweep of the FallbackClassifier settings (rendered by
nlu/evaluation/report.py). `compare` cross-validates candidate pipelines
(nlu/evaluation/compare.py).

The Traffy file is evaluation data only: it is read here, at run time, and nowhere else.
Runs in the Rasa environment (Python 3.10).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_HOLDOUT = ROOT / "tests" / "data" / "nlu_holdout.yml"
DEFAULT_TRAFFY = ROOT.parent / "shared" / "eval" / "traffy_eval.jsonl"
DEFAULT_OUT = ROOT / "reports" / "nlu"
FALLBACK = "nlu_fallback"
COMPLAINT_PREFIX = "complaint_"
THRESHOLDS = tuple(round(0.05 * step, 2) for step in range(0, 19))
# FallbackClassifier's ambiguity_threshold (Rasa's default is 0.1).
AMBIGUITIES = (0.0, 0.02, 0.05, 0.1)
# A backslash that does not start a JSON escape (one Traffy row has a masked "\xxx@...").
_BAD_ESCAPE = re.compile(r'\\(?!["\\/bfnrtu])')


@dataclass(frozen=True)
class Example:
    """A text and its intent."""

    text: str
    intent: str


@dataclass(frozen=True)
class TraffyRow:
    """A real complaint and the intents its upstream labels map to (any one is right)."""

    text: str
    gold: tuple[str, ...]
    single: bool


@dataclass(frozen=True)
class Traffy:
    """The Traffy rows that could be read, and how many needed repair or were skipped."""

    rows: list[TraffyRow]
    repaired: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class Reading:
    """The classifier's own top two intents (FallbackClassifier's verdict removed)."""

    intent: str | None
    confidence: float
    second: float

    def decide(self, threshold: float, ambiguity: float) -> str:
        """The intent the FallbackClassifier lets through at these settings."""
        if self.intent is None or self.confidence < threshold:
            return FALLBACK
        if self.confidence - self.second < ambiguity:
            return FALLBACK
        return self.intent


def is_complaint(intent: str | None) -> bool:
    """Whether an intent files a complaint."""
    return bool(intent and intent.startswith(COMPLAINT_PREFIX))


# --- data --------------------------------------------------------------------------------


def load_examples(path: Path | str) -> list[Example]:
    """Intent examples from a Rasa NLU YAML file or folder (entity markup removed)."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [
        Example(message.get("text"), message.get("intent"))
        for message in data.intent_examples
        if message.get("text") and message.get("intent")
    ]


def load_traffy(path: Path | str) -> Traffy:
    """Rows of the Traffy evaluation file; a broken escape is repaired, worse is skipped."""
    rows: list[TraffyRow] = []
    repaired = skipped = 0
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                try:
                    data = json.loads(_BAD_ESCAPE.sub(r"\\\\", line))
                    repaired += 1
                except json.JSONDecodeError:
                    skipped += 1
                    continue
            gold = data.get("gold") or []
            if not isinstance(data.get("text"), str) or not gold:
                skipped += 1
                continue
            rows.append(TraffyRow(data["text"], tuple(gold), bool(data.get("single"))))
    return Traffy(rows, repaired, skipped)


def reading(parsed: dict[str, Any]) -> Reading:
    """The classifier's top two from a parse (ranking without the fallback entry)."""
    ranking = [item for item in parsed.get("intent_ranking") or [] if item["name"] != FALLBACK]
    if not ranking:
        intent = parsed.get("intent") or {}
        name = intent.get("name")
        if not name or name == FALLBACK:
            return Reading(None, 0.0, 0.0)
        return Reading(name, float(intent.get("confidence") or 0.0), 0.0)
    second = float(ranking[1]["confidence"]) if len(ranking) > 1 else 0.0
    return Reading(ranking[0]["name"], float(ranking[0]["confidence"]), second)


# --- metrics (pure) ----------------------------------------------------------------------


def intent_metrics(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Per-intent precision/recall/F1/support, accuracy and macro-F1.

    Macro-F1 averages over the intents in `gold`; predictions of other labels (such as
    `nlu_fallback`) count against recall and do not add classes of their own.
    """
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    true_pos: Counter[str] = Counter()
    predicted_count: Counter[str] = Counter(predicted)
    support: Counter[str] = Counter(gold)
    for want, got in zip(gold, predicted, strict=True):
        if want == got:
            true_pos[want] += 1
    per_intent: dict[str, dict[str, float]] = {}
    for intent in sorted(support):
        precision = _ratio(true_pos[intent], predicted_count[intent])
        recall = _ratio(true_pos[intent], support[intent])
        f1 = _ratio(2 * precision * recall, precision + recall)
        per_intent[intent] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": support[intent],
        }
    return {
        "accuracy": _ratio(sum(true_pos.values()), len(gold)),
        "macro_f1": _ratio(sum(m["f1"] for m in per_intent.values()), len(per_intent)),
        "per_intent": per_intent,
        "n": len(gold),
    }


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def any_gold_accuracy(gold: Sequence[Collection[str]], predicted: Sequence[str]) -> float:
    """Share of predictions that are any one of their row's gold labels."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    return _ratio(sum(got in want for want, got in zip(gold, predicted, strict=True)), len(gold))


def confusion(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> list[list[int]]:
    """Counts[gold row][predicted column] over `labels` (others are left out)."""
    index = {label: position for position, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for want, got in zip(gold, predicted, strict=True):
        if want in index and got in index:
            matrix[index[want]][index[got]] += 1
    return matrix


def sweep(
    holdout: Sequence[tuple[str, Reading]],
    traffy: Sequence[tuple[Collection[str], Reading]],
    thresholds: Iterable[float] = THRESHOLDS,
    ambiguities: Iterable[float] = (0.0,),
) -> list[dict[str, Any]]:
    """What each fallback setting does to chat, held-out complaints and Traffy.

    Per (ambiguity, threshold): `oos_as_complaint` (out_of_scope examples that would file a
    complaint), `chat_as_complaint` (every non-complaint example that would), `oos_caught`
    (out_of_scope examples that fall back or stay out_of_scope), `complaints_lost`
    (held-out complaints that fall back or leave the complaint intents),
    `holdout_accuracy`, and on Traffy `traffy_fallback`, `traffy_lost` and
    `traffy_any_gold` (all rates).
    """
    rows = []
    grid = [(a, t) for a in ambiguities for t in thresholds]
    for ambiguity, threshold in grid:
        held = [(want, read.decide(threshold, ambiguity)) for want, read in holdout]
        chat = [got for want, got in held if not is_complaint(want)]
        oos = [got for want, got in held if want == "out_of_scope"]
        complaints = [got for want, got in held if is_complaint(want)]
        real = [read.decide(threshold, ambiguity) for _, read in traffy]
        rows.append(
            {
                "threshold": threshold,
                "ambiguity": ambiguity,
                "oos_as_complaint": _share(oos, is_complaint),
                "chat_as_complaint": _share(chat, is_complaint),
                "oos_caught": _share(oos, lambda got: got in {FALLBACK, "out_of_scope"}),
                "complaints_lost": _share(complaints, lambda got: not is_complaint(got)),
                "holdout_accuracy": _share(held, lambda pair: pair[0] == pair[1]),
                "traffy_fallback": _share(real, lambda got: got == FALLBACK),
                "traffy_lost": _share(real, lambda got: not is_complaint(got)),
                "traffy_any_gold": any_gold_accuracy([gold for gold, _ in traffy], real),
            }
        )
    return rows


def _share(items: Sequence[Any], test: Callable[[Any], bool]) -> float:
    return _ratio(sum(bool(test(item)) for item in items), len(items))


def pick_threshold(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The sweep row with the fewest mistakes that matter, lowest settings on ties.

    Cost = chat filed as a complaint + held-out complaints lost + Traffy complaints lost
    (each a rate): a complaint wrongly opened and a complaint wrongly turned away weigh
    the same, and real Traffy complaints count as much as our own held-out ones.
    """
    return min(
        rows,
        key=lambda r: (
            round(r["chat_as_complaint"] + r["complaints_lost"] + r["traffy_lost"], 6),
            r["threshold"],
            r["ambiguity"],
        ),
    )


# --- the report --------------------------------------------------------------------------


def parse_all(parser: Any, texts: Sequence[str], batch: int = 256) -> list[dict[str, Any]]:
    """Parses texts in batches through a loaded `nlu.predict.Parser`."""
    parsed: list[dict[str, Any]] = []
    for start in range(0, len(texts), batch):
        parsed.extend(parser.parse_many(texts[start : start + batch]))
    return parsed


def latency_ms(parser: Any, texts: Sequence[str]) -> dict[str, float]:
    """Median and 95th-percentile time to parse one text on its own, in milliseconds."""
    times = []
    for text in texts:
        started = time.perf_counter()
        parser.parse(text)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    if not times:
        return {"p50": 0.0, "p95": 0.0}
    return {
        "p50": times[len(times) // 2],
        "p95": times[min(len(times) - 1, int(len(times) * 0.95))],
    }


def traffy_scores(rows: Sequence[TraffyRow], predicted: Sequence[str]) -> dict[str, Any]:
    """Any-gold accuracy on all rows and on single-label rows, and the fallback rate."""
    single = [(row.gold, got) for row, got in zip(rows, predicted, strict=True) if row.single]
    mistakes = Counter(f"{gold[0]} → {got}" for gold, got in single if got not in gold)
    return {
        "n": len(rows),
        "n_single": len(single),
        "any_gold_accuracy": any_gold_accuracy([row.gold for row in rows], predicted),
        "single_accuracy": any_gold_accuracy([g for g, _ in single], [p for _, p in single]),
        "fallback_rate": _share(list(predicted), lambda got: got == FALLBACK),
        "fallbacks": sum(got == FALLBACK for got in predicted),
        "non_complaint_rate": _share(list(predicted), lambda got: not is_complaint(got)),
        "predicted": dict(Counter(predicted).most_common()),
        "single_top_mistakes": dict(mistakes.most_common(12)),
    }


def evaluate(
    parser: Any,
    holdout: Sequence[Example],
    traffy: Traffy | None,
    thresholds: Iterable[float] = THRESHOLDS,
    ambiguities: Iterable[float] = AMBIGUITIES,
) -> dict[str, Any]:
    """Everything in the report, as one JSON-able dict."""
    settings = parser.fallback_settings()
    threshold, ambiguity = settings if settings else (0.0, 0.0)
    started = time.perf_counter()
    held_parsed = parse_all(parser, [example.text for example in holdout])
    held_seconds = time.perf_counter() - started
    gold = [example.intent for example in holdout]
    held_readings = [reading(parsed) for parsed in held_parsed]
    deployed = [read.decide(threshold, ambiguity) for read in held_readings]
    report: dict[str, Any] = {
        "fallback": {"threshold": threshold, "ambiguity_threshold": ambiguity},
        "holdout": {
            **intent_metrics(gold, deployed),
            "top_intent_accuracy": intent_metrics(
                gold, [read.intent or FALLBACK for read in held_readings]
            )["accuracy"],
            "fallbacks": deployed.count(FALLBACK),
            "parse_per_second_batched": _ratio(len(holdout), held_seconds),
        },
        "latency_ms": latency_ms(parser, [example.text for example in holdout[:100]]),
    }
    # Gold intents, then any other intent the model answered, then the fallback.
    labels = sorted(set(gold)) + sorted(set(deployed) - set(gold) - {FALLBACK}) + [FALLBACK]
    report["confusion"] = {"labels": labels, "matrix": confusion(gold, deployed, labels)}
    traffy_pairs: list[tuple[Collection[str], Reading]] = []
    if traffy is not None:
        started = time.perf_counter()
        traffy_readings = [reading(p) for p in parse_all(parser, [r.text for r in traffy.rows])]
        seconds = time.perf_counter() - started
        traffy_pairs = [
            (row.gold, read) for row, read in zip(traffy.rows, traffy_readings, strict=True)
        ]
        report["traffy"] = {
            **traffy_scores(traffy.rows, [r.decide(threshold, ambiguity) for r in traffy_readings]),
            "top_intent_any_gold_accuracy": any_gold_accuracy(
                [row.gold for row in traffy.rows], [r.intent or FALLBACK for r in traffy_readings]
            ),
            "repaired_rows": traffy.repaired,
            "skipped_rows": traffy.skipped,
            "parse_per_second_batched": _ratio(len(traffy.rows), seconds),
        }
    rows = sweep(list(zip(gold, held_readings, strict=True)), traffy_pairs, thresholds, ambiguities)
    with_traffy = traffy is not None
    report["sweep"] = {"rows": rows, "pick": pick_threshold(rows), "with_traffy": with_traffy}
    return report


# --- command line ------------------------------------------------------------------------


def open_traffy(path: Path | None) -> tuple[Traffy | None, str]:
    """The Traffy rows, or None and why not."""
    if path is None:
        return None, "not asked for"
    if not path.is_file():
        return None, f"{path} not found"
    return load_traffy(path), ""
