"""ThaiEntityExtractor as a Rasa graph component."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.entities import ThaiEntityExtractor
from nlu.geo import DEFAULT_GEO_DIR
from nlu.tokenizer import ThaiTokenizer

CONTEXT = ExecutionContext(GraphSchema({}), "test-model")


def make(storage: LocalModelStorage, **config: Any) -> ThaiEntityExtractor:
    full = {**ThaiEntityExtractor.get_default_config(), **config}
    return ThaiEntityExtractor.create(full, storage, Resource("extractor"), CONTEXT)


def run(extractor: ThaiEntityExtractor, text: str, tokenize: bool = True) -> list[dict]:
    message = Message(data={TEXT: text})
    if tokenize:
        ThaiTokenizer({}).process([message])
    extractor.process([message])
    return message.get(ENTITIES)


@pytest.fixture
def geo_copy(tmp_path: Path) -> Path:
    """A private copy of data/geo the test may change or delete."""
    target = tmp_path / "geo"
    shutil.copytree(DEFAULT_GEO_DIR, target)
    return target


def test_entities_carry_offsets_value_extractor_and_confidence(tmp_path: Path) -> None:
    extractor = make(LocalModelStorage.create(tmp_path))
    extractor.train(TrainingData())
    text = "ไฟดับบบบที่\u200bอ.หาดใหญ่ จ.สงขลา เบอร์ ๐๘๑-๒๓๔-๕๖๗๘"
    entities = run(extractor, text)
    assert [(e["entity"], e["value"], text[e["start"] : e["end"]]) for e in entities] == [
        ("district", "หาดใหญ่", "หาดใหญ่"),
        ("province", "สงขลา", "สงขลา"),
        ("phone", "0812345678", "๐๘๑-๒๓๔-๕๖๗๘"),
    ]
    assert {e["extractor"] for e in entities} == {"ThaiEntityExtractor"}
    assert {e["confidence_entity"] for e in entities} == {1.0}
    assert entities[0]["province"] == "สงขลา"


def test_gazetteer_lives_in_the_model(tmp_path: Path, geo_copy: Path) -> None:
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage.create(tmp_path / "storage")
    trained = make(storage, geo_path=str(geo_copy))
    resource = trained.train(TrainingData())
    shutil.rmtree(geo_copy)  # the model must not read the files again
    config = {**ThaiEntityExtractor.get_default_config(), "geo_path": str(geo_copy)}
    loaded = ThaiEntityExtractor.load(config, storage, resource, CONTEXT)
    assert [e["value"] for e in run(loaded, "น้ำท่วมโคราช")] == ["นครราชสีมา"]


def test_fingerprint_follows_the_gazetteer_files(geo_copy: Path) -> None:
    config = {"geo_path": str(geo_copy)}
    first = ThaiEntityExtractor.fingerprint_addon(config)
    with (geo_copy / "aliases.csv").open("a", encoding="utf-8") as handle:
        handle.write("province,เมืองย่าโม,นครราชสีมา,\n")
    assert ThaiEntityExtractor.fingerprint_addon(config) != first


def test_existing_entities_are_kept(tmp_path: Path) -> None:
    extractor = make(LocalModelStorage.create(tmp_path))
    extractor.train(TrainingData())
    other = {"entity": "topic", "start": 0, "end": 5, "value": "ไฟดับ", "extractor": "DIET"}
    message = Message(data={TEXT: "ไฟดับ โทร 0812345678", ENTITIES: [other]})
    extractor.process([message])
    assert message.get(ENTITIES)[0] == other
    assert [e["entity"] for e in message.get(ENTITIES)] == ["topic", "phone"]


def test_entity_types_subset_and_validation(tmp_path: Path) -> None:
    storage = LocalModelStorage.create(tmp_path)
    ids_only = make(storage, entity_types=["ticket_id", "phone"])
    ids_only.train(TrainingData())
    entities = run(ids_only, "จ.สงขลา DS-7K2M9QXA 0812345678")
    assert [e["entity"] for e in entities] == ["ticket_id", "phone"]
    with pytest.raises(ValueError, match="entity_types"):
        make(storage, entity_types=["email"])


def test_token_boundaries_from_the_tokenizer(tmp_path: Path) -> None:
    extractor = make(LocalModelStorage.create(tmp_path))
    extractor.train(TrainingData())
    assert run(extractor, "คุณกาญจนาแจ้งว่า", tokenize=True) == []
    assert [e["value"] for e in run(extractor, "คุณกาญจนาแจ้งว่า", tokenize=False)] == ["กาญจนบุรี"]


def test_messages_without_text_are_left_alone(tmp_path: Path) -> None:
    extractor = make(LocalModelStorage.create(tmp_path))
    extractor.train(TrainingData())
    message = Message(data={"intent": "greet"})
    extractor.process([message])
    assert message.get(ENTITIES) is None
