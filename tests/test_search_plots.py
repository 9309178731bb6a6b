"""Pictures of a search: Optuna's own matplotlib plots of a fitted PrunedSearchCV,
checked against the study they show, and saved as PNG files."""

import subprocess
import sys
import warnings

import matplotlib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import optuna  # noqa: E402
from matplotlib.image import imread  # noqa: E402
from optuna.distributions import (  # noqa: E402
    CategoricalDistribution,
    FloatDistribution,
)
from optuna.trial import TrialState, create_trial  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402

from skmnist.models import KerasMLPClassifier  # noqa: E402
from skmnist.search import (  # noqa: E402
    PrunedSearchCV,
    plot_intermediate_values,
    plot_optimization_history,
    plot_param_importances,
    save_search_plots,
)

SPACE = {
    "learning_rate": FloatDistribution(1e-4, 1e-1, log=True),
    "batch_size": CategoricalDistribution([16, 64]),
}
FILES = {
    "history": "history.png",
    "importances": "importances.png",
    "learning_curves": "learning_curves.png",
}


@pytest.fixture(autouse=True)
def close_figures():
    # before too: a figure left open by an earlier test on this worker (any
    # file) must not count in this test's plt.get_fignums()
    plt.close("all")
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def search():
    """A tiny real search (about 4 s): 6 trials of at most 3 epochs, 2 folds,
    a median pruner that prunes from the second trial on. Shared: do not refit."""
    X, y = load_digits(return_X_y=True)
    clf = KerasMLPClassifier((16,), epochs=2, learning_rate=0.01, random_state=0)
    fitted = PrunedSearchCV(
        clf,
        SPACE,
        n_trials=6,
        cv=2,
        max_epochs=3,
        pruner=optuna.pruners.MedianPruner(n_startup_trials=1),
        refit=False,
        random_state=0,
    ).fit(X[:300] / 16, y[:300])
    states = [trial.state for trial in fitted.study_.trials]
    assert TrialState.PRUNED in states  # what the tests below are about
    assert len(_sampled_complete(fitted.study_)) >= 2
    return fitted


def _sampled_complete(study):
    return [t for t in study.get_trials(states=(TrialState.COMPLETE,)) if t.params]


def _search_with(search, trials):
    """An unfitted copy of ``search`` whose ``study_`` holds just ``trials``."""
    study = optuna.create_study(direction="maximize")
    study.add_trials(trials)
    copy = clone(search)
    copy.study_ = study
    return copy


def _trial(value, params, state=TrialState.COMPLETE, curve=(0.1, 0.2), **attrs):
    distributions = {name: SPACE[name] for name in params}
    return create_trial(
        state=state,
        value=value if state == TrialState.COMPLETE else None,
        params=params,
        distributions=distributions,
        intermediate_values=dict(enumerate(curve)),
        user_attrs=attrs,
    )


def _start_trial(value=0.2):
    """Like the search's first trial: the estimator's own parameters, unsampled."""
    return _trial(value, {}, start=True)


# -- plot_optimization_history -----------------------------------------------------


def test_history_has_a_point_per_complete_trial_and_the_best_so_far(search):
    trials = search.study_.trials
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    complete_numbers = {t.number for t in complete}

    ax = plot_optimization_history(search)

    points = ax.collections[0].get_offsets()
    assert_array_equal(points[:, 0], [t.number for t in complete])
    assert_allclose(points[:, 1], [t.value for t in complete])
    (best_line,) = ax.lines
    values = [t.value if t.number in complete_numbers else -np.inf for t in trials]
    assert_allclose(best_line.get_ydata(), np.maximum.accumulate(values))
    assert ax.get_ylabel() == "Mean validation score"
    assert ax.get_xlabel() == "Trial"


def test_history_passes_optuna_keywords(search):
    ax = plot_optimization_history(search, target_name="Accuracy")

    assert ax.get_ylabel() == "Accuracy"


# -- plot_intermediate_values ------------------------------------------------------


def test_learning_curves_draw_every_trial_with_the_pruned_ones_dotted(search):
    trials = search.study_.trials

    ax = plot_intermediate_values(search)

    assert len(ax.lines) == len(trials)
    for trial, line in zip(trials, ax.lines, strict=True):
        epochs = sorted(trial.intermediate_values)
        assert_array_equal(line.get_xdata(), epochs)
        assert_allclose(
            line.get_ydata(), [trial.intermediate_values[e] for e in epochs]
        )
        pruned = trial.state == TrialState.PRUNED
        assert line.get_linestyle() == (":" if pruned else "-")
        suffix = " (pruned)" if pruned else ""
        assert line.get_label() == f"Trial{trial.number}{suffix}"
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == [line.get_label() for line in ax.lines]
    longest = max(len(line.get_xdata()) for line in ax.lines)
    assert longest == 3  # max_epochs
    pruned_lengths = [
        len(line.get_xdata()) for line in ax.lines if "pruned" in line.get_label()
    ]
    assert pruned_lengths and max(pruned_lengths) < longest
    assert ax.get_ylabel() == "Mean validation score"
    assert ax.get_xlabel().startswith("Epoch")


def test_learning_curves_need_scores_per_epoch(search):
    no_curves = _search_with(search, [_trial(0.5, {"learning_rate": 0.01}, curve=())])

    with pytest.raises(ValueError, match="reported a score per epoch"):
        plot_intermediate_values(no_curves)
    assert plt.get_fignums() == []  # the empty figure is not left open


# -- plot_param_importances --------------------------------------------------------


def test_importances_have_a_bar_per_searched_parameter(search):
    ax = plot_param_importances(search)

    names = [label.get_text() for label in ax.get_yticklabels()]
    assert sorted(names) == sorted(SPACE)
    widths = [bar.get_width() for bar in ax.patches]
    assert len(widths) == len(SPACE)
    assert sum(widths) == pytest.approx(1.0)
    # Optuna draws the most important parameter last (at the top)
    assert widths == sorted(widths)


def test_importances_are_deterministic(search):
    def drawn():
        ax = plot_param_importances(search)
        names = [label.get_text() for label in ax.get_yticklabels()]
        return names, [bar.get_width() for bar in ax.patches]

    first, second = drawn(), drawn()

    assert first == second
    # the same numbers as Optuna's fANOVA with seed 0 over the sampled trials
    sampled = optuna.create_study(direction="maximize")
    sampled.add_trials(_sampled_complete(search.study_))
    expected = optuna.importance.get_param_importances(
        sampled, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0)
    )
    names, widths = first
    assert dict(zip(names, widths, strict=True)) == pytest.approx(expected)


def test_importances_leave_out_the_unsampled_start_trial(search):
    trials = [_start_trial(), *_sampled_complete(search.study_)]
    with_start = _search_with(search, trials)
    # Optuna alone finds no parameter common to every complete trial
    with warnings.catch_warnings(), matplotlib.rc_context():  # its style leaks
        warnings.simplefilter("ignore")
        plain = optuna.visualization.matplotlib.plot_param_importances(
            with_start.study_,
            evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0),
        )
    assert len(plain.patches) == 0

    ax = plot_param_importances(with_start)

    assert sorted(label.get_text() for label in ax.get_yticklabels()) == sorted(SPACE)
    reference = plot_param_importances(_search_with(search, trials[1:]))
    assert [bar.get_width() for bar in ax.patches] == [
        bar.get_width() for bar in reference.patches
    ]


def test_importances_take_another_evaluator(search):
    evaluator = optuna.importance.MeanDecreaseImpurityImportanceEvaluator(seed=0)

    ax = plot_param_importances(search, evaluator=evaluator, target_name="Accuracy")

    assert sorted(label.get_text() for label in ax.get_yticklabels()) == sorted(SPACE)
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["Accuracy"]


@pytest.mark.parametrize(
    "trials, message",
    [
        (
            [_start_trial(), _trial(0.5, {"learning_rate": 0.01})],
            "at least 2 complete trials with sampled parameters, .* has 1",
        ),
        (
            [
                _trial(0.5, {"learning_rate": 0.01}),
                _trial(None, {"learning_rate": 0.02}, state=TrialState.PRUNED),
            ],
            "has 1: .*prune less",
        ),
        (
            [
                _trial(0.5, {"learning_rate": 0.01}),
                _trial(0.6, {"learning_rate": 0.01}),
            ],
            "no parameter took different values",
        ),
        (
            [
                _trial(0.5, {"learning_rate": 0.01}),
                _trial(0.5, {"learning_rate": 0.02}),
            ],
            "all scored 0.5",
        ),
        (
            [
                _trial(0.5, {"learning_rate": 0.01}),
                _trial(0.6, {"batch_size": 16}),
                _trial(0.7, {"learning_rate": 0.02}),
            ],
            "no parameter is in every one of the 3 complete trials.*PedAnova",
        ),
    ],
    ids=["one-sampled", "pruned-do-not-count", "unvaried", "equal-scores", "disjoint"],
)
def test_importances_that_cannot_be_assessed_say_why(search, trials, message):
    with pytest.raises(ValueError, match=message):
        plot_param_importances(_search_with(search, trials))
    assert plt.get_fignums() == []


# -- save_search_plots -------------------------------------------------------------


def test_save_writes_three_readable_pngs_and_closes_their_figures(search, tmp_path):
    directory = tmp_path / "plots" / "search"  # created, parents included
    (tmp_path / "plots").mkdir()
    open_before = plt.get_fignums()

    paths = save_search_plots(search, directory)

    assert list(paths) == list(FILES)
    for name, path in paths.items():
        assert path == directory / FILES[name]
        image = imread(path)
        assert image.ndim == 3 and min(image.shape[:2]) > 100
        assert image.std() > 0  # something was drawn
    assert sorted(p.name for p in directory.iterdir()) == sorted(FILES.values())
    assert plt.get_fignums() == open_before


def test_save_replaces_existing_files(search, tmp_path):
    (tmp_path / "history.png").write_bytes(b"not a picture")

    paths = save_search_plots(search, str(tmp_path))

    assert imread(paths["history"]).ndim == 3


def test_save_skips_a_plot_that_cannot_be_drawn_with_a_warning(search, tmp_path):
    one_sampled = _search_with(
        search, [_start_trial(), _trial(0.5, {"batch_size": 16})]
    )

    with pytest.warns(UserWarning, match="importances.png not written: .*at least 2"):
        paths = save_search_plots(one_sampled, tmp_path)

    assert list(paths) == ["history", "learning_curves"]
    assert not (tmp_path / "importances.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "history.png",
        "learning_curves.png",
    ]
    assert plt.get_fignums() == []


# -- what every plot shares ------------------------------------------------------------


@pytest.mark.parametrize(
    "plot",
    [plot_optimization_history, plot_param_importances, plot_intermediate_values],
)
def test_plots_keep_optuna_style_warnings_and_log_to_themselves(search, plot, capfd):
    # Optuna's functions switch the whole session to the ggplot style
    with matplotlib.style.context("default"), warnings.catch_warnings():
        # Optuna's plots are experimental: that warning must not reach the user
        # (only those: scikit-learn 1.6 warns about scikeras's legacy tags here)
        warnings.simplefilter("error", optuna.exceptions.ExperimentalWarning)
        ax = plot(search)
        assert matplotlib.rcParams["axes.facecolor"] == "white"  # restored

    assert ax.get_facecolor() == matplotlib.colors.to_rgba("#E5E5E5")  # ggplot's
    assert capfd.readouterr().err == ""  # nor Optuna's log


@pytest.mark.parametrize(
    "plot",
    [
        plot_optimization_history,
        plot_param_importances,
        plot_intermediate_values,
        save_search_plots,
    ],
)
def test_unfitted_search_raises_not_fitted(plot, tmp_path):
    unfitted = PrunedSearchCV(KerasMLPClassifier(), SPACE)
    args = (tmp_path / "plots",) if plot is save_search_plots else ()

    with pytest.raises(NotFittedError):
        plot(unfitted, *args)
    assert not (tmp_path / "plots").exists()


def test_importing_the_plots_loads_neither_optuna_nor_matplotlib():
    probe = (
        "import sys\n"
        "from skmnist.search import save_search_plots, plot_param_importances\n"
        "print([m for m in ('optuna', 'matplotlib', 'tensorflow') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
