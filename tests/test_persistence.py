"""Saving and loading fitted pipelines, and exporting the network to ``.keras``."""

import os

import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skmnist.persistence import export_keras, load_model, save_model


@pytest.fixture(scope="module")
def X_check(mnist):
    return mnist.X_test[:300]


# -- joblib ------------------------------------------------------------------------


def test_round_trip_gives_identical_probabilities(
    saved_pipeline, fitted_pipeline, X_check
):
    loaded = load_model(saved_pipeline)

    assert [name for name, _ in loaded.steps] == ["flatten", "classifier"]
    assert_array_equal(
        loaded.predict_proba(X_check), fitted_pipeline.predict_proba(X_check)
    )
    assert loaded[-1].history_ == fitted_pipeline[-1].history_
    assert loaded.get_params()["classifier__hidden_layer_sizes"] == (64,)


def test_save_creates_folders_and_returns_the_path(tmp_path):
    from skmnist import ImageFlattener

    path = save_model(ImageFlattener().fit([[[0, 255]]]), tmp_path / "a" / "b.joblib")
    assert path == tmp_path / "a" / "b.joblib" and path.is_file()


def test_failed_save_leaves_no_partial_file(tmp_path, monkeypatch):
    import joblib

    from skmnist import ImageFlattener

    path = tmp_path / "model.joblib"
    save_model(ImageFlattener().fit([[[0, 255]]]), path)
    before = path.read_bytes()

    def dump_half_then_fail(value, file, **kwargs):
        file.write(b"half a model")
        raise OSError("disk full")

    monkeypatch.setattr(joblib, "dump", dump_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        save_model(ImageFlattener().fit([[[0, 1]]]), path)
    assert path.read_bytes() == before
    with pytest.raises(OSError, match="disk full"):
        save_model(ImageFlattener(), tmp_path / "new.joblib")
    assert sorted(os.listdir(tmp_path)) == ["model.joblib"]


def test_load_missing_file_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="no saved model at .*missing.joblib"):
        load_model(tmp_path / "missing.joblib")


def test_load_garbage_or_truncated_file_says_so(tmp_path, saved_pipeline):
    garbage = tmp_path / "garbage.joblib"
    garbage.write_bytes(b"this is not a model")
    truncated = tmp_path / "truncated.joblib"
    truncated.write_bytes(saved_pipeline.read_bytes()[:20000])

    for path in (garbage, truncated):
        with pytest.raises(ValueError, match="not a readable skmnist model file"):
            load_model(path)


# -- .keras export -----------------------------------------------------------------


def test_keras_export_reproduces_predict_proba(fitted_pipeline, X_check, tmp_path):
    import keras

    flat = fitted_pipeline[0].transform(X_check)
    expected = fitted_pipeline.predict_proba(X_check)
    for estimator in (fitted_pipeline, fitted_pipeline[-1]):
        path = export_keras(estimator, tmp_path / "mnist.keras")
        assert path == tmp_path / "mnist.keras"

        network = keras.saving.load_model(path)
        assert_allclose(network.predict(flat, verbose=0), expected, atol=1e-6)
    assert os.listdir(tmp_path) == ["mnist.keras"]  # no temporary file left
    assert (path.stat().st_mode & 0o777) != 0o600  # not mkstemp's private mode


def test_keras_export_of_a_cnn_takes_the_reshaped_images(mnist, tmp_path):
    import keras

    from skmnist.pipeline import make_mnist_pipeline

    pipe = make_mnist_pipeline(model="cnn", filters=(8,), epochs=1, random_state=0)
    pipe.fit(mnist.X_train[:600], mnist.y_train[:600])
    X = mnist.X_test[:100]
    path = export_keras(pipe, tmp_path / "cnn.keras")

    network = keras.saving.load_model(path)
    images = pipe[0].transform(X)
    assert images.shape == (100, 28, 28, 1)
    assert_allclose(
        network.predict(images, verbose=0), pipe.predict_proba(X), atol=1e-6
    )
    assert os.listdir(tmp_path) == ["cnn.keras"]


def test_keras_export_checks_its_arguments(fitted_pipeline, tmp_path):
    from sklearn.exceptions import NotFittedError

    from skmnist.pipeline import make_mnist_pipeline

    with pytest.raises(ValueError, match=r"must end in \.keras"):
        export_keras(fitted_pipeline, tmp_path / "mnist.h5")
    with pytest.raises(NotFittedError):
        export_keras(make_mnist_pipeline(), tmp_path / "mnist.keras")
    assert os.listdir(tmp_path) == []


def test_failed_keras_export_leaves_no_file(fitted_pipeline, tmp_path, monkeypatch):
    def save_half_then_fail(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as file:
            file.write(b"half a network")
        raise OSError("disk full")

    # on the class, so the shared fitted network itself is never touched
    monkeypatch.setattr(type(fitted_pipeline[-1].model_), "save", save_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        export_keras(fitted_pipeline, tmp_path / "mnist.keras")
    assert os.listdir(tmp_path) == []
