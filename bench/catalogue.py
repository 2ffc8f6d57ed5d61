"""`python -m bench.catalogue`: the service catalogue's search, as a markdown section.

Measures on this machine:
- accuracy on the held-out questions (tests/data/catalogue_questions*.yml, never used to
  build the index; each file a set, written before the entries it asks about): top-1
  and top-3 among the ranked services, per set and in all, "answered right" (top-1
  correct *and* above the threshold), and the share of unknown questions rejected;
- a threshold sweep, to calibrate `SERVICE_THRESHOLD`, with a 2-fold cross-validated
  estimate (threshold chosen on one half, measured on the other) so the printed accuracy
  is not only the accuracy of the questions the threshold was chosen on. Choose on the
  development questions (`--questions tests/data/catalogue_dev_*.yml --services`); the
  held-out sets only measure the choice;
- search latency (p50/p95) on the real catalogue, and over 300 and 1,000 services made
  from the real ones (how long building each index takes).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.catalogue import service as catalogue_service
from bot.catalogue.service import Catalogue, load_catalogue
from bot.config import ROOT

QUESTIONS = ROOT / "tests" / "data" / "catalogue_questions.yml"
SYNTHETIC_SERVICES = (300, 1000)
QUESTION_SETS = sorted((ROOT / "tests" / "data").glob("catalogue_questions*.yml"))
LATENCY_SEARCHES = 3000
THRESHOLDS = [round(0.25 + 0.01 * i, 2) for i in range(41)]
# Saying "not found" to a question we could answer costs less than a confident wrong
# service (the citizen acts on it): the sweep weighs a wrong answer three times.
WRONG_COST = 3.0


@dataclass(frozen=True)
class Question:
    """A held-out question and the service it asks about (None: not in the catalogue)."""

    text: str
    service: str | None


@dataclass(frozen=True)
class Ranked:
    """A question with the top ranked service ids and the best score."""

    question: Question
    ids: list[str]
    score: float


def pct(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    """The held-out questions."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Question(str(q["text"]), q.get("service") or None) for q in raw["questions"]]


def rank_all(catalogue: Catalogue, questions: list[Question]) -> list[Ranked]:
    """Each question's top three services, scored (threshold not applied)."""
    out = []
    for question in questions:
        found = catalogue.ranked(query=question.text, limit=3)
        out.append(Ranked(question, [s.key for s in found], found[0].score if found else 0.0))
    return out


def outcome(ranked: list[Ranked], threshold: float) -> dict[str, float]:
    """Rates at a threshold: right, wrong (confident but wrong), rejected, unknown rejected."""
    known = [r for r in ranked if r.question.service]
    unknown = [r for r in ranked if not r.question.service]
    right = sum(1 for r in known if r.score >= threshold and r.ids[:1] == [r.question.service])
    wrong = sum(1 for r in ranked if r.score >= threshold and r.ids[:1] != [r.question.service])
    rejected_unknown = sum(1 for r in unknown if r.score < threshold)
    return {
        "right": right / max(1, len(known)),
        "wrong": wrong / max(1, len(ranked)),
        "unknown_rejected": rejected_unknown / max(1, len(unknown)),
        "utility": (right - WRONG_COST * wrong + rejected_unknown) / max(1, len(ranked)),
    }


def best_threshold(ranked: list[Ranked]) -> float:
    """The threshold of highest utility (ties: the higher, more careful one)."""
    return max(THRESHOLDS, key=lambda t: (outcome(ranked, t)["utility"], t))


def cross_validated(ranked: list[Ranked], seed: int = 7) -> dict[str, float]:
    """2-fold: choose the threshold on one half, measure on the other; averaged."""
    shuffled = ranked[:]
    random.Random(seed).shuffle(shuffled)
    halves = [shuffled[::2], shuffled[1::2]]
    results = [outcome(halves[1 - i], best_threshold(halves[i])) for i in range(2)]
    return {k: statistics.fmean(r[k] for r in results) for k in results[0]}


def accuracy(ranked: list[Ranked]) -> dict[str, float]:
    """Top-1/top-3 over the questions whose service exists."""
    known = [r for r in ranked if r.question.service]
    return {
        "known": len(known),
        "unknown": len(ranked) - len(known),
        "top1": sum(r.ids[:1] == [r.question.service] for r in known) / max(1, len(known)),
        "top3": sum(r.question.service in r.ids for r in known) / max(1, len(known)),
    }


def synthetic_data(catalogue: Catalogue, target: Path, count: int, seed: int = 11) -> None:
    """`count` services made from the real ones: new ids, mixed aliases, extra words."""
    rng = random.Random(seed)
    from pythainlp.corpus import thai_words

    vocabulary = sorted(w for w in thai_words() if 2 <= len(w) <= 8 and " " not in w)
    real = catalogue.services
    per_file: dict[str, list[dict[str, Any]]] = {}
    for i in range(count):
        base = real[i % len(real)]
        extra = rng.sample(vocabulary, 6)
        item = base.model_dump(mode="json", exclude={"category"})
        item["id"] = f"{base.id}_{i}"
        item["title"] = f"{base.title} {extra[0]}"
        item["aliases"] = [*rng.sample(base.aliases, k=min(3, len(base.aliases))), extra[1]]
        item["keywords"] = [*base.keywords[:4], extra[2], extra[3]]
        item["summary"] = f"{base.summary} {extra[4]} {extra[5]}"
        per_file.setdefault(f"synthetic_{i % 10}", []).append(item)
    (target / "catalogue").mkdir(parents=True)
    for name, services in per_file.items():
        doc = {"category": {"id": name, "title": f"หมวดทดสอบ {name}"}, "services": services}
        (target / "catalogue" / f"{name}.yml").write_text(
            yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    agencies = [a.model_dump(mode="json") for a in catalogue.agencies]
    (target / "agencies.yml").write_text(
        yaml.safe_dump({"agencies": agencies}, allow_unicode=True), encoding="utf-8"
    )


def latency(catalogue: Catalogue, queries: list[str], count: int) -> dict[str, float]:
    """Per-search wall time in ms over `count` searches (after a warm-up)."""
    for query in queries[:50]:
        catalogue.search(query=query)
    times = []
    for i in range(count):
        query = queries[i % len(queries)]
        start = time.perf_counter()
        catalogue.search(query=query, limit=5)
        times.append((time.perf_counter() - start) * 1000)
    return {"p50": pct(times, 0.5), "p95": pct(times, 0.95), "max": max(times)}


def report(question_sets: list[Path], sizes: Sequence[int], searches: int) -> str:
    """The markdown section for bench/RESULTS.md."""
    catalogue = load_catalogue()
    per_set = {path.name: load_questions(path) for path in question_sets}
    questions = [q for found in per_set.values() for q in found]
    ranked = rank_all(catalogue, questions)
    acc = accuracy(ranked)
    threshold = catalogue_service.SERVICE_THRESHOLD
    now = outcome(ranked, threshold)
    chosen = best_threshold(ranked)
    cv = cross_validated(ranked)
    texts = [q.text for q in questions]
    small = latency(catalogue, texts, searches)
    sized: list[tuple[int, float, dict[str, float]]] = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="catalogue-bench-") as tmp:
            synthetic_data(catalogue, Path(tmp), size)
            started = time.perf_counter()
            big = load_catalogue(data_dir=Path(tmp))
            build_s = time.perf_counter() - started
            sized.append((size, build_s, latency(big, texts, searches)))
    sets = []
    for name, found in per_set.items():
        got = accuracy(rank_all(catalogue, found))
        sets.append(
            f"| {name} | {got['known']:.0f} / {got['unknown']:.0f} "
            f"| {got['top1']:.3f} | {got['top3']:.3f} |"
        )
    lines = [
        "## Service catalogue search (`python -m bench.catalogue`)",
        "",
        f"Held-out questions: {acc['known']:.0f} about a catalogue service, "
        f"{acc['unknown']:.0f} about something else, in {len(per_set)} sets; "
        f"catalogue: {len(catalogue.services)} services, {len(catalogue.agencies)} agencies.",
        "",
        "| set | about a service / not | top-1 | top-3 |",
        "|---|---|---|---|",
        *sets,
        "",
        "| measure (all sets) | value | target |",
        "|---|---|---|",
        f"| top-1 (ranking) | {acc['top1']:.3f} | ≥ 0.90 |",
        f"| top-3 (ranking) | {acc['top3']:.3f} | ≥ 0.98 |",
        f"| answered right (top-1 and confident) at threshold {threshold:.2f} "
        f"| {now['right']:.3f} | |",
        f"| confident but wrong, all questions | {now['wrong']:.3f} | |",
        f"| unknown questions rejected | {now['unknown_rejected']:.3f} | |",
        f"| 2-fold cross-validated: right / wrong / unknown rejected | "
        f"{cv['right']:.3f} / {cv['wrong']:.3f} / {cv['unknown_rejected']:.3f} | |",
        f"| best threshold on these questions (wrong costs {WRONG_COST:.0f}×) | {chosen:.2f} | |",
        "",
        "| services | index build s | search p50 ms | search p95 ms | max ms | target |",
        "|---|---|---|---|---|---|",
        f"| {len(catalogue.services)} (real) | | {small['p50']:.2f} | {small['p95']:.2f} "
        f"| {small['max']:.2f} | |",
        *(
            f"| {size} (synthetic) | {build_s:.2f} | {timing['p50']:.2f} | {timing['p95']:.2f} "
            f"| {timing['max']:.2f} | {'p95 ≤ 20 ms' if size == 300 else 'p50 ≤ 5 ms'} |"
            for size, build_s, timing in sized
        ),
        "",
        "Threshold sweep (right = top-1 correct and confident; wrong = confident and wrong):",
        "",
        "| threshold | right | wrong | unknown rejected |",
        "|---|---|---|---|",
    ]
    for t in THRESHOLDS[::4]:
        o = outcome(ranked, t)
        rates = " | ".join(f"{o[k]:.3f}" for k in ("right", "wrong", "unknown_rejected"))
        lines.append(f"| {t:.2f} | {rates} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Prints the markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--questions", type=Path, nargs="*", default=QUESTION_SETS)
    parser.add_argument("--services", type=int, nargs="*", default=list(SYNTHETIC_SERVICES))
    parser.add_argument("--searches", type=int, default=LATENCY_SEARCHES)
    args = parser.parse_args()
    print(report(args.questions, args.services, args.searches))


if __name__ == "__main__":
    main()
