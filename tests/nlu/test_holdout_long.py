"""The long-complaint hidden sets stay hidden, long and labelled with real intents."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nlu.evaluation.metrics import load_examples

ROOT = Path(__file__).resolve().parents[2]
LONG_SETS = (
    ROOT / "tests" / "data" / "nlu_holdout_long.yml",
    ROOT / "tests" / "data" / "nlu_holdout_long_b.yml",
)


def _training_texts() -> set[str]:
    texts: set[str] = set()
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        texts.update(example.text for example in load_examples(path))
    return texts


def _domain_intents() -> set[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {name if isinstance(name, str) else next(iter(name)) for name in domain["intents"]}


@pytest.fixture(scope="module")
def training_texts() -> set[str]:
    return _training_texts()


@pytest.mark.parametrize("path", LONG_SETS, ids=lambda p: p.name)
def test_no_hidden_message_is_in_the_training_data(path: Path, training_texts: set[str]) -> None:
    hidden = {example.text for example in load_examples(path)}
    assert hidden and not hidden & training_texts


@pytest.mark.parametrize("path", LONG_SETS, ids=lambda p: p.name)
def test_messages_are_long_multi_sentence_complaints(path: Path) -> None:
    examples = load_examples(path)
    intents = _domain_intents()
    for example in examples:
        assert example.intent.startswith("complaint_") and example.intent in intents
        # Several sentences' worth (Thai sentences are often 30-50 characters).
        assert len(example.text) >= 100, example.text


def test_the_first_part_has_at_least_sixty_messages() -> None:
    assert len(load_examples(LONG_SETS[0])) >= 60
