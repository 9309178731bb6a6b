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
SCORES_ATTR = "split_scores"  # per fold, at the trial's best epoch
FIT_TIME_ATTR = "split_fit_times"  # per fold, seconds, leading steps included
SCORE_TIME_ATTR = "split_score_times"  # per fold, seconds, last scoring only
ERROR_ATTR = "error"  # why the fit failed, with a numeric error_score
WORKER_ATTR = "worker"  # "host:pid" of the process that ran the trial
BEST_EPOCH_ATTR = "best_epoch"  # epochs trained at the trial's best score
START_ATTR = "start"  # True on the trial of the estimator as given (unsampled)


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
        print(
            f"[trial {trial.number:>3}] {trial.state.name:<8} score={value} "
            f"epochs={len(trial.intermediate_values)}/{self.n_epochs} "
            f"{seconds:6.1f}s  {shown}{start}",
            flush=True,
        )


def _short(value):
    return f"{value:.3g}" if isinstance(value, float) else repr(value)


def cv_results(trials, n_splits):
    """sklearn's ``cv_results_`` from finished trials."""
    params = [decode_params(t.user_attrs[PARAMS_ATTR]) for t in trials]
    scores, fit_times, score_times = (
        np.array([_padded(t.user_attrs.get(attr), n_splits) for t in trials])
        for attr in (SCORES_ATTR, FIT_TIME_ATTR, SCORE_TIME_ATTR)
    )
    complete = np.array([t.state.name == "COMPLETE" for t in trials])
    with warnings.catch_warnings():  # all-nan rows of failed trials
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(scores, axis=1) if scores.size else np.array([])
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
    for i in range(n_splits):
        results[f"split{i}_test_score"] = scores[:, i]
    results["mean_test_score"] = mean
    results["std_test_score"] = np.std(scores, axis=1)
    results["rank_test_score"] = _rank(mean, complete)
    return results


def _padded(values, n):
    values = list(values or [])[:n]
    return [float(v) for v in values] + [np.nan] * (n - len(values))


def _rank(scores, complete):
    """Rank 1 is best; complete trials first, then pruned ones; nan last."""
    ranks = np.zeros(len(scores), dtype=np.int32)
    keys = np.where(np.isnan(scores), np.inf, -scores)
    offset = int(complete.sum())
    for group, start in ((complete, 0), (~complete, offset)):
        if group.any():
            ranks[group] = rankdata(keys[group], method="min").astype(np.int32) + start
    return ranks
