"""Equal time budgets: PrunedSearchCV against scikit-learn's and Optuna's searches.

Gives the same time budget on full MNIST, on this machine, to four searches of the
same space: the dense network's (``--space mlp``, issue 12, the default) or the
space across families (``--space auto``, issue 21):

- ``pruned``: ``PrunedSearchCV(make_mnist_pipeline(random_state=0),
  skmnist.mlp_search_space, timeout=BUDGET, random_state=0)`` -- with ``--space
  auto``, ``make_mnist_pipeline(model="auto", random_state=0)`` and
  ``skmnist.auto_search_space``, started from ``cnn-strong`` with trials of up to
  30 epochs as ``skmnist search --model auto`` runs it -- everything else at its
  defaults, as a user would run it;
- ``randomized``: scikit-learn's ``RandomizedSearchCV``, drawing one candidate at a
  time while time remains (its ``_run_search`` extension point);
- ``halving``: scikit-learn's ``HalvingRandomSearchCV`` with epochs as the resource
  (``factor=3``, up to 30 epochs), as many candidates as a measured epoch time says
  fit in the budget;
- ``optuna``: ``optuna_integration.OptunaSearchCV`` with ``timeout=BUDGET``, default
  TPE, no pruning (it prunes only an estimator with ``partial_fit`` at the top level,
  which a pipeline is not);
- ``preset`` (in ``--space auto``'s default run): no search, "just fit the best
  preset", ``make_mnist_pipeline(model="cnn-strong", random_state=0)``, timed.

The three others search a flat wrapper of the same networks, with distributions
derived from one table per space (``SPACES``) that spells out the space's ranges:
``FlatMLP`` (layers, units per layer, dropout, learning rate, batch size, epochs)
or ``FlatAuto`` (the family first, then every family's parameters, each under the
family's name; ``auto_search_space`` itself turns them into the pipeline's, so a
candidate is the network ``PrunedSearchCV`` trains for the same values). Epochs
run 1 to 30 in every family (``PrunedSearchCV``'s ``max_epochs``, three times the
dense network's 10, bounds every family's trials alike); a preset's one-cycle
schedule is laid out over the epochs the fit trains, as in ``PrunedSearchCV``'s
refit of its best epoch count.
Every tool validates on the same stratified hold-out split (1/6 of the training
images, seed 0: the split of ``PrunedSearchCV``'s ``cv="auto"``) and the budget is
enforced alike: the flat estimators train epoch by epoch and stop at the first
epoch end past the deadline (that fit scores NaN: unfinished), and no fit starts
after it. Each tool runs in a fresh subprocess, one after the other; the winner is
then refitted on all training images (the subset with ``--subset``) outside the
budget and scored on the 10,000 test images. Goals, ``--space mlp``: at 600 s
PrunedSearchCV's winner is ahead of every other tool's and scores >= 0.983; at
1200 s it scores >= 0.984. ``--space auto``: >= 0.995 at 600 s, >= 0.996 at
1200 s, and ahead of every other tool and of the preset.

Usage::

    python benchmarks/bench_search.py [--space {mlp,auto}] [--budgets 600 1200]
        [--all-long] [--tools pruned randomized halving optuna preset] [--subset N]
    python benchmarks/bench_search.py --report FILE  # the table of a results file
    python benchmarks/bench_search.py --overhead [--subset N]

The rows are written, each as it finishes, to
``benchmarks/results/bench_search-<time>.json``. The default run (four tools at
600 s, PrunedSearchCV again at 1200 s) takes about 75 minutes with ``--space
mlp``; with ``--space auto`` (and the preset) about 100 minutes, as the refits of
convolutional winners take minutes each.
"""

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SEARCHES = ("pruned", "randomized", "halving", "optuna")
TOOLS = (*SEARCHES, "preset")
DEFAULT_TOOLS = {"mlp": SEARCHES, "auto": TOOLS}
# Not run by default: PrunedSearchCV with 3-fold cross-validation instead of
# cv="auto"'s hold-out split, the measurement behind that default.
EXTRA_TOOLS = ("pruned-cv3",)
PRESET = "cnn-strong"  # the "preset" tool: the most accurate preset, no search
SEED = 0
HOLDOUT = 1 / 6  # PrunedSearchCV's cv="auto" above 10,000 samples
MAX_EPOCHS = 30  # PrunedSearchCV's max_epochs=None: 3 x the pipeline's 10 epochs
HALVING_FACTOR = 3
HALVING_FILL = 0.9  # share of the budget the halving schedule is sized to fill
# space -> {budget (s): test accuracy PrunedSearchCV needs}
GOALS = {"mlp": {600: 0.983, 1200: 0.984}, "auto": {600: 0.995, 1200: 0.996}}
# auto_search_space's families: the built-in families, then their presets
AUTO_FAMILIES = (
    "mlp",
    "cnn",
    "cnn-fast",
    "cnn-strong",
    "cnn-strong-bf16",
    "mlp-strong",
)

# Each space, flat: (name, kind, low, high, log) or (name, "categorical", choices).
# Parameters the candidate does not use (units of layers beyond n_layers, the
# families not chosen) are drawn but unused, as the other tools have no
# conditional spaces.
SPACES = {
    # skmnist.mlp_search_space
    "mlp": (
        ("n_layers", "int", 1, 2, False),
        ("n_units_l0", "int", 128, 2048, True),
        ("n_units_l1", "int", 128, 2048, True),
        ("dropout", "float", 0.0, 0.5, False),
        ("learning_rate", "float", 3e-4, 1e-2, True),
        ("batch_size", "categorical", (128, 256, 512)),
        ("epochs", "int", 1, MAX_EPOCHS, False),  # the resource of halving, not drawn
    ),
    # skmnist.auto_search_space: each family's parameters under its name (a
    # preset's learning rate from a third to three times its own, its augmentation
    # 0.5 to 1.5 times its own); epochs as in the dense network's space
    "auto": (
        ("family", "categorical", AUTO_FAMILIES),
        ("mlp_n_layers", "int", 1, 2, False),
        ("mlp_n_units_l0", "int", 128, 2048, True),
        ("mlp_n_units_l1", "int", 128, 2048, True),
        ("mlp_dropout", "float", 0.0, 0.5, False),
        ("mlp_learning_rate", "float", 3e-4, 1e-2, True),
        ("mlp_batch_size", "categorical", (128, 256, 512)),
        ("cnn_filters_b0", "int", 16, 64, True),
        ("cnn_filters_b1", "int", 32, 128, True),
        ("cnn_kernel_size", "categorical", (3, 5)),
        ("cnn_dense_units", "categorical", (0, 64, 128, 256)),
        ("cnn_dropout", "float", 0.0, 0.6, False),
        ("cnn_learning_rate", "float", 3e-4, 1e-2, True),
        ("cnn_batch_size", "categorical", (128, 256, 512)),
        ("cnn_fast_learning_rate", "float", 5e-3 / 3, 1.5e-2, True),
        ("cnn_strong_learning_rate", "float", 1e-3, 9e-3, True),
        ("cnn_strong_augmentation", "float", 0.5, 1.5, False),
        ("cnn_strong_bf16_learning_rate", "float", 1e-3, 9e-3, True),
        ("cnn_strong_bf16_augmentation", "float", 0.5, 1.5, False),
        ("mlp_strong_learning_rate", "float", 2e-3 / 3, 6e-3, True),
        ("mlp_strong_augmentation", "float", 0.5, 1.5, False),
        ("epochs", "int", 1, MAX_EPOCHS, False),  # the resource of halving, not drawn
    ),
}

# Networks of about each space's mean cost, to size the halving schedule: per
# family, as likely as the space draws it. The dense network's: two layers of 560
# units in batches of 256, about the space's mean multiply-adds per image (1 or 2
# layers of log-uniform 128..2048 units: 782k, against 784 * 560 + 560**2 = 753k)
# and its middle batch; the CNN's: the geometric middle of its filters and its
# middle batch, with either kernel size; a preset: its own recipe.
_TYPICAL_MLP = {"n_layers": 2, "n_units_l0": 560, "n_units_l1": 560, "batch_size": 256}
_TYPICAL_CNN = {"cnn_filters_b0": 32, "cnn_filters_b1": 64, "cnn_dense_units": 128}
TYPICAL = {
    "mlp": (_TYPICAL_MLP,),
    "auto": (
        {"family": "mlp", **{f"mlp_{k}": v for k, v in _TYPICAL_MLP.items()}},
        {"family": "cnn", **_TYPICAL_CNN, "cnn_kernel_size": 3, "cnn_batch_size": 256},
        {"family": "cnn", **_TYPICAL_CNN, "cnn_kernel_size": 5, "cnn_batch_size": 256},
        {"family": "cnn-fast"},
        {"family": "cnn-strong"},
        {"family": "cnn-strong-bf16"},
        {"family": "mlp-strong"},
    ),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--space",
        choices=tuple(SPACES),
        default="mlp",
        help="the dense network's space (mlp_search_space) or the space across "
        "families (auto_search_space)",
    )
    parser.add_argument(
        "--budgets",
        type=float,
        nargs="+",
        default=[600, 1200],
        help="seconds per search; every tool gets the first, only PrunedSearchCV "
        "the others (unless --all-long)",
    )
    parser.add_argument(
        "--all-long", action="store_true", help="run every search at every budget"
    )
    parser.add_argument(
        "--tools",
        nargs="+",
        choices=TOOLS + EXTRA_TOOLS,
        help=f"default: {' '.join(DEFAULT_TOOLS['mlp'])} (with --space auto, "
        "also preset)",
    )
    parser.add_argument(
        "--subset",
        type=int,
        default=None,
        help="search on a stratified subset of N training images (smoke runs); "
        "the test set stays the full 10,000",
    )
    parser.add_argument(
        "--report", metavar="FILE", help="print the table of an existing results file"
    )
    parser.add_argument(
        "--overhead",
        action="store_true",
        help="measure n partial_fit calls against one fit(epochs=n), then exit",
    )
    # internal: one tool in this process
    parser.add_argument(
        "--run-one", choices=TOOLS + EXTRA_TOOLS, help=argparse.SUPPRESS
    )
    parser.add_argument("--budget", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--row-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tools is None:
        args.tools = list(DEFAULT_TOOLS[args.space])
    return args


# --- the budget -------------------------------------------------------------------
_DEADLINE = None  # time.monotonic() value after which no search fit may train
FIT_LOG = []  # one record per flat estimator's fit made under a deadline


class BudgetSpent(RuntimeError):
    """A fit asked to start after the deadline (scored ``error_score``)."""


def set_deadline(seconds):
    global _DEADLINE
    _DEADLINE = None if seconds is None else time.monotonic() + seconds


def budget_spent():
    return _DEADLINE is not None and time.monotonic() >= _DEADLINE


# --- the flat estimators -------------------------------------------------------------
class _FlatNetwork(ClassifierMixin, BaseEstimator):
    """A pipeline (``self.pipeline()``) with flat, scalar parameters.

    Under a deadline (``set_deadline``) it trains one ``partial_fit`` epoch at a
    time and stops at the first epoch end past the deadline; such a cut fit scores
    NaN. A fit asked to start after the deadline raises ``BudgetSpent``. Without a
    deadline (the refit) it is a plain pipeline ``fit``.
    """

    def fit(self, X, y):
        record = {"params": _jsonable(self.get_params()), "epochs": int(self.epochs)}
        if _DEADLINE is None:  # the refit: a plain fit, nothing logged
            self.pipeline_ = self.pipeline().fit(X, y)
            self.n_epochs_, self.cut_ = int(self.epochs), False
            self.classes_ = self.pipeline_.classes_
            return self
        if budget_spent():
            FIT_LOG.append({**record, "outcome": "refused", "epochs_trained": 0})
            raise BudgetSpent("the time budget was spent before this fit started")
        start = time.monotonic()
        pipe = self.pipeline()
        clf = pipe.steps[-1][1]
        Xf = pipe[:-1].fit_transform(X)
        classes = np.unique(y)
        self.epoch_times_ = []
        for epoch in range(int(self.epochs)):
            t = time.perf_counter()
            clf.partial_fit(Xf, y, **({"classes": classes} if epoch == 0 else {}))
            self.epoch_times_.append(time.perf_counter() - t)
            if epoch + 1 < self.epochs and budget_spent():
                break
        self.pipeline_, self.classes_ = pipe, clf.classes_
        self.n_epochs_ = len(self.epoch_times_)
        self.cut_ = self.n_epochs_ < self.epochs
        record.update(
            outcome="cut" if self.cut_ else "finished",
            epochs_trained=self.n_epochs_,
            seconds=time.monotonic() - start,
        )
        FIT_LOG.append(record)
        _progress(record)
        return self

    def predict(self, X):
        return self.pipeline_.predict(X)

    def predict_proba(self, X):
        return self.pipeline_.predict_proba(X)

    def score(self, X, y, sample_weight=None):
        if self.cut_:  # stopped by the deadline: not a result of these parameters
            return float("nan")
        return self.pipeline_.score(X, y, sample_weight=sample_weight)


class FlatMLP(_FlatNetwork):
    """``make_mnist_pipeline``'s network: ``SPACES["mlp"]``."""

    def __init__(
        self,
        n_layers=2,
        n_units_l0=256,
        n_units_l1=128,
        dropout=0.2,
        learning_rate=1e-3,
        batch_size=128,
        epochs=10,
        random_state=SEED,
    ):
        self.n_layers = n_layers
        self.n_units_l0 = n_units_l0
        self.n_units_l1 = n_units_l1
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.epochs = epochs
        self.random_state = random_state

    def hidden_layer_sizes(self):
        units = (self.n_units_l0, self.n_units_l1)
        return tuple(int(u) for u in units[: int(self.n_layers)])

    def pipeline(self):
        from skmnist import make_mnist_pipeline

        return make_mnist_pipeline(
            hidden_layer_sizes=self.hidden_layer_sizes(),
            dropout=float(self.dropout),
            learning_rate=float(self.learning_rate),
            batch_size=int(self.batch_size),
            epochs=int(self.epochs),
            random_state=self.random_state,
        )


class FlatAuto(_FlatNetwork):
    """``make_mnist_pipeline(model="auto")`` over the families: ``SPACES["auto"]``.

    The defaults are each family's own. ``auto_search_space`` turns the flat
    values into the pipeline's parameters (through an Optuna ``FixedTrial``, which
    warns of a value outside its ranges), so a candidate is the network
    ``PrunedSearchCV`` trains for the same values; ``epochs`` replaces a preset's
    own, so its one-cycle schedule spans the epochs trained.
    """

    def __init__(
        self,
        family="mlp",
        mlp_n_layers=2,
        mlp_n_units_l0=256,
        mlp_n_units_l1=128,
        mlp_dropout=0.2,
        mlp_learning_rate=1e-3,
        mlp_batch_size=128,
        cnn_filters_b0=32,
        cnn_filters_b1=64,
        cnn_kernel_size=3,
        cnn_dense_units=0,
        cnn_dropout=0.5,
        cnn_learning_rate=1e-3,
        cnn_batch_size=128,
        cnn_fast_learning_rate=5e-3,
        cnn_strong_learning_rate=3e-3,
        cnn_strong_augmentation=1.0,
        cnn_strong_bf16_learning_rate=3e-3,
        cnn_strong_bf16_augmentation=1.0,
        mlp_strong_learning_rate=2e-3,
        mlp_strong_augmentation=1.0,
        epochs=10,
        random_state=SEED,
    ):
        self.family = family
        self.mlp_n_layers = mlp_n_layers
        self.mlp_n_units_l0 = mlp_n_units_l0
        self.mlp_n_units_l1 = mlp_n_units_l1
        self.mlp_dropout = mlp_dropout
        self.mlp_learning_rate = mlp_learning_rate
        self.mlp_batch_size = mlp_batch_size
        self.cnn_filters_b0 = cnn_filters_b0
        self.cnn_filters_b1 = cnn_filters_b1
        self.cnn_kernel_size = cnn_kernel_size
        self.cnn_dense_units = cnn_dense_units
        self.cnn_dropout = cnn_dropout
        self.cnn_learning_rate = cnn_learning_rate
        self.cnn_batch_size = cnn_batch_size
        self.cnn_fast_learning_rate = cnn_fast_learning_rate
        self.cnn_strong_learning_rate = cnn_strong_learning_rate
        self.cnn_strong_augmentation = cnn_strong_augmentation
        self.cnn_strong_bf16_learning_rate = cnn_strong_bf16_learning_rate
        self.cnn_strong_bf16_augmentation = cnn_strong_bf16_augmentation
        self.mlp_strong_learning_rate = mlp_strong_learning_rate
        self.mlp_strong_augmentation = mlp_strong_augmentation
        self.epochs = epochs
        self.random_state = random_state

    def pipeline(self):
        from optuna.trial import FixedTrial

        from skmnist import auto_search_space, make_mnist_pipeline

        values = {
            optuna_name(name): _jsonable(value)
            for name, value in self.get_params().items()
        }
        params = {
            **auto_search_space(FixedTrial(values)),
            # the epochs trained, in place of a preset's own
            "classifier__epochs": int(self.epochs),
            "classifier__random_state": self.random_state,
        }
        return make_mnist_pipeline(model="auto").set_params(**params)


FLAT = {"mlp": FlatMLP, "auto": FlatAuto}


def optuna_name(name):
    """``auto_search_space``'s name of a flat parameter: ``cnn_strong_augmentation``
    is ``cnn-strong_augmentation``."""
    for family in sorted(AUTO_FAMILIES, key=len, reverse=True):
        key = family.replace("-", "_") + "_"
        if name.startswith(key):
            return family + "_" + name.removeprefix(key)
    return name


def _progress(record):
    print(
        f"  fit {len(FIT_LOG):3d}: {record['outcome']:8} "
        f"{record['epochs_trained']:2d}/{record['epochs']:2d} epochs "
        f"{record['seconds']:6.1f} s  {_params_cell(record['params'])}",
        flush=True,
    )


# --- the space, for each tool ---------------------------------------------------------
class IntLogUniform:
    """Integers log-uniform in [low, high], drawn as Optuna draws them.

    Uniform in ``[log(low - 0.5), log(high + 0.5)]``, then exponentiated and
    rounded (``optuna._transform`` for a log ``IntDistribution``), so
    ``RandomizedSearchCV`` samples units and filters as ``RandomSampler`` would.
    """

    def __init__(self, low, high):
        self.low, self.high = low, high

    def rvs(self, size=None, random_state=None):
        from sklearn.utils import check_random_state

        rng = check_random_state(random_state)
        x = math.exp(rng.uniform(math.log(self.low - 0.5), math.log(self.high + 0.5)))
        return int(min(max(round(x), self.low), self.high))

    def __repr__(self):
        return f"IntLogUniform({self.low}, {self.high})"


def scipy_space(space, with_epochs=True):
    """``SPACES[space]`` as scikit-learn ``param_distributions``."""
    from scipy import stats

    distributions = {}
    for name, kind, *spec in SPACES[space]:
        if name == "epochs" and not with_epochs:
            continue
        if kind == "categorical":
            distributions[name] = list(spec[0])
            continue
        low, high, log = spec
        if kind == "int":
            distributions[name] = (
                IntLogUniform(low, high) if log else stats.randint(low, high + 1)
            )
        else:
            distributions[name] = (
                stats.loguniform(low, high) if log else stats.uniform(low, high - low)
            )
    return distributions


def optuna_space(space):
    """``SPACES[space]`` as Optuna distributions, for ``OptunaSearchCV``."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    distributions = {}
    for name, kind, *spec in SPACES[space]:
        if kind == "categorical":
            distributions[name] = CategoricalDistribution(list(spec[0]))
        elif kind == "int":
            distributions[name] = IntDistribution(spec[0], spec[1], log=spec[2])
        else:
            distributions[name] = FloatDistribution(spec[0], spec[1], log=spec[2])
    return distributions


# --- data and split -------------------------------------------------------------------
def load_data(subset):
    from skmnist import load_mnist

    mnist = load_mnist()
    X, y = mnist.X_train, mnist.y_train
    if subset is not None and subset < len(X):
        from sklearn.model_selection import train_test_split

        X, _, y, _ = train_test_split(
            X, y, train_size=subset, stratify=y, random_state=SEED
        )
    return X, y, mnist.X_test, mnist.y_test


def holdout_split(X, y):
    """The one (train, validation) split every tool validates on."""
    try:
        from skmnist.search._estimator import _holdout_split

        splitter = _holdout_split(HOLDOUT, classifier=True)
    except (ImportError, TypeError):
        from sklearn.model_selection import StratifiedShuffleSplit

        splitter = StratifiedShuffleSplit(n_splits=1, test_size=HOLDOUT, random_state=0)
    ((train, val),) = splitter.split(X, y)
    return train, val


def warm_up(X, y):
    """Import TensorFlow and train a tiny network, outside every tool's budget."""
    from skmnist import make_mnist_pipeline

    start = time.perf_counter()
    make_mnist_pipeline(hidden_layer_sizes=(32,), epochs=1, random_state=SEED).fit(
        X[:512], y[:512]
    )
    return time.perf_counter() - start


# --- the tools -----------------------------------------------------------------------
def run_pruned(X, y, split, budget, space, folds=None):
    from skmnist import (
        PrunedSearchCV,
        auto_search_space,
        make_mnist_pipeline,
        mlp_search_space,
    )

    try:
        from skmnist.search._estimator import _AUTO_HOLDOUT_ABOVE
    except ImportError:
        _AUTO_HOLDOUT_ABOVE = 10_000
    # Full MNIST: cv="auto" is the hold-out split above. A small --subset would make
    # "auto" 3-fold, so the same split is passed explicitly there.
    cv = "auto" if len(X) > _AUTO_HOLDOUT_ABOVE else [split]
    if folds is not None:  # pruned-cv3: cross-validation instead of the hold-out
        cv = folds
    model, distributions = {
        "mlp": ("mlp", mlp_search_space),
        "auto": ("auto", auto_search_space),
    }[space]
    estimator = make_mnist_pipeline(model=model, random_state=SEED)
    max_epochs = None  # PrunedSearchCV's default: 3 x the dense network's 10
    if space == "auto":
        from skmnist.commands.search import AUTO_START

        # as `skmnist search --model auto` runs it: the start trial is its
        # preset, every trial bounded by 3 x the dense network's 10 epochs
        max_epochs = 3 * estimator[-1].epochs
        estimator.set_params(family=AUTO_START)
    search = PrunedSearchCV(
        estimator,
        distributions,
        cv=cv,
        timeout=budget,
        max_epochs=max_epochs,
        random_state=SEED,
    )
    start = time.monotonic()
    search.fit(X, y)
    wall = time.monotonic() - start
    refit = float(search.refit_time_)
    states = [t.state.name for t in search.study_.trials]
    results = search.cv_results_
    return search.best_estimator_, {
        "search_s": wall - refit,
        "refit_s": refit,
        "cv": (
            "auto"
            if isinstance(cv, str)
            else f"{cv}-fold"
            if isinstance(cv, int)
            else "hold-out split passed explicitly"
        ),
        "trials": {
            "started": len(states),
            "complete": states.count("COMPLETE"),
            "pruned": states.count("PRUNED"),
            "failed": states.count("FAIL"),
        },
        "epochs_trained": int(np.sum(results["n_epochs"])),
        "families": family_summary(results["params"], results["n_epochs"]),
        "best_val_score": float(search.best_score_),
        "best_params": _jsonable(search.best_params_),
    }


def _budgeted_classes():
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import (
        HalvingRandomSearchCV,
        ParameterSampler,
        RandomizedSearchCV,
    )

    def _all_failed(exc):
        return isinstance(exc, ValueError) and "fits failed" in str(exc)

    class BudgetedRandomizedSearchCV(RandomizedSearchCV):
        """Evaluates one sampled candidate at a time until the deadline.

        The candidates are those of ``RandomizedSearchCV(n_iter=...)``, in the same
        order; the search simply stops drawing when the budget is spent.
        """

        def _run_search(self, evaluate_candidates):
            sampler = ParameterSampler(
                self.param_distributions, self.n_iter, random_state=self.random_state
            )
            for params in sampler:
                if budget_spent():
                    break
                try:
                    evaluate_candidates([params])
                except ValueError as exc:
                    # the only fit of the call was refused at the deadline
                    if budget_spent() and _all_failed(exc):
                        break
                    raise

    class BudgetedHalvingRandomSearchCV(HalvingRandomSearchCV):
        """Stops between iterations when the budget is spent, keeping the others.

        An iteration cut by the deadline keeps its finished candidates (the cut and
        refused ones score NaN), so ``best_params_`` is the best of the last
        iteration that has results, as scikit-learn picks it.
        """

        def _run_search(self, evaluate_candidates, *, callback_ctx=None):
            self.iterations_done_ = []

            def evaluate(candidate_params, cv=None, more_results=None, **kwargs):
                candidate_params = list(candidate_params)
                if budget_spent():
                    raise BudgetSpent("no time left for the next iteration")
                try:
                    results = evaluate_candidates(
                        candidate_params, cv, more_results=more_results, **kwargs
                    )
                except ValueError as exc:
                    if budget_spent() and _all_failed(exc):
                        raise BudgetSpent(str(exc)) from exc
                    raise
                self.iterations_done_.append(
                    {
                        "n_candidates": len(candidate_params),
                        "n_resources": int(more_results["n_resources"][0]),
                    }
                )
                return results

            kwargs = {} if callback_ctx is None else {"callback_ctx": callback_ctx}
            try:
                super()._run_search(evaluate, **kwargs)
            except BudgetSpent:
                pass

    return BudgetedRandomizedSearchCV, BudgetedHalvingRandomSearchCV


def fit_log_summary():
    outcomes = [r["outcome"] for r in FIT_LOG]
    return {
        "started": outcomes.count("finished") + outcomes.count("cut"),
        "complete": outcomes.count("finished"),
        "cut": outcomes.count("cut"),
        "refused": outcomes.count("refused"),
    }


def family_summary(params, epochs):
    """Trials and epochs per family (``{}`` for the dense network's space)."""
    families = {}
    for p, n in zip(params, epochs, strict=True):
        if "family" in p:
            f = families.setdefault(p["family"], {"trials": 0, "epochs": 0})
            f["trials"] += 1
            f["epochs"] += int(n)
    return families


def _sklearn_row(search, start):
    search_s = time.monotonic() - start
    return {
        "search_s": search_s,
        "trials": fit_log_summary(),
        "epochs_trained": int(sum(r["epochs_trained"] for r in FIT_LOG)),
        "families": family_summary(
            [r["params"] for r in FIT_LOG], [r["epochs_trained"] for r in FIT_LOG]
        ),
        "best_val_score": float(search.best_score_),
        "best_params": _jsonable(search.best_params_),
    }


def run_randomized(X, y, split, budget, space):
    search_cls, _ = _budgeted_classes()
    search = search_cls(
        FLAT[space](random_state=SEED),
        scipy_space(space),
        n_iter=100_000,  # a cap never reached: the budget stops the search
        cv=[split],
        refit=False,
        random_state=SEED,
        error_score=np.nan,
    )
    start = time.monotonic()
    set_deadline(budget)
    search.fit(X, y)
    set_deadline(None)
    return search.best_params_, _sklearn_row(search, start)


def halving_schedule(n_candidates, max_resources=MAX_EPOCHS, factor=HALVING_FACTOR):
    """(candidates, epochs) per iteration, as ``HalvingRandomSearchCV`` will run them
    with ``min_resources="exhaust"`` and a resource other than ``n_samples``."""
    n_required = 1 + math.floor(math.log(n_candidates, factor))
    min_resources = max(1, max_resources // factor ** (n_required - 1))
    n_possible = 1 + math.floor(math.log(max_resources // min_resources, factor))
    schedule, n = [], n_candidates
    for itr in range(min(n_possible, n_required)):
        schedule.append((n, min(factor**itr * min_resources, max_resources)))
        n = math.ceil(n / factor)
    return schedule


def halving_cost(schedule, epoch_s, fit_overhead_s):
    return sum(n * (epochs * epoch_s + fit_overhead_s) for n, epochs in schedule)


def calibrate(X, y, split, space):
    """Seconds per epoch and per fit of the space's typical networks (``TYPICAL``).

    Three epochs of each on the search's training split: the fit overhead
    (building the network, tracing, the validation score) is the first epoch's
    extra time plus the scoring. Averaged over each family's networks, then over
    the families.
    """
    train, val = split
    networks, families = [], {}
    for params in TYPICAL[space]:
        est = FLAT[space](**params, epochs=3)
        print("  calibration: a typical network, 3 epochs", flush=True)
        set_deadline(1e9)  # train epoch by epoch, as the search does
        est.fit(X[train], y[train])
        t = time.perf_counter()
        est.score(X[val], y[val])
        score_s = time.perf_counter() - t
        set_deadline(None)
        first, *rest = est.epoch_times_
        epoch_s = float(np.mean(rest))
        cost = {"epoch_s": epoch_s, "fit_overhead_s": first - epoch_s + score_s}
        networks.append({"params": params, **cost})
        families.setdefault(params.get("family"), []).append(cost)
    FIT_LOG.clear()
    means = [
        {key: np.mean([c[key] for c in costs]) for key in costs[0]}
        for costs in families.values()
    ]
    return {
        key: float(np.mean([m[key] for m in means]))
        for key in ("epoch_s", "fit_overhead_s")
    } | {"networks": networks}


def run_halving(X, y, split, budget, space):
    _, search_cls = _budgeted_classes()
    cal = calibrate(X, y, split, space)
    cost = {"epoch_s": cal["epoch_s"], "fit_overhead_s": cal["fit_overhead_s"]}
    n_candidates = max(
        (
            n
            for n in range(1, 2000)
            if halving_cost(halving_schedule(n), **cost) <= HALVING_FILL * budget
        ),
        default=1,
    )
    schedule = halving_schedule(n_candidates)
    search = search_cls(
        FLAT[space](random_state=SEED),
        scipy_space(space, with_epochs=False),
        n_candidates=n_candidates,
        factor=HALVING_FACTOR,
        resource="epochs",
        max_resources=MAX_EPOCHS,
        min_resources="exhaust",
        cv=[split],
        refit=False,
        random_state=SEED,
        error_score=np.nan,
        return_train_score=False,
    )
    start = time.monotonic()
    set_deadline(budget)
    search.fit(X, y)
    set_deadline(None)
    row = _sklearn_row(search, start)
    row["halving"] = {
        "calibration": cal,
        "n_candidates": n_candidates,
        "planned": [{"n_candidates": n, "n_resources": r} for n, r in schedule],
        "planned_cost_s": halving_cost(schedule, **cost),
        "iterations": search.iterations_done_,
    }
    return search.best_params_, row


def run_optuna(X, y, split, budget, space):
    import optuna
    from optuna_integration import OptunaSearchCV

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    start = time.monotonic()
    set_deadline(budget)
    search = OptunaSearchCV(
        FLAT[space](random_state=SEED),
        optuna_space(space),
        cv=[split],
        n_trials=None,
        timeout=budget,
        refit=False,
        random_state=SEED,
        error_score=np.nan,
    )
    search.fit(X, y)
    set_deadline(None)
    states = [t.state.name for t in search.study_.trials]
    row = _sklearn_row(search, start)
    row["trials"]["optuna_states"] = {s: states.count(s) for s in sorted(set(states))}
    return search.best_params_, row


RUNNERS = {
    "randomized": run_randomized,
    "halving": run_halving,
    "optuna": run_optuna,
}


def run_preset(X, y):
    """Just fit the best preset: its own recipe on the training images, no search."""
    from skmnist import make_mnist_pipeline
    from skmnist.models import PRESETS

    start = time.monotonic()
    pipe = make_mnist_pipeline(model=PRESET, random_state=SEED).fit(X, y)
    recipe = PRESETS[PRESET].estimator_params().items()
    return pipe, {
        "preset": PRESET,
        "fit_s": time.monotonic() - start,
        "best_params": {"family": PRESET, **{f"classifier__{k}": v for k, v in recipe}},
    }


def run_one(tool, budget, subset, space):
    """One tool in this process: its row, with the refitted winner's test score."""
    row = {"tool": tool, "space": space, "budget_s": budget, "subset": subset}
    row["machine_before"] = machine_state()
    X, y, X_test, y_test = load_data(subset)
    if tool != "preset":
        split = holdout_split(X, y)
        row.update(n_train=len(split[0]), n_val=len(split[1]))
    row["warm_up_s"] = warm_up(X, y)
    # Expected with cut fits (NaN scores) and one split; optuna-integration 5.0.0
    # also reports every trial to Optuna's deprecated terminator, which warns.
    for message in (
        ".*test scores are non-finite",
        ".*fits failed",
        "OptunaSearchCV is experimental",
        ".*optuna.terminator. module has been deprecated",
        "Failed to report cross validation scores for TerminatorCallback",
        "Mean of empty slice",
        "Degrees of freedom <= 0",
    ):
        warnings.filterwarnings("ignore", message=message)
    what = f"{PRESET}, no search" if tool == "preset" else f"budget {budget:g} s"
    print(f"--- {tool}, {space} space, {what}, {len(X)} training images", flush=True)
    if tool == "preset":
        winner, figures = run_preset(X, y)
        row.update(figures, n_train=len(X))
    elif tool in ("pruned", "pruned-cv3"):
        folds = 3 if tool == "pruned-cv3" else None
        winner, figures = run_pruned(X, y, split, budget, space, folds=folds)
        row.update(figures)
    else:
        best_params, figures = RUNNERS[tool](X, y, split, budget, space)
        row.update(figures)
        start = time.monotonic()
        winner = FLAT[space](random_state=SEED).set_params(**best_params).fit(X, y)
        row["refit_s"] = time.monotonic() - start
    row["test_accuracy"] = float(winner.score(X_test, y_test))
    row["machine_after"] = machine_state()
    if tool == "preset":
        print(
            f"--- preset done: fit {row['fit_s']:.0f} s, "
            f"test accuracy {row['test_accuracy']:.4f}",
            flush=True,
        )
        return row
    row["overrun_s"] = row["search_s"] - budget
    print(
        f"--- {tool} done: searched {row['search_s']:.0f} s, trials {row['trials']}, "
        f"best validation {row['best_val_score']:.4f}, refit {row['refit_s']:.0f} s, "
        f"test accuracy {row['test_accuracy']:.4f}"
        + (f", per family {row['families']}" if row["families"] else ""),
        flush=True,
    )
    return row


# --- the partial_fit overhead -------------------------------------------------------
def measure_overhead(subset, n_epochs=4, rounds=3):
    """n partial_fit calls against one fit(epochs=n): the time outside the epochs.

    The default network on the search's training split, interleaved. A callback
    times each epoch's training loop; what a fit spends around it (checking and
    converting the data, building the network) is its overhead, which the load of
    a shared machine disturbs far less than the epochs themselves.
    """
    import keras

    from skmnist import make_mnist_pipeline

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.inside = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self.begin = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.inside += time.perf_counter() - self.begin

    X, y, _, _ = load_data(subset)
    train, _ = holdout_split(X, y)
    X, y = X[train], y[train]
    warm_up(X, y)
    classes = np.unique(y)
    times = {"fit": [], "partial_fit": []}
    for _ in range(rounds):
        for way in times:
            timer = EpochTimer()
            pipe = make_mnist_pipeline(
                epochs=n_epochs, random_state=SEED, callbacks=[timer]
            )
            start = time.perf_counter()
            if way == "fit":
                pipe.fit(X, y)
            else:
                Xf = pipe[:-1].fit_transform(X)
                for epoch in range(n_epochs):
                    kwargs = {"classes": classes} if epoch == 0 else {}
                    pipe[-1].partial_fit(Xf, y, **kwargs)
            total = time.perf_counter() - start
            times[way].append({"total_s": total, "outside_s": total - timer.inside})
    summary = {way: min(r["outside_s"] for r in runs) for way, runs in times.items()}
    totals = {way: min(r["total_s"] for r in runs) for way, runs in times.items()}
    extra = (summary["partial_fit"] - summary["fit"]) / n_epochs
    print(
        f"{len(X)} images, default network, {n_epochs} epochs, best of {rounds}: "
        f"fit {totals['fit']:.2f} s, {n_epochs} partial_fit calls "
        f"{totals['partial_fit']:.2f} s; outside the training loops "
        f"{summary['fit']:.2f} s and {summary['partial_fit']:.2f} s, so partial_fit "
        f"costs {extra * 1000:+.0f} ms per epoch (load average "
        f"{os.getloadavg()[0]:.2f})"
    )
    return times


# --- machine and versions ---------------------------------------------------------
def machine_state():
    return {"load_average": list(os.getloadavg()), "time": _now()}


def machine_info():
    import importlib

    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {"python": platform.python_version()}
    for module in (
        "skmnist",
        "tensorflow",
        "keras",
        "sklearn",
        "optuna",
        "optuna_integration",
        "numpy",
        "scipy",
    ):
        try:
            versions[module] = importlib.import_module(module).__version__
        except Exception as exc:  # noqa: BLE001 - recorded, not fatal
            versions[module] = f"unavailable: {exc}"
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "versions": versions,
        "git": _git_state(),
    }


def _git_state():
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return None
    return {"commit": head, "modified_files": dirty.splitlines()}


def _now():
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list | np.ndarray):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --- the driver -------------------------------------------------------------------
def plan(args):
    """(tool, budget) in running order: every tool at the first budget, then the
    longer budgets for PrunedSearchCV only (or for every search with --all-long).
    The preset, which searches nothing, runs once, without a budget."""
    first, *longer = args.budgets
    runs = [
        (tool, None if tool == "preset" else first)
        for tool in TOOLS + EXTRA_TOOLS
        if tool in args.tools
    ]
    for budget in longer:
        tools = SEARCHES if args.all_long else ("pruned",)
        runs += [(tool, budget) for tool in tools if tool in args.tools]
    return runs


def run_child(tool, budget, subset, space):
    """Run one tool in a fresh interpreter; its row, or a row saying how it died."""
    with tempfile.TemporaryDirectory() as tmp:
        row_file = Path(tmp) / "row.json"
        command = [
            sys.executable,
            __file__,
            "--run-one",
            tool,
            "--space",
            space,
            "--row-file",
            str(row_file),
        ]
        if budget is not None:
            command += ["--budget", str(budget)]
        if subset is not None:
            command += ["--subset", str(subset)]
        env = {"TF_CPP_MIN_LOG_LEVEL": "2", **os.environ}
        start = time.monotonic()
        try:
            # generous: the budget, a 30-epoch refit of the largest network, test
            proc = subprocess.run(command, env=env, timeout=2 * (budget or 0) + 1800)
            code = proc.returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
        if row_file.exists():
            return json.loads(row_file.read_text(encoding="utf-8"))
        return {
            "tool": tool,
            "space": space,
            "budget_s": budget,
            "subset": subset,
            "error": f"the subprocess ended ({code}) without a row after "
            f"{time.monotonic() - start:.0f} s",
        }


def save(path, record):
    from skmnist._io import atomic_write

    RESULTS_DIR.mkdir(exist_ok=True)
    with atomic_write(path, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2)


def main(argv=None):
    args = parse_args(argv)
    if args.run_one:
        return child_main(args)
    if args.report:
        record = json.loads(Path(args.report).read_text(encoding="utf-8"))
        report(record)
        return 0
    if args.overhead:
        measure_overhead(args.subset)
        return 0
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"bench_search-{stamp}.json"
    record = {
        "settings": {**vars(args), "started": _now()},
        "machine": machine_info(),
        "rows": [],
    }
    save(path, record)
    runs = plan(args)
    print(f"{len(runs)} runs: {runs}; rows go to {path}", flush=True)
    for tool, budget in runs:
        record["rows"].append(run_child(tool, budget, args.subset, args.space))
        save(path, record)
    record["settings"]["finished"] = _now()
    save(path, record)
    report(record)
    print(f"results written to {path}")
    return 0


def child_main(args):
    try:
        row = run_one(args.run_one, args.budget, args.subset, args.space)
    except Exception:  # noqa: BLE001 - recorded in the row, then reported
        traceback.print_exc()
        row = {
            "tool": args.run_one,
            "space": args.space,
            "budget_s": args.budget,
            "subset": args.subset,
            "error": traceback.format_exc(limit=3).strip().splitlines()[-1],
            "fits": fit_log_summary(),
        }
    with open(args.row_file, "w", encoding="utf-8") as f:
        json.dump(_jsonable(row), f, indent=2)
    return 0 if "error" not in row else 1


# --- the report ---------------------------------------------------------------------
NAMES = {
    "pruned": "PrunedSearchCV",
    "randomized": "RandomizedSearchCV",
    "halving": "HalvingRandomSearchCV",
    "optuna": "OptunaSearchCV",
    "pruned-cv3": "PrunedSearchCV, cv=3",
    "preset": f"just fit {PRESET}",
}


def _trials_cell(row):
    t = row["trials"]
    if row["tool"] == "pruned":
        cell = f"{t['started']}: {t['complete']} complete, {t['pruned']} pruned"
        extra = t.get("failed", 0)
        return cell + (f", {extra} failed" if extra else "")
    cell = f"{t['started']}: {t['complete']} complete"
    if t["cut"]:
        cell += f", {t['cut']} cut"
    if t.get("refused"):
        cell += f", {t['refused']} refused"
    if row["tool"] == "halving":
        its = row["halving"]["iterations"]
        cell += (
            " ("
            + ", ".join(f"{i['n_candidates']}x{i['n_resources']}ep" for i in its)
            + ")"
        )
    return cell


def _params_cell(params):
    """A candidate, short: the pipeline's parameters (PrunedSearchCV's, the
    preset's) or a flat estimator's, of either space."""
    family = params.get("family")
    p = {k.removeprefix("classifier__"): v for k, v in params.items()}
    if family is not None and not any(k.startswith("classifier__") for k in params):
        # a FlatAuto's: the chosen family's own, as auto_search_space names them
        named = {optuna_name(k): v for k, v in params.items()}
        p = {
            k.removeprefix(f"{family}_"): v
            for k, v in named.items()
            if k.startswith(f"{family}_")
        } | {"epochs": params["epochs"]}
    head = "" if family is None else f"{family} "  # the dense network's space: none
    if family in (None, "mlp"):
        if "hidden_layer_sizes" in p:
            units = list(p["hidden_layer_sizes"])
        else:
            units = [p[f"n_units_l{i}"] for i in range(p["n_layers"])]
        return (
            f"{head}{units} d={p['dropout']:.2f} lr={p['learning_rate']:.1e} "
            f"b={p['batch_size']} ep={p['epochs']}"
        )
    if family == "cnn":
        filters = list(p.get("filters") or (p["filters_b0"], p["filters_b1"]))
        return (
            f"{head}{filters} k={p['kernel_size']} dense={p['dense_units']} "
            f"d={p['dropout']:.2f} lr={p['learning_rate']:.1e} "
            f"b={p['batch_size']} ep={p['epochs']}"
        )
    from skmnist.models import PRESETS

    own = PRESETS[family].estimator_params()
    aug = p.get("augmentation")
    # a start trial's parameters hold only the names its space sampled first:
    # the others are the preset's own
    p = {**own, **p}
    if aug is None and own.get("shift_range"):  # scaled as auto_search_space does
        aug = p["shift_range"] / own["shift_range"]
    return (
        f"{head}lr={p['learning_rate']:.1e}"
        + ("" if aug is None else f" aug={aug:.2f}")
        + f" ep={p['epochs']}"
    )


def _score_cell(score):
    # None: no finished fit scored (halving's last rung cut by the budget: NaN)
    return "-" if score is None or score != score else f"{score:.4f}"


def _budget_cell(row):
    return "-" if row["budget_s"] is None else f"{row['budget_s']:g}"


def report(record):
    rows = record["rows"]
    m = record.get("machine", {})
    space = record.get("settings", {}).get("space", "mlp")  # older files: mlp
    print()
    print(
        f"Equal-budget search over the {space} space on {m.get('cpus', '?')} CPUs "
        f"({m.get('cpu', '?')}); versions: {m.get('versions', {})}"
    )
    print()
    print(
        "| tool | budget (s) | searched (s) | trials | epochs | best val acc "
        "| winner | refit (s) | test acc | load before/after |"
    )
    print("|---|---:|---:|---|---:|---:|---|---:|---:|---|")
    for row in rows:
        name = NAMES.get(row["tool"], row["tool"])
        budget = _budget_cell(row)
        if "error" in row:
            print(f"| {name} | {budget} | | failed: {row['error']} |||||||")
            continue
        load = (
            f"{row['machine_before']['load_average'][0]:.2f}/"
            f"{row['machine_after']['load_average'][0]:.2f}"
        )
        if row["tool"] == "preset":  # no search: its one fit in the refit column
            print(
                f"| {name} | {budget} | - | no search | - | - "
                f"| {_params_cell(row['best_params'])} | {row['fit_s']:.0f} "
                f"| {row['test_accuracy']:.4f} | {load} |"
            )
            continue
        print(
            f"| {name} | {budget} | {row['search_s']:.0f} "
            f"| {_trials_cell(row)} | {row['epochs_trained']} "
            f"| {_score_cell(row['best_val_score'])} "
            f"| {_params_cell(row['best_params'])} "
            f"| {row['refit_s']:.0f} | {row['test_accuracy']:.4f} | {load} |"
        )
    print()
    subset = record.get("settings", {}).get("subset")
    for line in goal_lines(rows, subset, space):
        print(line)


def goal_lines(rows, subset, space):
    ok = [r for r in rows if "error" not in r]
    lines = []
    if subset is not None:
        lines.append(
            f"(--subset {subset}: the goals are for full MNIST; shown for the record)"
        )
    # the preset searches nothing: PrunedSearchCV is to beat it at every budget
    presets = [r for r in ok if r["tool"] == "preset"]
    budgets = sorted({r["budget_s"] for r in ok if r["budget_s"] is not None})
    for budget in budgets:
        at = {r["tool"]: r for r in ok if r["budget_s"] == budget}
        others = [r for t, r in at.items() if t != "pruned"] + presets
        if "pruned" in at and others:
            ours = at["pruned"]["test_accuracy"]
            behind = [r for r in others if r["test_accuracy"] >= ours]
            verdict = "MET" if not behind else "NOT MET"
            listed = ", ".join(
                f"{NAMES[r['tool']]} {r['test_accuracy']:.4f}" for r in others
            )
            lines.append(
                f"Goal 'ahead of every other tool at {budget:g} s': {verdict} "
                f"(PrunedSearchCV {ours:.4f}; {listed})"
            )
        elif budget == budgets[0]:
            lines.append(
                f"Goal 'ahead of every other tool': not evaluated (needs rows of "
                f"PrunedSearchCV and another tool at {budget:g} s)"
            )
    for budget, target in GOALS[space].items():
        mine = [r for r in ok if r["tool"] == "pruned" and r["budget_s"] == budget]
        if not mine:
            lines.append(
                f"Goal '>= {target} at {budget} s': not evaluated (no PrunedSearchCV "
                f"row at {budget} s)"
            )
            continue
        acc = mine[-1]["test_accuracy"]
        verdict = "MET" if acc >= target else "NOT MET"
        lines.append(f"Goal '>= {target} at {budget} s': {verdict} ({acc:.4f})")
    for r in ok:
        if r.get("overrun_s", 0) > 0:  # the preset has no budget
            lines.append(
                f"{NAMES[r['tool']]} at {r['budget_s']:g} s searched "
                f"{r['overrun_s']:.1f} s past its budget (its last epoch)"
            )
    return lines


if __name__ == "__main__":
    sys.exit(main())
