"""The TF-IDF classifier's model file: plain numbers read back without pickle, exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from scipy.sparse import csr_matrix

from nlu.pipelines.tfidf import TfidfLogisticRegressionClassifier, UnsafeModelFile

CONFIG = {"C": 20, "solver": "liblinear", "random_state": 42}
INTENTS = ["complaint_road", "greet", "out_of_scope"]


def _trained(storage: LocalModelStorage) -> TfidfLogisticRegressionClassifier:
    context = ExecutionContext(GraphSchema({}), node_name="classifier")
    component = TfidfLogisticRegressionClassifier.create(
        CONFIG, storage, Resource("classifier"), context
    )
    rng = np.random.default_rng(7)
    features = csr_matrix(rng.poisson(0.4, size=(60, 40)).astype(float))
    component.clf.fit(features, [INTENTS[i % 3] for i in range(60)])
    return component


def _load(storage: LocalModelStorage) -> TfidfLogisticRegressionClassifier:
    context = ExecutionContext(GraphSchema({}), node_name="classifier")
    return TfidfLogisticRegressionClassifier.load(CONFIG, storage, Resource("classifier"), context)


def test_the_saved_numbers_give_the_same_probabilities(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    trained = _trained(storage)
    trained.persist()
    files = sorted(p.name for p in (tmp_path / "classifier").iterdir())
    assert files == ["classifier.json", "classifier.npz"]  # no pickle, no skops
    loaded = _load(storage)
    probe = csr_matrix(np.random.default_rng(8).poisson(0.4, size=(25, 40)).astype(float))
    assert list(loaded.clf.classes_) == INTENTS
    np.testing.assert_allclose(
        loaded.clf.predict_proba(probe), trained.clf.predict_proba(probe), rtol=1e-12
    )


def test_a_file_that_does_not_fit_together_is_refused(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    _trained(storage).persist()
    arrays = tmp_path / "classifier" / "classifier.npz"
    with np.load(arrays) as saved:
        parts = dict(saved)
    np.savez(arrays, **{**parts, "idf": parts["idf"][:-1]})
    with pytest.raises(UnsafeModelFile):
        _load(storage)
    np.savez(arrays, **parts)
    settings = tmp_path / "classifier" / "classifier.json"
    settings.write_text(json.dumps({"format": 99}), encoding="utf-8")
    with pytest.raises(UnsafeModelFile):
        _load(storage)


def test_objects_in_the_file_are_never_unpickled(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    _trained(storage).persist()
    arrays = tmp_path / "classifier" / "classifier.npz"
    with np.load(arrays) as saved:
        parts = dict(saved)
    parts["classes"] = np.array([object(), "greet", "out_of_scope"], dtype=object)
    np.savez(arrays, **parts)
    with pytest.raises(UnsafeModelFile):
        _load(storage)


def test_a_model_saved_with_skops_by_an_earlier_version_still_loads(tmp_path: Path) -> None:
    import skops.io as sio

    storage = LocalModelStorage(tmp_path)
    trained = _trained(storage)
    (tmp_path / "classifier").mkdir()
    sio.dump(trained.clf, tmp_path / "classifier" / "classifier.skops")
    loaded = _load(storage)
    assert list(loaded.clf.classes_) == INTENTS
