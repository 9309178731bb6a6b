"""What a search reports: ``cv_results_`` and ranks from trials, and progress lines.

The trial user attributes named here are written by the trial runner
(:mod:`skmnist.search._estimator`) after every epoch, so pruned trials keep them too,
and read back here.
"""

import warnings

import numpy as np
from scipy.stats import rankdata

from skmnist.search._spaces import PARAMS_ATTR, decode_params

# trial user attributes, written after every epoch so pruned trials keep them too
SCORES_ATTR = "split_scores"  # per fold, at the trial's best epoch (refit scorer)
TEST_SCORES_ATTR = "split_test_scores"  # {scorer: per fold}, at the best epoch
TRAIN_SCORES_ATTR = "split_train_scores"  # the same on the training folds
FIT_TIME_ATTR = "split_fit_times"  # per fold, seconds, leading steps included
SCORE_TIME_ATTR = "split_score_times"  # per fold, seconds, last scoring only
ERROR_ATTR = "error"  # why the fit failed, with a numeric error_score
WORKER_ATTR = "worker"  # "host:pid" of the process that ran the trial
BEST_EPOCH_ATTR = "best_epoch"  # epochs trained at the trial's best score
START_ATTR = "start"  # True on the trial of the estimator as given (unsampled)
PRUNED_ATTR = "pruned"  # why the trial was pruned, in words


class ProgressPrinter:
    """Optuna callback: one line per finished trial."""

    def __init__(self, n_epochs):
        self.n_epochs = n_epochs

    def __call__(self, study, trial):
        value = "nan" if trial.value is None else f"{trial.value:.4f}"
        seconds = trial.duration.total_seconds() if trial.duration else float("nan")
        params = decode_params(trial.user_attrs.get(PARAMS_ATTR, {}))
        shown = ", ".join(
            f"{name.rsplit('__', 1)[-1]}={_short(value)}"
            for name, value in params.items()
        )
        start = " (the estimator as given)" if trial.user_attrs.get(START_ATTR) else ""
        why = trial.user_attrs.get(PRUNED_ATTR)
        why = f"; pruned: {why}" if why else ""
        print(
            f"[trial {trial.number:>3}] {trial.state.name:<8} score={value} "
            f"epochs={len(trial.intermediate_values)}/{self.n_epochs} "
            f"{seconds:6.1f}s  {shown}{start}{why}",
            flush=True,
        )


def _short(value):
    return f"{value:.3g}" if isinstance(value, float) else repr(value)


def cv_results(
    trials, n_splits, *, names=None, metric="score", return_train_score=False
):
    """sklearn's ``cv_results_`` from finished trials.

    ``names`` are the scorers' (``["score"]`` for one; ``None``: those the trials
    stored); ``metric`` the one Optuna maximised. Trials of an older study, which
    stored that metric's scores only, show them under ``metric``.
    """
    params = [decode_params(t.user_attrs[PARAMS_ATTR]) for t in trials]
    fit_times, score_times = (
        np.array([_padded(t.user_attrs.get(attr), n_splits) for t in trials])
        for attr in (FIT_TIME_ATTR, SCORE_TIME_ATTR)
    )
    if names is None:
        names = list(
            dict.fromkeys(
                name for t in trials for name in t.user_attrs.get(TEST_SCORES_ATTR, {})
            )
        ) or [metric]
    complete = np.array([t.state.name == "COMPLETE" for t in trials])
    failed = np.array([t.state.name == "FAIL" for t in trials])
    with warnings.catch_warnings():  # all-nan rows of failed trials
        warnings.simplefilter("ignore", RuntimeWarning)
        results = {
            "trial_number": np.array([t.number for t in trials]),
            "state": np.array([t.state.name for t in trials], dtype=object),
            "n_epochs": np.array([len(t.intermediate_values) for t in trials]),
            "mean_fit_time": np.nanmean(fit_times, axis=1),
            "std_fit_time": np.nanstd(fit_times, axis=1),
            "mean_score_time": np.nanmean(score_times, axis=1),
            "std_score_time": np.nanstd(score_times, axis=1),
        }
    for name in sorted({name for p in params for name in p}):
        column = np.ma.MaskedArray(np.empty(len(trials), dtype=object), mask=True)
        for i, p in enumerate(params):
            if name in p:
                column[i] = p[name]
        results[f"param_{name}"] = column
    results["params"] = params
    # GridSearchCV's names: "_score" for one scorer, "_<name>" for several
    sets = ["test", "train"] if return_train_score else ["test"]
    for name in names:
        for kind in sets:
            attr = TEST_SCORES_ATTR if kind == "test" else TRAIN_SCORES_ATTR
            rows = [_scores(t, attr, name, metric, kind) for t in trials]
            scores = np.array([_padded(row, n_splits) for row in rows])
            scores = scores.reshape(len(trials), n_splits)
            for i in range(n_splits):
                results[f"split{i}_{kind}_{name}"] = scores[:, i]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(scores, axis=1)
            results[f"mean_{kind}_{name}"] = mean
            results[f"std_{kind}_{name}"] = np.std(scores, axis=1)
            if kind == "test":
                results[f"rank_test_{name}"] = _rank(mean, complete, failed)
    return results


def _scores(trial, attr, name, metric, kind):
    """A trial's per-fold scores of one scorer (None if it stored none)."""
    stored = trial.user_attrs.get(attr)
    if stored is not None:
        return stored.get(name)
    if kind == "test" and name == metric:  # a trial of an older skmnist
        return trial.user_attrs.get(SCORES_ATTR)
    return None


def _padded(values, n):
    values = list(values or [])[:n]
    return [float(v) for v in values] + [np.nan] * (n - len(values))


def _rank(scores, complete, failed):
    """Rank 1 is best; complete trials first, then pruned, then failed ones; nan
    last in each group."""
    ranks = np.zeros(len(scores), dtype=np.int32)
    keys = np.where(np.isnan(scores), np.inf, -scores)
    pruned = ~complete & ~failed
    start = 0
    for group in (complete, pruned, failed):
        if group.any():
            ranks[group] = rankdata(keys[group], method="min").astype(np.int32) + start
        start += int(group.sum())
    return ranks
