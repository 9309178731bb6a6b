"""Trials per minute of ``skmnist search`` with 1, 2 and 3 workers on one study.

Usage: python benchmarks/search_workers.py postgresql://user@host:port/database

Every configuration runs the same small search (3,000 images, 2 folds, 3 epochs, no
pruning, a fixed 128-unit layer so that every trial costs the same), each worker in
its own process, in a fresh study of the given database. Two rates are printed:
over the trials' own start and end times (steady state), and over the wall time
from the first worker's launch (start-up of TensorFlow and data included).
"""

import subprocess
import sys
import time

import optuna

SETTINGS = [
    "--subset", "3000", "--cv", "2", "--epochs", "3", "--no-pruning",
    "--max-layers", "1", "--set", "classifier__hidden_layer_sizes=(128,)",
    "--set", "classifier__batch_size=128", "--quiet",
]  # fmt: skip
TRIALS_PER_WORKER = 6


def run(url, n_workers):
    study_name = f"bench-{n_workers}-workers-{int(time.time())}"
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "skmnist", "search", *SETTINGS]
            + ["--storage", url, "--study-name", study_name]
            + ["--random-state", str(seed), "--n-trials", str(TRIALS_PER_WORKER)],
            stdout=subprocess.DEVNULL,
        )
        for seed in range(1, n_workers + 1)
    ]
    for proc in procs:
        if proc.wait(timeout=1800):
            raise SystemExit(f"a worker failed with exit code {proc.returncode}")
    wall = time.perf_counter() - start
    trials = optuna.load_study(study_name=study_name, storage=url).get_trials(
        states=(optuna.trial.TrialState.COMPLETE,)
    )
    busy = max(t.datetime_complete for t in trials) - min(
        t.datetime_start for t in trials
    )
    return len(trials), 60 * len(trials) / busy.total_seconds(), 60 * len(trials) / wall


def main():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from skmnist.search import open_storage

    url = sys.argv[1]
    open_storage(url)  # creates the tables once, before the workers race to
    print("workers  trials  trials/min (trials' span)  trials/min (wall)")
    for n_workers in (1, 2, 3):
        n, steady, wall = run(url, n_workers)
        print(f"{n_workers:>7}  {n:>6}  {steady:>25.1f}  {wall:>17.1f}", flush=True)


if __name__ == "__main__":
    main()
