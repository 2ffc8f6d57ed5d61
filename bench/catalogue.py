"""`python -m bench.catalogue`: the service catalogue's search, as a markdown section.

Measures on this machine:
- accuracy on the held-out questions (tests/data/catalogue_questions*.yml, never used to
  build the index; each file a set, written before the entries it asks about): top-1
  and top-3 among the ranked services, per set and in all, "answered right" (top-1
  correct *and* confident: above the threshold and clear of the runner-up), and the share
  of unknown questions rejected;
- the same questions end to end (`--model`, default models/desk.tar.gz when trained): the
  NLU model's reading, then the action server's answer — the service's card, an agency's,
  "did you mean", or no card at all (read as a complaint or chat);
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
import asyncio
import json
import os
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker

from bot.catalogue import service as catalogue_service
from bot.catalogue.ranking import Scored
from bot.catalogue.schemas import Service
from bot.catalogue.service import Catalogue, is_confident, load_catalogue
from bot.config import ROOT

QUESTIONS = ROOT / "tests" / "data" / "catalogue_questions.yml"
SYNTHETIC_SERVICES = (300, 1000)
QUESTION_SETS = sorted((ROOT / "tests" / "data").glob("catalogue_questions*.yml"))
LATENCY_SEARCHES = 3000
DEFAULT_MODEL = ROOT / "models" / "desk.tar.gz"
END = ("not found", "no card")
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
    """A question with its top ranked services (ids and scores)."""

    question: Question
    found: list[Scored]

    @property
    def ids(self) -> list[str]:
        """The ranked service ids, best first."""
        return [s.key for s in self.found]

    def answered(self, threshold: float) -> bool:
        """Whether the desk answers with the best service's card (not "did you mean")."""
        return is_confident(self.found, threshold=threshold)


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
        out.append(Ranked(question, catalogue.ranked(query=question.text, limit=3)))
    return out


def outcome(ranked: list[Ranked], threshold: float) -> dict[str, float]:
    """Rates at a threshold: right, wrong (confident but wrong), rejected, unknown rejected."""
    known = [r for r in ranked if r.question.service]
    unknown = [r for r in ranked if not r.question.service]
    right = sum(1 for r in known if r.answered(threshold) and r.ids[:1] == [r.question.service])
    wrong = sum(1 for r in ranked if r.answered(threshold) and r.ids[:1] != [r.question.service])
    rejected_unknown = sum(1 for r in unknown if not r.answered(threshold))
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


def desk_answers(catalogue: Catalogue, questions: list[Question], model: Path) -> list[str]:
    """What the desk answers each question with, end to end: the trained NLU model's intent
    (`nlu.predict`, in the Rasa environment), then the action server's catalogue actions.
    Each answer is "service:<id>", "agency:<id>", "not found" (a "did you mean" list) or
    "no card" (not read as a catalogue question: a complaint, chat, a fallback)."""
    from rasa_sdk.executor import CollectingDispatcher

    from actions.catalogue import ActionAgencyContact, ActionServiceLookup
    from actions.not_understood import NOT_HELPED
    from bot import devstack

    class Lookup(ActionServiceLookup):
        sent: list[str]

        def send_service(self, dispatcher: CollectingDispatcher, service: Service) -> None:
            self.sent.append(f"service:{service.id}")

        def send_agency(self, dispatcher: CollectingDispatcher, agency_id: str) -> bool:
            self.sent.append(f"agency:{agency_id}")
            return True

    class Contact(ActionAgencyContact):
        sent: list[str]
        send_service = Lookup.send_service
        send_agency = Lookup.send_agency

    lines = "".join(json.dumps({"text": q.text}, ensure_ascii=False) + "\n" for q in questions)
    done = subprocess.run(
        [str(devstack.rasa_python()), "-m", "nlu.predict", "--model", str(model)],
        input=lines,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **devstack.nlu_env()},
        cwd=ROOT,
        check=True,
    )
    intents = [json.loads(line)["intent"]["name"] for line in done.stdout.splitlines()]
    lookup, contact = Lookup(catalogue), Contact(catalogue)
    answers = []
    for question, intent in zip(questions, intents, strict=True):
        lookup.sent, contact.sent = [], []
        if intent == "service_lookup":
            lookup._answer_text(CollectingDispatcher(), question.text)  # noqa: SLF001
        elif intent in NOT_HELPED:  # action_not_understood: a card when the catalogue is sure
            lookup.answer_if_sure(CollectingDispatcher(), question.text)
        elif intent == "agency_contact":
            tracker = Tracker.from_dict(
                {"sender_id": "bench", "latest_message": {"text": question.text}}
            )
            asyncio.run(contact.run(CollectingDispatcher(), tracker, {}))
        else:
            answers.append("no card")
            continue
        answers.append(
            next(
                iter(lookup.sent + contact.sent),
                "not found" if intent not in NOT_HELPED else "no card",
            )
        )
    return answers


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


def end_to_end(catalogue: Catalogue, questions: list[Question], model: Path) -> list[str]:
    """The end-to-end table's lines: what the desk answers, for questions it can answer
    and for those it cannot."""
    answers = desk_answers(catalogue, questions, model)

    def kind(question: Question, answer: str) -> str:
        if question.service and answer == f"service:{question.service}":
            return "right"
        return "card" if ":" in answer else answer

    def shares(of: list[str]) -> dict[str, str]:
        return {k: f"{of.count(k) / max(1, len(of)):.3f}" for k in ("right", "card", *END)}

    known = shares([kind(q, a) for q, a in zip(questions, answers, strict=True) if q.service])
    unknown = shares([kind(q, a) for q, a in zip(questions, answers, strict=True) if not q.service])
    counts = sum(1 for q in questions if q.service), sum(1 for q in questions if not q.service)
    return [
        f"End to end (the model {model.name}'s reading, then the action server's answer):",
        "",
        "| questions | the right service's card | another card | did you mean | no card |",
        "|---|---|---|---|---|",
        f"| about a service ({counts[0]}) | {known['right']} | {known['card']} "
        f"| {known['not found']} | {known['no card']} |",
        f"| not in the catalogue ({counts[1]}) | | {unknown['card']} "
        f"| {unknown['not found']} | {unknown['no card']} |",
        "",
        "(*another card*, for a question about a service, counts any card but the right "
        "service's, an agency's included; *no card*: read as a complaint, chat or not "
        "understood.)",
        "",
    ]


def report(
    question_sets: list[Path], sizes: Sequence[int], searches: int, model: Path | None = None
) -> str:
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
        f"| answered right (top-1 and confident: ≥ {threshold:.2f} and "
        f"{catalogue_service.SERVICE_MARGIN:.2f} clear of the next, or "
        f"≥ {catalogue_service.SERVICE_SURE:.2f}) "
        f"| {now['right']:.3f} | |",
        f"| confident but wrong, all questions | {now['wrong']:.3f} | |",
        f"| unknown questions rejected | {now['unknown_rejected']:.3f} | |",
        f"| 2-fold cross-validated: right / wrong / unknown rejected | "
        f"{cv['right']:.3f} / {cv['wrong']:.3f} / {cv['unknown_rejected']:.3f} | |",
        f"| best threshold on these questions (wrong costs {WRONG_COST:.0f}×) | {chosen:.2f} | |",
        "",
        *(end_to_end(catalogue, questions, model) if model is not None else []),
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
        "Threshold sweep, the margin as shipped (right = top-1 correct and confident; "
        "wrong = confident and wrong):",
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
    parser.add_argument(
        "--model", type=Path, default=DEFAULT_MODEL, help="NLU model for the end-to-end table"
    )
    args = parser.parse_args()
    model = args.model if args.model.is_file() else None
    print(report(args.questions, args.services, args.searches, model))


if __name__ == "__main__":
    main()
