"""`python -m nlu.predict`: a trained model's reading of texts, JSON lines in and out.

    python -m nlu.predict --model models/desk.tar.gz < in.jsonl > out.jsonl

Loads the model once, in this process (no Rasa server), and answers every input line
`{"text": ...}` with one line in the shape of the gateway's `/api/nlu/parse`
(`bot/teaching/schemas.py`). A line that cannot be read gets `{"line": n, "error": ...}` and
the run goes on. Output is flushed per line, so the command can sit behind a pipe.
Runs in the Rasa environment (Python 3.10).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from nlu.normalize import typed

RANKING_LENGTH = 10
DEFAULT_MODEL = Path("models/desk.tar.gz")


class BadLine(ValueError):
    """An input line that is not `{"text": "<non-empty string>"}`."""


def quiet_rasa() -> None:
    """Rasa and structlog below WARNING, and never on stdout (which carries the results).

    Unconfigured structlog prints every debug event, message texts included, to stdout.
    """
    import structlog

    # TensorFlow reads this when Rasa first imports it; its C++ start-up chatter is noise.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for category in (DeprecationWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    # Rasa reads a text starting with "/" as an intent shortcut and, when it is not one,
    # warns with the whole text in the message: a citizen's words must not reach logs.
    warnings.filterwarnings("ignore", message="Failed to parse arguments in line")
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )
    for name in ("rasa", "absl", "tensorflow", "pythainlp"):
        logging.getLogger(name).setLevel(logging.WARNING)


class Parser:
    """A loaded model: texts in, parse dicts in the desk's shape out."""

    def __init__(self, model: Path | str) -> None:
        from rasa.core.agent import Agent

        agent = Agent.load(str(model))
        if agent.processor is None:
            raise ValueError(f"{model} holds no loadable model")
        self._runner = agent.processor.graph_runner
        self._metadata = agent.processor.model_metadata
        self._target = self._metadata.nlu_target
        self._agent = agent  # keeps the unpacked model directory alive

    def fallback_settings(self) -> tuple[float, float] | None:
        """The model's FallbackClassifier (threshold, ambiguity_threshold), if it has one."""
        from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier

        for node in self._metadata.predict_schema.nodes.values():
            if issubclass(node.uses, FallbackClassifier):
                config = {**FallbackClassifier.get_default_config(), **node.config}
                return float(config["threshold"]), float(config["ambiguity_threshold"])
        return None

    def parse_many(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        """Parses texts in one pass through the graph (faster than one by one)."""
        from rasa.core.channels.channel import UserMessage
        from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
        from rasa.shared.core.trackers import DialogueStateTracker

        if not texts:
            return []
        # Read as the desk reads what a citizen typed: a leading "/" is no command.
        messages = [UserMessage(typed(text)) for text in texts]
        tracker = DialogueStateTracker.from_events("nlu-predict", [])
        results = self._runner.run(
            inputs={PLACEHOLDER_MESSAGE: messages, PLACEHOLDER_TRACKER: tracker},
            targets=[self._target],
        )
        parsed = results[self._target]
        return [
            shape(text, message.as_dict(only_output_properties=True))
            for text, message in zip(texts, parsed, strict=True)
        ]

    def parse(self, text: str) -> dict[str, Any]:
        """Parses one text."""
        return self.parse_many([text])[0]


def shape(text: str, parsed: dict[str, Any]) -> dict[str, Any]:
    """A Rasa parse dict in the shape of `/api/nlu/parse` (see bot/teaching/schemas.py)."""
    intent = parsed.get("intent") or {}
    ranking = parsed.get("intent_ranking") or []
    return {
        "text": text,
        "intent": _intent(intent) if intent.get("name") else {"name": None, "confidence": 0.0},
        "intent_ranking": [_intent(item) for item in ranking[:RANKING_LENGTH]],
        "entities": [
            {
                "entity": str(entity["entity"]),
                "value": entity.get("value"),
                "start": int(entity["start"]),
                "end": int(entity["end"]),
            }
            for entity in parsed.get("entities") or []
            if "start" in entity and "end" in entity
        ],
        "services": [],
    }


def _intent(item: dict[str, Any]) -> dict[str, Any]:
    return {"name": item.get("name"), "confidence": float(item.get("confidence") or 0.0)}


def read_request(line: str) -> str:
    """The text of one input line; raises BadLine when there is none."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise BadLine(f"not JSON: {error.msg} at column {error.colno}") from None
    if not isinstance(data, dict):
        raise BadLine("not a JSON object")
    text = data.get("text")
    if not isinstance(text, str):
        raise BadLine('no "text" string')
    if not text.strip():
        raise BadLine("empty text")
    return text


@dataclass
class Stats:
    """What a run did, for the closing line on stderr."""

    lines: int = 0
    errors: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        """Lines answered per second of parsing (model loading not counted)."""
        return self.lines / self.seconds if self.seconds else 0.0


def run(parser: Parser, lines: Iterable[str], out: TextIO) -> Stats:
    """Answers every non-blank input line with one output line, flushed at once."""
    stats = Stats()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        started = time.perf_counter()
        stats.lines += 1
        try:
            answer = parser.parse(read_request(line))
        except BadLine as error:
            answer = {"line": number, "error": str(error)}
        # One text that breaks a component must not end the run for the others; the
        # error's type goes back on its line (never the text: it may hold personal data).
        except Exception as error:  # noqa: BLE001
            answer = {"line": number, "error": f"parse failed: {type(error).__name__}"}
        if "error" in answer:
            stats.errors += 1
        out.write(json.dumps(answer, ensure_ascii=False) + "\n")
        out.flush()
        stats.seconds += time.perf_counter() - started
    return stats


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m nlu.predict", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model archive")
    parser.add_argument("--quiet", action="store_true", help="no statistics on stderr")
    args = parser.parse_args(argv)
    if not args.model.is_file():
        print(f"no model at {args.model}", file=sys.stderr)
        return 2
    out = sys.stdout
    quiet_rasa()
    # Anything a library prints goes to stderr; stdout carries only our JSON lines.
    with contextlib.redirect_stdout(sys.stderr):
        started = time.perf_counter()
        model = Parser(args.model)
        loaded = time.perf_counter() - started
        stats = run(model, sys.stdin, out)
    if not args.quiet:
        print(
            f"model loaded in {loaded:.1f} s; {stats.lines} lines ({stats.errors} errors) "
            f"in {stats.seconds:.2f} s, {stats.per_second:.0f} lines/s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
