"""The best trials together (issue 21, part 5): ``PrunedSearchCV(ensemble=k)``'s
``best_ensemble_``, its ONNX export as one graph, and ``skmnist search --ensemble``.

Fits use scikit-learn's 8x8 digits and one or two epochs: the point is which
trials vote and how, not their accuracy.
"""

import functools
import warnings

import numpy as np
import optuna
import pytest
from sklearn.datasets import load_digits
from sklearn.ensemble import VotingClassifier
from sklearn.frozen import FrozenEstimator

from skmnist import (
    PrunedSearchCV,
    auto_search_space,
    make_mnist_pipeline,
    mlp_search_space,
)
from skmnist.cli import main

optuna.logging.set_verbosity(optuna.logging.WARNING)
onnxruntime = pytest.importorskip("onnxruntime")  # the [onnx] extra


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:360].reshape(-1, 8, 8) / 16, y[:360]


def search(ensemble, n_trials=4, space=mlp_search_space, model=None, **kwargs):
    pipe = (
        make_mnist_pipeline(hidden_layer_sizes=(16,), epochs=2, random_state=0)
        if model is None
        else make_mnist_pipeline(model, epochs=1, random_state=0)
    )
    return PrunedSearchCV(
        pipe,
        space,
        n_trials=n_trials,
        cv=2,
        max_epochs=2,
        ensemble=ensemble,
        random_state=0,
        **kwargs,
    )


@pytest.fixture(scope="module")
def fitted(digits):
    return search(3).fit(*digits)


def test_the_ensemble_is_the_best_trials_soft_vote(fitted, digits):
    X, y = digits
    results = fitted.cv_results_
    ensemble = fitted.best_ensemble_
    assert isinstance(ensemble, VotingClassifier) and ensemble.voting == "soft"
    # the winner first, then the next ranks of the refit scorer
    order = np.argsort(results["rank_test_score"], kind="stable")[:3]
    expected = [f"trial_{results['trial_number'][i]}" for i in order]
    assert [name for name, _ in ensemble.estimators] == expected
    winner = ensemble.estimators[0][1]
    assert isinstance(winner, FrozenEstimator)
    assert winner.estimator is fitted.best_estimator_  # not trained twice
    for (_, member), index in zip(ensemble.estimators, order, strict=True):
        params = member.estimator.get_params()
        for name, value in results["params"][index].items():
            assert params[name] == value  # each refitted with its trial's params
    members = [m.predict_proba(X) for _, m in ensemble.estimators]
    proba = ensemble.predict_proba(X)
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba, np.mean(members, axis=0), rtol=1e-6)
    assert set(ensemble.predict(X)) <= set(y)
    np.testing.assert_array_equal(ensemble.classes_, fitted.classes_)
    assert fitted.ensemble_refit_time_ > 0
    # the search's own predictions stay the single winner's, as GridSearchCV's
    np.testing.assert_array_equal(
        fitted.predict_proba(X), fitted.best_estimator_.predict_proba(X)
    )


def test_ensemble_needs_refit_and_a_count(digits):
    with pytest.raises(ValueError, match="refit=False refits none"):
        search(2, refit=False).fit(*digits)
    with pytest.raises(ValueError, match="ensemble"):
        search(0).fit(*digits)


def test_without_ensemble_there_is_none(digits):
    fitted = search(None, n_trials=1).fit(*digits)
    assert not hasattr(fitted, "best_ensemble_")


def test_fewer_complete_trials_than_asked_are_said(digits):
    with pytest.warns(UserWarning, match=r"ensemble=5, but only 2 complete trials"):
        fitted = search(5, n_trials=2).fit(*digits)
    assert len(fitted.best_ensemble_.estimators) == 2


def test_the_ensemble_exports_to_onnx_as_one_graph(digits, tmp_path):
    from skmnist.onnx import OnnxClassifier, export_onnx

    X, y = digits
    # the dense network and a CNN in one vote
    space = functools.partial(auto_search_space, families=["mlp", "cnn"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fewer members is fine here
        fitted = search(3, n_trials=4, space=space, model="auto").fit(X, y)
    ensemble = fitted.best_ensemble_
    assert len(ensemble.estimators) >= 2
    path = export_onnx(ensemble, tmp_path / "ensemble.onnx")
    onnx_model = OnnxClassifier(path)
    np.testing.assert_allclose(
        onnx_model.predict_proba(X), ensemble.predict_proba(X), atol=1e-5
    )
    np.testing.assert_array_equal(onnx_model.predict(X), ensemble.predict(X))
    assert onnx_model.metadata_["family"] == "VotingClassifier"
    assert len(onnx_model.metadata_["members"]) == len(ensemble.estimators)


def test_onnx_refuses_what_it_cannot_average(fitted):
    from skmnist.onnx import to_onnx

    ensemble = fitted.best_ensemble_
    hard = VotingClassifier(ensemble.estimators, voting="hard")
    hard.estimators_, hard.classes_ = ensemble.estimators_, ensemble.classes_
    with pytest.raises(ValueError, match="voting='hard'"):
        to_onnx(hard)
    weighted = VotingClassifier(ensemble.estimators, voting="soft", weights=[2, 1, 1])
    weighted.estimators_, weighted.classes_ = ensemble.estimators_, ensemble.classes_
    with pytest.raises(ValueError, match="weights="):
        to_onnx(weighted)


def test_cli_search_ensemble(capsys):
    status = main(
        [
            "search", "--n-trials", "3", "--subset", "300", "--cv", "2",
            "--epochs", "1", "--random-state", "0", "--quiet", "--evaluate",
            "--ensemble", "2", "--set", "classifier__hidden_layer_sizes=(16,)",
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0
    assert "test accuracy of the refitted best model: " in out
    assert "ensemble of 2 (trial_" in out
    assert "test accuracy of the ensemble: " in out


def test_cli_ensemble_needs_evaluate(capsys):
    assert main(["search", "--n-trials", "2", "--ensemble", "2"]) != 0
    assert "--ensemble 2 needs --evaluate" in capsys.readouterr().err
