"""The word featurizer keeps the tokenizer's Thai words whole (Rasa's own splits them)."""

from __future__ import annotations

from sklearn.feature_extraction.text import CountVectorizer

from nlu.pipelines.thai_words import ThaiWordCountVectorsFeaturizer, _whole_tokens


def test_thai_words_stay_whole_and_pair_up() -> None:
    vectorizers = _whole_tokens({"text": CountVectorizer(analyzer="word", ngram_range=(1, 2))})
    vocabulary = vectorizers["text"].fit(["ถนน ชำรุด ไฟฟ้า ดับ"]).vocabulary_
    assert {"ชำรุด", "ไฟฟ้า", "ถนน ชำรุด", "ไฟฟ้า ดับ"} <= set(vocabulary)


def test_rasa_default_pattern_would_cut_them_apart() -> None:
    vocabulary = CountVectorizer(analyzer="word").fit(["ถนน ชำรุด"]).vocabulary_
    assert "ชำรุด" not in vocabulary  # why the featurizer exists


def test_the_featurizer_builds_whole_word_vectorizers() -> None:
    built = ThaiWordCountVectorsFeaturizer._create_independent_vocab_vectorizers(
        {**ThaiWordCountVectorsFeaturizer.get_default_config(), "analyzer": "word"}
    )
    assert all(v.token_pattern == r"(?u)\S+" for v in built.values())
