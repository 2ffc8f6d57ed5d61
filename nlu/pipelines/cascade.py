"""`TfidfEncoderClassifier`: the TF-IDF model first, a sentence encoder when it is unsure.

Two logistic regressions are trained on the same examples:

- the *fast* one is `TfidfLogisticRegressionClassifier`'s: TF-IDF weighted words and
  character n-grams (2-3 ms a message);
- the *full* one reads the same TF-IDF features plus the message's multilingual-E5
  vector (`nlu.pipelines.encoder`) times `encoder_weight`.

A message is read by the fast model; only when its top intent's probability is below
`consult_below` is the message encoded (12-60 ms here, by length) and read by the full
model instead. Most messages are clear to the fast model, so the typical parse stays
fast, while the messages it hesitates on — where its mistakes are — get the encoder's
sense of meaning (docs/nlu.md: held-out accuracy 0.919 → 0.97 with the encoder consulted
on ~15 % of messages, the same as consulting it always).

Persistence follows the parent: plain arrays in an `.npz` read without pickle, settings
as JSON naming the encoder, so a model never silently meets a different encoder.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from scipy.sparse import csr_matrix, hstack
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from nlu.pipelines import encoder
from nlu.pipelines.tfidf import TfidfLogisticRegressionClassifier, UnsafeModelFile, _rebuild

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfEncoderClassifier(TfidfLogisticRegressionClassifier):
    """TF-IDF logistic regression, backed by a sentence encoder for unsure messages."""

    full: LogisticRegression | None

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The parent's options, plus the encoder's weight and when to consult it."""
        return {
            **TfidfLogisticRegressionClassifier.get_default_config(),
            # the encoder's vector (unit length) is multiplied by this next to the
            # TF-IDF features (also unit length)
            "encoder_weight": 2.0,
            # the full model reads a message when the fast one's top probability is
            # below this; 0 never consults the encoder, above 1 always does
            "consult_below": 0.6,
            # where the training texts' vectors are kept between trainings (default:
            # $NLU_ENCODER_CACHE, else var/nlu/encoder-cache in the repository)
            "encoder_cache": None,
        }

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        """The parent's fast pipeline; the full model is made by training or loading."""
        super().__init__(config, name, model_storage, resource)
        self.full = None

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the fast model, encodes every example and fits the full model."""
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug("No intent examples: %s is not trained.", self.__class__.__name__)
            return self._resource
        X = self._create_X(examples)
        y = [e.get(INTENT) for e in examples]
        self.clf.fit(X, y)
        vectors = encoder.EncoderCache(self.config["encoder_cache"]).encode(
            [e.get(TEXT) for e in examples]
        )
        self.full = clone(self.clf.named_steps["lr"])
        self.full.fit(self._full_X(self.clf.named_steps["tfidf"].transform(X), vectors), y)
        if list(self.full.classes_) != list(self.clf.classes_):
            raise RuntimeError("the fast and full models disagree on the intents")
        self.persist()
        return self._resource

    def _full_X(self, weighted: csr_matrix, vectors: np.ndarray) -> csr_matrix:
        """The full model's features: TF-IDF weighted counts, then the weighted vectors."""
        dense = csr_matrix(vectors * float(self.config["encoder_weight"]))
        return hstack([weighted, dense], format="csr")

    def probabilities(self, messages: list[Message]) -> tuple[np.ndarray, np.ndarray]:
        """Each message's intent probabilities, and whether the encoder was consulted."""
        # Weighted once: the fast model reads it, and the full one reads the unsure rows.
        weighted = self.clf.named_steps["tfidf"].transform(self._create_X(messages))
        probabilities = self.clf.named_steps["lr"].predict_proba(weighted)
        unsure = probabilities.max(axis=1) < float(self.config["consult_below"])
        if self.full is not None and unsure.any():
            rows = np.flatnonzero(unsure)
            try:
                vectors = encoder.encode([messages[row].get(TEXT) or "" for row in rows])
            except encoder.EncoderUnavailable as error:
                # Citizens still get the fast model's reading; the cause is in the log.
                logger.error("Reading without the sentence encoder: %s", error)
                return probabilities, np.zeros(len(messages), dtype=bool)
            probabilities[rows] = self.full.predict_proba(self._full_X(weighted[rows], vectors))
        return probabilities, unsure

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets `intent` and `intent_ranking` as Rasa's logistic regression does."""
        if not messages or not hasattr(self.clf, "classes_"):
            return messages
        probabilities, _ = self.probabilities(messages)
        intents = self.clf.classes_
        length = self.config.get(RANKING_LENGTH, LABEL_RANKING_LENGTH)
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row, kind="stable")
            ranking = [{"name": str(intents[i]), "confidence": float(row[i])} for i in order]
            message.set("intent", ranking[0], add_to_output=True)
            message.set(
                "intent_ranking", ranking[:length] if length > 0 else ranking, add_to_output=True
            )
        return messages

    def persist(self) -> None:
        """The parent's arrays and settings, plus the full model and the encoder's id."""
        super().persist()
        if self.full is None:
            return
        with self._model_storage.write_to(self._resource) as model_dir:
            np.savez(
                model_dir / f"{self._resource.name}.full.npz",
                coef=self.full.coef_,
                intercept=self.full.intercept_,
                classes=np.asarray([str(c) for c in self.full.classes_]),
            )
            (model_dir / f"{self._resource.name}.encoder.json").write_text(
                json.dumps({"model": encoder.MODEL_ID, "dimension": encoder.DIMENSION}),
                encoding="utf-8",
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfEncoderClassifier:
        """The trained models; a file that does not fit, or another encoder, is an error."""
        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                component.clf = _rebuild(
                    model_dir / f"{resource.name}.npz", model_dir / f"{resource.name}.json"
                )
                component.full = _rebuild_full(
                    model_dir / f"{resource.name}.full.npz",
                    model_dir / f"{resource.name}.encoder.json",
                    component.clf,
                )
        except ValueError:
            logger.debug("No trained %s in resource %s.", cls.__name__, resource.name)
        return component


def _rebuild_full(arrays: Any, encoder_path: Any, fast: Any) -> LogisticRegression:
    """The full model from its numbers, checked against the fast model and the encoder."""
    try:
        named = json.loads(encoder_path.read_text(encoding="utf-8"))
        with np.load(arrays, allow_pickle=False) as saved:
            coef, intercept, classes = saved["coef"], saved["intercept"], saved["classes"]
    except (OSError, KeyError, ValueError) as error:
        raise UnsafeModelFile(f"cannot load {arrays}: {error}") from error
    if named.get("model") != encoder.MODEL_ID or named.get("dimension") != encoder.DIMENSION:
        raise UnsafeModelFile(
            f"{arrays}: trained with encoder {named.get('model')!r}, this desk has "
            f"{encoder.MODEL_ID!r}; retrain the model"
        )
    width = fast.named_steps["tfidf"].idf_.shape[0] + encoder.DIMENSION
    if coef.ndim != 2 or coef.shape[1] != width or list(classes) != list(fast.classes_):
        raise UnsafeModelFile(f"{arrays}: the saved arrays do not fit the fast model")
    full = clone(fast.named_steps["lr"])
    full.coef_, full.intercept_, full.classes_ = coef, intercept, classes
    full.n_features_in_ = width
    return full
