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
