"""scikit-learn's callbacks (1.9+) down to the epoch, and the one progress display."""

import subprocess
import sys

import numpy as np
import optuna
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, cross_validate

from skmnist import KerasMLPClassifier, PrunedSearchCV, make_mnist_pipeline
from skmnist._compat import HAS_CALLBACKS

needs_callbacks = pytest.mark.skipif(
    not HAS_CALLBACKS, reason="scikit-learn < 1.9 has no sklearn.callback"
)
if HAS_CALLBACKS:
    from sklearn.callback import ProgressBar, ScoringMonitor


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32)[:600], y[:600]


def small(**params):
    defaults = dict(hidden_layer_sizes=(8,), epochs=3, learning_rate=0.01)
    return KerasMLPClassifier(**{**defaults, "random_state": 0, **params})


class Recorder:
    """A callback that records every epoch's fitted estimator's accuracy, and may
    ask to stop after ``stop_after`` epochs."""

    def __init__(self, stop_after=None):
        self.stop_after, self.scores, self.tasks = stop_after, [], []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        self.tasks.append(("begin", context.task_name, context.task_id))

    def on_fit_task_end(
        self, estimator, context, *, X=None, y=None, fitted_estimator=None
    ):
        self.tasks.append(("end", context.task_name, context.task_id))
        if context.task_name != "epoch" or fitted_estimator is None:
            return False  # the fit itself, or a search's task
        self.scores.append(fitted_estimator.score(X, y))
        return self.stop_after is not None and len(self.scores) >= self.stop_after


@needs_callbacks
def test_one_task_per_epoch_and_the_fitted_estimator_of_each(digits):
    X, y = digits
    recorder = Recorder()
    clf = small().set_callbacks(recorder).fit(X, y)
    epochs = [task for task in recorder.tasks if task[1] == "epoch"]
    assert epochs == [(e, "epoch", i) for i in range(3) for e in ("begin", "end")]
    assert recorder.tasks[0] == ("begin", "fit", 0)
    assert recorder.tasks[-1] == ("end", "fit", 0)
    # the estimator handed over after epoch e predicts as a fit of e + 1 epochs
    assert recorder.scores == [small(epochs=e).fit(X, y).score(X, y) for e in (1, 2, 3)]
    assert recorder.scores[-1] == clf.score(X, y)


@needs_callbacks
def test_a_callback_stops_training_after_its_epoch(digits):
    X, y = digits
    clf = small(epochs=10).set_callbacks(Recorder(stop_after=2)).fit(X, y)
    assert clf.n_iter_ == 2 and len(clf.history_["loss"]) == 2


@needs_callbacks
def test_partial_fit_is_one_task(digits):
    X, y = digits
    recorder = Recorder()
    clf = small().set_callbacks(recorder)
    clf.partial_fit(X, y, classes=np.arange(10))
    assert recorder.tasks == [("begin", "partial_fit", 0), ("end", "partial_fit", 0)]


@needs_callbacks
def test_scoring_monitor_logs_every_epoch(digits):
    X, y = digits
    monitor = ScoringMonitor(scoring="accuracy")
    clf = small().set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    assert len(epochs) == 3 and len(rows) == 4  # and the fit itself
    assert epochs[-1]["accuracy"] == pytest.approx(clf.score(X, y))


@needs_callbacks
def test_grid_search_sees_every_candidates_epochs(digits):
    X, y = digits
    monitor = ScoringMonitor(scoring="accuracy")
    pipe = make_mnist_pipeline(hidden_layer_sizes=(8,), epochs=3, random_state=0)
    pipe[-1].set_callbacks(monitor)  # cloned with the pipeline for every fit
    search = GridSearchCV(pipe, {"classifier__dropout": [0.0, 0.3]}, cv=2)
    search.set_callbacks(ProgressBar(max_propagation_depth=None))
    search.fit(X.reshape(-1, 8, 8), y)
    log = monitor.get_logs()
    assert log.estimator_name == "GridSearchCV"  # one run: the search's
    epochs = [row for row in log.data if row["task_name"] == "epoch"]
    # 2 candidates x 2 folds x 3 epochs, then the refit's 3
    assert len(epochs) == 2 * 2 * 3 + 3
    assert len({row["parent_task_id_path"] for row in epochs}) == 5


@needs_callbacks
def test_cross_validate_keeps_the_estimators_callbacks(digits):
    X, y = digits
    monitor = ScoringMonitor(scoring="accuracy")
    cross_validate(small().set_callbacks(monitor), X, y, cv=2)
    runs = monitor.get_logs(select="all")
    assert len(runs) == 2  # each fold's fit is a run of its own
    assert all(len(run.data) == 4 for run in runs)


@needs_callbacks
def test_pruned_search_is_a_callback_supporting_meta_estimator(digits):
    X, y = digits
    monitor = ScoringMonitor(scoring="accuracy")
    clf = small().set_callbacks(monitor)
    space = {"dropout": optuna.distributions.FloatDistribution(0.0, 0.5)}
    search = PrunedSearchCV(
        clf, space, n_trials=2, cv=2, max_epochs=3, random_state=0,
        pruner=optuna.pruners.NopPruner(),
    )  # fmt: skip
    recorder = Recorder()
    search.set_callbacks(recorder, ProgressBar(max_propagation_depth=None))
    search.fit(X, y)
    rows = monitor.get_logs().data
    assert monitor.get_logs().estimator_name == "PrunedSearchCV"
    trial_epochs = [row for row in rows if row["task_name"] == "partial_fit"]
    assert len(trial_epochs) == 2 * 2 * 3  # trials x folds x epochs
    refit = [row for row in rows if row["task_name"] == "epoch"]
    assert len(refit) == search.best_params_["epochs"]
    names = [task[1] for task in recorder.tasks if task[0] == "begin"]
    assert names[:4] == ["fit", "search", "trial", "fold"]
    assert names.count("trial") == 2 and names.count("refit") == 1


@needs_callbacks
def test_verbose_lines_give_way_to_the_progress_bar(digits, capsys):
    X, y = digits
    small(verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == [
        "epoch 1/3",
        "epoch 2/3",
        "epoch 3/3",
    ]
    small(verbose=1).set_callbacks(ProgressBar()).fit(X, y)
    assert "epoch 1/3 - " not in capsys.readouterr().out


@needs_callbacks
def test_clone_keeps_callbacks_as_scikit_learn_does(digits):
    monitor = ScoringMonitor(scoring="accuracy")
    assert clone(small().set_callbacks(monitor))._skl_callbacks == [monitor]


def test_without_sklearn_callback_everything_else_works():
    # scikit-learn < 1.9 has no sklearn.callback: hide it from a fresh process
    code = """
import sys
try:  # scikit-learn 1.9's own modules import it: load them, then hide it
    import sklearn.callback._callback_support, sklearn.pipeline
    import sklearn.model_selection, sklearn.linear_model
except ImportError:
    pass
sys.modules["sklearn.callback"] = None
import numpy as np
from skmnist import KerasMLPClassifier
clf = KerasMLPClassifier((4,), epochs=2, random_state=0)
assert not hasattr(clf, "set_callbacks")
X = np.random.default_rng(0).random((40, 6), dtype=np.float32)
clf.fit(X, np.arange(40) % 2, X_val=X[:10], y_val=np.arange(10) % 2)
print(clf.n_iter_, len(clf.history_["val_accuracy"]))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "2"]


class StopAfterOneTrial(Recorder):
    def on_fit_task_end(
        self, estimator, context, *, X=None, y=None, fitted_estimator=None
    ):
        return context.task_name == "trial"


@needs_callbacks
def test_a_callback_ends_a_pruned_search_after_a_trial(digits):
    X, y = digits
    space = {"dropout": optuna.distributions.FloatDistribution(0.0, 0.5)}
    search = PrunedSearchCV(small(), space, n_trials=3, cv=2, max_epochs=2)
    search.set_callbacks(StopAfterOneTrial()).fit(X, y)
    assert search.n_trials_ == 1 and hasattr(search, "best_estimator_")
