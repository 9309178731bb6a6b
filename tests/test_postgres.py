"""Many ``skmnist search`` workers on one study in a real PostgreSQL server, and faults.

Each pytest process starts its own throwaway cluster: ``initdb`` into a temporary
directory, the server on 127.0.0.1 at a free port (run as the ``postgres`` system
user when the tests run as root), stopped and deleted at the end. No system service
is used, so the tests can restart the server themselves, and pytest-xdist workers
never share one.

The tests need Debian's ``postgresql`` package (``make system-packages`` installs it,
as CI does) and ``psycopg``. Without them they fail, unless
``SKMNIST_SKIP_POSTGRES=1`` is set, in which case they are skipped.
"""

import datetime
import functools
import glob
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import optuna
import pytest

from skmnist.search import open_storage
from skmnist.search._storage import storage_errors

optuna.logging.set_verbosity(optuna.logging.WARNING)

FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
STUDY = "skmnist-search"  # the command's default study name
# tiny trials: 600 images, 2 folds, 2 epochs
TINY = ["--subset", "600", "--cv", "2", "--epochs", "2", "--max-layers", "1"]
# the spaces the workers search: the dense network's (a 16-unit layer), and the
# space across families (issue 21), whose trials switch between the dense
# network, the CNN and its presets from one trial to the next
CLI_DATA = {
    "mlp": [*TINY, "--set", "classifier__hidden_layer_sizes=(16,)"],
    "auto": [*TINY, "--model", "auto"],
}
WORKER_TIMEOUT = 300  # seconds; a bound, not an expectation


# --- a private PostgreSQL cluster ---------------------------------------------------
def _pg_program(name):
    """A PostgreSQL server program: on PATH, else in Debian's versioned folder."""
    found = shutil.which(name)
    if found:
        return found
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(bindir, name), os.X_OK):
            return os.path.join(bindir, name)
    return None


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """A throwaway server on 127.0.0.1, trusting local connections as ``postgres``."""

    def __init__(self):
        self.initdb, self.pg_ctl = _pg_program("initdb"), _pg_program("pg_ctl")
        self.root = Path(tempfile.mkdtemp(prefix="skmnist-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        # initdb refuses to run as root: the server runs as the postgres user then
        self.as_owner = []
        if os.geteuid() == 0:
            shutil.chown(self.root, user="postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]

    def _run(self, *command):
        result = subprocess.run(
            [*self.as_owner, *command], capture_output=True, text=True, timeout=120
        )
        if result.returncode:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{command[0]} failed: {result.stderr[-2000:]}\n{tail}")

    def init(self):
        self._run(
            self.initdb,
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "--encoding=UTF8",
            "--locale=C",
        )

    def start(self):
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root}"
        self._run(
            self.pg_ctl,
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self):
        # fast: like a service restart, open connections are cut
        self._run(self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database="postgres"):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name):
        import psycopg

        # CREATE DATABASE runs outside transactions
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self):
        with_server = (self.data / "postmaster.pid").exists()
        try:
            if with_server:
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres():
    """A running private PostgreSQL cluster for this pytest process."""
    if os.environ.get("SKMNIST_SKIP_POSTGRES") == "1":
        pytest.skip("SKMNIST_SKIP_POSTGRES=1: PostgreSQL tests skipped")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        psycopg = None
    if not (_pg_program("initdb") and _pg_program("pg_ctl") and psycopg):
        pytest.fail(
            "the PostgreSQL tests need the PostgreSQL server programs and psycopg: "
            "`make system-packages` (or `apt-get install -y postgresql`) and "
            "`pip install 'psycopg[binary]'` (or set SKMNIST_SKIP_POSTGRES=1 to "
            "skip them)"
        )
    cluster = PostgresCluster()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


_database_numbers = itertools.count()


@pytest.fixture
def database(postgres):
    """The URL of a new, empty database in the cluster."""
    return postgres.create_database(f"search_{next(_database_numbers)}")


@pytest.fixture(
    params=[
        "mlp",
        # minutes per test (CNN trials, presets' epochs): the main job runs them,
        # the oldest-versions job, whose storage code is the same, leaves them out
        pytest.param("auto", marks=pytest.mark.slow),
    ]
)
def workers(request, tmp_path):
    """Starts ``skmnist search`` workers over each space (``--model mlp`` and
    ``--model auto``); kills any still running at teardown."""
    started = []
    space = CLI_DATA[request.param]

    def start(storage, seed, n_trials, *options):
        log = tmp_path / f"worker-{len(started)}"
        command = [
            sys.executable,
            "-m",
            "skmnist",
            "search",
            "--quiet",
            *space,
            "--storage",
            storage,
            "--random-state",
            str(seed),
            "--n-trials",
            str(n_trials),
            *options,
        ]
        with open(f"{log}.out", "w") as out, open(f"{log}.err", "w") as err:
            proc = subprocess.Popen(command, stdout=out, stderr=err)
        proc.out, proc.err = Path(f"{log}.out"), Path(f"{log}.err")
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def wait_all(procs):
    """Wait for every process (bounded); returns their exit codes."""
    deadline = time.monotonic() + WORKER_TIMEOUT
    for proc in procs:
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    return [proc.returncode for proc in procs]


@functools.cache
def _storage(url):
    # one per database, so polling opens no new connections; no heartbeats of
    # its own: the test process runs no trial
    return open_storage(url, heartbeat_interval=None)


def load(url):
    return optuna.load_study(study_name=STUDY, storage=_storage(url))


def wait_until(condition, timeout, what):
    """Poll ``condition`` every half second until it returns a true value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = condition()
        except KeyError:  # the study does not exist yet
            result = None
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def states(study):
    trials = study.get_trials(deepcopy=False)
    return {
        state.name: sum(t.state == state for t in trials)
        for state in optuna.trial.TrialState
    }


def lost_trials(study):
    """Failed trials whose parameters never finished in a retry: work lost."""
    trials = study.get_trials(deepcopy=False)
    retried = {
        t.system_attrs["failed_trial"]
        for t in trials
        if t.state in FINISHED and "failed_trial" in t.system_attrs
    }
    return [
        t.number
        for t in trials
        if t.state == optuna.trial.TrialState.FAIL
        and t.system_attrs.get("failed_trial", t.number) not in retried
    ]


def running_on(study, pid, min_epochs):
    """A running trial of process ``pid`` with at least ``min_epochs`` reported."""
    return next(
        (
            t
            for t in study.get_trials(deepcopy=False)
            if t.state == optuna.trial.TrialState.RUNNING
            and t.user_attrs.get("worker", "").endswith(f":{pid}")
            and len(t.intermediate_values) >= min_epochs
        ),
        None,
    )


# --- the tests ----------------------------------------------------------------------
def test_storage_waits_for_a_restarting_database_or_says_why(postgres, database):
    storage = open_storage(database, reconnect_timeout=60)
    study = optuna.create_study(storage=storage, direction="maximize")
    study.add_trial(optuna.create_trial(value=0.5))
    postgres.stop()
    restart = threading.Timer(2.0, postgres.start)  # back while we wait
    restart.start()
    try:
        study.add_trial(optuna.create_trial(value=0.7))  # refused, retried, done
    finally:
        restart.join()
    assert [t.value for t in study.get_trials(deepcopy=False)] == [0.5, 0.7]

    impatient = open_storage(database, reconnect_timeout=1)
    study = optuna.load_study(study_name=study.study_name, storage=impatient)
    postgres.stop()
    try:
        with pytest.raises(ConnectionError, match="lost the connection") as error:
            with storage_errors(study):
                impatient.get_all_studies()
    finally:
        postgres.start()
    assert "\n" not in str(error.value)
    assert len(study.get_trials(deepcopy=False)) == 2  # nothing lost


def test_three_workers_share_one_study(database, workers):
    procs = [workers(database, seed, 2) for seed in (1, 2, 3)]
    codes = wait_all(procs)
    for proc, code in zip(procs, codes, strict=True):
        assert code == 0, proc.err.read_text()[-2000:]
        out = proc.out.read_text()
        assert "best validation accuracy" in out and "heartbeat 60 s" in out

    study = load(database)
    counts = states(study)
    assert counts["COMPLETE"] + counts["PRUNED"] == 6
    assert counts["RUNNING"] == counts["WAITING"] == counts["FAIL"] == 0
    by_worker = {t.user_attrs["worker"] for t in study.get_trials(states=FINISHED)}
    assert {w.rsplit(":", 1)[1] for w in by_worker} == {str(p.pid) for p in procs}


def test_killed_worker_trial_is_retried(database, workers, record_property):
    heartbeat = ["--heartbeat", "1", "--grace-period", "3"]
    # the victim's trials are long (many epochs, no pruning), so that "in the middle
    # of a trial" is a wide window however fast the machine is
    victim = workers(database, 1, 3, *heartbeat, "--epochs", "500", "--no-pruning")

    def victim_mid_trial():
        if victim.poll() is not None:
            raise AssertionError(
                f"the victim exited ({victim.returncode}) before it could be killed "
                f"mid-trial: {victim.err.read_text()[-2000:]}"
            )
        return running_on(load(database), victim.pid, min_epochs=1)

    # SIGKILL the victim in the middle of a trial: after an epoch, before its end
    killed = wait_until(
        victim_mid_trial, WORKER_TIMEOUT, "a trial of the victim to report an epoch"
    )
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    # the survivors start once the victim's heartbeat is older than the grace period,
    # so the first trial they ask for finds its trial stale, however fast the machine
    # (started beside it, they could finish every trial before the grace period ran
    # out, and nobody would look at the stale trial again)
    time.sleep(3 + 1)
    others = [workers(database, seed, 4, *heartbeat) for seed in (2, 3)]
    done_by_victim = sum(
        t.user_attrs.get("worker", "").endswith(f":{victim.pid}")
        for t in load(database).get_trials(deepcopy=False, states=FINISHED)
    )

    codes = wait_all(others)
    for proc, code in zip(others, codes, strict=True):
        assert code == 0, proc.err.read_text()[-2000:]
    study = load(database)
    trials = study.get_trials(deepcopy=False)
    assert trials[killed.number].state == optuna.trial.TrialState.FAIL
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == killed.number]
    assert len(retries) == 1 and retries[0].state in FINISHED
    assert retries[0].params == killed.params  # the same trial, run again
    counts = states(study)
    # the survivors ran all their trials (the retry among them); the victim's
    # finished trials are all still there
    assert counts["COMPLETE"] + counts["PRUNED"] == done_by_victim + 2 * 4
    assert counts["RUNNING"] == counts["WAITING"] == 0
    lost = lost_trials(study)
    record_property("trials_lost_to_sigkill", len(lost))
    print(f"SIGKILL: trial {killed.number} retried as {retries[0].number}; lost {lost}")
    assert lost == []


def test_database_restart_during_search(postgres, database, workers, record_property):
    # the grace period outlasts the restart: live trials must not be taken as dead
    heartbeat = ["--heartbeat", "2", "--grace-period", "20"]
    # trials of many epochs, so that the search is still under way when the
    # database goes down, however fast the machine is
    slow = ["--epochs", "60", "--no-pruning"]
    procs = [workers(database, seed, 3, *heartbeat, *slow) for seed in (1, 2)]
    before = wait_until(
        lambda: (
            len(load(database).get_trials(states=FINISHED)) >= 2
            and load(database).get_trials(states=FINISHED)
        ),
        WORKER_TIMEOUT,
        "two finished trials",
    )
    assert all(proc.poll() is None for proc in procs), "search ended before restart"
    postgres.stop()
    time.sleep(3)  # down for a while: new connections are refused meanwhile
    postgres.start()
    restarted = datetime.datetime.now()
    codes = wait_all(procs)

    for proc, code in zip(procs, codes, strict=True):
        err = proc.err.read_text()
        if code:  # allowed: a clear one-line error as the last word
            last = err.strip().splitlines()[-1]
            assert code == 1 and last.startswith(
                "skmnist search: error: lost the connection"
            ), err[-2000:]
        assert "Traceback" not in err or code, err[-2000:]
    study = load(database)
    after = {t.number: t for t in study.get_trials(deepcopy=False)}
    for trial in before:  # nothing completed is lost
        assert after[trial.number].state == trial.state
        assert after[trial.number].value == trial.value
    if 0 in codes:  # a worker that carried on really worked after the restart
        assert any(
            t.datetime_complete and t.datetime_complete > restarted
            for t in after.values()
        )
    reconnected = codes.count(0)
    record_property("workers_reconnected", reconnected)
    print(f"database restart: {reconnected} of {len(procs)} workers reconnected")
    if reconnected == len(procs):
        counts = states(study)
        assert counts["COMPLETE"] + counts["PRUNED"] == 2 * 3
        assert lost_trials(study) == []
