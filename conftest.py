"""Root conftest: applies to the doctests in skmnist/ as well as to tests/.

The data home is the loader's own: ``SKMNIST_DATA_HOME`` if the caller set it, else
the per-user cache, where MNIST is downloaded once (or found in Keras's cache).
"""

import os

# scikit-learn's array-API estimator check (NumPy namespace) runs only with this set
# before SciPy is imported; without it the check skips itself
os.environ.setdefault("SCIPY_ARRAY_API", "1")
# quiet TensorFlow's start-up chatter in test logs
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_collection_modifyitems(config, items):
    """``SKMNIST_SKIP_FASHION=1`` also skips the doctests that load Fashion-MNIST."""
    if os.environ.get("SKMNIST_SKIP_FASHION") != "1":
        return
    import pytest

    skip = pytest.mark.skip(reason="SKMNIST_SKIP_FASHION=1: Fashion-MNIST doctest")
    for item in items:
        if item.name.endswith("fashion_mnist.load_fashion_mnist"):
            item.add_marker(skip)
