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
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix, hstack, vstack
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

    def _create_X(self, messages: list[Message]) -> csr_matrix:
        """The parent's matrix (sentence features, sparse then dense), built in one go.

        The parent stacks two matrices per message and then all rows, which took longer
        than the fit itself on a few thousand long examples.
        """
        sparse_rows, dense_rows = [], []
        for message in messages:
            # Each getter returns (sequence features, sentence features).
            sparse = message.get_sparse_features(attribute=TEXT)[1]
            dense = message.get_dense_features(attribute=TEXT)[1]
            if sparse is not None:
                sparse_rows.append(sparse.features)
            if dense is not None:
                dense_rows.append(csr_matrix(dense.features))
        blocks = [vstack(rows, format="csr") for rows in (sparse_rows, dense_rows) if rows]
        for rows in (sparse_rows, dense_rows):
            if rows and len(rows) != len(messages):
                raise ValueError("some messages lack the sentence features others have")
        if not blocks:
            return csr_matrix((len(messages), 0))
        return blocks[0] if len(blocks) == 1 else hstack(blocks, format="csr")

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
