"""Search the MNIST network's hyperparameters with Optuna, pruning unpromising
trials after every epoch (skmnist.PrunedSearchCV over skmnist.default_search_space,
or skmnist.cnn_search_space with --model cnn).

With --storage the study is saved as it goes: re-run the same command to continue it
(an interrupted run loses only its running trial), or run it in several processes at
once to search in parallel (give each its own --random-state). With a database URL,
workers on many machines share the study; a heartbeat (--heartbeat) lets the others
retry the trial of a worker that died, and workers reconnect when the database
restarts."""

from skmnist.commands._common import (
    add_data_arguments,
    load_data,
    positive_int,
    stratified_subset,
)

NAME = "search"
HELP = "search layer sizes, dropout, learning rate and batch size with pruning"

MODELS = ("mlp", "cnn")

DEFAULT_SUBSET = 10_000
DEFAULT_STUDY_NAME = "skmnist-search"


def add_arguments(parser):
    parser.add_argument(
        "--model",
        choices=MODELS,
        default="mlp",
        help="network family to search: mlp (layer sizes...) or cnn (filters, "
        "kernel size, dense units...) (default: %(default)s)",
    )
    parser.add_argument(
        "--n-trials", type=positive_int, default=20, help="trials to run (default: 20)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="start no new trial after this many seconds",
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
        default=DEFAULT_SUBSET,
        metavar="N",
        help="stratified sample of the training images to search on, the same in "
        "every run (default: %(default)s; 60000 for all)",
    )
    parser.add_argument(
        "--cv", type=positive_int, default=3, metavar="K", help="folds (default: 3)"
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=5,
        help="epochs per trial, unless pruned (default: 5)",
    )
    parser.add_argument(
        "--max-layers",
        type=int,
        default=3,
        metavar="N",
        help="mlp: most hidden layers to try (default: 3)",
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
        help="refit the best parameters on the subset and report test accuracy",
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
    """The search space of the --model family, with the --set parameters fixed."""
    from skmnist.search import cnn_search_space, default_search_space

    if model == "cnn":
        space = cnn_search_space(trial)
    else:
        space = default_search_space(trial, max_layers=max_layers)
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

    pipe = make_mnist_pipeline(
        model=args.model, epochs=args.epochs, random_state=args.random_state
    )
    check_param_names(pipe, fixed)  # bad values fail in PrunedSearchCV.fit, also
    pipe.set_params(**fixed)  # before any training
    mnist = load_data(args)
    # the same images for every worker and run of a study, whatever their seeds:
    # otherwise their scores would not compare
    X, y = stratified_subset(mnist.X_train, mnist.y_train, args.subset)
    search = PrunedSearchCV(
        pipe,
        functools.partial(
            fixed_space, fixed=fixed, max_layers=args.max_layers, model=args.model
        ),
        n_trials=args.n_trials,
        timeout=args.timeout,
        cv=args.cv,
        pruner=optuna.pruners.NopPruner() if args.no_pruning else None,
        storage=storage,
        study_name=study_name,
        refit=args.evaluate,
        random_state=args.random_state,
        verbose=0 if args.quiet else 1,
    )
    print(
        f"searching the {args.model} on {len(X):,} images: {args.n_trials} trials "
        f"of up to {args.epochs} epochs, {args.cv}-fold cross-validation"
    )
    search.fit(X, y)
    report(search, before, args)
    if args.evaluate:
        accuracy = search.score(mnist.X_test, mnist.y_test)
        print(f"test accuracy of the refitted best model: {accuracy:.4f}")


def report(search, before, args):
    """Trial counts, then the best parameters and score."""
    states = search.cv_results_["state"]
    print(
        f"study {search.study_.study_name!r}: {search.n_trials_} finished trials "
        f"(was {before}; {(states == 'COMPLETE').sum()} complete, "
        f"{(states == 'PRUNED').sum()} pruned)"
    )
    print(f"best trial: #{search.best_trial_.number}")
    print(f"best CV accuracy: {search.best_score_:.4f}")
    print("best parameters:")
    for name, value in sorted(search.best_params_.items()):
        print(f"  {name} = {value!r}")
