"""ThaiTokenizer: offsets, Rasa options and the dictionary persisted in the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pythainlp.tokenize import word_tokenize
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.tokenizer import DICTIONARY_FILE, ThaiTokenizer

CONTEXT = ExecutionContext(GraphSchema({}), "test-model")


@pytest.fixture(scope="module")
def tokenizer() -> ThaiTokenizer:
    """A tokenizer on the project's default dictionary (built once per module)."""
    return ThaiTokenizer({})


def texts(tokenizer: ThaiTokenizer, text: str) -> list[str]:
    return [t.text for t in tokenizer.tokenize_text(text)]


def create(storage: LocalModelStorage, **config: Any) -> ThaiTokenizer:
    full = {**ThaiTokenizer.get_default_config(), **config}
    return ThaiTokenizer.create(full, storage, Resource("tokenizer"), CONTEXT)


def test_domain_and_place_words_stay_whole(tokenizer: ThaiTokenizer) -> None:
    assert texts(tokenizer, "ขอเบี้ยยังชีพที่ศูนย์ดำรงธรรม") == ["ขอ", "เบี้ยยังชีพ", "ที่", "ศูนย์ดำรงธรรม"]
    assert texts(tokenizer, "ท่อระบายน้ำตันที่อำเภอหาดใหญ่") == [
        "ท่อระบายน้ำ",
        "ตัน",
        "ที่",
        "อำเภอ",
        "หาดใหญ่",
    ]
    assert "การประปานครหลวง" in texts(tokenizer, "แจ้งการประปานครหลวงด้วย")


def test_offsets_point_into_the_original_text(tokenizer: ThaiTokenizer) -> None:
    text = "\u200bแจ้ง ไฟดับบบบ  ที่\u200bหาดใหญ่ โทร ๐๘๑ ด่วนนนน"
    tokens = tokenizer.tokenize_text(text)
    assert [t.text for t in tokens] == ["แจ้ง", "ไฟดับ", "ที่", "หาดใหญ่", "โทร", "081", "ด่วน"]
    assert [text[t.start : t.end] for t in tokens] == [
        "แจ้ง",
        "ไฟดับบบบ",
        "ที่",
        "หาดใหญ่",
        "โทร",
        "๐๘๑",
        "ด่วนนนน",
    ]


def test_no_whitespace_tokens_and_latin_is_lower_cased(tokenizer: ThaiTokenizer) -> None:
    tokens = tokenizer.tokenize_text("  สถานะ   DS-7K2M9QXA  Hello\tWorld ")
    assert [t.text for t in tokens] == ["สถานะ", "ds-", "7k2m9qxa", "hello", "world"]
    assert all(t.text.strip() for t in tokens)


def test_empty_and_symbol_only_messages(tokenizer: ThaiTokenizer) -> None:
    assert tokenizer.tokenize_text("") == []
    (token,) = tokenizer.tokenize_text("\u200b")
    assert (token.start, token.end) == (0, 1)


def test_process_sets_tokens_and_splits_intents() -> None:
    plain = ThaiTokenizer({})
    split = ThaiTokenizer({"intent_tokenization_flag": True, "intent_split_symbol": "+"})
    message = Message(data={TEXT: "ไฟดับ", INTENT: "report+outage"})
    plain.process_training_data(TrainingData([message]))
    assert [t.text for t in message.get(TOKENS_NAMES[TEXT])] == ["ไฟดับ"]
    assert [t.text for t in message.get(TOKENS_NAMES[INTENT])] == ["report+outage"]
    split.process_training_data(TrainingData([message]))
    assert [t.text for t in message.get(TOKENS_NAMES[INTENT])] == ["report", "outage"]


def test_token_pattern_keeps_original_offsets() -> None:
    tokenizer = ThaiTokenizer({"token_pattern": r"[a-z]+|\d+"})
    text = "เลข DS-๗K๒M๙QXA"
    tokens = tokenizer.tokenize_text(text)
    assert [t.text for t in tokens] == ["เลข", "ds", "7", "k", "2", "m", "9", "qxa"]
    assert [text[t.start : t.end] for t in tokens][2:5] == ["๗", "K", "๒"]


def test_dictionary_is_persisted_and_restored(
    tmp_path: Path, custom_words_file: Path, custom_word: str
) -> None:
    assert custom_word not in word_tokenize(f"ไป{custom_word}", keep_whitespace=False)
    storage = LocalModelStorage.create(tmp_path)
    trained = create(storage, domain_words_path=str(custom_words_file))
    resource = trained.train(TrainingData())
    before = [t.text for t in trained.tokenize_text(f"ไป{custom_word}ครับ")]
    assert before == ["ไป", custom_word, "ครับ"]

    # The source file disappears: a loaded model must not need it.
    custom_words_file.unlink()
    with storage.read_from(resource) as directory:
        assert custom_word in (directory / DICTIONARY_FILE).read_text("utf-8").split("\n")
    config = {**ThaiTokenizer.get_default_config(), "domain_words_path": str(custom_words_file)}
    loaded = ThaiTokenizer.load(config, storage, resource, CONTEXT)
    after = loaded.tokenize_text(f"ไป{custom_word}ครับ")
    assert [t.text for t in after] == before
    assert loaded.words == trained.words


def test_default_dictionary_can_be_left_out(
    tmp_path: Path, custom_words_file: Path, custom_word: str
) -> None:
    storage = LocalModelStorage.create(tmp_path)
    small = create(storage, domain_words_path=str(custom_words_file), use_default_dictionary=False)
    small.train(TrainingData())
    assert custom_word in small.words
    assert "หาดใหญ่" in small.words  # the gazetteer is always included
    assert len(small.words) < 2000


def test_extra_words_from_config(tmp_path: Path) -> None:
    storage = LocalModelStorage.create(tmp_path)
    tokenizer = create(storage, extra_words=["ถนนมิตรภาพใหม่"])
    tokenizer.train(TrainingData())
    assert "ถนนมิตรภาพใหม่" in texts(tokenizer, "ที่ถนนมิตรภาพใหม่")


def test_fingerprint_changes_with_the_dictionary_file(custom_words_file: Path) -> None:
    config = {"domain_words_path": str(custom_words_file)}
    first = ThaiTokenizer.fingerprint_addon(config)
    assert first == ThaiTokenizer.fingerprint_addon(config)
    custom_words_file.write_text("ถนนมิตรภาพใหม่\n", encoding="utf-8")
    assert ThaiTokenizer.fingerprint_addon(config) != first


def test_unknown_resource_falls_back_to_source_files(tmp_path: Path) -> None:
    storage = LocalModelStorage.create(tmp_path)
    config = ThaiTokenizer.get_default_config()
    loaded = ThaiTokenizer.load(config, storage, Resource("never-trained"), CONTEXT)
    assert "ศูนย์ดำรงธรรม" in texts(loaded, "ศูนย์ดำรงธรรม")
