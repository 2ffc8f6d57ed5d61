"""`TfidfLogisticRegressionClassifier`: Rasa's logistic regression on TF-IDF weighted features.

Rasa's `CountVectorsFeaturizer` hands classifiers raw counts, so a long message (a Traffy
complaint runs to several hundred characters) weighs many times a short one and is
dominated by its most frequent n-grams. This classifier puts sklearn's `TfidfTransformer`
(sublinear tf, idf, L2 norm) in front of the same `LogisticRegression`; measured in
docs/nlu.md. Ranking and output are the parent's.

Persistence: the fitted numbers only (idf weights, coefficients, intercepts, class names)
in a NumPy `.npz` read with `allow_pickle=False`, and the settings as JSON; loading
rebuilds the estimators from them. Nothing in the file can run code, and loading needs
neither pickle nor skops — whose import, inside Rasa (which has imported TensorFlow's
thousands of modules by then), cost ~6 s of every start and every model activation here.
Models saved by earlier versions (skops) still load.
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
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

logger = logging.getLogger(__name__)

FORMAT = 1
# Models saved with skops (before FORMAT 1): what they may hold beyond skops' default
# trust (TfidfTransformer keeps its idf weights as a sparse diagonal matrix).
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

    def persist(self) -> None:
        """Saves the fitted numbers and the settings (no pickle)."""
        tfidf: TfidfTransformer = self.clf.named_steps["tfidf"]
        lr: LogisticRegression = self.clf.named_steps["lr"]
        with self._model_storage.write_to(self._resource) as model_dir:
            np.savez(
                model_dir / f"{self._resource.name}.npz",
                idf=tfidf.idf_,
                coef=lr.coef_,
                intercept=lr.intercept_,
                classes=np.asarray([str(c) for c in lr.classes_]),
            )
            settings = {
                "format": FORMAT,
                "tfidf": {k: tfidf.get_params()[k] for k in ("norm", "sublinear_tf", "use_idf")},
                "lr": {k: lr.get_params()[k] for k in ("solver", "multi_class")},
            }
            (model_dir / f"{self._resource.name}.json").write_text(
                json.dumps(settings), encoding="utf-8"
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
        """Loads the trained classifier; a file it cannot read is an error.

        (The parent silently returns an untrained classifier when its file holds a type
        skops does not trust by default.)
        """
        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                arrays = model_dir / f"{resource.name}.npz"
                if arrays.exists():
                    component.clf = _rebuild(arrays, model_dir / f"{resource.name}.json")
                else:
                    component.clf = _load_skops(model_dir / f"{resource.name}.skops")
        except ValueError:
            # No resource: nothing was trained (no intent examples), as for the parent.
            logger.debug("No trained %s in resource %s.", cls.__name__, resource.name)
        return component


def _rebuild(arrays: Any, settings_path: Any) -> Pipeline:
    """The fitted pipeline from its numbers and settings."""
    try:
        settings = json.loads(settings_path.read_text(encoding="utf-8"))
        if settings.get("format") != FORMAT:
            raise UnsafeModelFile(f"{settings_path}: unknown format {settings.get('format')}")
        with np.load(arrays, allow_pickle=False) as saved:
            idf, coef = saved["idf"], saved["coef"]
            intercept, classes = saved["intercept"], saved["classes"]
    except (OSError, KeyError, ValueError) as error:
        raise UnsafeModelFile(f"cannot load {arrays}: {error}") from error
    if coef.ndim != 2 or coef.shape[1] != idf.shape[0] or len(intercept) != coef.shape[0]:
        raise UnsafeModelFile(f"{arrays}: the saved arrays do not fit together")
    tfidf = TfidfTransformer(**settings["tfidf"])
    tfidf.idf_ = idf
    tfidf.n_features_in_ = idf.shape[0]
    lr = LogisticRegression(**settings["lr"])
    lr.coef_, lr.intercept_, lr.classes_ = coef, intercept, classes
    lr.n_features_in_ = coef.shape[1]
    return Pipeline([("tfidf", tfidf), ("lr", lr)])


def _load_skops(path: Any) -> Pipeline:
    """A classifier saved by an earlier version (skops), with the allow-list checked."""
    import skops.io as sio

    try:
        found = set(sio.get_untrusted_types(file=path))
        if found - TRUSTED_TYPES:
            raise UnsafeModelFile(f"{path} holds {sorted(found - TRUSTED_TYPES)}")
        loaded: Pipeline = sio.load(path, trusted=sorted(found))
        return loaded
    except (OSError, ValueError) as error:
        raise UnsafeModelFile(f"cannot load {path}: {error}") from error
