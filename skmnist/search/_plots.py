"""Pictures of a fitted :class:`~skmnist.PrunedSearchCV`, drawn by Optuna's own
matplotlib plots: the optimisation history, the parameter importances and every
trial's learning curve (pruned trials included), and all three saved as PNG files.

Neither Optuna nor matplotlib is imported with this module, only when a plot is
drawn. Optuna's matplotlib plots are experimental: their
``optuna.exceptions.ExperimentalWarning`` is silenced here, and the ``ggplot``
style they switch on globally is kept to their own figures.
"""

import contextlib
import math
import warnings
from pathlib import Path

from sklearn.utils.validation import check_is_fitted

from skmnist._io import atomic_path

__all__ = [
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_param_importances",
    "save_search_plots",
]

SCORE_LABEL = "Mean validation score"


def plot_optimization_history(search, **kwargs):
    """Plot the score of every complete trial and the best score so far.

    Draws :func:`optuna.visualization.matplotlib.plot_optimization_history` of
    the search's ``study_``: one point per complete trial, in trial order, and
    the line of the best score up to each trial.

    Parameters
    ----------
    search : PrunedSearchCV
        A fitted search.
    **kwargs
        Passed to Optuna's function (``target``, ``target_name``,
        ``error_bar``); ``target_name`` defaults to
        ``"Mean validation score"``.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The plot, on a new figure (``ax.figure``), not shown nor saved.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the search is not fitted.

    See Also
    --------
    plot_intermediate_values : Every trial epoch by epoch, pruned ones included.
    save_search_plots : The three plots as PNG files.

    Notes
    -----
    Pruned trials have no final score, so Optuna leaves them out of this plot;
    their partial learning curves are in :func:`plot_intermediate_values`. A
    study shared by several processes or resumed shows all of its trials.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import optuna
    >>> from sklearn.datasets import load_digits
    >>> from skmnist import KerasMLPClassifier, PrunedSearchCV
    >>> from skmnist.search import plot_optimization_history
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = KerasMLPClassifier((16,), epochs=2, learning_rate=0.01, random_state=0)
    >>> space = {"learning_rate": optuna.distributions.FloatDistribution(
    ...     1e-3, 1e-1, log=True)}
    >>> search = PrunedSearchCV(clf, space, n_trials=3, cv=2, refit=False,
    ...                         random_state=0).fit(X[:300] / 16, y[:300])
    >>> ax = plot_optimization_history(search)
    >>> ax.get_ylabel()
    'Mean validation score'
    >>> complete = [t for t in search.study_.trials if t.state.name == "COMPLETE"]
    >>> len(ax.collections[0].get_offsets()) == len(complete)  # a point for each
    True
    >>> plt.close(ax.figure)
    """
    study = _study(search)
    kwargs.setdefault("target_name", SCORE_LABEL)
    with _optuna_plots() as optuna:
        ax = optuna.visualization.matplotlib.plot_optimization_history(study, **kwargs)
    _integer_ticks(ax)
    return ax


def plot_param_importances(search, *, evaluator=None, **kwargs):
    """Plot how much each searched parameter mattered to the score.

    Draws :func:`optuna.visualization.matplotlib.plot_param_importances` over
    the complete trials that sampled parameters: one horizontal bar per Optuna
    parameter (such as ``n_layers`` or ``dropout``), the importances summing
    to 1. The first trial of a search, the estimator's own parameters, is left
    out: it sampled nothing.

    Parameters
    ----------
    search : PrunedSearchCV
        A fitted search.
    evaluator : optuna.importance.BaseImportanceEvaluator, default=None
        How importances are assessed. ``None`` means
        ``optuna.importance.FanovaImportanceEvaluator(seed=0)``, so the same
        trials always give the same picture. It assesses only the parameters
        present in every complete trial; to rank conditional parameters too
        (``n_units_l1`` of :func:`skmnist.mlp_search_space`), pass
        ``optuna.importance.PedAnovaImportanceEvaluator()``.
    **kwargs
        Passed to Optuna's function (``params``, ``target``, ``target_name``);
        ``target_name`` defaults to ``"Mean validation score"``.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The plot, on a new figure (``ax.figure``), not shown nor saved.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the search is not fitted.
    ValueError
        If importances cannot be assessed: fewer than 2 complete trials with
        sampled parameters, no parameter that took different values, scores
        all equal, or no parameter common to the trials for ``evaluator``.

    See Also
    --------
    optuna.importance.get_param_importances : The numbers behind the bars.

    Notes
    -----
    Optuna assesses importances on complete trials only: pruned trials, however
    many, do not count. With few trials the importances are rough; they are
    worth a look after a few tens of trials.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import optuna
    >>> from sklearn.datasets import load_digits
    >>> from skmnist import KerasMLPClassifier, PrunedSearchCV
    >>> from skmnist.search import plot_param_importances
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = KerasMLPClassifier((16,), epochs=2, learning_rate=0.01, random_state=0)
    >>> space = {
    ...     "learning_rate": optuna.distributions.FloatDistribution(
    ...         1e-3, 1e-1, log=True),
    ...     "batch_size": optuna.distributions.CategoricalDistribution([32, 128]),
    ... }
    >>> search = PrunedSearchCV(clf, space, n_trials=4, cv=2, refit=False,
    ...                         pruner=optuna.pruners.NopPruner(),
    ...                         random_state=0).fit(X[:300] / 16, y[:300])
    >>> ax = plot_param_importances(search)
    >>> sorted(label.get_text() for label in ax.get_yticklabels())
    ['batch_size', 'learning_rate']
    >>> plt.close(ax.figure)
    """
    study = _study(search)
    kwargs.setdefault("target_name", SCORE_LABEL)
    with _optuna_plots() as optuna:
        if evaluator is None:
            evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
        sampled = _sampled_study(optuna, study, kwargs.get("target"))
        n_trials = len(sampled.trials)
        # with nothing to assess Optuna draws no bar, then warns it has no legend
        warnings.filterwarnings("ignore", "No artists with labels", UserWarning)
        try:
            ax = optuna.visualization.matplotlib.plot_param_importances(
                sampled, evaluator=evaluator, **kwargs
            )
        except RuntimeError as exc:  # fANOVA: "zero total variance in all trees"
            raise ValueError(
                f"Optuna could not assess parameter importances over the "
                f"{n_trials} complete trials ({exc}): run more trials."
            ) from exc
    # unlike its other plots, Optuna lays this one out once, before the labels
    # of long parameter names are known: re-laid out at every draw instead
    ax.figure.set_layout_engine("tight")
    if not ax.patches:
        import matplotlib.pyplot as plt

        plt.close(ax.figure)
        raise ValueError(
            f"no parameter is in every one of the {n_trials} complete trials, "
            f"and {type(evaluator).__name__} assesses only those: pass "
            "evaluator=optuna.importance.PedAnovaImportanceEvaluator() to assess "
            "conditional parameters, or params=[...] to choose them."
        )
    return ax


def plot_intermediate_values(search, **kwargs):
    """Plot every trial's learning curve: its validation score after each epoch.

    Draws :func:`optuna.visualization.matplotlib.plot_intermediate_values` of
    the search's ``study_``: one line per complete, pruned or running trial,
    the score averaged over the validation splits after each epoch (Optuna's
    step 0 is the first epoch). A pruned trial's line stops at the epoch it
    was stopped; here its line is also dotted and its legend entry reads
    ``"Trial<n> (pruned)"``.

    Parameters
    ----------
    search : PrunedSearchCV
        A fitted search.
    **kwargs
        Passed to Optuna's function (which takes none today).

    Returns
    -------
    ax : matplotlib.axes.Axes
        The plot, on a new figure (``ax.figure``), not shown nor saved.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the search is not fitted.
    ValueError
        If no trial of the study reported a score per epoch.

    See Also
    --------
    plot_optimization_history : The final score of each complete trial.

    Notes
    -----
    Optuna colours the lines with the 20 colours of ``tab20`` in trial order,
    so in longer searches colours repeat; the legend names every trial.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import optuna
    >>> from sklearn.datasets import load_digits
    >>> from skmnist import KerasMLPClassifier, PrunedSearchCV
    >>> from skmnist.search import plot_intermediate_values
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = KerasMLPClassifier((16,), epochs=2, learning_rate=0.01, random_state=0)
    >>> space = {"learning_rate": optuna.distributions.FloatDistribution(
    ...     1e-3, 1e-1, log=True)}
    >>> search = PrunedSearchCV(clf, space, n_trials=3, cv=2, refit=False,
    ...                         random_state=0).fit(X[:300] / 16, y[:300])
    >>> ax = plot_intermediate_values(search)
    >>> len(ax.lines)  # one learning curve per trial
    3
    >>> plt.close(ax.figure)
    """
    study = _study(search)
    with _optuna_plots() as optuna:
        ax = optuna.visualization.matplotlib.plot_intermediate_values(study, **kwargs)
        if not ax.lines:
            import matplotlib.pyplot as plt

            plt.close(ax.figure)
            raise ValueError(
                f"no trial of study {study.study_name!r} reported a score per "
                "epoch: there are no learning curves to draw."
            )
        _mark_pruned(optuna, ax, study)
    ax.set_xlabel("Epoch (step 0 is the first)")
    ax.set_ylabel(SCORE_LABEL)
    _integer_ticks(ax)
    return ax


def save_search_plots(search, directory):
    """Save the history, importances and learning curves of a search as PNG files.

    Writes ``history.png`` (:func:`plot_optimization_history`),
    ``importances.png`` (:func:`plot_param_importances`) and
    ``learning_curves.png`` (:func:`plot_intermediate_values`) into
    ``directory``, each file all at once (a reader never sees half a file)
    and each figure closed once saved. A plot that cannot be drawn, such as
    importances after a single complete trial, is skipped with a warning.

    Parameters
    ----------
    search : PrunedSearchCV
        A fitted search.
    directory : str or path-like
        Where to write; created if missing. Files of the same names are
        replaced.

    Returns
    -------
    paths : dict of pathlib.Path
        ``{"history": ..., "importances": ..., "learning_curves": ...}``, the
        files written; a skipped plot is absent.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the search is not fitted.

    Warns
    -----
    UserWarning
        For each plot skipped, saying why.

    See Also
    --------
    plot_optimization_history, plot_param_importances, plot_intermediate_values
        The three plots, as matplotlib Axes.

    Examples
    --------
    >>> import tempfile
    >>> import optuna
    >>> from sklearn.datasets import load_digits
    >>> from skmnist import KerasMLPClassifier, PrunedSearchCV
    >>> from skmnist.search import save_search_plots
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = KerasMLPClassifier((16,), epochs=2, learning_rate=0.01, random_state=0)
    >>> space = {"learning_rate": optuna.distributions.FloatDistribution(
    ...     1e-3, 1e-1, log=True)}
    >>> search = PrunedSearchCV(clf, space, n_trials=3, cv=2, refit=False,
    ...                         pruner=optuna.pruners.NopPruner(),
    ...                         random_state=0).fit(X[:300] / 16, y[:300])
    >>> paths = save_search_plots(search, tempfile.mkdtemp())
    >>> sorted(path.name for path in paths.values())
    ['history.png', 'importances.png', 'learning_curves.png']
    """
    check_is_fitted(search, "study_")
    import matplotlib.pyplot as plt

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    plots = {
        "history": ("history.png", plot_optimization_history),
        "importances": ("importances.png", plot_param_importances),
        "learning_curves": ("learning_curves.png", plot_intermediate_values),
    }
    written = {}
    with plt.ioff():  # no window flashes up in an interactive session
        for name, (file_name, plot) in plots.items():
            path = directory / file_name
            try:
                ax = plot(search)
            except ValueError as exc:
                warnings.warn(f"{path.name} not written: {exc}", stacklevel=2)
                continue
            try:
                with atomic_path(path, suffix=".png") as tmp:
                    # Optuna puts some legends right of the axes: keep them in
                    ax.figure.savefig(tmp, format="png", bbox_inches="tight")
            finally:
                plt.close(ax.figure)
            written[name] = path
    return written


# --- helpers --------------------------------------------------------------------
def _study(search):
    check_is_fitted(search, "study_")
    return search.study_


@contextlib.contextmanager
def _optuna_plots():
    """Optuna, with its plots' ExperimentalWarning, log and global style contained.

    Optuna's matplotlib functions call ``plt.style.use("ggplot")``, which would
    restyle every later figure of the session; the rc context undoes it once
    the figure is drawn (the figure keeps the style).
    """
    import matplotlib
    import optuna

    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings(), matplotlib.rc_context():
            warnings.filterwarnings(
                "ignore", category=optuna.exceptions.ExperimentalWarning
            )
            yield optuna
    finally:
        optuna.logging.set_verbosity(previous)


def _sampled_study(optuna, study, target):
    """An in-memory copy of ``study`` with its complete, sampled, finite trials.

    fANOVA (and mean decrease impurity) assess the parameters present in *all*
    complete trials, so the unsampled first trial (no Optuna parameters) would
    leave them nothing to assess. Raises ``ValueError`` when no importance can be
    assessed.
    """
    trials = [
        trial
        for trial in study.get_trials(
            deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)
        )
        if trial.params
        and math.isfinite(trial.value if target is None else target(trial))
    ]
    if len(trials) < 2:
        raise ValueError(
            f"parameter importances need at least 2 complete trials with sampled "
            f"parameters, study {study.study_name!r} has {len(trials)}: run more "
            "trials (fit again with a storage to add to the study), or prune less "
            "(pruned trials do not count)."
        )
    values = {}
    for trial in trials:
        for name, value in trial.params.items():
            values.setdefault(name, set()).add(repr(value))
    if all(len(seen) < 2 for seen in values.values()):
        raise ValueError(
            f"no parameter took different values in the {len(trials)} complete "
            f"trials of study {study.study_name!r}, so none can matter more than "
            "another: search ranges rather than fixed values, or run more trials."
        )
    scores = {trial.value if target is None else target(trial) for trial in trials}
    if len(scores) < 2:
        raise ValueError(
            f"the {len(trials)} complete trials of study {study.study_name!r} all "
            f"scored {scores.pop()}, so no parameter made a difference: train "
            "longer (more epochs) or run more trials."
        )
    sampled = optuna.create_study(directions=study.directions)
    sampled.add_trials(trials)
    return sampled


def _mark_pruned(optuna, ax, study):
    """Dot the pruned trials' lines and say so in their legend entries."""
    pruned = {
        f"Trial{trial.number}"
        for trial in study.get_trials(
            deepcopy=False, states=(optuna.trial.TrialState.PRUNED,)
        )
    }
    marked = False
    for line in ax.lines:
        if line.get_label() in pruned:
            line.set_linestyle(":")
            line.set_label(f"{line.get_label()} (pruned)")
            marked = True
    legend = ax.get_legend()
    if marked and legend is not None:  # redrawn with the new labels, in place
        ax.legend(bbox_to_anchor=(1.05, 1), loc="upper left", borderaxespad=0.0)


def _integer_ticks(ax):
    """Trial numbers and epochs are whole: no tick at 0.5."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
