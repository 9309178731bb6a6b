"""A search across network families (issue 21, part 1): auto_search_space, the
FamilyPipeline of make_mnist_pipeline("auto"), and ``skmnist search --model auto``.

Fits use scikit-learn's 8x8 digits and one epoch: the point is that every family
the space samples is a pipeline that trains, not its accuracy.
"""

import functools
import time

import numpy as np
import optuna
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits

from skmnist import PrunedSearchCV, auto_search_space, make_mnist_pipeline
from skmnist.cli import main
from skmnist.models._registry import FAMILIES, PRESETS, get_family
from skmnist.search._spaces import candidate

optuna.logging.set_verbosity(optuna.logging.WARNING)

ALL = [*FAMILIES, *PRESETS]  # read from the registry, as the space does
FAST = {"classifier__epochs": 1, "classifier__batch_size": 128}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:360].reshape(-1, 8, 8) / 16, y[:360]


def sample(family, seed=0):
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    return auto_search_space(study.ask(), families=[family])


def test_the_space_samples_every_family_and_preset():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = {auto_search_space(study.ask())["family"] for _ in range(60)}
    assert seen == set(ALL)


@pytest.mark.parametrize("family", ALL)
def test_each_family_is_a_pipeline_that_fits(digits, family):
    X, y = digits
    params = sample(family)
    assert params["family"] == family
    pipe = candidate(make_mnist_pipeline("auto", random_state=0), params)
    entry = get_family(family)
    assert type(pipe[-1]) is entry.load_estimator()
    assert type(pipe[0]) is type(entry.make_image_step()[1])
    if family in PRESETS:  # the preset's fixed parameters; the others sampled
        sampled = {"epochs", "learning_rate", "shift_range", "rotation_range"}
        for name, value in PRESETS[family].params:
            if name not in sampled | {"zoom_range"}:
                assert pipe[-1].get_params()[name] == value, name
    # get_params and clone keep the family and its parameters
    assert pipe.get_params()["family"] == family
    copy = clone(pipe)
    assert copy.get_params()["family"] == family
    assert type(copy[-1]) is type(pipe[-1])
    assert copy[-1].get_params() == pipe[-1].get_params()
    start = time.perf_counter()
    pipe.set_params(**FAST).fit(X, y)
    assert time.perf_counter() - start < 30  # a loaded 2-core machine: generous
    assert pipe.predict(X[:5]).shape == (5,)


def test_a_switch_keeps_the_users_settings_not_the_previous_preset():
    pipe = make_mnist_pipeline("auto", epochs=2, random_state=0)
    pipe.set_params(family="cnn-strong")
    assert pipe[-1].random_state == 0 and pipe[-1].epochs == 15  # the preset's
    pipe.set_params(family="cnn")
    assert pipe[-1].random_state == 0
    assert pipe[-1].filters == type(pipe[-1])().filters  # not cnn-strong's
    with pytest.raises(ValueError, match="family must be one of"):
        pipe.set_params(family="nope")


def test_a_search_across_families_names_the_family(digits):
    X, y = digits
    space = functools.partial(auto_search_space, families=["mlp", "cnn-fast"])
    search = PrunedSearchCV(
        make_mnist_pipeline("auto", epochs=1, random_state=0),
        lambda trial: {**space(trial), "classifier__batch_size": 128},
        n_trials=3,
        cv=2,
        max_epochs=1,
        random_state=0,
    ).fit(X, y)
    assert search.best_params_["family"] in ("mlp", "cnn-fast")
    families = [p["family"] for p in search.cv_results_["params"]]
    assert families[0] == "mlp"  # the estimator as given
    assert "cnn-fast" in families or len(set(families)) == 1
    best = search.best_estimator_
    assert type(best[-1]) is get_family(search.best_params_["family"]).load_estimator()
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_cli_search_model_auto(capsys):
    status = main(
        [
            "search", "--model", "auto", "--n-trials", "2", "--subset", "300",
            "--cv", "2", "--epochs", "1", "--random-state", "0",
            "--set", "classifier__batch_size=128",
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0
    assert "searching every family and preset on 300 images: up to 2 trials" in out
    assert "  family = " in out
    start = [line for line in out.splitlines() if "(the estimator as given)" in line]
    assert len(start) == 1 and "family='cnn-strong'" in start[0]


def test_cli_search_model_auto_starts_from_the_strongest_recipe(monkeypatch, capsys):
    seen = {}

    class Stop(Exception):
        pass

    def fake_fit(self, X, y):
        seen.update(self.get_params(deep=False))
        raise Stop("stop before training")

    monkeypatch.setattr(PrunedSearchCV, "fit", fake_fit)
    with pytest.raises(Stop):
        main(["search", "--model", "auto", "--subset", "300", "--random-state", "0"])
    given = seen["estimator"]
    assert given.family == "cnn-strong" and seen["try_estimator_first"] is True
    assert given[-1].get_params()["padding"] == "same"  # the preset's own network
    assert given[-1].random_state == 0
    # every trial's bound stays 3 x the dense network's 10 epochs, not 3 x 15
    assert seen["max_epochs"] == 30
    assert "trials of up to 30 epochs" in capsys.readouterr().out


def test_auto_is_a_model_for_search_only(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--model", "auto"])
    assert "expected one of" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    # argparse wraps the help to the terminal: compare words
    assert "auto, every family and preset" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("max_epochs, trained", [(5, 3), (2, 2)])
def test_a_preset_trial_trains_its_own_epochs_up_to_max_epochs(
    digits, max_epochs, trained
):
    # cnn-fast's one-cycle schedule spans its 3 epochs: past them a trial would
    # train on at the schedule's final, tiny rate
    X, y = digits
    space = functools.partial(auto_search_space, families=["cnn-fast"])
    search = PrunedSearchCV(
        make_mnist_pipeline("auto", random_state=0),
        space,
        n_trials=1,
        cv=2,
        max_epochs=max_epochs,
        try_estimator_first=False,
        pruner=optuna.pruners.NopPruner(),
        refit=False,
        random_state=0,
    ).fit(X, y)
    assert PRESETS["cnn-fast"].estimator_params()["epochs"] == 3
    assert search.cv_results_["n_epochs"].tolist() == [trained]
    assert search.best_params_["classifier__epochs"] <= trained
