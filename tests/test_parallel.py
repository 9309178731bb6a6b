"""sklearn's own parallelism over the pipeline: joblib's process backend and Dask.

Each search or cross-validation runs once with ``n_jobs=1`` in this process, as the
reference, then in worker processes (loky, then a local Dask cluster); the results
must be the same, because every fit is seeded and the estimator keeps no global
state. Tiny networks on a few hundred images keep it quick.
"""

import pickle

import joblib
import pytest
from numpy.testing import assert_array_equal
from sklearn.model_selection import GridSearchCV, cross_val_score

from skmnist import make_mnist_pipeline

N_IMAGES = 400
GRID = {"classifier__hidden_layer_sizes": [(16,), (32,)]}


@pytest.fixture(scope="module")
def data(stratified_split):
    """400 training images (40 per digit) and 200 others to predict."""
    X, y, X_rest = stratified_split(N_IMAGES)
    return X, y, X_rest[:200]


def tiny_pipeline():
    return make_mnist_pipeline(hidden_layer_sizes=(16,), epochs=2, random_state=0)


def grid_search(X, y, n_jobs):
    search = GridSearchCV(tiny_pipeline(), GRID, cv=2, n_jobs=n_jobs, refit=False)
    return search.fit(X, y).cv_results_


def assert_same_search(results, reference):
    assert results["params"] == reference["params"]
    for key in ("split0_test_score", "split1_test_score", "rank_test_score"):
        assert_array_equal(results[key], reference[key])


@pytest.fixture(scope="module")
def serial(data):
    """The reference: cross-validation and grid search in this process."""
    X, y, _ = data
    return {
        "cross_val_score": cross_val_score(tiny_pipeline(), X, y, cv=2, n_jobs=1),
        "grid": grid_search(X, y, n_jobs=1),
    }


def _fit(pipe, X, y):
    return pipe.fit(X, y)


def _predict_proba(pipe, X):
    return pipe.predict_proba(X)


def test_process_workers_give_serial_results(data, serial):
    X, y, _ = data
    with joblib.parallel_backend("loky"):
        scores = cross_val_score(tiny_pipeline(), X, y, cv=2, n_jobs=2)
        results = grid_search(X, y, n_jobs=2)
    assert_array_equal(scores, serial["cross_val_score"])
    assert_same_search(results, serial["grid"])


def test_fitted_pipeline_round_trips_through_processes(data):
    X, y, X_new = data
    local = tiny_pipeline().fit(X, y)
    expected = local.predict_proba(X_new)
    with joblib.Parallel(n_jobs=2, backend="loky") as parallel:
        # fitted in a worker, returned to this process
        remote = parallel(joblib.delayed(_fit)(tiny_pipeline(), X, y) for _ in range(2))
        # fitted here, used in the workers
        probas = parallel(
            joblib.delayed(_predict_proba)(local, X_new) for _ in range(2)
        )
    for pipe in remote:
        assert_array_equal(pipe.predict_proba(X_new), expected)
    for proba in probas:
        assert_array_equal(proba, expected)
    # the pickle holds the weights, not TensorFlow objects
    assert b"tensorflow.python" not in pickle.dumps(local)


def test_dask_cluster_gives_serial_results(data, serial):
    import distributed  # the test extra installs it

    X, y, _ = data
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with joblib.parallel_backend("dask"), distributed.get_task_stream() as tasks:
            results = grid_search(X, y, n_jobs=-1)
        workers = set(client.scheduler_info()["workers"])
    # the fits ran as tasks on the cluster's worker processes
    assert tasks.data and {task["worker"] for task in tasks.data} <= workers
    assert_same_search(results, serial["grid"])
