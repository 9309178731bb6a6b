"""The search estimator: :class:`PrunedSearchCV`, its trial runner and folds.

Optuna is imported when a search starts, not with this module.
"""

import contextlib
import os
import socket
import time
import warnings
from copy import deepcopy
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, indexable

from skmnist._compat import (
    CallbackSupportMixin,
    HasMethods,
    Interval,
    StrOptions,
    _check_method_params,
    _check_multimetric_scoring,
    _fit_context,
    _MultimetricScorer,
    _safe_indexing,
    callback_root_context,
    get_tags,
    multimetric_scorers,
    pipeline_fit_params,
    routing_enabled,
)
from skmnist.search._results import (
    BEST_EPOCH_ATTR,
    ERROR_ATTR,
    FIT_TIME_ATTR,
    PRUNED_ATTR,
    SCORE_TIME_ATTR,
    SCORES_ATTR,
    START_ATTR,
    TEST_SCORES_ATTR,
    TRAIN_SCORES_ATTR,
    WORKER_ATTR,
    ProgressPrinter,
    cv_results,
)
from skmnist.search._spaces import (
    PARAMS_ATTR,
    candidate,
    check_distributions,
    encode_params,
    sample_params,
)
from skmnist.search._storage import (
    create_study,
    default_sampler,
    storage_errors,
)

__all__ = ["PrunedSearchCV"]


def _best_estimator_has(attr):
    # Like sklearn's BaseSearchCV: the refitted model, else the unfitted one.
    def check(self):
        if not self.refit:
            raise AttributeError(
                f"{attr!r} is unavailable with refit=False: no best_estimator_."
            )
        getattr(getattr(self, "best_estimator_", self.estimator), attr)
        return True

    return check


class PrunedSearchCV(CallbackSupportMixin, MetaEstimatorMixin, BaseEstimator):
    """Optuna search of a pipeline within a time budget, pruned after every epoch.

    Each trial samples parameters, then trains one copy of the estimator per
    validation split *in lockstep*: the leading pipeline steps are fitted
    once per split, then the final step advances one epoch at a time with
    ``partial_fit`` on every split. After each epoch the validation score,
    averaged over the splits, is reported to Optuna, and the pruner may stop the
    trial there. Unlike ``optuna_integration.OptunaSearchCV``, this prunes a
    :class:`~sklearn.pipeline.Pipeline` whose last step has ``partial_fit``
    (such as :func:`skmnist.make_mnist_pipeline`), and a bare classifier too.

    The number of epochs is not fixed by hand: every trial may train up to
    ``max_epochs``, the pruner decides how many it gets, and a trial scores
    its best epoch, whose count becomes the ``epochs`` of ``best_params_``.
    The first trial is the estimator as given (``try_estimator_first``), so
    the search never returns parameters that validate worse than it. A
    wall-clock ``timeout`` is the natural way to bound a search.

    Parameters
    ----------
    estimator : estimator or Pipeline
        Its final step needs ``partial_fit`` (one epoch per call) and an
        ``epochs`` parameter, the number of epochs each trial trains at most.
    param_distributions : dict or callable
        The space: a dict ``{parameter name: optuna distribution}`` using the
        estimator's parameter names, or a callable ``space(trial) -> dict`` of
        the estimator's parameters for conditional spaces, such as
        :func:`skmnist.mlp_search_space` (dense network) or
        :func:`skmnist.cnn_search_space` (convolutional network).
    n_trials : int, "auto" or None, default="auto"
        Trials this ``fit`` runs (in this process). ``"auto"`` runs until
        ``timeout`` if one is given, else 10 trials; ``None`` runs until
        ``timeout``.
    cv : "auto", float, int, cross-validation generator or iterable, \
            default="auto"
        How trials are validated. ``"auto"``: for more than 10,000 samples, one
        stratified hold-out split of 1/6 of them (10,000 of MNIST's 60,000
        training images), otherwise 3-fold cross-validation. On full MNIST a
        3-fold trial trains on 2.4 times as many images per epoch, so a budget
        runs 2.4 times fewer trials, for no better winner in the searches
        measured (see the user guide). A float in
        (0, 1): one stratified hold-out split of that fraction. The hold-out
        split is the same in every run and process, whatever
        ``random_state``, so the trials of a shared study compare. Anything
        else as in :func:`~sklearn.model_selection.check_cv`: an int means
        stratified folds for a classifier; any splitter, such as
        :class:`~sklearn.model_selection.GroupKFold` (``fit(..., groups=g)``)
        or a one-split ``ShuffleSplit`` for a hold-out split of your choice.
    max_epochs : int or None, default=None
        Epochs a trial may train at most; the pruner decides how many each
        trial gets. ``None`` means three times the estimator's ``epochs``
        (30 for the default pipeline), room for the search to find that
        longer training pays. A space that sets the final step's ``epochs``
        (a preset of :func:`skmnist.auto_search_space`) sets them for its
        trials, up to ``max_epochs``. A trial whose network has a
        learning-rate schedule (``learning_rate_schedule`` other than
        ``"constant"``) and no ``epochs`` from the space, such as the start
        trial of a preset, trains its own ``epochs``, the schedule's length:
        past it the rate stays at the schedule's final, tiny value.
    try_estimator_first : bool, default=True
        Run the estimator's own parameters (those the space would set) as the
        first trial of a new study, unsampled and never pruned, so that
        ``best_score_`` is at least its score. ``False`` samples every trial.
    scoring : str, callable, list, tuple, dict or None, default=None
        Validation score(s), greater is better, as ``GridSearchCV`` takes
        them: ``None`` uses the estimator's ``score`` (accuracy); a scorer
        name or callable is one scorer; a list or tuple of names, a dict
        ``{name: scorer}``, or a callable returning ``{name: score}`` are
        several, each computed for every trial, split and epoch and shown in
        ``cv_results_``. Optuna maximises and prunes on one of them: the one
        ``refit`` names (the first one when ``refit`` is ``False`` or a
        callable). A scorer that raises fails the trial (see
        ``error_score``).
    pruner : optuna.pruners.BasePruner or None, default=None
        ``None`` means asynchronous successive halving over epochs,
        ``optuna.pruners.SuccessiveHalvingPruner(min_resource=max(1,
        max_epochs // 5), reduction_factor=3)``, asked in the first third of
        ``max_epochs`` only: with 30 epochs, a trial goes on past its 7th epoch
        only while it is in the top third of the trials that reached it, and
        then trains to the end. (Optuna's
        ``HyperbandPruner`` would split the few trials of a short budget into
        brackets that the sampler learns from separately.)
        ``optuna.pruners.NopPruner()`` turns pruning off.
    sampler : optuna.samplers.BaseSampler or None, default=None
        ``None`` means ``optuna.samplers.TPESampler(seed=random_state)``.
    storage : str, optuna.storages.BaseStorage or None, default=None
        Where the study lives: ``None`` in memory, a database URL such as
        ``"sqlite:///search.db"`` or ``"postgresql://..."``, or a storage
        object such as ``optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend("search.log"))``. A URL
        is opened with :func:`skmnist.search.open_storage`'s defaults:
        reconnection after a database restart and, for server databases, a
        heartbeat that retries the trials of killed workers. Pass
        ``open_storage(url, ...)`` (or any storage object you configured) to
        choose otherwise.
    study_name : str or None, default=None
        Name of the study in ``storage``. An existing study of that name is
        resumed: ``fit`` adds ``n_trials`` trials to it.
    timeout : float or None, default=None
        Wall-clock budget of the trials, in seconds: no trial starts after
        it, and the running trial stops at the end of its current epoch
        (recorded as pruned). Trials are priced from their second epoch on
        (the first builds and traces the network): a trial (not the start
        trial) whose epochs left would not end within the time left, or that
        would take more than half of ``timeout`` in all, is pruned then, so no
        slow trial eats the budget. The refit comes after (``refit_time_``).
    refit : bool, str or callable, default=True
        Refit the best parameters on all of ``X`` with a plain ``fit`` (the
        best trial's epochs, no pruning) as ``best_estimator_``; needed by
        ``predict``. With several scorers, the name of the one that picks the
        best trial (otherwise ``ValueError``, as ``GridSearchCV``), or
        ``False``: then no ``best_*`` attributes. A callable takes
        ``cv_results_`` and returns the index of the best row, as in
        ``GridSearchCV`` (no ``best_score_`` then).
    ensemble : int or None, default=None
        Also keep the refitted networks of the ``ensemble`` best complete trials
        (``best_estimator_`` first, then the next ranks of the refit scorer, each
        set of parameters once) as one soft-voting classifier,
        ``best_ensemble_``: each is refitted on all of ``X`` after the search,
        so the refits take about ``ensemble`` times one refit. Needs ``refit``.
        ``None`` or 1: no ensemble. ``predict`` and ``score`` stay the single
        best estimator's; export the ensemble with
        :func:`skmnist.onnx.export_onnx` as one graph.
    error_score : "raise" or float, default=np.nan
        If a trial's fit (or scoring) fails: ``"raise"`` re-raises; a number
        warns with a :class:`~sklearn.exceptions.FitFailedWarning`, and the
        trial is a row of ``cv_results_`` with that number for every score
        (state ``"FAIL"``, ranked last), as in ``GridSearchCV``; Optuna records
        it as a failed trial whatever the number, so its sampler does not
        learn from it and it is never the best. If every trial of the ``fit``
        fails, ``fit`` raises ``ValueError``. Parameters the estimator itself
        rejects (unknown names, impossible values) always raise ``ValueError``
        before any training.
    return_train_score : bool, default=False
        Also score every split's training data after every epoch (a second
        scoring per epoch), as ``split<k>_train_<name>``, ``mean_train_<name>``
        and ``std_train_<name>`` in ``cv_results_``.
    random_state : int, RandomState instance or None, default=None
        Seed of the default sampler; ignored when ``sampler`` is given. Seed the
        estimator's own ``random_state`` for reproducible training.
    verbose : int, default=0
        0 silent; 1 prints a line per finished trial (number, state, score,
        epochs, time, parameters); 2 also shows Optuna's own log.

    Attributes
    ----------
    study_ : optuna.study.Study
        The study, with every trial of every ``fit`` and process, and the raw
        Optuna parameters (``study_.best_params``).
    best_params_ : dict
        The estimator parameters of the best complete trial, ready for
        ``estimator.set_params(**best_params_)``, with the final step's
        ``epochs`` set to the trial's best epoch count (with several scorers,
        only when ``refit`` names one, or is a callable).
    best_score_ : float
        Its mean validation score at that epoch, of the refit scorer.
    best_index_ : int
        Its row in ``cv_results_``.
    best_trial_ : optuna.trial.FrozenTrial
        The best complete trial.
    best_estimator_ : estimator
        The estimator refitted with ``best_params_`` on all of ``X``
        (``refit=True`` only).
    cv_results_ : dict of numpy arrays
        ``GridSearchCV``'s layout, one row per complete, pruned or failed
        (fit error) trial of the study in trial order: ``params``,
        ``param_<name>``, ``split<i>_test_score``, ``mean_test_score``,
        ``std_test_score``, ``rank_test_score`` (``_<scorer name>`` instead of
        ``_score`` for several scorers), ``split<i>_train_...``,
        ``mean_train_...``, ``std_train_...`` with ``return_train_score``,
        ``mean_fit_time``, ``std_fit_time``, ``mean_score_time``,
        ``std_score_time``, plus ``trial_number``, ``state`` and ``n_epochs``
        (epochs trained). A trial shows its scores at its best epoch (by the
        refit scorer), whose count is the ``epochs`` of its ``params``; a
        pruned trial ranks after every complete trial, a failed one after
        both. Trials of killed processes are left out; they stay in
        ``study_``.
    n_trials_ : int
        Rows of ``cv_results_``: complete, pruned and failed trials in the
        study (all fits and processes).
    n_splits_ : int
        Number of validation splits (1 for a hold-out split).
    refit_time_ : float
        Seconds spent refitting the best estimator.
    best_ensemble_ : sklearn.ensemble.VotingClassifier
        With ``ensemble``: the refitted estimators of the best complete trials
        (each in a :class:`~sklearn.frozen.FrozenEstimator`, named
        ``"trial_<number>"``), soft voting: the mean of their probabilities.
        Fewer than ``ensemble`` if fewer trials completed (with a warning).
    ensemble_refit_time_ : float
        Seconds spent refitting the ensemble's other members.
    scorer_ : callable or dict
        The scorer used for validation and by ``score``; for several scorers
        (a list, tuple or dict ``scoring``), the dict ``{name: scorer}``, as
        ``GridSearchCV``'s.
    multimetric_ : bool
        Whether several scores were computed (for a callable ``scoring``:
        whether it returned a dict).

    See Also
    --------
    skmnist.mlp_search_space : A conditional space for the dense network.
    skmnist.cnn_search_space : A space for the convolutional network.
    sklearn.model_selection.GridSearchCV : Exhaustive search, no pruning.
    optuna_integration.OptunaSearchCV : Optuna search; cannot prune pipelines.

    Notes
    -----
    **Resuming and parallel search.** Completed trials are written to
    ``storage`` as each finishes, so an interrupted search (Ctrl-C, a kill)
    loses at most its running trial; run ``fit`` again with the same
    ``storage`` and ``study_name`` to continue. To search in parallel, start the
    same search in several processes, on one machine with a journal file or
    SQLite storage, across machines with an RDB server such as PostgreSQL; each
    process runs ``n_trials`` trials. Each trial records the ``"host:pid"``
    that ran it in its ``"worker"`` user attribute. With a heartbeat storage
    (see :func:`open_storage`) the running trial of a killed worker is marked
    failed and queued again, to be run by the next worker that starts a trial.
    Give each process its own ``random_state`` (or ``None``), otherwise their
    samplers propose the same parameters. From the command line, for example,
    run ``skmnist search --storage search.log --random-state 1`` in one shell
    and the same with ``--random-state 2`` in another. Keras models are not
    thread-safe to train side by side, hence no ``n_jobs``.

    **Callbacks** (scikit-learn >= 1.9). The search supports scikit-learn's
    callbacks (``set_callbacks``), as ``GridSearchCV`` does, and passes the
    auto-propagated ones (``ProgressBar``) down to its trials. Its task tree:
    the fit, then ``"search"`` (one subtask per trial of this ``fit``) and
    ``"refit"``; each ``"trial"`` has one ``"fold"`` per validation split, and
    each fold one ``"epoch"`` per ``partial_fit`` of its final step, the task
    a skmnist classifier reports. A ``ScoringMonitor`` set on the classifier
    (every clone keeps it) thus logs one row per trial, fold and epoch (scored
    on the fold's training data), then the refit's epochs, in one run. A
    callback whose ``on_fit_task_end`` returns true for a trial's task ends
    the search after that trial (the refit follows).

    **Metadata** (``sample_weight``, ``groups``), as ``GridSearchCV``: with
    ``sklearn.set_config(enable_metadata_routing=True)``, ``fit``'s metadata
    goes where it is requested (``estimator.set_fit_request(sample_weight=
    True)``, ``scorer.set_score_request(...)``; ``groups`` to a group
    splitter): each split gets its rows of it, every epoch's ``partial_fit``
    of the final step gets the final step's, the leading steps of a pipeline
    theirs, and the refit all of it. Without routing, ``groups`` goes to the
    splitter and the rest to the estimator's fit. With ``X_val``, scorer
    metadata is refused (it is given for the rows of ``X``).

    **Time budget.** With a ``timeout``, a trial (other than the estimator as
    given) whose epochs left, at the pace of its last epoch, would not end
    before the budget is pruned at once: trials of different families differ
    up to tenfold in cost, and one that cannot complete would only take the
    rest of the budget from cheaper ones.

    Each fold keeps its transformed training data in memory for the length of
    a trial. For a pipeline, ``partial_fit`` of the final step must train one
    epoch, and ``fit(epochs=n)`` should equal ``n`` calls of ``partial_fit`` --
    as for :class:`skmnist.KerasMLPClassifier` -- for the pruned scores to be
    the ones the refitted model reaches.

    Examples
    --------
    >>> import optuna
    >>> from sklearn.datasets import load_digits
    >>> from skmnist import KerasMLPClassifier, PrunedSearchCV
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = KerasMLPClassifier((16,), epochs=2, learning_rate=0.01, random_state=0)
    >>> space = {"dropout": optuna.distributions.FloatDistribution(0.0, 0.5)}
    >>> search = PrunedSearchCV(clf, space, n_trials=2, cv=2, random_state=0)
    >>> search.fit(X[:400] / 16, y[:400]).n_trials_
    2
    >>> sorted(search.best_params_), len(search.cv_results_["mean_test_score"])
    (['dropout', 'epochs'], 2)
    >>> search.cv_results_["params"][0]["dropout"]  # the first trial: clf's own
    0.2
    >>> search.predict(X[400:403] / 16).shape
    (3,)

    Several scorers, train scores, the winner picked by one of them:

    >>> search = PrunedSearchCV(
    ...     clf, space, n_trials=2, cv=2, random_state=0,
    ...     scoring=["accuracy", "balanced_accuracy"], refit="balanced_accuracy",
    ...     return_train_score=True,
    ... ).fit(X[:400] / 16, y[:400])
    >>> search.multimetric_, sorted(search.scorer_)
    (True, ['accuracy', 'balanced_accuracy'])
    >>> "mean_train_accuracy" in search.cv_results_
    True
    >>> bool(search.best_score_ == search.cv_results_[
    ...     "mean_test_balanced_accuracy"][search.best_index_])
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"])],
        "param_distributions": [dict, callable],
        "n_trials": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
            None,
        ],
        "cv": [
            "cv_object",
            StrOptions({"auto"}),
            Interval(Real, 0, 1, closed="neither"),
        ],
        "max_epochs": [Interval(Integral, 1, None, closed="left"), None],
        "try_estimator_first": ["boolean"],
        "scoring": [
            StrOptions(set(get_scorer_names())),
            callable,
            list,
            tuple,
            dict,
            None,
        ],
        "pruner": [HasMethods(["prune"]), None],
        "sampler": [HasMethods(["sample_relative", "sample_independent"]), None],
        "storage": [str, HasMethods(["create_new_study"]), None],
        "study_name": [str, None],
        "timeout": [Interval(Real, 0, None, closed="neither"), None],
        "refit": ["boolean", str, callable],
        "ensemble": [Interval(Integral, 1, None, closed="left"), None],
        "error_score": [StrOptions({"raise"}), Real],
        "return_train_score": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_trials="auto",
        cv="auto",
        max_epochs=None,
        try_estimator_first=True,
        scoring=None,
        pruner=None,
        sampler=None,
        storage=None,
        study_name=None,
        timeout=None,
        refit=True,
        ensemble=None,
        error_score=np.nan,
        return_train_score=False,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        self.cv = cv
        self.max_epochs = max_epochs
        self.try_estimator_first = try_estimator_first
        self.scoring = scoring
        self.pruner = pruner
        self.sampler = sampler
        self.storage = storage
        self.study_name = study_name
        self.timeout = timeout
        self.refit = refit
        self.ensemble = ensemble
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        sub = get_tags(self.estimator)
        tags.estimator_type = sub.estimator_type
        tags.classifier_tags = deepcopy(sub.classifier_tags)
        tags.regressor_tags = deepcopy(sub.regressor_tags)
        tags.input_tags.sparse = sub.input_tags.sparse
        return tags

    # --- fitting ---------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, *, X_val=None, y_val=None, **params):
        """Run pruned trials until ``n_trials`` or ``timeout``, then refit the best.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Training data, as the estimator takes it (images for the MNIST
            pipeline).
        y : array-like of shape (n_samples,)
            Target labels.
        X_val : array-like of shape (n_val_samples, ...), default=None
            A hold-out set of your own, as the estimator takes it (a pipeline
            prepares it with each trial's fitted leading steps). When given,
            every trial trains on all of ``X`` and is scored on ``X_val``,
            ``y_val`` after every epoch, instead of on ``cv``'s splits (leave
            ``cv`` at ``"auto"``); the refit trains on ``X`` alone: the
            hold-out set is never trained on.
        y_val : array-like of shape (n_val_samples,), default=None
            Its labels.
        **params : dict
            Metadata, as ``GridSearchCV.fit`` takes it. With scikit-learn's
            metadata routing enabled (``sklearn.set_config(
            enable_metadata_routing=True)``), each parameter goes where it is
            requested: ``sample_weight`` to the estimator's fit (every trial's
            training, each split's rows of it, and the refit) and to the
            scorers that request it, ``groups`` to a splitter such as
            :class:`~sklearn.model_selection.GroupKFold`. Without routing,
            ``groups`` goes to the splitter and everything else to the
            estimator's fit (``classifier__sample_weight`` for a pipeline).

        Returns
        -------
        self : PrunedSearchCV
            The fitted search.
        """
        import optuna

        n_trials = self.n_trials
        if n_trials == "auto":
            n_trials = 10 if self.timeout is None else None
        if n_trials is None and self.timeout is None:
            raise ValueError("set n_trials or timeout, or the search never ends.")
        if (self.ensemble or 1) > 1 and not self.refit:
            raise ValueError(
                f"ensemble={self.ensemble} keeps the refitted networks of the best "
                "trials, but refit=False refits none; set refit (to the scorer "
                "that ranks them) or leave ensemble=None"
            )
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        X, y = indexable(X, y)
        final_name, final = _final_step(self.estimator)
        max_epochs = self.max_epochs or 3 * final.get_params()["epochs"]
        scoring = _Scoring(self)
        routed = self._routed_params(params)
        holdout = self._holdout(X_val, y_val)
        if holdout is None:
            splits = self._splits(X, y, routed.splitter.split)
        else:
            if routed.scorer.score:
                raise ValueError(
                    f"scorer metadata {sorted(routed.scorer.score)} cannot score "
                    "X_val: it is given for the rows of X. Score the hold-out set "
                    "without it, or validate on cv's splits of X instead of X_val."
                )
            splits = [(np.arange(len(X)), None)]
        self.n_splits_ = len(splits)
        root = callback_root_context(self, max_subtasks=1 + bool(self.refit))
        root.call_on_fit_task_begin(estimator=self, X=X, y=y)
        with _optuna_logging(optuna, self.verbose):
            names = self._check_space(optuna)
            start = self._start_params(names)
            run = _TrialRunner(self, X, y, splits, max_epochs, final_name, start)
            run.deadline, run.holdout, run.scoring = deadline, holdout, scoring
            run.fit_params, run.score_params = routed.estimator.fit, routed.scorer.score
            run.callback_ctx = root.subcontext(
                task_name="search", max_subtasks=n_trials
            ).call_on_fit_task_begin(estimator=self)
            self.study_ = self._load_study(optuna, max_epochs)
            with storage_errors(self.study_):
                if self.try_estimator_first:
                    _enqueue_start(optuna, self.study_)
                self.study_.optimize(
                    run,
                    n_trials=n_trials,
                    timeout=self.timeout,
                    callbacks=self._trial_callbacks(max_epochs),
                    gc_after_trial=True,  # frees the fold models between trials
                )
            run.callback_ctx.call_on_fit_task_end(estimator=self)
        run.check_failures()
        self.multimetric_ = scoring.multimetric
        self._metric = scoring.metric or "score"
        self.scorer_ = scoring.scorer_
        self._collect_results(optuna, scoring)
        if self.refit:
            start = time.perf_counter()
            self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_)
            refit = root.subcontext(task_name="refit")
            with refit.propagate_callback_context(self.best_estimator_):
                refit.call_on_fit_task_begin(estimator=self, X=X, y=y)
                self.best_estimator_.fit(X, y, **routed.estimator.fit)
                refit.call_on_fit_task_end(estimator=self, X=X, y=y)
            self.refit_time_ = time.perf_counter() - start
            if (self.ensemble or 1) > 1:
                start = time.perf_counter()
                self.best_ensemble_ = self._fit_ensemble(X, y, routed.estimator.fit)
                self.ensemble_refit_time_ = time.perf_counter() - start
        root.call_on_fit_task_end(estimator=self, X=X, y=y)
        return self

    def _fit_ensemble(self, X, y, fit_params):
        """The soft vote of the best estimator and the next best complete trials'
        estimators, each refitted on all of ``X``."""
        from sklearn.ensemble import VotingClassifier
        from sklearn.frozen import FrozenEstimator

        results = self.cv_results_
        ranks = results[f"rank_test_{self._metric}"]
        complete = np.flatnonzero(results["state"] == "COMPLETE")
        order = [self.best_index_] + [
            i for i in complete[np.argsort(ranks[complete], kind="stable")]
        ]
        chosen, seen = [], set()
        for index in order:
            key = repr(sorted(results["params"][index].items()))
            if key not in seen:  # a retried or repeated trial: its first row
                seen.add(key)
                chosen.append(index)
            if len(chosen) == self.ensemble:
                break
        if len(chosen) < self.ensemble:
            warnings.warn(
                f"ensemble={self.ensemble}, but only {len(chosen)} complete trials "
                f"with distinct parameters: best_ensemble_ has {len(chosen)} "
                "members; run more trials for more",
                UserWarning,
                stacklevel=3,
            )
        members = [self.best_estimator_]
        for index in chosen[1:]:
            member = clone(self.estimator).set_params(**results["params"][index])
            members.append(member.fit(X, y, **fit_params))
        voters = [
            (f"trial_{results['trial_number'][index]}", FrozenEstimator(member))
            for index, member in zip(chosen, members, strict=True)
        ]
        # frozen: fit trains nothing, it only learns the labels (le_, classes_)
        return VotingClassifier(voters, voting="soft").fit(X, y)

    def _routed_params(self, params):
        """``params`` routed to the estimator's fit, the scorers and the splitter.

        As ``GridSearchCV``: by metadata routing when it is enabled; without it,
        ``groups`` to the splitter and the rest to the estimator's fit.
        """
        if routing_enabled():
            return process_routing(self, "fit", **params)
        params = dict(params)
        groups = params.pop("groups", None)
        return Bunch(
            estimator=Bunch(fit=params),
            splitter=Bunch(split={"groups": groups}),
            scorer=Bunch(score={}),
        )

    def get_metadata_routing(self):
        """Get the metadata routing of this search (as ``GridSearchCV``'s).

        ``fit`` routes metadata to the estimator's ``fit``, to the scorers
        (``score``) and to the splitter (``split``); ``score`` to the scorers.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
            The routing information.
        """
        router = MetadataRouter(owner=self.__class__.__name__)
        router.add(
            estimator=self.estimator,
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )
        router.add(
            scorer=_Scoring(self).scorers,
            method_mapping=MethodMapping()
            .add(caller="score", callee="score")
            .add(caller="fit", callee="score"),
        )
        router.add(
            splitter=self._splitter(n_samples=0, y=None),
            method_mapping=MethodMapping().add(caller="fit", callee="split"),
        )
        return router

    def _holdout(self, X_val, y_val):
        """``(X_val, y_val)`` of a user's hold-out set, or None; halves refused."""
        if X_val is None and y_val is None:
            return None
        if X_val is None or y_val is None:
            given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
            raise ValueError(
                f"{given} was given without {missing}: a hold-out set needs both."
            )
        if not (isinstance(self.cv, str) and self.cv == "auto"):
            raise ValueError(
                f"cv={self.cv!r} and X_val were both given: trials are validated "
                "either on cv's splits or on your hold-out set. Leave cv at 'auto' "
                "to use X_val, or leave X_val out."
            )
        X_val, y_val = indexable(X_val, y_val)
        if len(X_val) != len(y_val):
            raise ValueError(
                f"X_val has {len(X_val)} samples but y_val has {len(y_val)} labels."
            )
        return X_val, y_val

    def _splitter(self, n_samples, y):
        cv = self.cv
        if isinstance(cv, str):  # "auto", measured on MNIST: see the user guide
            cv = 1 / 6 if n_samples > _AUTO_HOLDOUT_ABOVE else 3
        if isinstance(cv, Real) and 0 < cv < 1:
            cv = _holdout_split(cv, classifier=is_classifier(self.estimator))
        return check_cv(cv, y, classifier=is_classifier(self.estimator))

    def _splits(self, X, y, split_params=None):
        return list(self._splitter(len(X), y).split(X, y, **(split_params or {})))

    def _check_space(self, optuna):
        # A dry run on a scratch in-memory study: a space that names unknown
        # parameters or gives values the estimator rejects fails here, before
        # any training and before a failed trial reaches the real storage.
        # Returns the names the space sets.
        space = self.param_distributions
        if isinstance(space, dict):
            check_distributions(space)
        scratch = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
        _, params = _checked_candidate(self.estimator, space, scratch.ask())
        return list(params)

    def _start_params(self, names):
        """The estimator's own values of the parameters the space sets.

        A routed builder argument the estimator does not set (``model__units``
        left to the builder's default) is left out: the builder's default is the
        estimator as given.
        """
        own = self.estimator.get_params(deep=True)
        return {name: own[name] for name in names if name in own}

    def _load_study(self, optuna, max_epochs):
        study = create_study(
            optuna,
            storage=self.storage,
            study_name=self.study_name,
            sampler=(
                default_sampler(optuna, self.random_state)
                if self.sampler is None
                else self.sampler
            ),
            pruner=_default_pruner(optuna, max_epochs)
            if self.pruner is None
            else self.pruner,
        )
        if study.direction != optuna.study.StudyDirection.MAXIMIZE:
            raise ValueError(
                f"study {study.study_name!r} minimizes; PrunedSearchCV maximizes "
                "scores: use another study_name."
            )
        return study

    def _trial_callbacks(self, n_epochs):
        # Retrying the trials of killed workers is the storage's job (heartbeat
        # and stale-trial callback, see open_storage), not a trial callback's.
        return [ProgressPrinter(n_epochs)] if self.verbose else []

    def _collect_results(self, optuna, scoring):
        states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
        trials = [
            t
            for t in self.study_.get_trials(deepcopy=False)
            if PARAMS_ATTR in t.user_attrs
            # failed fits are rows with error_score, as in GridSearchCV; trials
            # of killed workers (no error recorded) are not
            and (t.state in states or ERROR_ATTR in t.user_attrs)
        ]
        self.n_trials_ = len(trials)
        complete = [t for t in trials if t.state == states[0]]
        if not complete:
            failed = sum(t.state.name == "FAIL" for t in trials)
            counts = f"{len(trials) - failed} pruned" + (
                f", {failed} failed" if failed else ""
            )
            raise ValueError(
                f"no trial of study {self.study_.study_name!r} completed "
                f"({counts}): lower the pruner's threshold or run more trials."
            )
        self.cv_results_ = cv_results(
            trials,
            self.n_splits_,
            names=scoring.names,
            metric=self._metric,
            return_train_score=self.return_train_score,
        )
        # as GridSearchCV: best_* for one scorer, or for the one refit names
        if not (self.refit or not self.multimetric_):
            return
        if callable(self.refit):
            index = self.refit(self.cv_results_)
            if not isinstance(index, Integral):
                raise TypeError(
                    f"refit={self.refit!r} returned {index!r}: it must return the "
                    "index of a row of cv_results_, an integer."
                )
            if not 0 <= index < self.n_trials_:
                raise IndexError(
                    f"refit={self.refit!r} returned {index}, out of the "
                    f"{self.n_trials_} rows of cv_results_."
                )
            self.best_index_ = int(index)
        else:
            ranks = self.cv_results_[f"rank_test_{self._metric}"]
            self.best_index_ = int(ranks.argmin())
        number = self.cv_results_["trial_number"][self.best_index_]
        self.best_trial_ = next(t for t in trials if t.number == number)
        self.best_params_ = self.cv_results_["params"][self.best_index_]
        if not callable(self.refit):
            self.best_score_ = float(self.best_trial_.value)

    # --- pictures of the search (Optuna's matplotlib plots) ----------------------
    def plot_optimization_history(self, **kwargs):
        """Optuna's optimisation history of the study: score per trial, best so far.

        Same as :func:`skmnist.search.plot_optimization_history` (``self``);
        ``kwargs`` go to Optuna's function.

        Returns
        -------
        ax : matplotlib.axes.Axes
            The plot.
        """
        from skmnist.search._plots import plot_optimization_history

        return plot_optimization_history(self, **kwargs)

    def plot_param_importances(self, *, evaluator=None, **kwargs):
        """Optuna's parameter importances of the study (fANOVA, seeded).

        Same as :func:`skmnist.search.plot_param_importances` (``self``).

        Parameters
        ----------
        evaluator : optuna.importance.BaseImportanceEvaluator or None, default=None
            ``None`` means ``FanovaImportanceEvaluator(seed=0)``.
        **kwargs
            Passed to Optuna's function.

        Returns
        -------
        ax : matplotlib.axes.Axes
            The plot.
        """
        from skmnist.search._plots import plot_param_importances

        return plot_param_importances(self, evaluator=evaluator, **kwargs)

    def plot_intermediate_values(self, **kwargs):
        """Optuna's learning curves: every trial's validation score per epoch.

        Same as :func:`skmnist.search.plot_intermediate_values` (``self``);
        pruned trials stop where the pruner stopped them.

        Returns
        -------
        ax : matplotlib.axes.Axes
            The plot.
        """
        from skmnist.search._plots import plot_intermediate_values

        return plot_intermediate_values(self, **kwargs)

    def save_plots(self, directory):
        """Save the three plots as PNG files in ``directory``.

        Same as :func:`skmnist.search.save_search_plots` (``self``), which
        ``skmnist search --plots DIR`` calls.

        Parameters
        ----------
        directory : str or path-like
            Created if missing.

        Returns
        -------
        paths : dict
            ``{name: Path}`` of the files written.
        """
        from skmnist.search._plots import save_search_plots

        return save_search_plots(self, directory)

    # --- delegation to the best estimator ---------------------------------------
    @property
    def classes_(self):
        """Class labels of the best estimator (``refit=True`` only)."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.classes_

    @available_if(_best_estimator_has("predict"))
    def predict(self, X):
        """Predict with the best estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions of ``best_estimator_``.
        """
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict(X)

    @available_if(_best_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the best estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_proba(X)

    @available_if(_best_estimator_has("score"))
    def score(self, X, y=None, **params):
        """Score of the best estimator with ``scorer_`` (the refit scorer's).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Samples.
        y : array-like of shape (n_samples,)
            True targets.
        **params : dict
            Metadata for the scorer, such as ``sample_weight``; only with
            metadata routing enabled, as ``GridSearchCV.score``.

        Returns
        -------
        score : float
            ``scorer_(best_estimator_, X, y)``, or ``scorer_[refit](...)`` for
            several scorers.
        """
        check_is_fitted(self, "best_estimator_")
        if routing_enabled():
            params = process_routing(self, "score", **params).scorer.score
        elif params:
            raise ValueError(
                f"score got {sorted(params)}: passing metadata to score needs "
                "metadata routing; call sklearn.set_config("
                "enable_metadata_routing=True) first."
            )
        if isinstance(self.scorer_, dict):
            scorer = self.scorer_[self._metric] if self.multimetric_ else self.scorer_
            return scorer(self.best_estimator_, X, y, **params)
        score = self.scorer_(self.best_estimator_, X, y, **params)
        return score[self._metric] if self.multimetric_ else score


# --- one trial ------------------------------------------------------------------
class _TrialRunner:
    """The Optuna objective: validates one trial's parameters, epoch by epoch.

    A trial scores its best epoch (the mean over the splits); that epoch count
    is stored with its parameters, so the refit trains as long as the best
    moment of the trial.
    """

    def __init__(self, search, X, y, splits, max_epochs, final_name, start_params):
        self.search, self.X, self.y = search, X, y
        self.splits, self.max_epochs = splits, max_epochs
        self.epochs_key = f"{final_name}__epochs" if final_name else "epochs"
        self.start_params = start_params
        self.classes = np.unique(y) if is_classifier(search.estimator) else None
        self.deadline = None  # time.monotonic() after which trials stop
        self.holdout = None  # the user's (X_val, y_val): the test side of every fold
        self.callback_ctx = None  # the search's task: one subtask per trial
        self.scoring = None  # _Scoring: {name: score} of a fold, the metric
        self.fit_params, self.score_params = {}, {}  # routed metadata, all rows
        self.n_run, self.errors = 0, []

    def __call__(self, trial):
        self.n_run += 1
        is_start = bool(trial.user_attrs.get(START_ATTR))
        estimator, params = self._sample(trial, is_start)
        n_epochs = self._epochs(estimator, params)
        task = _TrialTasks(self.callback_ctx, self.search, len(self.splits), n_epochs)
        try:
            return self._run(trial, is_start, estimator, params, n_epochs, task)
        finally:
            if task.end():
                trial.study.stop()  # a callback asked: no further trial

    def _epochs(self, estimator, params):
        """The epochs a trial trains at most: the space's ``epochs`` if it sets
        them, else the length of the candidate's learning-rate schedule if it
        has one (past it, training goes on at the schedule's final, tiny rate),
        else ``max_epochs``; never more than ``max_epochs``."""
        epochs = params.get(self.epochs_key)
        if epochs is None:
            own = _final_step(estimator)[1].get_params()
            if own.get("learning_rate_schedule", "constant") != "constant":
                epochs = own.get("epochs")
        return min(epochs or self.max_epochs, self.max_epochs)

    def _run(self, trial, is_start, estimator, params, n_epochs, task):
        began = time.monotonic()
        try:
            folds = [self._start_fold(estimator, *split) for split in self.splits]
        except _SearchError:
            raise
        except Exception as exc:
            return self._fit_failed(trial, exc)
        task.folds = folds
        best = -np.inf
        train = self.search.return_train_score
        for epoch in range(n_epochs):
            started = time.monotonic()
            try:
                _train_epoch(folds, self.scoring, self.classes, epoch, task, train)
            except _SearchError:
                raise
            except Exception as exc:
                return self._fit_failed(trial, exc)
            mean = _report(trial, folds, epoch, self.scoring.metric)
            if mean > best or epoch == 0:  # the first epoch may score nan
                best = mean
                _keep_best(trial, folds, params, self.epochs_key, epoch, self.scoring)
            if epoch == n_epochs - 1:
                break  # nothing left to save: the trial is complete
            if self.deadline is not None:
                now, left = time.monotonic(), n_epochs - 1 - epoch
                if now >= self.deadline:
                    raise _pruned(trial, f"time budget spent after epoch {epoch}")
                # Priced from the second epoch (the first builds and traces the
                # model); the estimator as given is never priced out.
                if epoch >= 1 and not is_start:
                    self._price(trial, epoch, now - started, left, now - began, now)
            # the estimator as given is never pruned: the search cannot end below it
            if not is_start and trial.should_prune():
                raise _pruned(trial, f"mean score {mean:.4f} after epoch {epoch}")
        return best

    def _price(self, trial, epoch, epoch_s, left, spent, now):
        """Prune a trial its pace says the budget cannot afford."""
        took = f"(epoch {epoch} took {epoch_s:.1f} s)"
        # A trial that cannot complete in the time left would only end pruned
        # at the deadline, having taken the rest of the budget from cheaper
        # trials (families differ tenfold in cost).
        if epoch_s * left > self.deadline - now:
            raise _pruned(
                trial, f"its {left} epochs left would not end within the budget {took}"
            )
        # Nor may one trial take most of the budget, however much is left: a
        # 10-minute search across families let one plain CNN spend 371 s of it,
        # and ended below the recipe it never tried.
        cost = spent + epoch_s * left
        if cost > TRIAL_SHARE * self.search.timeout:
            raise _pruned(
                trial,
                f"it would take {cost:.0f} s, more than {TRIAL_SHARE:.0%} of the "
                f"{self.search.timeout:g} s budget {took}",
            )

    def _sample(self, trial, is_start):
        if is_start:  # the estimator as given, nothing sampled
            params = dict(self.start_params)
            estimator = candidate(self.search.estimator, params)
        else:
            # Also checked per trial: a callable space may misbehave only sometimes.
            estimator, params = _checked_candidate(
                self.search.estimator, self.search.param_distributions, trial
            )
        trial.set_user_attr(PARAMS_ATTR, encode_params(params))
        trial.set_user_attr(WORKER_ATTR, f"{socket.gethostname()}:{os.getpid()}")
        return estimator, params

    def _start_fold(self, estimator, train, test):
        start = time.perf_counter()
        estimator = clone(estimator)
        X_train, y_train = _safe_indexing(self.X, train), _safe_indexing(self.y, train)
        # each split's rows of the metadata, as GridSearchCV indexes them
        fit_params = _check_method_params(self.X, self.fit_params, indices=train)
        train_score_params = _check_method_params(
            self.X, self.score_params, indices=train
        )
        if test is None:  # the user's hold-out set (no scorer metadata: see fit)
            X_test, y_test = self.holdout
            test_score_params = {}
        else:
            X_test, y_test = _safe_indexing(self.X, test), _safe_indexing(self.y, test)
            test_score_params = _check_method_params(
                self.X, self.score_params, indices=test
            )
        if isinstance(estimator, Pipeline):
            # the leading steps are fitted here, the final one epoch by epoch:
            # each gets the metadata Pipeline.fit would give it
            routed = pipeline_fit_params(estimator, fit_params)
            for name, step in estimator.steps[:-1]:
                if step is None or step == "passthrough":
                    continue
                X_train = _fit_transform_step(step, X_train, y_train, routed[name])
            X_test = estimator[:-1].transform(X_test)
            final_name, final = estimator.steps[-1]
            fit_params = routed[final_name]["fit"]
        else:
            final = estimator
        fold = _Fold(
            final, X_train, y_train, X_test, y_test, time.perf_counter() - start
        )
        fold.fit_params = fit_params
        fold.score_params = {"test": test_score_params, "train": train_score_params}
        return fold

    def _fit_failed(self, trial, exc):
        error_score = self.search.error_score
        if error_score == "raise":
            raise exc
        self.errors.append(f"trial {trial.number}: {type(exc).__name__}: {exc}")
        warnings.warn(
            f"Trial {trial.number} failed; its score is set to {error_score}. "
            f"{type(exc).__name__}: {exc}",
            FitFailedWarning,
            stacklevel=2,
        )
        trial.set_user_attr(ERROR_ATTR, f"{type(exc).__name__}: {exc}")
        # GridSearchCV's row of a failed fit: error_score for every score
        errors = [float(error_score)] * len(self.splits)
        names = self.scoring.names or ["score"]  # a callable never called: "score"
        trial.set_user_attr(SCORES_ATTR, errors)
        trial.set_user_attr(TEST_SCORES_ATTR, {name: errors for name in names})
        if self.search.return_train_score:
            trial.set_user_attr(TRAIN_SCORES_ATTR, {name: errors for name in names})
        # nan, whatever error_score: Optuna records a failed trial, which its
        # sampler does not learn from and which never becomes the best
        return float("nan")

    def check_failures(self):
        if self.n_run and len(self.errors) == self.n_run:
            raise ValueError(
                f"all {self.n_run} trials failed; the first: {self.errors[0]}"
            )


def _train_epoch(folds, scoring, classes, epoch, task, train_scores):
    for index, fold in enumerate(folds):
        with task.epoch(index, fold):
            fold.advance(classes if epoch == 0 else None)  # classes: once
        fold.evaluate(scoring, train_scores)


def _fit_transform_step(step, X, y, params):
    """One leading pipeline step fitted as ``Pipeline.fit`` fits it."""
    if hasattr(step, "fit_transform"):
        return step.fit_transform(X, y, **params.get("fit_transform", {}))
    return step.fit(X, y, **params.get("fit", {})).transform(X)


class _TrialTasks:
    """One trial's tasks for scikit-learn's callbacks: the trial, its folds, epochs.

    Each fold's epoch is a leaf whose context is propagated to the fold's final
    step for its ``partial_fit``: a skmnist classifier reports that epoch (and
    a ``ScoringMonitor`` scores it) as its own fit task. Folds advance in
    lockstep, so their tasks are open side by side until the trial ends
    (complete, pruned or failed).
    """

    def __init__(self, search_ctx, search, n_folds, n_epochs):
        self.search, self.folds = search, []
        self.trial = None
        if search_ctx is None:
            return
        self.trial = search_ctx.subcontext(
            task_name="trial", max_subtasks=n_folds
        ).call_on_fit_task_begin(estimator=search)
        self.fold_ctxs = [
            self.trial.subcontext(task_name="fold", max_subtasks=n_epochs)
            for _ in range(n_folds)
        ]
        for context in self.fold_ctxs:
            context.call_on_fit_task_begin(estimator=search)

    @contextlib.contextmanager
    def epoch(self, index, fold):
        if self.trial is None:
            yield
            return
        context = self.fold_ctxs[index].subcontext(task_name="epoch")
        data = {"X": fold.X_train, "y": fold.y_train}
        with context.propagate_callback_context(fold.estimator):
            context.call_on_fit_task_begin(estimator=self.search, **data)
            yield
            context.call_on_fit_task_end(estimator=self.search, **data)

    def end(self):
        """End the folds' and the trial's tasks; whether a callback asks to stop."""
        if self.trial is None:
            return False
        for context in self.fold_ctxs:
            context.call_on_fit_task_end(estimator=self.search)
        return bool(self.trial.call_on_fit_task_end(estimator=self.search))


def _report(trial, folds, epoch, metric):
    """Store the folds' times on the trial, report their mean ``metric`` score."""
    trial.set_user_attr(FIT_TIME_ATTR, [fold.fit_time for fold in folds])
    trial.set_user_attr(SCORE_TIME_ATTR, [fold.score_time for fold in folds])
    mean = float(np.mean([fold.test_scores[metric] for fold in folds]))
    trial.report(mean, epoch)
    return mean


def _keep_best(trial, folds, params, epochs_key, epoch, scoring):
    """Store the scores of the trial's best epoch, and that epoch in its params."""
    trial.set_user_attr(
        SCORES_ATTR, [fold.test_scores[scoring.metric] for fold in folds]
    )
    trial.set_user_attr(TEST_SCORES_ATTR, _by_name(folds, "test_scores"))
    if folds[0].train_scores is not None:
        trial.set_user_attr(TRAIN_SCORES_ATTR, _by_name(folds, "train_scores"))
    trial.set_user_attr(BEST_EPOCH_ATTR, epoch + 1)
    trial.set_user_attr(PARAMS_ATTR, encode_params({**params, epochs_key: epoch + 1}))


def _by_name(folds, attr):
    """``{scorer name: [score of each fold]}``."""
    return {
        name: [getattr(fold, attr)[name] for fold in folds]
        for name in getattr(folds[0], attr)
    }


class _Fold:
    """One fold of a trial: the final step, its data, its scores and timings."""

    def __init__(self, estimator, X_train, y_train, X_test, y_test, fit_time):
        self.estimator = estimator
        self.X_train, self.y_train = X_train, y_train
        self.X_test, self.y_test = X_test, y_test
        self.fit_time, self.score_time = fit_time, 0.0
        self.fit_params = {}  # the final step's: each partial_fit gets them
        self.score_params = {"test": {}, "train": {}}
        self.test_scores, self.train_scores = {}, None  # {scorer name: score}

    def advance(self, classes):
        start = time.perf_counter()
        kwargs = {} if classes is None else {"classes": classes}
        self.estimator.partial_fit(
            self.X_train, self.y_train, **kwargs, **self.fit_params
        )
        self.fit_time += time.perf_counter() - start

    def evaluate(self, scoring, train_scores=False):
        start = time.perf_counter()
        self.test_scores = scoring(
            self.estimator, self.X_test, self.y_test, self.score_params["test"]
        )
        self.score_time = time.perf_counter() - start  # test scoring only, as sklearn
        if train_scores:
            self.train_scores = scoring(
                self.estimator, self.X_train, self.y_train, self.score_params["train"]
            )


class _SearchError(ValueError):
    """A mistake of the search's own settings found in a trial: not a failed fit."""


class _Scoring:
    """The scorers of ``scoring`` and the one of ``refit``, as ``GridSearchCV``'s.

    Called on a fold's estimator, it gives ``{name: score}`` (``{"score": s}`` for
    one scorer). ``metric`` is the name Optuna maximises and prunes on:
    ``"score"`` for one scorer; for several, the one ``refit`` names, else (refit
    ``False`` or a callable) the first. A callable ``scoring`` tells whether it
    gives several scores at its first call only.
    """

    def __init__(self, search):
        self.refit = search.refit
        scoring = search.scoring
        self.metric, self.names, self.multimetric = "score", ["score"], False
        if callable(scoring):
            self.scorers = scoring
            self.metric = self.names = None  # known at the first call
        elif scoring is None or isinstance(scoring, str):
            self.scorers = check_scoring(search.estimator, scoring)
        else:
            scorers = _check_multimetric_scoring(search.estimator, scoring)
            _check_refit_for_multimetric(self.refit, scorers)
            self._several(list(scorers))
            # one prediction serves every scorer; a scorer's error fails the trial
            self.scorers = _MultimetricScorer(scorers=scorers, raise_exc=True)

    def _several(self, names):
        self.multimetric, self.names = True, names
        self.metric = self.refit if isinstance(self.refit, str) else names[0]

    @property
    def scorer_(self):
        """What ``GridSearchCV.scorer_`` holds: a dict for several scorers."""
        if isinstance(self.scorers, _MultimetricScorer):
            return multimetric_scorers(self.scorers)
        return self.scorers

    def __call__(self, estimator, X, y, params):
        scores = self.scorers(estimator, X, y, **params)
        if self.metric is None:  # a callable's first scores
            if isinstance(scores, dict):
                try:
                    _check_refit_for_multimetric(self.refit, scores)
                except ValueError as exc:
                    raise _SearchError(str(exc)) from None
                self._several(list(scores))
            else:
                self.metric, self.names = "score", ["score"]
        if not isinstance(scores, dict):
            scores = {"score": scores}
        return {name: float(value) for name, value in scores.items()}


def _check_refit_for_multimetric(refit, scores):
    """GridSearchCV's check (and message) of ``refit`` for several scorers."""
    valid_refit_dict = isinstance(refit, str) and refit in scores
    if refit is not False and not valid_refit_dict and not callable(refit):
        raise ValueError(
            "For multi-metric scoring, the parameter refit must be set to a "
            "scorer key or a callable to refit an estimator with the best "
            "parameter setting on the whole data and make the best_* "
            "attributes available for that metric. If this is not needed, "
            f"refit should be set to False explicitly. {refit!r} was "
            "passed."
        )


# --- helpers --------------------------------------------------------------------
def _checked_candidate(estimator, space, trial):
    """The trial's parameters and the estimator with them, or a ``ValueError``.

    A bad space is the search's error, not the trial's: ``error_score`` does not
    apply, as sklearn raises on bad parameters before any fit.
    """
    try:
        params = sample_params(trial, space)
        return candidate(estimator, params), params
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the search space gave invalid parameters: {exc}") from exc


def _final_step(estimator):
    """The final step's name (``None`` for a bare estimator) and the step."""
    if isinstance(estimator, Pipeline):
        name, final = estimator.steps[-1]
    else:
        name, final = None, estimator
    if not hasattr(final, "partial_fit") or "epochs" not in final.get_params():
        raise ValueError(
            f"PrunedSearchCV needs a final estimator with partial_fit and an 'epochs' "
            f"parameter, got {type(final).__name__}; search it with GridSearchCV or "
            "optuna_integration.OptunaSearchCV instead."
        )
    return name, final


# With a timeout, no trial but the start trial may take more than this share of
# it: one trial then cannot eat the budget (a 10-minute search across families
# let a plain CNN take 371 s and never reached the recipe that wins)
TRIAL_SHARE = 0.5

# Above this many samples, cv="auto" validates on one hold-out split: on full
# MNIST a 3-fold trial costs 2.4 times the images of a hold-out trial per epoch.
_AUTO_HOLDOUT_ABOVE = 10_000


def _holdout_split(fraction, *, classifier):
    """One (stratified for a classifier) hold-out split, the same in every run."""
    splitter = StratifiedShuffleSplit if classifier else ShuffleSplit
    return splitter(n_splits=1, test_size=fraction, random_state=0)


def _pruned(trial, why):
    """Optuna's TrialPruned, with its reason kept on the trial (the progress line
    and ``study_`` show it; Optuna's own log line does not)."""
    import optuna

    trial.set_user_attr(PRUNED_ATTR, why)
    return optuna.TrialPruned(why)


def _enqueue_start(optuna, study):
    """Queue the estimator-as-given trial, once per study (resumed: not again)."""
    if any(t.user_attrs.get(START_ATTR) for t in study.get_trials(deepcopy=False)):
        return
    study.enqueue_trial({}, user_attrs={START_ATTR: True})


def _default_pruner(optuna, max_epochs):
    from skmnist.search._pruners import FirstRungsPruner

    return FirstRungsPruner(max_epochs)


@contextlib.contextmanager
def _optuna_logging(optuna, verbose):
    # Optuna logs every trial at INFO level: quiet unless asked, then restored.
    previous = optuna.logging.get_verbosity()
    if verbose < 2:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(previous)
