"""`ThaiWordCountVectorsFeaturizer`: Rasa's word counts on the tokenizer's own Thai words.

Rasa's `CountVectorsFeaturizer` (analyzer `word`) joins the tokens with spaces and splits
them again with the regular expression `\\b\\w+\\b`. Thai vowel and tone marks (ั ิ ่ ้ …) are
not `\\w`, so that regex cuts most Thai words apart: `ชำรุด` becomes `ชำร` and `ด`, `ไฟฟ้า`
`ไฟฟ` and `า`, and word n-grams span fragments rather than words. This featurizer is the
same component with the pattern `\\S+`: a token of `nlu.tokenizer.ThaiTokenizer` (which
never contains whitespace) is exactly one feature, and `max_ngram: 2` gives real word
pairs (`ไฟ ดับ`, `ถนน พัง`). Measured in docs/nlu.md.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from sklearn.feature_extraction.text import CountVectorizer

# One token of the tokenizer (tokens are joined with single spaces before counting).
TOKEN_PATTERN = r"(?u)\S+"


def _whole_tokens(vectorizers: dict[str, CountVectorizer]) -> dict[str, CountVectorizer]:
    for vectorizer in vectorizers.values():
        if vectorizer.analyzer == "word":
            vectorizer.set_params(token_pattern=TOKEN_PATTERN)
    return vectorizers


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class ThaiWordCountVectorsFeaturizer(CountVectorsFeaturizer):
    """`CountVectorsFeaturizer` whose word analyzer keeps the tokenizer's tokens whole."""

    @classmethod
    def _create_shared_vocab_vectorizers(
        cls, parameters: dict[str, Any], vocabulary: Any | None = None
    ) -> dict[str, CountVectorizer]:
        """The parent's vectorizers, with whole tokens as words (also used by `load`)."""
        return _whole_tokens(super()._create_shared_vocab_vectorizers(parameters, vocabulary))

    @classmethod
    def _create_independent_vocab_vectorizers(
        cls, parameters: dict[str, Any], vocabulary: Any | None = None
    ) -> dict[str, CountVectorizer]:
        """The parent's vectorizers, with whole tokens as words (also used by `load`)."""
        return _whole_tokens(super()._create_independent_vocab_vectorizers(parameters, vocabulary))
