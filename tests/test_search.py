"""Hyperparameter search: sklearn's and Optuna's searches, PrunedSearchCV, the CLI.

Everything trains tiny networks on a few hundred MNIST images for one to three
epochs: the point is the search machinery, not the accuracy.
"""

import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import optuna
import pytest
import sqlalchemy.exc
from sklearn.base import clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    check_cv,
)

from skmnist import (
    PrunedSearchCV,
    cnn_search_space,
    make_mnist_pipeline,
    mlp_search_space,
)
from skmnist.cli import main

optuna.logging.set_verbosity(optuna.logging.WARNING)

N_IMAGES = 600
CLI_DATA = [
    "--subset",
    str(N_IMAGES),
    "--cv",
    "2",
    "--epochs",
    "1",
    "--max-layers",
    "1",
]


@pytest.fixture(scope="module")
def small(stratified_split):
    """600 training images, stratified: 60 per digit."""
    X, y, _ = stratified_split(N_IMAGES)
    return X, y


def tiny_pipeline(**params):
    params = {"hidden_layer_sizes": (16,), "epochs": 1, "random_state": 0, **params}
    return make_mnist_pipeline(**params)


def layers_space(trial):
    """A conditional space: the number of layers, then the units of each."""
    n_layers = trial.suggest_int("n_layers", 1, 2)
    return {
        "classifier__hidden_layer_sizes": tuple(
            trial.suggest_int(f"units_{i}", 8, 32, log=True) for i in range(n_layers)
        ),
        "classifier__dropout": trial.suggest_float("dropout", 0.0, 0.3),
    }


def finished(study):
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return study.get_trials(deepcopy=False, states=states)


# --- part 1: the searches users already have --------------------------------------
def test_grid_search_over_pipeline(small):
    X, y = small
    pipe = tiny_pipeline()
    assert isinstance(check_cv(2, y, classifier=is_classifier(pipe)), StratifiedKFold)
    # two candidates (a grid per depth) keep it fast; each sets both parameters
    grid = [
        {"classifier__hidden_layer_sizes": [(16,)], "classifier__dropout": [0.0]},
        {"classifier__hidden_layer_sizes": [(16, 8)], "classifier__dropout": [0.3]},
    ]
    search = GridSearchCV(pipe, grid, cv=2, refit=False).fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    assert search.best_params_ in [
        {"classifier__hidden_layer_sizes": (16,), "classifier__dropout": 0.0},
        {"classifier__hidden_layer_sizes": (16, 8), "classifier__dropout": 0.3},
    ]
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_randomized_search_over_pipeline(small):
    X, y = small
    space = {
        "classifier__hidden_layer_sizes": [(8,), (16,), (32,)],
        "classifier__dropout": [0.0, 0.1, 0.2],
    }
    search = RandomizedSearchCV(
        tiny_pipeline(), space, n_iter=2, cv=2, random_state=0, refit=False
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    assert search.best_params_["classifier__hidden_layer_sizes"] in [(8,), (16,), (32,)]
    assert 0.0 <= search.best_score_ <= 1.0


def test_optuna_search_cv_over_pipeline(small):
    optuna_integration = pytest.importorskip("optuna_integration")
    X, y = small
    space = {
        "classifier__hidden_layer_sizes": optuna.distributions.IntDistribution(8, 32),
        "classifier__dropout": optuna.distributions.FloatDistribution(0.0, 0.3),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        search = optuna_integration.OptunaSearchCV(
            tiny_pipeline(), space, n_trials=2, cv=2, random_state=0, refit=False
        ).fit(X, y)
    assert 8 <= search.best_params_["classifier__hidden_layer_sizes"] <= 32
    assert len(search.study_.trials) == 2


# --- part 2: PrunedSearchCV --------------------------------------------------------
def test_pruned_search_fit_and_attributes(small, capsys):
    X, y = small
    pipe = tiny_pipeline(epochs=2)
    search = PrunedSearchCV(
        pipe,
        layers_space,
        n_trials=3,
        cv=2,
        max_epochs=2,
        try_estimator_first=False,
        random_state=0,
        verbose=1,
    )
    assert is_classifier(search)
    search.fit(X, y)

    assert search.n_trials_ == 3 and search.n_splits_ == 2
    sizes = search.best_params_["classifier__hidden_layer_sizes"]
    assert (
        isinstance(sizes, tuple) and len(sizes) == search.study_.best_params["n_layers"]
    )
    assert search.best_score_ == search.study_.best_value
    assert (
        search.best_estimator_.get_params()["classifier__hidden_layer_sizes"] == sizes
    )
    assert search.predict(X[:4]).shape == (4,)
    assert search.predict_proba(X[:4]).shape == (4, 10)
    assert 0.0 <= search.score(X, y) <= 1.0
    np.testing.assert_array_equal(search.classes_, np.arange(10))

    results = search.cv_results_
    for key in ["split0_test_score", "split1_test_score", "mean_fit_time", "params"]:
        assert len(results[key]) == 3
    assert list(results["param_classifier__hidden_layer_sizes"]) == [
        p["classifier__hidden_layer_sizes"] for p in results["params"]
    ]
    assert results["rank_test_score"][search.best_index_] == 1
    assert results["mean_test_score"][search.best_index_] == search.best_score_
    assert (results["n_epochs"] == 2).all()  # no rung before the last epoch
    out = capsys.readouterr().out
    assert out.count("[trial") == 3 and "hidden_layer_sizes=" in out


def test_a_trial_that_trained_every_epoch_is_complete_not_pruned(small):
    # pruning after the last epoch would save nothing: such a trial is complete
    X, y = small
    always = optuna.pruners.ThresholdPruner(lower=1.1)  # every score is below
    space = {"classifier__dropout": optuna.distributions.FloatDistribution(0, 0.1)}
    common = dict(try_estimator_first=False, n_trials=1, cv=2, refit=False)
    one_epoch = PrunedSearchCV(
        tiny_pipeline(), space, max_epochs=1, pruner=always, **common
    ).fit(X, y)
    assert one_epoch.study_.trials[0].state == optuna.trial.TrialState.COMPLETE
    storage = optuna.storages.InMemoryStorage()
    two_epochs = PrunedSearchCV(
        tiny_pipeline(),
        space,
        max_epochs=2,
        pruner=always,
        storage=storage,
        study_name="two",
        **common,
    )
    with pytest.raises(ValueError, match=r"no trial .* completed \(1 pruned\)"):
        two_epochs.fit(X, y)
    pruned = optuna.load_study(study_name="two", storage=storage).trials[0]
    assert pruned.state == optuna.trial.TrialState.PRUNED
    assert len(pruned.intermediate_values) == 1


def test_pruning_stops_bad_trials_and_reports_fold_means(small):
    X, y = small
    rates = [1e-7, 1e-2]  # the first cannot learn anything in an epoch
    space = {
        "classifier__learning_rate": optuna.distributions.CategoricalDistribution(rates)
    }
    search = PrunedSearchCV(
        tiny_pipeline(epochs=3, batch_size=32),
        space,
        n_trials=2,
        cv=2,
        pruner=optuna.pruners.ThresholdPruner(lower=0.3),
        sampler=optuna.samplers.GridSampler({"classifier__learning_rate": rates}),
        max_epochs=3,
        try_estimator_first=False,
        refit=False,
    ).fit(X, y)

    by_rate = {t.params["classifier__learning_rate"]: t for t in search.study_.trials}
    bad, good = by_rate[1e-7], by_rate[1e-2]
    assert bad.state == optuna.trial.TrialState.PRUNED
    assert len(bad.intermediate_values) == 1  # stopped after its first epoch
    assert good.state == optuna.trial.TrialState.COMPLETE
    assert len(good.intermediate_values) == 3
    assert search.n_trials_ == 2
    assert sorted(search.cv_results_["state"]) == ["COMPLETE", "PRUNED"]
    assert search.cv_results_["rank_test_score"][search.best_index_] == 1

    # the value reported after the last epoch is the mean of per-fold scores of
    # the same network trained by plain fit (fit(epochs=n) == n partial_fit calls)
    folds = StratifiedKFold(2).split(X, y)
    manual = []
    for train, test in folds:
        pipe = tiny_pipeline(epochs=3, batch_size=32, learning_rate=1e-2).fit(
            X[train], y[train]
        )
        manual.append(pipe.score(X[test], y[test]))
    assert good.intermediate_values[2] == pytest.approx(np.mean(manual))
    # the trial scores its best epoch, whose count goes into its parameters
    best = max(range(3), key=lambda e: (good.intermediate_values[e], -e))
    assert good.value == pytest.approx(good.intermediate_values[best])
    assert good.user_attrs["best_epoch"] == best + 1
    if best == 2:
        np.testing.assert_allclose(good.user_attrs["split_scores"], manual, atol=1e-6)


def test_resume_from_sqlite_adds_trials(small, tmp_path):
    X, y = small
    storage = f"sqlite:///{tmp_path / 'search.db'}"
    good = {"classifier__dropout": optuna.distributions.FloatDistribution(0.0, 0.1)}

    def hopeless(trial):  # a later run that only tries an untrainable rate
        return {"classifier__learning_rate": trial.suggest_float("lr", 1e-8, 2e-8)}

    common = dict(n_trials=1, cv=2, storage=storage, study_name="s", refit=False)
    common.update(try_estimator_first=False, max_epochs=1)
    first = PrunedSearchCV(tiny_pipeline(), good, random_state=0, **common).fit(X, y)
    second = PrunedSearchCV(tiny_pipeline(), hopeless, random_state=1, **common)
    second.fit(X, y)

    assert first.n_trials_ == 1 and second.n_trials_ == 2
    assert len(second.cv_results_["params"]) == 2
    assert second.best_params_ == first.best_params_  # the first run's best
    assert second.best_trial_.number == 0
    assert not hasattr(second, "predict")  # refit=False


# --- budget first: the start trial, epochs by the pruner, a hard time limit --------
DROPOUT_SPACE = {"classifier__dropout": optuna.distributions.FloatDistribution(0, 0.1)}
COMPLETE, PRUNED = optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED


def test_first_trial_is_the_estimator_as_given_and_never_pruned(small):
    X, y = small
    always = optuna.pruners.ThresholdPruner(lower=1.1)  # would prune every trial
    pipe = tiny_pipeline(hidden_layer_sizes=(16, 8), dropout=0.25)
    search = PrunedSearchCV(
        pipe, layers_space, n_trials=3, cv=2, max_epochs=2, pruner=always, refit=False
    ).fit(X, y)

    first, *others = search.study_.trials
    assert first.user_attrs["start"] is True and first.params == {}  # not sampled
    assert first.state == COMPLETE and len(first.intermediate_values) == 2
    assert search.cv_results_["params"][0] == {
        "classifier__hidden_layer_sizes": (16, 8),
        "classifier__dropout": 0.25,
        "classifier__epochs": first.user_attrs["best_epoch"],
    }
    assert [t.state for t in others] == [PRUNED, PRUNED] and all(
        t.params for t in others
    )
    # the search cannot end below the estimator it was given
    assert search.best_trial_.number == 0 and search.best_score_ == first.value


def test_start_trial_runs_once_per_study_and_can_be_turned_off(small, tmp_path):
    X, y = small
    common = dict(n_trials=1, cv=2, max_epochs=1, refit=False)
    stored = dict(storage=f"sqlite:///{tmp_path / 's.db'}", study_name="s")
    PrunedSearchCV(tiny_pipeline(), layers_space, **common, **stored).fit(X, y)
    resumed = PrunedSearchCV(
        tiny_pipeline(), layers_space, random_state=1, **common, **stored
    ).fit(X, y)
    first, second = resumed.study_.trials
    assert first.user_attrs["start"] and not second.user_attrs.get("start")
    assert second.params  # sampled: the resumed study had its start trial

    off = PrunedSearchCV(
        tiny_pipeline(), layers_space, try_estimator_first=False, **common
    ).fit(X, y)
    assert (
        off.study_.trials[0].params and "start" not in off.study_.trials[0].user_attrs
    )


def test_trials_score_their_best_epoch_which_the_refit_trains(small):
    X, y = small
    search = PrunedSearchCV(
        tiny_pipeline(epochs=2),
        DROPOUT_SPACE,
        n_trials=2,
        cv=2,
        pruner=optuna.pruners.NopPruner(),
        random_state=0,
    ).fit(X, y)

    assert (search.cv_results_["n_epochs"] == 6).all()  # max_epochs: 3 x epochs
    for trial, params, mean in zip(
        search.study_.trials,
        search.cv_results_["params"],
        search.cv_results_["mean_test_score"],
        strict=True,
    ):
        values = trial.intermediate_values
        best = max(values, key=lambda epoch: (values[epoch], -epoch))
        assert trial.value == values[best] == pytest.approx(mean)
        assert params["classifier__epochs"] == best + 1
    refitted = search.best_estimator_[-1]
    assert refitted.epochs == search.best_params_["classifier__epochs"]
    assert refitted.n_iter_ == refitted.epochs


def test_a_space_that_sets_epochs_bounds_its_trials(small):
    X, y = small

    def space(trial):
        return {"classifier__epochs": trial.suggest_int("epochs", 1, 3)}

    search = PrunedSearchCV(
        tiny_pipeline(),
        space,
        n_trials=3,
        cv=2,
        pruner=optuna.pruners.NopPruner(),
        try_estimator_first=False,
        refit=False,
        random_state=0,
    ).fit(X, y)
    for trial in search.study_.trials:
        assert len(trial.intermediate_values) == trial.params["epochs"]


def test_timeout_is_a_budget_that_stops_the_running_trial(small):
    X, y = small
    storage = optuna.storages.InMemoryStorage()
    search = PrunedSearchCV(
        tiny_pipeline(),
        DROPOUT_SPACE,
        timeout=2.0,
        max_epochs=100_000,
        cv=2,
        pruner=optuna.pruners.NopPruner(),
        refit=False,
        storage=storage,
        study_name="t",
    )
    start = time.monotonic()
    with pytest.raises(ValueError, match=r"no trial .* completed \(1 pruned\)"):
        search.fit(X, y)
    elapsed = time.monotonic() - start
    (trial,) = optuna.load_study(study_name="t", storage=storage).trials
    assert trial.user_attrs["start"]  # cut by the budget, even the start trial
    assert trial.state == PRUNED and 1 <= len(trial.intermediate_values) < 100_000
    assert elapsed < 2.0 + 30  # one tiny epoch past the budget, plus start-up


def test_n_trials_auto_is_ten_without_a_timeout(small):
    X, y = small
    search = PrunedSearchCV(
        tiny_pipeline(), DROPOUT_SPACE, cv=0.5, max_epochs=1, refit=False
    ).fit(X[:200], y[:200])
    assert search.n_trials_ == 10


def test_cv_auto_holds_out_one_stratified_sixth_above_10000_samples(
    stratified_split, small
):
    X, y, _ = stratified_split(12_000)
    search = PrunedSearchCV(tiny_pipeline(), DROPOUT_SPACE, n_trials=1)
    ((train, test),) = search._splits(X, y)
    assert len(test) == 2000 and len(train) == 10_000
    # stratified: each digit held out in its share of the data
    assert np.abs(np.bincount(y[test]) - np.bincount(y) / 6).max() <= 1
    for seed in (0, 1):  # the same split whatever the seed, so studies compare
        ((_, again),) = search.set_params(random_state=seed)._splits(X, y)
        np.testing.assert_array_equal(test, again)
    ((_, quarter),) = search.set_params(cv=0.25)._splits(X, y)
    assert len(quarter) == 3000

    X, y = small  # 600 images: three folds
    assert len(search.set_params(cv="auto")._splits(X, y)) == 3
    search.set_params(n_trials=1, max_epochs=1, refit=False).fit(X, y)
    assert search.n_splits_ == 3


BROKEN_DROPOUT = 0.123


def fragile_pipeline():
    """A pipeline whose classifier fails in training at one valid parameter value.

    The failure happens at fit time, after the search's up-front parameter checks
    have accepted the value: what ``error_score`` is about.
    """
    from sklearn.pipeline import Pipeline

    from skmnist import ImageFlattener, KerasMLPClassifier

    class FragileClassifier(KerasMLPClassifier):
        def partial_fit(self, X, y, classes=None, sample_weight=None):
            if self.dropout == BROKEN_DROPOUT:
                raise RuntimeError("broken trial: this dropout fails by design")
            return super().partial_fit(X, y, classes, sample_weight)

    classifier = FragileClassifier(hidden_layer_sizes=(16,), epochs=1, random_state=0)
    return Pipeline([("flatten", ImageFlattener()), ("classifier", classifier)])


def space_with_broken_trial(trial):
    """Trial 0 of a study fails in fit; the others train."""
    dropout = BROKEN_DROPOUT if trial.number == 0 else 0.0
    return {"classifier__dropout": dropout}


def test_error_score_raise_reraises(small):
    X, y = small
    search = PrunedSearchCV(
        fragile_pipeline(),
        space_with_broken_trial,
        n_trials=2,
        cv=2,
        try_estimator_first=False,
        error_score="raise",
    )
    with pytest.raises(RuntimeError, match="broken trial"):
        search.fit(X, y)


def test_numeric_error_score_records_and_warns(small):
    X, y = small
    search = PrunedSearchCV(
        fragile_pipeline(),
        space_with_broken_trial,
        n_trials=2,
        cv=2,
        try_estimator_first=False,
        max_epochs=1,
        error_score=0.0,
        refit=False,
    )
    with pytest.warns(FitFailedWarning, match="Trial 0 failed"):
        search.fit(X, y)
    results = search.cv_results_
    assert search.n_trials_ == 2
    assert results["mean_test_score"][0] == 0.0
    assert "broken trial" in search.study_.trials[0].user_attrs["error"]
    assert search.best_params_ == {"classifier__dropout": 0.0, "classifier__epochs": 1}


def test_every_trial_failing_raises(small):
    X, y = small

    def broken(trial):
        return {"classifier__dropout": BROKEN_DROPOUT}

    search = PrunedSearchCV(
        fragile_pipeline(), broken, n_trials=2, cv=2, try_estimator_first=False
    )
    with pytest.warns(FitFailedWarning), pytest.raises(ValueError, match="all 2"):
        search.fit(X, y)


@pytest.mark.parametrize(
    "space, match",
    [
        ({"classifier__nope": optuna.distributions.FloatDistribution(0, 1)}, "nope"),
        (
            {"dropout": optuna.distributions.FloatDistribution(0, 1)},
            "classifier__dropout",
        ),
        (
            {"classifier__dropout": optuna.distributions.FloatDistribution(-1, -0.5)},
            "'dropout' parameter of KerasMLPClassifier",
        ),
        (lambda trial: [("classifier__dropout", 0.1)], "must return a dict"),
        # zero layers: refused by the classifier's parameter validation, up front
        (lambda trial: {"classifier__hidden_layer_sizes": ()}, "hidden_layer_sizes"),
        (mlp_search_space, None),  # valid: the happy path of the check
    ],
)
def test_bad_spaces_fail_before_training(small, space, match):
    X, y = small
    search = PrunedSearchCV(tiny_pipeline(), space, n_trials=1, cv=2, refit=False)
    if match is None:
        search._check_space(optuna)
        return
    with pytest.raises(ValueError, match=match):
        search.fit(X, y)


def test_dict_space_needs_optuna_distributions(small):
    X, y = small
    space = {"classifier__dropout": [0.1, 0.2]}
    with pytest.raises(TypeError, match="must be an Optuna distribution"):
        PrunedSearchCV(tiny_pipeline(), space, n_trials=1).fit(X, y)


def test_default_space_prefix_for_bare_classifier(small):
    X, y = small
    clf = tiny_pipeline().named_steps["classifier"]
    with pytest.raises(ValueError, match="prefix=''"):
        PrunedSearchCV(clf, mlp_search_space, n_trials=1)._check_space(optuna)
    trial = optuna.create_study().ask()
    params = mlp_search_space(trial, prefix="", max_layers=1)
    assert set(params) == {
        "hidden_layer_sizes",
        "dropout",
        "learning_rate",
        "batch_size",
    }
    assert 128 <= params["hidden_layer_sizes"][0] <= 2048
    assert 3e-4 <= params["learning_rate"] <= 1e-2
    assert params["batch_size"] in (128, 256, 512)
    clone(clf).set_params(**params)


CNN_PARAMS = {
    "filters",
    "kernel_size",
    "dense_units",
    "dropout",
    "learning_rate",
    "batch_size",
}


def test_cnn_space_samples_within_its_ranges():
    from skmnist.search._spaces import decode_params, encode_params

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = {"kernel_size": set(), "dense_units": set()}
    for _ in range(40):
        params = cnn_search_space(study.ask())
        assert set(params) == {f"classifier__{name}" for name in CNN_PARAMS}
        params = cnn_search_space(study.ask(), prefix="")
        filters = params["filters"]
        assert isinstance(filters, tuple) and len(filters) == 2
        assert all(isinstance(n, int) for n in filters)
        assert 16 <= filters[0] <= 64 and 32 <= filters[1] <= 128
        assert params["kernel_size"] in (3, 5)
        assert params["dense_units"] in (0, 64, 128, 256)
        assert 0.0 <= params["dropout"] <= 0.6
        assert 3e-4 <= params["learning_rate"] <= 1e-2
        assert params["batch_size"] in (128, 256, 512)
        for name in seen:
            seen[name].add(params[name])
        # stored on the trial as JSON and read back with the tuple intact
        assert decode_params(encode_params(params)) == params
    assert seen == {"kernel_size": {3, 5}, "dense_units": {0, 64, 128, 256}}


def test_cnn_space_gives_valid_cnn_parameters(small):
    from skmnist.models.cnn import KerasCNNClassifier

    trial = optuna.create_study().ask()
    assert set(cnn_search_space(trial, prefix="")) == CNN_PARAMS
    assert CNN_PARAMS <= set(KerasCNNClassifier().get_params())
    X, y = small
    X, y = X[:300], y[:300]
    pipe = make_mnist_pipeline(model="cnn", epochs=2, random_state=0)
    search = PrunedSearchCV(
        pipe,
        cnn_search_space,
        n_trials=2,
        cv=2,
        max_epochs=2,
        try_estimator_first=False,
        refit=False,
        random_state=0,
    )
    search.fit(X, y)  # the classifier's own validation accepts every sample

    assert search.n_trials_ == 2
    assert set(search.best_params_) == {
        f"classifier__{name}" for name in CNN_PARAMS | {"epochs"}
    }
    assert isinstance(search.best_params_["classifier__filters"], tuple)
    assert search.best_score_ == search.cv_results_["mean_test_score"].max()
    chance = 1 / len(np.unique(y))
    assert search.best_score_ > chance  # it learnt something in two epochs
    assert (
        clone(pipe).set_params(**search.best_params_)[-1].filters
        == (search.best_params_["classifier__filters"])
    )


def test_search_package_keeps_every_import_path():
    import skmnist
    import skmnist.search as search

    assert skmnist.PrunedSearchCV is search.PrunedSearchCV is PrunedSearchCV
    assert skmnist.mlp_search_space is search.mlp_search_space
    assert skmnist.cnn_search_space is search.cnn_search_space is cnn_search_space
    assert {"cnn_search_space", "mlp_search_space", "PrunedSearchCV"} <= set(
        skmnist.__all__
    )
    assert callable(search.open_storage)
    assert set(search.__all__) == {
        "PrunedSearchCV",
        "auto_search_space",
        "cnn_search_space",
        "mlp_search_space",
        "open_storage",
        "plot_intermediate_values",
        "plot_optimization_history",
        "plot_param_importances",
        "save_search_plots",
        "training_search_space",
    }


def test_import_skmnist_imports_neither_optuna_nor_tensorflow():
    code = (
        "import sys, skmnist, skmnist.search; "
        "print(sorted({'optuna', 'tensorflow', 'keras'} & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


# --- part 3: the command line ------------------------------------------------------
def cli_command(*args):
    return [sys.executable, "-m", "skmnist", "search", "--quiet", *CLI_DATA, *args]


def load_finished(storage, name="skmnist-search"):
    return len(finished(optuna.load_study(study_name=name, storage=storage)))


def test_two_processes_share_one_journal_study(tmp_path):
    journal = str(tmp_path / "study.log")
    procs = [
        subprocess.Popen(
            cli_command(
                "--n-trials", "2", "--storage", journal, "--random-state", seed
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in ("1", "2")
    ]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-2000:]
        assert "best validation accuracy" in out
    backend = optuna.storages.journal.JournalFileBackend(journal)
    assert load_finished(optuna.storages.JournalStorage(backend)) == 4


def _heartbeat_storage(tmp_path, monkeypatch, failures):
    """A database storage (SQLite) with heartbeats, whose first ``failures``
    heartbeat commits fail as a restarting server makes them fail."""
    from skmnist.search import open_storage

    storage = open_storage(f"sqlite:///{tmp_path / 'beat.db'}", heartbeat_interval=5)
    study = optuna.create_study(storage=storage)
    with warnings.catch_warnings():  # "supposed to be used with Study.optimize"
        warnings.simplefilter("ignore", UserWarning)
        trial = study.ask()
    record = optuna.storages.RDBStorage.record_heartbeat
    calls = []

    def flaky(self, trial_id):
        calls.append(trial_id)
        if len(calls) <= failures:
            closed = sqlalchemy.exc.OperationalError(
                "UPDATE trial_heartbeats", {}, Exception("server closed the connection")
            )
            raise optuna.exceptions.StorageInternalError("commit failed") from closed
        return record(self, trial_id)

    monkeypatch.setattr(optuna.storages.RDBStorage, "record_heartbeat", flaky)
    return storage, trial, calls


def test_heartbeat_retries_a_lost_connection(tmp_path, monkeypatch):
    # Optuna's heartbeat thread ends at the first error: a database restart in
    # the middle of a beat must not end it (the live trial would be failed as
    # stale by the other workers, and run twice)
    storage, trial, calls = _heartbeat_storage(tmp_path, monkeypatch, failures=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        storage.record_heartbeat(trial._trial_id)
    assert calls == [trial._trial_id] * 2  # failed, then recorded


def test_heartbeat_skips_a_beat_with_a_warning_when_retry_fails(tmp_path, monkeypatch):
    storage, trial, calls = _heartbeat_storage(tmp_path, monkeypatch, failures=2)
    with pytest.warns(RuntimeWarning, match=r"skipped a heartbeat of trial \d+: lost"):
        storage.record_heartbeat(trial._trial_id)  # no exception: the thread lives
    assert len(calls) == 2
    storage.record_heartbeat(trial._trial_id)  # the next beat is recorded
    assert len(calls) == 3


def test_heartbeat_raises_other_storage_errors(tmp_path, monkeypatch):
    storage, trial, _ = _heartbeat_storage(tmp_path, monkeypatch, failures=0)

    def broken(self, trial_id):
        raise optuna.exceptions.StorageInternalError("invalid data") from ValueError()

    monkeypatch.setattr(optuna.storages.RDBStorage, "record_heartbeat", broken)
    with pytest.raises(optuna.exceptions.StorageInternalError, match="invalid data"):
        storage.record_heartbeat(trial._trial_id)


def test_killed_search_keeps_completed_trials(tmp_path):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    proc = subprocess.Popen(
        cli_command("--n-trials", "50", "--storage", storage),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        done = 0
        while done < 1 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(1)
            try:
                done = load_finished(storage)
            except (KeyError, sqlalchemy.exc.OperationalError):
                pass  # the study does not exist yet, or is being created
        assert done >= 1, "no trial completed in time"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    after_kill = load_finished(storage)
    assert after_kill >= done

    assert (
        main(["search", "--quiet", *CLI_DATA, "--n-trials", "1", "--storage", storage])
        == 0
    )
    assert load_finished(storage) == after_kill + 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--storage", "nosuchdb://nowhere"], "cannot open the Optuna storage"),
        (
            ["--storage", "sqlite:////no/such/dir/x.db"],
            "cannot open the Optuna storage",
        ),
        (["--set", "classifier__nope=1"], "unknown parameter(s) classifier__nope"),
        (["--set", "classifier__dropout=-0.5"], "'dropout' parameter"),
        (["--set", "classifier__hidden_layer_sizes=()"], "hidden_layer_sizes"),
        (["--max-layers", "0"], "max_layers must be"),
        (["--set", "novalue"], "--set expects NAME=VALUE"),
    ],
)
def test_cli_errors_are_one_line(args, message, capsys):
    assert main(["search", *CLI_DATA, "--n-trials", "1", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("skmnist search: error: ") and message in err
    assert err.count("\n") == 1


def test_cli_defaults_search_all_images_for_ten_minutes(monkeypatch, capsys):
    seen = {}

    class Stop(Exception):
        pass

    def fake_fit(self, X, y):
        seen.update(self.get_params(deep=False), n_images=len(X))
        raise Stop("stop before training")

    monkeypatch.setattr(PrunedSearchCV, "fit", fake_fit)
    with pytest.raises(Stop):
        main(["search", "--random-state", "0"])
    assert seen["n_images"] == 60_000  # the data the refit trains on
    assert seen["timeout"] == 600 and seen["n_trials"] is None
    assert seen["cv"] == "auto" and seen["max_epochs"] is None
    assert seen["try_estimator_first"] is True
    assert seen["estimator"].get_params()["classifier__epochs"] == 10
    assert "up to 600 s, trials of up to 30 epochs" in capsys.readouterr().out

    seen.clear()
    argv = ["search", "--n-trials", "4", "--cv", "0.2", "--max-epochs", "5"]
    with pytest.raises(Stop):
        main([*argv, "--no-start-trial", "--subset", "1000"])
    assert seen["timeout"] is None and seen["n_trials"] == 4
    assert seen["cv"] == 0.2 and seen["max_epochs"] == 5 and seen["n_images"] == 1000
    assert seen["try_estimator_first"] is False


@pytest.mark.parametrize("value", ["1", "0", "1.5", "-0.2", "half"])
def test_cli_refuses_a_bad_cv(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["search", "--cv", value])
    assert exit_info.value.code == 2
    assert "expected 'auto', a number of folds >= 2 or a hold-out fraction" in (
        capsys.readouterr().err
    )


def test_cli_saves_the_plots_and_marks_the_start_trial(tmp_path, capsys):
    plots = tmp_path / "plots"
    argv = ["search", *CLI_DATA, "--n-trials", "4", "--random-state", "0"]
    assert main([*argv, "--plots", str(plots)]) == 0
    out = capsys.readouterr().out
    assert "(the estimator as given)" in out.splitlines()[1]
    written = sorted(path.name for path in plots.iterdir())
    assert written == ["history.png", "importances.png", "learning_curves.png"]
    for name in written:
        assert f"saved {plots / name}" in out


def test_default_pruner_halves_in_the_first_third_of_training_only():
    from skmnist.search._pruners import FirstRungsPruner

    study = optuna.create_study(direction="maximize", pruner=FirstRungsPruner(30))
    plain = optuna.create_study(
        direction="maximize",
        pruner=optuna.pruners.SuccessiveHalvingPruner(
            min_resource=6, reduction_factor=3
        ),
    )

    def run(study, scores):
        """Report scores epoch by epoch; the epoch at which it is pruned, or None."""
        trial = study.ask()
        for epoch, score in enumerate(scores):
            trial.report(score, epoch)
            if trial.should_prune():
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                return epoch
        study.tell(trial, scores[-1])
        return None

    good, bad = [0.9] * 30, [0.1] * 30
    late_drop = [0.95] * 10 + [0.05] * 20  # best up to epoch 10, worst after
    for s in (study, plain):
        assert run(s, good) is None
    assert run(study, bad) == 6  # pruned at the first rung, after epoch 7 of 30
    assert run(plain, bad) == 6
    assert run(study, late_drop) is None  # past a third of 30 epochs: never pruned
    assert run(plain, late_drop) == 18  # plain halving: after 19 epochs of 30


def test_no_trial_may_take_more_than_half_the_budget(small, monkeypatch, capfd):
    # Each epoch made to last about 1 s: a trial's 38 epochs left fit in the
    # time left of 80 s, but would take it past half of them (40 s), so it is
    # pruned after its second epoch.
    import skmnist.search._estimator as estimator_module

    train_epoch = estimator_module._train_epoch

    def slow_epoch(*args, **kwargs):
        time.sleep(1.0)
        return train_epoch(*args, **kwargs)

    monkeypatch.setattr(estimator_module, "_train_epoch", slow_epoch)
    X, y = small
    storage = optuna.storages.InMemoryStorage()
    search = PrunedSearchCV(
        tiny_pipeline(),
        DROPOUT_SPACE,
        n_trials=2,
        timeout=80.0,
        max_epochs=40,
        cv=2,
        pruner=optuna.pruners.NopPruner(),
        try_estimator_first=False,
        refit=False,
        storage=storage,
        study_name="t",
        verbose=1,
    )
    with pytest.raises(ValueError, match=r"no trial .* completed \(2 pruned\)"):
        search.fit(X, y)
    trials = optuna.load_study(study_name="t", storage=storage).trials
    assert [len(trial.intermediate_values) for trial in trials] == [2, 2]
    assert capfd.readouterr().out.count("pruned: it would take") == 2


def test_the_start_trial_of_a_scheduled_network_trains_its_schedule(small):
    # its one-cycle schedule spans its own 2 epochs: max_epochs=6 would train it
    # 4 epochs at the schedule's final, tiny rate
    X, y = small
    pipe = tiny_pipeline(learning_rate_schedule="one-cycle", epochs=2)
    search = PrunedSearchCV(
        pipe, DROPOUT_SPACE, n_trials=1, max_epochs=6, cv=2, refit=False
    ).fit(X, y)
    assert search.cv_results_["n_epochs"].tolist() == [2]
    # a constant rate has no such length: the search trains up to max_epochs
    search = PrunedSearchCV(
        tiny_pipeline(epochs=2), DROPOUT_SPACE, n_trials=1, max_epochs=3, cv=2,
        refit=False,
    ).fit(X, y)  # fmt: skip
    assert search.cv_results_["n_epochs"].tolist() == [3]
