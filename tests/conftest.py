"""Shared fixtures for the test suite."""

import os
import pickle
import random
import shutil

import numpy as np
import pytest


@pytest.fixture(scope="session")
def mnist():
    """The full MNIST Bunch, loaded once per session. Do not modify its arrays.

    Read through the loader's own configuration: the data home, Keras's cache, or
    a verified download (once) into the data home.
    """
    from skmnist.datasets import load_mnist

    return load_mnist()


@pytest.fixture(scope="session")
def fashion_mnist():
    """The full Fashion-MNIST Bunch, loaded once per session. Do not modify it.

    When it is neither on disk nor downloadable, fails with the loader's message,
    which says how to get the data; skips only if the caller opted out with
    ``SKMNIST_SKIP_FASHION=1`` (as for the browser and PostgreSQL tests).
    """
    from skmnist.datasets import DatasetNotFoundError, load_fashion_mnist

    if os.environ.get("SKMNIST_SKIP_FASHION") == "1":
        pytest.skip("SKMNIST_SKIP_FASHION=1: tests on the real Fashion-MNIST skipped")
    try:
        return load_fashion_mnist()
    except DatasetNotFoundError as error:
        pytest.fail(
            f"This test needs the real Fashion-MNIST. {error} (`make test` installs "
            "the Debian package when run as root; SKMNIST_SKIP_FASHION=1 skips these "
            "tests.)",
            pytrace=False,
        )


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


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A headless Chromium driven by selenium, offline; shared by the browser tests.

    Needs Debian's ``chromium`` and ``chromium-driver`` and selenium (``make test``
    installs them as root); ``SKMNIST_SKIP_BROWSER=1`` skips these tests.
    """
    if os.environ.get("SKMNIST_SKIP_BROWSER") == "1":
        pytest.skip("SKMNIST_SKIP_BROWSER=1: browser tests skipped")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        webdriver = None
    if not (chromium and driver_path and webdriver):
        pytest.fail(
            "the browser tests (HTML report, skmnist serve) need chromium, "
            "chromedriver and selenium: `apt-get install -y chromium "
            "chromium-driver` and `pip install selenium` (or set "
            "SKMNIST_SKIP_BROWSER=1 to skip them)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with pytest.MonkeyPatch.context() as patch:
        # never let selenium look for (and download) drivers or browsers
        patch.setenv("SE_OFFLINE", "true")
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture
def global_random_state():
    """``snapshot()``: Python's, NumPy's, TensorFlow's and Keras's global random state.

    Compare two snapshots to show that a fit neither read-and-advanced nor set any
    of them.
    """

    def snapshot():
        import keras
        from keras.src.backend.common import global_state
        from tensorflow.python.eager import context
        from tensorflow.python.framework import config

        generator = global_state.get_global_attribute("global_seed_generator")
        return {
            "python": random.getstate(),
            "numpy": pickle.dumps(np.random.get_state()),
            "tf_seed": context.global_seed(),
            "tf_op_determinism": config.is_op_determinism_enabled(),
            "tf_deterministic_ops_env": os.environ.get("TF_DETERMINISTIC_OPS"),
            "keras_generator": None
            if generator is None
            else keras.ops.convert_to_numpy(generator.state.value).tolist(),
        }

    return snapshot
