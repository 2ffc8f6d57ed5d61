"""`TfidfLogisticRegressionClassifier`: Rasa's logistic regression on TF-IDF weighted features.

Rasa's `CountVectorsFeaturizer` hands classifiers raw counts, so a long message (a Traffy
complaint runs to several hundred characters) weighs many times a short one and is
dominated by its most frequent n-grams. This classifier puts sklearn's `TfidfTransformer`
(sublinear tf, idf, L2 norm) in front of the same `LogisticRegression`; measured in
docs/nlu.md. Every other behaviour (ranking, persistence format) is the parent's.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.pipeline import Pipeline

logger = logging.getLogger(__name__)

# What the saved pipeline may hold beyond skops' default trust: TfidfTransformer keeps its
# idf weights as a sparse diagonal matrix.
TRUSTED_TYPES = frozenset({"scipy.sparse._csr.csr_matrix"})


class UnsafeModelFile(RuntimeError):
    """The saved classifier holds types that are not on the allow-list."""


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Intent classifier: TF-IDF (sublinear, L2) + class-balanced logistic regression."""

    clf: Any  # the parent's LogisticRegression, then the Pipeline around it

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The parent's options, plus `C` and `sublinear_tf`; more iterations by default."""
        return {
            **LogisticRegressionClassifier.get_default_config(),
            # inverse regularisation strength of the logistic regression
            "C": 1.0,
            # 1 + log(tf) instead of the raw count
            "sublinear_tf": True,
            "max_iter": 1000,
        }

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        """The parent's classifier, wrapped in a pipeline behind a TfidfTransformer."""
        config = {**self.get_default_config(), **config}
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=float(config["C"]))
        # The parent fits, predicts and persists `self.clf`; a Pipeline offers it the
        # same fit / predict_proba / classes_.
        self.clf = Pipeline(
            [
                ("tfidf", TfidfTransformer(sublinear_tf=bool(config["sublinear_tf"]))),
                ("lr", self.clf),
            ]
        )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfLogisticRegressionClassifier:
        """Loads the trained pipeline; refuses files with unexpected types.

        The parent silently returns an untrained classifier when its file holds a type
        skops does not trust by default (our idf matrix is one): here that is an error.
        """
        import skops.io as sio

        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / f"{resource.name}.skops"
                try:
                    found = set(sio.get_untrusted_types(file=path))
                    if found - TRUSTED_TYPES:
                        raise UnsafeModelFile(f"{path} holds {sorted(found - TRUSTED_TYPES)}")
                    component.clf = sio.load(path, trusted=sorted(found))
                except (OSError, ValueError) as error:
                    raise UnsafeModelFile(f"cannot load {path}: {error}") from error
        except ValueError:
            # No resource: nothing was trained (no intent examples), as for the parent.
            logger.debug("No trained %s in resource %s.", cls.__name__, resource.name)
        return component
