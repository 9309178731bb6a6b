"""Search the MNIST network's hyperparameters with Optuna within a time budget,
pruning unpromising trials after every epoch (skmnist.PrunedSearchCV over the
--model family's search space: skmnist.mlp_search_space, skmnist.cnn_search_space
with --model cnn, or skmnist.training_search_space for your own network, given as
--model MODULE:FUNCTION; --model auto searches every family and preset at once
with skmnist.auto_search_space).

By default it searches all 60,000 training images for 10 minutes, validating on one
stratified hold-out split of 10,000 of them; the first trial is the default network,
every trial may train up to 30 epochs and the pruner decides how many it gets.

With --storage the study is saved as it goes: re-run the same command to continue it
(an interrupted run loses only its running trial), or run it in several processes at
once to search in parallel (give each its own --random-state). With a database URL,
workers on many machines share the study; a heartbeat (--heartbeat) lets the others
retry the trial of a worker that died, and workers reconnect when the database
restarts."""

import argparse

from skmnist.commands._common import (
    AUTO_MODEL,
    add_data_arguments,
    add_model_argument,
    load_data,
    model_family,
    positive_float,
    positive_int,
    stratified_subset,
)

NAME = "search"
HELP = "search layer sizes, dropout, learning rate and batch size with pruning"

DEFAULT_TIMEOUT = 600.0  # seconds, when neither --n-trials nor --timeout is given
DEFAULT_STUDY_NAME = "skmnist-search"
# --model auto's start trial: the recipe that wins a plain fit of 5 minutes
AUTO_START = "cnn-strong"


def cv_argument(text):
    """argparse type for --cv: 'auto', a number of folds >= 2, or a fraction."""
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is not None and 0 < value < 1:
        return value
    if value is not None and value.is_integer() and value >= 2:
        return int(value)
    raise argparse.ArgumentTypeError(
        f"expected 'auto', a number of folds >= 2 or a hold-out fraction between 0 "
        f"and 1, got {text!r}"
    )


def add_arguments(parser):
    add_model_argument(parser, "search")
    parser.add_argument(
        "--n-trials",
        type=positive_int,
        default=None,
        help="trials to run (default: as many as --timeout allows)",
    )
    parser.add_argument(
        "--timeout",
        type=positive_float,
        default=None,
        metavar="SECONDS",
        help="time budget of the trials: none starts after it and the running one "
        f"stops at its next epoch (default: {DEFAULT_TIMEOUT:.0f} without "
        "--n-trials, else none); the refit comes after",
    )
    parser.add_argument(
        "--storage",
        metavar="URL|FILE",
        help="database URL (sqlite:///search.db, postgresql://...) or journal file "
        "path (search.log) to save the study in; default: memory only",
    )
    parser.add_argument(
        "--heartbeat",
        type=int,
        default=None,
        metavar="SECONDS",
        help="database storages: record a heartbeat of the running trial this often; "
        "a trial silent for the grace period (its worker died) is failed and run "
        "again (default: 60 for server databases, off for SQLite; 0 turns it off)",
    )
    parser.add_argument(
        "--grace-period",
        type=positive_int,
        default=None,
        metavar="SECONDS",
        help="seconds without a heartbeat before a trial counts as dead "
        "(default: twice --heartbeat)",
    )
    parser.add_argument(
        "--max-retry",
        type=int,
        default=3,
        metavar="N",
        help="times a dead trial is run again (default: %(default)s)",
    )
    parser.add_argument(
        "--study-name",
        metavar="NAME",
        help=f"study to create or continue (default with --storage: "
        f"{DEFAULT_STUDY_NAME})",
    )
    parser.add_argument(
        "--subset",
        type=positive_int,
        default=None,
        metavar="N",
        help="search a stratified sample of N training images, the same in every "
        "run (default: all of them, the data the refit trains on)",
    )
    parser.add_argument(
        "--cv",
        type=cv_argument,
        default="auto",
        metavar="auto|K|FRACTION",
        help="validation: K folds, or one stratified hold-out split of FRACTION "
        "(default: auto, a 1/6 hold-out above 10,000 images, else 3 folds)",
    )
    parser.add_argument(
        "--max-epochs",
        "--epochs",
        dest="epochs",
        type=positive_int,
        default=None,
        help="epochs a trial may train; the pruner decides how many it gets "
        "(default: 3 x the network's 10 epochs)",
    )
    parser.add_argument(
        "--no-start-trial",
        action="store_true",
        help="sample the first trial too, instead of trying the default network "
        f"(with --model auto: {AUTO_START}; with the --set values) first",
    )
    parser.add_argument(
        "--plots",
        metavar="DIR",
        help="save Optuna's plots of the search (history, parameter importances, "
        "learning curves) as PNG files in DIR",
    )
    parser.add_argument(
        "--max-layers",
        type=int,
        default=2,
        metavar="N",
        help="mlp: most hidden layers to try (default: 2)",
    )
    parser.add_argument(
        "--set",
        dest="fixed",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="fix a pipeline parameter in every trial, over the search space "
        "(e.g. classifier__activation='tanh'); repeatable",
    )
    parser.add_argument(
        "--no-pruning", action="store_true", help="train every trial to the end"
    )
    parser.add_argument(
        "--evaluate",
        action="store_true",
        help="refit the best parameters on the searched images and report the "
        "test accuracy",
    )
    parser.add_argument(
        "--ensemble",
        type=positive_int,
        default=None,
        metavar="K",
        help="with --evaluate: also refit the K best complete trials and report "
        "their soft vote's test accuracy and prediction time beside the winner's",
    )
    parser.add_argument("--random-state", type=int, default=None, metavar="SEED")
    parser.add_argument(
        "--quiet", action="store_true", help="no line per finished trial"
    )
    add_data_arguments(parser)


def parse_fixed(items):
    """['classifier__dropout=0.1', ...] -> {'classifier__dropout': 0.1, ...}."""
    import ast

    fixed = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--set expects NAME=VALUE, got {item!r}")
        try:
            fixed[name.strip()] = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            fixed[name.strip()] = text.strip()  # a bare word: a string
    return fixed


def fixed_space(trial, *, fixed, max_layers, model="mlp"):
    """The search space of the --model family, with the --set parameters fixed;
    --model auto: the space across families."""
    if model == AUTO_MODEL:
        from skmnist.search import auto_search_space

        return {**auto_search_space(trial, max_layers=max_layers), **fixed}
    family, _ = model_family(model)
    options = {"max_layers": max_layers}
    space = family.load_search_space()(
        trial, **{name: options[name] for name in family.search_options}
    )
    return {**space, **fixed}


def open_study_storage(text, heartbeat=None, grace_period=None, max_retry=3):
    """The storage of a database URL, or of a journal file for anything without
    '://'; None stays None (memory). heartbeat None: open_storage's default."""
    import optuna

    from skmnist.search import open_storage

    if heartbeat is not None and heartbeat < 0:
        raise ValueError(f"--heartbeat must be 0 (off) or positive, got {heartbeat}")
    if max_retry < 0:
        raise ValueError(f"--max-retry must be 0 or more, got {max_retry}")
    if text is None or "://" in text:
        return open_storage(
            text,
            heartbeat_interval="auto" if heartbeat is None else heartbeat,
            grace_period=grace_period,
            max_retry=max_retry,
        )
    if heartbeat:
        raise ValueError(
            "--heartbeat needs a database storage (postgresql://, mysql://, "
            "sqlite:///): Optuna's journal files have no heartbeats"
        )
    backend = optuna.storages.journal.JournalFileBackend(text)
    return optuna.storages.JournalStorage(backend)


def shown_storage(text, storage):
    """The storage for messages: no password, and its heartbeat if any."""
    if "://" not in text:
        return text
    from sqlalchemy.engine import make_url

    shown = make_url(text).render_as_string(hide_password=True)
    interval = getattr(storage, "heartbeat_interval", None)
    if interval:
        grace = storage.grace_period or 2 * interval
        shown += f" (heartbeat {interval} s, grace period {grace} s)"
    return shown


def count_finished(storage, study_name):
    """Complete and pruned trials of a stored study (0 if there is none yet)."""
    import optuna

    if storage is None or study_name not in optuna.get_all_study_names(storage):
        return 0
    study = optuna.load_study(study_name=study_name, storage=storage)
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return len(study.get_trials(deepcopy=False, states=states))


def run(args):
    import functools

    import optuna

    from skmnist.pipeline import make_mnist_pipeline
    from skmnist.search import PrunedSearchCV
    from skmnist.search._spaces import check_param_names

    if (args.ensemble or 1) > 1 and not args.evaluate:
        raise ValueError(
            f"--ensemble {args.ensemble} needs --evaluate: the ensemble is refitted "
            "and scored with the best model"
        )
    fixed = parse_fixed(args.fixed)
    storage = open_study_storage(
        args.storage, args.heartbeat, args.grace_period, args.max_retry
    )
    study_name = args.study_name or (DEFAULT_STUDY_NAME if storage else None)
    before = count_finished(storage, study_name)
    if storage is not None:
        print(
            f"study {study_name!r} in {shown_storage(args.storage, storage)}: "
            f"{before} finished trials"
        )

    model = args.model if args.model == AUTO_MODEL else model_family(args.model)[1]
    pipe = make_mnist_pipeline(model=model, random_state=args.random_state)
    # every trial's bound: 3 times the default network's epochs (PrunedSearchCV's)
    max_epochs = args.epochs or 3 * pipe[-1].epochs
    search_max_epochs = args.epochs  # None: PrunedSearchCV's default, the same
    if args.model == AUTO_MODEL:
        search_max_epochs = max_epochs  # the dense network's, not the preset's
        # start from the strongest recipe: the start trial is never pruned, so
        # the search cannot end below just fitting it (a search that began with
        # the dense network let a slow, mediocre trial spend the budget first)
        pipe.set_params(family=AUTO_START)
    check_param_names(pipe, fixed)  # bad values fail in PrunedSearchCV.fit, also
    pipe.set_params(**fixed)  # before any training
    mnist = load_data(args)
    # the same images for every worker and run of a study, whatever their seeds:
    # otherwise their scores would not compare
    X, y = mnist.X_train, mnist.y_train
    if args.subset is not None:
        X, y = stratified_subset(X, y, args.subset)
    timeout = args.timeout
    if timeout is None and args.n_trials is None:
        timeout = DEFAULT_TIMEOUT
    search = PrunedSearchCV(
        pipe,
        functools.partial(
            fixed_space, fixed=fixed, max_layers=args.max_layers, model=args.model
        ),
        n_trials=args.n_trials,
        timeout=timeout,
        cv=args.cv,
        max_epochs=search_max_epochs,
        try_estimator_first=not args.no_start_trial,
        pruner=optuna.pruners.NopPruner() if args.no_pruning else None,
        storage=storage,
        study_name=study_name,
        refit=args.evaluate,
        ensemble=args.ensemble,
        random_state=args.random_state,
        verbose=0 if args.quiet else 1,
    )
    print(
        f"searching {what_searched(args.model)} on {len(X):,} images: "
        f"{budget(args, timeout, max_epochs)}"
    )
    search.fit(X, y)
    report(search, before, args)
    if args.plots:
        save_plots(search, args.plots)
    if args.evaluate:
        print(f"refitted in {search.refit_time_:.0f} s")
        accuracy = search.score(mnist.X_test, mnist.y_test)
        print(f"test accuracy of the refitted best model: {accuracy:.4f}")
    if args.evaluate and (args.ensemble or 1) > 1:
        report_ensemble(search, mnist)


def report_ensemble(search, mnist):
    """The ensemble's test accuracy and prediction time beside the winner's."""
    import time

    ensemble = search.best_ensemble_
    names = ", ".join(name for name, _ in ensemble.estimators)
    print(
        f"ensemble of {len(ensemble.estimators)} ({names}) refitted in "
        f"{search.ensemble_refit_time_:.0f} s more"
    )
    seconds = {}
    for what, model in (("best model", search.best_estimator_), ("ensemble", ensemble)):
        model.predict_proba(mnist.X_test[:256])  # warm: traced once, as in serving
        start = time.perf_counter()
        accuracy = model.score(mnist.X_test, mnist.y_test)
        seconds[what] = time.perf_counter() - start
        print(
            f"test accuracy of the {what}: {accuracy:.4f} (predicted "
            f"{len(mnist.X_test):,} images in {seconds[what]:.2f} s)"
        )


def save_plots(search, directory):
    """Optuna's plots of the search as PNG files; a plot that cannot be drawn is
    named on stderr, in one line."""
    import sys
    import warnings

    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    with warnings.catch_warnings(record=True) as skipped:
        warnings.simplefilter("always", UserWarning)
        paths = search.save_plots(directory)
    for warning in skipped:
        print(f"plots: {warning.message}", file=sys.stderr)
    for path in paths.values():
        print(f"saved {path}")


def what_searched(model):
    """The --model searched, in words."""
    return "every family and preset" if model == AUTO_MODEL else f"the {model}"


def budget(args, timeout, max_epochs):
    """The search's limits in words."""
    limits = []
    if args.n_trials is not None:
        limits.append(f"{args.n_trials} trials")
    if timeout is not None:
        limits.append(f"{timeout:g} s")
    if args.cv == "auto":
        validation = "validated as cv='auto' (a 1/6 hold-out above 10,000 images)"
    elif isinstance(args.cv, float):
        validation = f"validated on a {args.cv:g} hold-out"
    else:
        validation = f"{args.cv}-fold cross-validation"
    return (
        f"up to {' or '.join(limits)}, trials of up to {max_epochs} "
        f"epoch{'s' if max_epochs != 1 else ''}, "
        f"{validation}"
    )


def report(search, before, args):
    """Trial counts, then the best parameters and score."""
    states = search.cv_results_["state"]
    print(
        f"study {search.study_.study_name!r}: {search.n_trials_} finished trials "
        f"(was {before}; {(states == 'COMPLETE').sum()} complete, "
        f"{(states == 'PRUNED').sum()} pruned)"
    )
    print(f"best trial: #{search.best_trial_.number}")
    print(f"best validation accuracy: {search.best_score_:.4f}")
    print("best parameters:")
    for name, value in sorted(search.best_params_.items()):
        print(f"  {name} = {value!r}")
