"""Shared fixtures for the test suite."""

from pathlib import Path

import pytest

# the root conftest.py sets SKMNIST_DATA_HOME to this folder unless the caller did
SHARED_DATA_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data_dir():
    """The read-only folder holding ``mnist.npz`` and ``mnist-idx/``."""
    return SHARED_DATA_DIR


@pytest.fixture(scope="session")
def mnist():
    """The full MNIST Bunch, loaded once per session. Do not modify its arrays."""
    from skmnist.data import load_mnist

    return load_mnist()


@pytest.fixture(scope="session")
def fitted_pipeline(mnist):
    """A small MNIST pipeline, trained once per session (about 10 s).

    64 hidden units, 3 epochs on the first 10,000 training images, with early
    stopping so that validation curves are recorded; about 91% test accuracy.
    Shared: never refit or modify it.
    """
    from skmnist.pipeline import make_mnist_pipeline

    pipe = make_mnist_pipeline(
        hidden_layer_sizes=(64,), epochs=3, early_stopping=True, random_state=0
    )
    return pipe.fit(mnist.X_train[:10000], mnist.y_train[:10000])


@pytest.fixture(scope="session")
def saved_pipeline(fitted_pipeline, tmp_path_factory):
    """``fitted_pipeline`` saved with skmnist.persistence.save_model."""
    from skmnist.persistence import save_model

    path = tmp_path_factory.mktemp("model") / "mnist.joblib"
    return save_model(fitted_pipeline, path)


@pytest.fixture(scope="session")
def stratified_split(mnist):
    """``split(n)``: ``n`` training images stratified by digit, and the rest.

    Returns ``(X, y, X_rest)``; the same split on every call (``random_state=0``).
    """
    from sklearn.model_selection import train_test_split

    def split(n_images):
        X, X_rest, y, _ = train_test_split(
            mnist.X_train,
            mnist.y_train,
            train_size=n_images,
            stratify=mnist.y_train,
            random_state=0,
        )
        return X, y, X_rest

    return split
