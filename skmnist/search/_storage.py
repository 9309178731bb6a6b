"""Where a study lives: opening Optuna storages, surviving faults, creating studies.

Database URLs get a heartbeat (trials of killed workers are retried), reconnection
after a database restart, and a one-line error when the connection is lost. Optuna
and SQLAlchemy are imported when a storage is opened, not with this module.
"""

import contextlib
import time
import warnings
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

from skmnist._compat import stale_trial_retry

__all__ = ["open_storage"]

DEFAULT_HEARTBEAT_INTERVAL = 60  # seconds, for server databases (open_storage)
DEFAULT_MAX_RETRY = 3  # a trial that keeps killing its workers is given up
DEFAULT_RECONNECT_TIMEOUT = 60.0  # seconds to wait for a restarting database


def default_sampler(optuna, random_state):
    seed = random_state
    if seed is not None and not isinstance(seed, Integral):
        seed = int(check_random_state(seed).randint(np.iinfo(np.int32).max))
    return optuna.samplers.TPESampler(seed=seed)


def create_study(optuna, storage, study_name, sampler, pruner):
    """Create the study, or load it if ``study_name`` exists in ``storage``."""
    return optuna.create_study(
        storage=open_storage(storage),
        study_name=study_name,
        sampler=sampler,
        pruner=pruner,
        direction="maximize",
        load_if_exists=True,
    )


def open_storage(
    storage,
    *,
    heartbeat_interval="auto",
    grace_period=None,
    max_retry=DEFAULT_MAX_RETRY,
    reconnect_timeout=DEFAULT_RECONNECT_TIMEOUT,
):
    """Open an Optuna database storage ready for many workers and their faults.

    Builds an :class:`optuna.storages.RDBStorage` from a URL with:

    - a **heartbeat**: each running trial records a heartbeat every
      ``heartbeat_interval`` seconds; a trial whose heartbeat is older than
      ``grace_period`` (its worker was killed or lost) is marked failed and
      queued again with the same parameters by
      :class:`optuna.storages.RetryHeartbeatStaleTrialCallback`, when any
      worker of the study next starts a trial;
    - **reconnection**: pooled connections are checked before use
      (SQLAlchemy's ``pool_pre_ping``), and new connections are retried for
      up to ``reconnect_timeout`` seconds, so workers ride out a database
      restart.

    Storage objects and ``None`` are returned unchanged.

    Parameters
    ----------
    storage : str, optuna.storages.BaseStorage or None
        A database URL such as ``"postgresql://user:password@host/db"``,
        ``"mysql+pymysql://user:password@host/db"`` or
        ``"sqlite:///search.db"``; anything else is returned as it is.
    heartbeat_interval : int, "auto" or None, default="auto"
        Seconds between heartbeats. ``"auto"`` means 60 for server databases
        and none for SQLite (one file, one machine: a heartbeat thread per
        worker only adds lock contention). ``None`` or 0 turns it off.
    grace_period : int or None, default=None
        Seconds without a heartbeat after which a running trial counts as
        dead. ``None`` means Optuna's default, twice ``heartbeat_interval``.
        Keep it well above the interval: a worker under heavy load (or a
        database restart) can delay a heartbeat.
    max_retry : int or None, default=3
        How often a dead trial is queued again; ``None`` retries without
        end, 0 never (dead trials are only marked failed). A limit stops a
        trial that kills its workers (say, out of memory) from killing all.
    reconnect_timeout : float, default=60.0
        Seconds a new connection is retried while the database refuses
        them. After that, or if a connection breaks in the middle of a
        statement, the storage raises and :class:`PrunedSearchCV` reports a
        :class:`ConnectionError`.

    Returns
    -------
    storage : optuna.storages.BaseStorage or None
        The storage.

    Raises
    ------
    ValueError
        The URL is malformed, its driver is missing, or the database cannot
        be reached at all: a one-line message instead of SQLAlchemy's.

    See Also
    --------
    PrunedSearchCV : Takes the storage, or a URL opened with the defaults.

    Notes
    -----
    Optuna implements heartbeats for database storages only, not for journal
    files. Stale trials are detected from the database server's clock, so
    workers' clocks need not agree. Completed trials are committed as each
    finishes: neither a killed worker nor a database restart loses them.

    Examples
    --------
    >>> from skmnist.search import open_storage
    >>> storage = open_storage("sqlite:///:memory:", heartbeat_interval=5)
    >>> storage.heartbeat_interval, storage.grace_period
    (5, None)
    """
    if not isinstance(storage, str):
        return storage
    import optuna
    import sqlalchemy.engine
    import sqlalchemy.exc

    try:
        url = _with_installed_driver(sqlalchemy.engine.make_url(storage))
        server = url.get_backend_name() != "sqlite"
        if heartbeat_interval == "auto":
            heartbeat_interval = DEFAULT_HEARTBEAT_INTERVAL if server else None
        engine_kwargs = {}
        if server:
            # a restarted server leaves dead connections in the pool: test each
            # one before use
            engine_kwargs["pool_pre_ping"] = True
        if url.get_backend_name() in ("postgresql", "mysql"):
            # and never hang for minutes on an unreachable host
            engine_kwargs["connect_args"] = {"connect_timeout": 10}
        with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            heartbeat = {}
            if heartbeat_interval:
                heartbeat = {
                    "heartbeat_interval": int(heartbeat_interval),
                    "grace_period": None if grace_period is None else int(grace_period),
                    **stale_trial_retry(max_retry),  # Optuna 4.0-4.8 or >= 4.9 names
                }
            rdb = _create_rdb_storage(
                optuna,
                url.render_as_string(hide_password=False),
                engine_kwargs=engine_kwargs,
                **heartbeat,
            )
    except (ImportError, sqlalchemy.exc.SQLAlchemyError) as exc:
        message = str(exc).strip().splitlines()[0]
        raise ValueError(
            f"cannot open the Optuna storage {storage!r}: {message}"
        ) from exc
    # after the first connection: a wrong URL still fails at once
    _retry_new_connections(rdb.engine, reconnect_timeout)
    return rdb


def _create_rdb_storage(optuna, url, **kwargs):
    """``RDBStorage(url, **kwargs)``, surviving workers that create it together.

    On a new database, workers started at once race to create Optuna's tables;
    the losers fail with "already exists". A second try finds them made.
    """
    import sqlalchemy.exc

    from skmnist.search._rdb import HeartbeatRetryingRDBStorage

    for attempt in range(3):
        try:
            return HeartbeatRetryingRDBStorage(url, **kwargs)
        except (sqlalchemy.exc.ProgrammingError, sqlalchemy.exc.IntegrityError):
            if attempt == 2:
                raise
            time.sleep(0.5 * (attempt + 1))


def _with_installed_driver(url):
    """``postgresql://`` with whichever driver is installed, psycopg 3 first.

    SQLAlchemy's default driver for a bare ``postgresql://`` changed from
    psycopg2 (2.0) to psycopg (2.1); either works here.
    """
    if url.drivername != "postgresql":
        return url
    import importlib.util

    for module in ("psycopg", "psycopg2"):
        if importlib.util.find_spec(module) is not None:
            return url.set(drivername=f"postgresql+{module}")
    raise ImportError(
        "no PostgreSQL driver: pip install 'psycopg[binary]' (or 'skmnist[cluster]')"
    )


def _retry_new_connections(engine, timeout):
    """Retry refused connections for ``timeout`` seconds, with backoff."""
    from sqlalchemy import event

    @event.listens_for(engine, "do_connect")
    def connect(dialect, connection_record, cargs, cparams):
        dbapi = dialect.loaded_dbapi
        deadline = time.monotonic() + timeout
        delay = 0.25
        while True:
            try:
                return dbapi.connect(*cargs, **cparams)
            except dbapi.OperationalError:
                if time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(2 * delay, 5.0)


@contextlib.contextmanager
def storage_errors(study):
    """Turn a lost database connection into a one-line ``ConnectionError``."""
    import optuna

    try:
        yield
    except (optuna.exceptions.StorageInternalError, *lost_connection_errors()) as exc:
        message = lost_connection(exc)
        if message is None:
            raise
        raise ConnectionError(
            f"lost the connection to the storage of study {study.study_name!r} "
            f"({message}); completed trials are saved: run the search again to "
            "continue"
        ) from exc


def lost_connection_errors():
    """The SQLAlchemy errors a dropped database connection surfaces as."""
    import sqlalchemy.exc

    # or, when a session still held a transaction on it, "can't reconnect until
    # the transaction is rolled back"
    return (
        sqlalchemy.exc.OperationalError,
        sqlalchemy.exc.InterfaceError,
        sqlalchemy.exc.PendingRollbackError,
    )


def lost_connection(exc):
    """The first line of the database's message if ``exc`` (a SQLAlchemy error,
    or Optuna's ``StorageInternalError`` wrapping one) is a lost connection, else
    None."""
    lost = lost_connection_errors()
    # Optuna wraps SQLAlchemy's errors, with a message about invalid data
    cause = exc if isinstance(exc, lost) else exc.__cause__
    invalidated = getattr(cause, "connection_invalidated", False)
    if not (isinstance(cause, lost) or invalidated):
        return None
    return str(getattr(cause, "orig", None) or cause).strip().splitlines()[0]
