"""PrunedSearchCV speaks GridSearchCV's protocol (issue 21, part 4).

Several scorers and ``refit`` by name, ``return_train_score``, ``error_score``, and
metadata (``sample_weight``, ``groups``) routed as GridSearchCV routes it. Each
search runs GridSearchCV's candidates (a two-value grid, Optuna's GridSampler) on
360 of scikit-learn's 8x8 digits with an 8-unit network: the point is the
protocol, not the accuracy.
"""

import functools

import numpy as np
import optuna
import pytest
import sklearn
from sklearn.datasets import load_digits
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import accuracy_score, f1_score, make_scorer
from sklearn.model_selection import GridSearchCV, GroupKFold

from skmnist import KerasMLPClassifier, PrunedSearchCV, make_mnist_pipeline

optuna.logging.set_verbosity(optuna.logging.WARNING)

DROPOUTS = [0.0, 0.3]
GRID = {"dropout": DROPOUTS}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:360] / 16, y[:360]


def tiny(**params):
    return KerasMLPClassifier(
        **{"hidden_layer_sizes": (8,), "epochs": 2, "random_state": 0, **params}
    )


def pruned_search(estimator=None, **params):
    """GridSearchCV's two candidates as a PrunedSearchCV: every trial runs to the
    end (no pruning), each candidate once."""
    space = {"dropout": optuna.distributions.CategoricalDistribution(DROPOUTS)}
    common = dict(
        n_trials=len(DROPOUTS),
        cv=2,
        max_epochs=2,
        try_estimator_first=False,
        sampler=optuna.samplers.GridSampler(GRID, seed=0),
        pruner=optuna.pruners.NopPruner(),
    )
    return PrunedSearchCV(
        tiny() if estimator is None else estimator,
        space,
        **{
            **common,
            **params,
        },
    )


def macro_f1_and_accuracy(estimator, X, y):
    """A callable scoring that returns several scores, as GridSearchCV takes it."""
    y_pred = estimator.predict(X)
    return {
        "acc": accuracy_score(y, y_pred),
        "f1": f1_score(y, y_pred, average="macro"),
    }


PROTOCOL_CASES = {
    "string": dict(scoring="balanced_accuracy"),
    "list, refit by name": dict(
        scoring=["accuracy", "balanced_accuracy"], refit="balanced_accuracy"
    ),
    "dict of scorers": dict(
        scoring={"acc": "accuracy", "f1": make_scorer(f1_score, average="macro")},
        refit="f1",
    ),
    "callable returning a dict": dict(scoring=macro_f1_and_accuracy, refit="acc"),
    "train scores": dict(scoring="accuracy", return_train_score=True),
    "train scores, several scorers": dict(
        scoring=["accuracy", "balanced_accuracy"],
        refit="accuracy",
        return_train_score=True,
    ),
}


@pytest.mark.parametrize("params", PROTOCOL_CASES.values(), ids=PROTOCOL_CASES)
def test_cv_results_keys_and_shapes_match_grid_search(digits, params):
    X, y = digits
    grid = GridSearchCV(tiny(), GRID, cv=2, **params).fit(X, y)
    search = pruned_search(**params).fit(X, y)

    expected, got = grid.cv_results_, search.cv_results_
    # GridSearchCV's keys, each of the same shape and kind; the search adds its own
    # (trial_number, state, n_epochs, param_epochs)
    assert set(expected) <= set(got), sorted(set(expected) - set(got))
    for key in expected:
        assert np.shape(got[key]) == np.shape(expected[key]), key
        if key.startswith("rank_"):
            assert got[key].dtype == expected[key].dtype, key
    assert sorted(p["dropout"] for p in got["params"]) == DROPOUTS
    for key in (k for k in got if "_test_" in k or "_train_" in k):
        assert np.isfinite(got[key]).all(), key
    assert search.multimetric_ == grid.multimetric_
    assert type(search.scorer_) is type(grid.scorer_)
    if isinstance(grid.scorer_, dict):
        assert list(search.scorer_) == list(grid.scorer_)

    # best_* follow the refit scorer (or the one scorer), as GridSearchCV's
    metric = params["refit"] if search.multimetric_ else "score"
    assert got[f"rank_test_{metric}"][search.best_index_] == 1
    assert search.best_score_ == got[f"mean_test_{metric}"][search.best_index_]
    assert search.best_score_ == search.study_.best_value
    # the refit scorer scores the refitted model, as GridSearchCV.score
    assert search.score(X, y) == pytest.approx(
        grid.scorer_[metric](search.best_estimator_, X, y)
        if isinstance(grid.scorer_, dict)
        else (
            grid.scorer_(search.best_estimator_, X, y)[metric]
            if search.multimetric_
            else grid.scorer_(search.best_estimator_, X, y)
        )
    )


@pytest.mark.parametrize("refit", [True, "nope"])
def test_several_scorers_need_refit_to_name_one(digits, refit):
    X, y = digits
    scoring = ["accuracy", "balanced_accuracy"]
    message = "For multi-metric scoring, the parameter refit must be set to a scorer"
    with pytest.raises(ValueError, match=message):
        GridSearchCV(tiny(), GRID, scoring=scoring, refit=refit).fit(X, y)
    with pytest.raises(ValueError, match=message):  # before any training
        pruned_search(scoring=scoring, refit=refit).fit(X, y)


def test_a_callable_giving_several_scores_needs_refit_to_name_one(digits):
    X, y = digits
    search = pruned_search(scoring=macro_f1_and_accuracy, n_trials=1)
    with pytest.raises(ValueError, match="For multi-metric scoring, the parameter"):
        search.fit(X, y)  # known at the first scores: not a failed trial


def test_several_scorers_without_refit_leave_best_unset(digits):
    X, y = digits
    search = pruned_search(scoring=["accuracy", "balanced_accuracy"], refit=False)
    search.fit(X, y)
    # as GridSearchCV: no best_* without a refit scorer; Optuna ran on the first
    assert not hasattr(search, "best_params_") and not hasattr(search, "best_score_")
    assert search.study_.best_value == search.cv_results_["mean_test_accuracy"].max()


def test_refit_callable_picks_the_row(digits):
    X, y = digits

    def worst(results):
        return int(np.argmax(results["rank_test_score"]))

    search = pruned_search(refit=worst).fit(X, y)
    assert search.best_index_ == worst(search.cv_results_)
    assert search.best_params_ == search.cv_results_["params"][search.best_index_]
    assert not hasattr(search, "best_score_")  # as GridSearchCV with a callable
    assert search.predict(X[:3]).shape == (3,)


# --- error_score ------------------------------------------------------------------
class BrokenAtDropout(KerasMLPClassifier):
    """Fails to train with dropout 0.3: the second candidate."""

    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs):
        if self.dropout == 0.3:
            raise RuntimeError("broken candidate")
        return super().partial_fit(X, y, classes, sample_weight, **kwargs)


@pytest.mark.parametrize("error_score", [np.nan, 0.0])
def test_a_failed_fit_is_a_row_with_error_score_and_a_failed_trial(digits, error_score):
    X, y = digits
    estimator = BrokenAtDropout(hidden_layer_sizes=(8,), epochs=2, random_state=0)
    search = pruned_search(
        estimator,
        scoring=["accuracy", "balanced_accuracy"],
        refit="accuracy",
        return_train_score=True,
        error_score=error_score,
    )
    with pytest.warns(FitFailedWarning, match="broken candidate"):
        search.fit(X, y)

    results = search.cv_results_
    assert search.n_trials_ == 2  # the failed fit is a row, as in GridSearchCV
    broken = [p["dropout"] for p in results["params"]].index(0.3)
    assert results["state"][broken] == "FAIL"
    for key in ["split0_test_accuracy", "mean_test_balanced_accuracy"]:
        np.testing.assert_equal(results[key][broken], error_score)
    np.testing.assert_equal(results["split1_train_accuracy"][broken], error_score)
    assert results["rank_test_accuracy"][broken] == 2  # after the trained one
    # Optuna sees a failed trial, whatever the error_score: never the best one
    trial = search.study_.trials[results["trial_number"][broken]]
    assert trial.state == optuna.trial.TrialState.FAIL
    assert search.best_params_["dropout"] == 0.0


def test_error_score_raise_reraises_the_fit_error(digits):
    X, y = digits
    estimator = BrokenAtDropout(hidden_layer_sizes=(8,), epochs=2, random_state=0)
    search = pruned_search(estimator, error_score="raise")
    with pytest.raises(RuntimeError, match="broken candidate"):
        search.fit(X, y)


# --- metadata: sample_weight and groups ---------------------------------------------
@pytest.fixture
def seen_weights(monkeypatch):
    """Every sample_weight the classifier's fit and partial_fit get, by method."""
    seen = {"fit": [], "partial_fit": []}
    for method in seen:
        original = getattr(KerasMLPClassifier, method)

        @functools.wraps(original)
        def spy(self, X, y, *args, _original=original, _method=method, **kwargs):
            seen[_method].append(kwargs.get("sample_weight"))
            return _original(self, X, y, *args, **kwargs)

        monkeypatch.setattr(KerasMLPClassifier, method, spy)
    return seen


def weighted_accuracy_keeping(seen):
    """An accuracy metric that keeps every sample_weight it gets in ``seen``."""

    def weighted_accuracy(y_true, y_pred, sample_weight=None):
        seen.append(sample_weight)
        return accuracy_score(y_true, y_pred, sample_weight=sample_weight)

    return weighted_accuracy


def check_weights(seen, weights, n_folds=2, n_epochs=2):
    """Every fold's epochs got its rows' weights; the refit all of them."""
    fold_weights = seen["partial_fit"]
    assert len(fold_weights) == len(DROPOUTS) * n_folds * n_epochs
    assert all(w is not None and 0 < len(w) < len(weights) for w in fold_weights)
    # the folds of a trial partition the weights (one value per row, all distinct)
    first_trial = np.concatenate(fold_weights[:n_folds])
    np.testing.assert_array_equal(np.sort(first_trial), np.sort(weights))
    np.testing.assert_array_equal(seen["fit"][-1], weights)  # the refit


def test_sample_weight_is_routed_to_fit_and_to_the_scorers_that_ask(
    digits, seen_weights
):
    X, y = digits
    weights = np.arange(1, len(y) + 1, dtype=float)
    scored = []
    with sklearn.config_context(enable_metadata_routing=True):
        estimator = tiny().set_fit_request(sample_weight=True)
        scorer = make_scorer(weighted_accuracy_keeping(scored)).set_score_request(
            sample_weight=True
        )
        search = pruned_search(
            estimator,
            scoring={
                "weighted": scorer,
                "plain": make_scorer(accuracy_score).set_score_request(
                    sample_weight=False
                ),
            },
            refit="weighted",
            return_train_score=True,
        )
        search.fit(X, y, sample_weight=weights)
        router = search.get_metadata_routing()
    check_weights(seen_weights, weights)
    # test and train side of every fold and epoch, each with its own rows' weights
    during_search = scored[: len(DROPOUTS) * 2 * 2 * 2]
    assert all(w is not None and 0 < len(w) < len(weights) for w in during_search)
    assert {"estimator", "scorer", "splitter"} <= set(router._route_mappings)


def test_sample_weight_through_a_pipeline_with_routing(seen_weights):
    X, y = load_digits(return_X_y=True)
    images, y = X[:360].reshape(-1, 8, 8) / 16, y[:360]
    weights = np.arange(1, len(y) + 1, dtype=float)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_mnist_pipeline(hidden_layer_sizes=(8,), epochs=2, random_state=0)
        pipe[-1].set_fit_request(sample_weight=True)
        # an unweighted scorer, saying so (scikit-learn < 1.8's Pipeline.score
        # takes sample_weight itself, later ones route it to the classifier)
        scorer = make_scorer(accuracy_score).set_score_request(sample_weight=False)
        space = {
            "classifier__dropout": optuna.distributions.CategoricalDistribution(
                DROPOUTS
            )
        }
        grid = {"classifier__dropout": DROPOUTS}
        PrunedSearchCV(
            pipe,
            space,
            n_trials=2,
            cv=2,
            max_epochs=2,
            scoring=scorer,
            try_estimator_first=False,
            sampler=optuna.samplers.GridSampler(grid, seed=0),
        ).fit(images, y, sample_weight=weights)
    check_weights(seen_weights, weights)


def test_sample_weight_without_routing_goes_to_fit(digits, seen_weights):
    X, y = digits
    weights = np.arange(1, len(y) + 1, dtype=float)
    pruned_search().fit(X, y, sample_weight=weights)
    check_weights(seen_weights, weights)


def test_zero_weights_on_a_class_change_the_search(digits):
    X, y = digits
    weights = np.where(y == 3, 0.0, 1.0)
    with sklearn.config_context(enable_metadata_routing=True):
        estimator = tiny(epochs=3, learning_rate=0.01).set_fit_request(
            sample_weight=True
        )
        estimator.set_score_request(sample_weight=False)
        search = pruned_search(estimator, max_epochs=3, refit=True)
        search.fit(X, y, sample_weight=weights)
        # a class weighted zero is never learnt; in a plain search it is
        plain = pruned_search(tiny(epochs=3, learning_rate=0.01), max_epochs=3)
        plain.fit(X, y)
    assert (search.predict(X) == 3).sum() == 0
    assert (plain.predict(X) == 3).sum() > 0


class SpyGroupKFold(GroupKFold):
    """GroupKFold keeping the groups and splits it gave."""

    def split(self, X, y=None, groups=None):
        splits = list(super().split(X, y, groups))
        type(self).seen.append((groups, splits))
        yield from splits


@pytest.mark.parametrize("routing", [False, True], ids=["no routing", "routing"])
def test_groups_reach_the_splitter(digits, routing):
    X, y = digits
    groups = np.arange(len(y)) // 12  # 30 groups of 12 rows
    SpyGroupKFold.seen = []
    with sklearn.config_context(enable_metadata_routing=routing):
        search = pruned_search(cv=SpyGroupKFold(n_splits=3)).fit(X, y, groups=groups)
    (given, splits), *_ = SpyGroupKFold.seen
    np.testing.assert_array_equal(given, groups)
    assert search.n_splits_ == len(splits) == 3
    for train, test in splits:  # no group on both sides
        assert not set(groups[train]) & set(groups[test])
    assert "split2_test_score" in search.cv_results_


def test_group_splitter_without_groups_is_its_own_error(digits):
    X, y = digits
    with pytest.raises(ValueError, match="groups"):
        pruned_search(cv=GroupKFold(n_splits=2)).fit(X, y)


def test_metadata_for_score_needs_routing(digits):
    X, y = digits
    search = pruned_search(n_trials=1, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="enable_metadata_routing=True"):
        search.score(X, y, sample_weight=np.ones(len(y)))
    with sklearn.config_context(enable_metadata_routing=True):
        search.estimator.set_score_request(sample_weight=True)
        weighted = search.score(X, y, sample_weight=(y == 1).astype(float))
    assert weighted == pytest.approx(
        accuracy_score(y[y == 1], search.predict(X[y == 1]))
    )


def test_hold_out_path_refuses_scorer_metadata(digits):
    X, y = digits
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_scorer(accuracy_score).set_score_request(sample_weight=True)
        estimator = tiny().set_fit_request(sample_weight=False)
        search = pruned_search(estimator, scoring=scorer, cv="auto")
        with pytest.raises(ValueError, match="cannot score X_val"):
            search.fit(
                X[:300], y[:300], X_val=X[300:], y_val=y[300:],
                sample_weight=np.ones(300),
            )  # fmt: skip
