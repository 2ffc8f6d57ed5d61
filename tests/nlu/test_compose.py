"""The composed complaint examples: reproducible, up to date, valid Rasa data."""

from __future__ import annotations

import random

from rasa.shared.nlu.training_data.loading import load_data

from nlu import compose


def test_the_committed_file_is_what_the_script_writes() -> None:
    cores = compose.load_cores(compose.DEFAULT_CORES)
    expected = compose.to_yaml(compose.composed(cores, 60, compose.SEED))
    assert compose.DEFAULT_OUT.read_text(encoding="utf-8") == expected


def test_cores_lose_entity_markup() -> None:
    cores = compose.load_cores(compose.DEFAULT_CORES)
    texts = [text for examples in cores.values() for text in examples]
    assert texts and not any("](" in text for text in texts)
    assert set(cores) == {name for name in cores if name.startswith("complaint_")}


def test_every_message_holds_its_core_and_the_file_loads(tmp_path) -> None:
    cores = {"complaint_road": ["ถนนเป็นหลุม"], "complaint_noise": ["เสียงดังทั้งคืน"]}
    out = compose.composed(cores, 50, seed=1)
    assert {intent: len(messages) for intent, messages in out.items()} == {
        "complaint_noise": compose.PER_CORE,
        "complaint_road": compose.PER_CORE,
    }
    for intent, messages in out.items():
        assert all(cores[intent][0] in message for message in messages)
        assert len(set(messages)) == len(messages)
    path = tmp_path / "composed.yml"
    path.write_text(compose.to_yaml(out), encoding="utf-8")
    data = load_data(str(path))
    assert sorted(m.get("intent") for m in data.intent_examples) == sorted(
        intent for intent, messages in out.items() for _ in messages
    )


def test_compose_is_deterministic() -> None:
    first = compose.compose("ไฟดับ", random.Random(7))
    assert first == compose.compose("ไฟดับ", random.Random(7))
    assert "ไฟดับ" in first
