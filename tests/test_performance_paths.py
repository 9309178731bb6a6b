"""The engine's fast paths behave exactly like the slow ones, for any input shape.

Behaviour only: how fast they are is measured by ``benchmarks/run.py``, never here.
"""

import copy
import gc
import pickle
import weakref

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from skmnist import KerasMLPClassifier, _training
from skmnist._network import layer_seeds
from skmnist.models import BaseKerasClassifier


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


def small(**params):
    defaults = dict(
        hidden_layer_sizes=(32,),
        epochs=3,
        batch_size=32,
        learning_rate=0.01,
        random_state=0,
    )
    return KerasMLPClassifier(**{**defaults, **params})


@pytest.fixture(scope="module")
def fitted(digits):
    X, y = digits
    return small(hidden_layer_sizes=(32, 16), dropout=0.3).fit(X, y)


def test_compiled_prediction_equals_model_predict(fitted, digits):
    X, _ = digits
    expected = fitted.model_.predict(X, verbose=0)
    np.testing.assert_allclose(fitted.predict_proba(X), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(
        fitted.predict(X), fitted.classes_[expected.argmax(axis=1)]
    )


def test_compiled_prediction_in_chunks_equals_one_call(fitted, digits, monkeypatch):
    X, _ = digits
    whole = fitted.predict_proba(X)
    monkeypatch.setattr(_training, "PREDICT_CHUNK", 100)
    np.testing.assert_allclose(fitted.predict_proba(X), whole, rtol=1e-5, atol=1e-6)


def test_prediction_function_is_traced_once_per_model(fitted, digits):
    X, _ = digits
    fitted.predict_proba(X[:1])
    network = fitted._network()
    fitted.predict_proba(X[:7])
    fitted.predict(X)
    assert fitted._network() is network
    assert network._predict.experimental_get_tracing_count() == 1


def test_compiled_functions_are_not_pickled_and_are_rebuilt(fitted, digits):
    X, _ = digits
    expected = fitted.predict_proba(X)
    assert "_network_" in vars(fitted)
    state = fitted.__getstate__()
    assert "_network_" not in state
    assert "_network_" in vars(fitted)  # __getstate__ copied, did not mutate
    for restored in (pickle.loads(pickle.dumps(fitted)), copy.deepcopy(fitted)):
        assert "_network_" not in vars(restored)
        np.testing.assert_array_equal(restored.predict_proba(X), expected)
        assert restored._network().model is restored.model_


def test_refit_builds_new_functions_for_the_new_model(digits):
    X, y = digits
    clf = small(epochs=1).fit(X, y)
    first = clf._network()
    clf.fit(X, y)
    assert clf._network() is not first
    assert clf._network().model is clf.model_


def test_training_function_is_traced_once_per_model(digits):
    X, y = digits
    clf = small(epochs=2, warm_start=True).fit(X, y)
    network = clf._network()
    clf.fit(X, y)
    clf.partial_fit(X[:500], y[:500])  # other length: same trace
    clf.set_params(batch_size=64).partial_fit(X, y)  # other batch size: same trace
    assert clf._network() is network
    assert network._train_epoch.experimental_get_tracing_count() == 1


def test_fast_validation_passes_float32_through_uncopied(fitted, digits):
    X, _ = digits
    X = np.ascontiguousarray(X[:5])
    assert fitted._validate_data(X)[0] is X


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_fast_validation_still_refuses_non_finite_values(fitted, digits, bad):
    X, _ = digits
    X = X[:5].copy()
    X[2, 3] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        fitted.predict_proba(X)


def test_fast_validation_still_refuses_wrong_width(fitted, digits):
    X, _ = digits
    with pytest.raises(ValueError, match="features"):
        fitted.predict(np.ascontiguousarray(X[:5, :10]))


def test_other_inputs_take_the_full_validation(fitted, digits):
    X, _ = digits
    expected = fitted.predict_proba(X[:20])
    for variant in (
        X[:20].astype(np.float64),
        np.asfortranarray(X[:20]),
        X[:20].tolist(),
    ):
        np.testing.assert_array_equal(fitted.predict_proba(variant), expected)


def test_many_fits_release_their_models_and_graphs(digits):
    # TensorFlow's global gradient registry kept one entry, and through it the
    # whole training graph and model, per traced training function.
    from tensorflow.python.framework import ops

    X, y = digits
    small(epochs=1).fit(X, y).predict(X[:3])
    registry = len(ops._gradient_registry._registry)
    refs = []
    for seed in range(3):
        clf = small(epochs=1, random_state=seed).fit(X, y)
        clf.predict(X[:3])
        refs.append(weakref.ref(clf.model_))
        del clf
    gc.collect()
    assert len(ops._gradient_registry._registry) == registry
    assert all(ref() is None for ref in refs)


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events, self.weights = [], []

    def on_train_begin(self, logs=None):
        self.events.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("epoch_begin", epoch))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(("epoch_end", epoch, sorted(logs)))
        self.weights.append(self.model.get_weights())

    def on_train_end(self, logs=None):
        self.events.append("train_end")


def test_user_callbacks_are_called_per_epoch(digits):
    X, y = digits
    recorder = Recorder()
    small(epochs=2, callbacks=[recorder]).fit(X, y)
    assert recorder.events == [
        "train_begin",
        ("epoch_begin", 0),
        ("epoch_end", 0, ["accuracy", "loss"]),
        ("epoch_begin", 1),
        ("epoch_end", 1, ["accuracy", "loss"]),
        "train_end",
    ]


def test_a_callback_can_stop_training(digits):
    X, y = digits

    class StopAfterTwo(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    clf = small(epochs=10, callbacks=[StopAfterTwo()]).fit(X, y)
    assert clf.n_iter_ == 2


def test_early_stopping_restores_the_best_epochs_weights(digits):
    X, y = digits
    recorder = Recorder()
    clf = small(
        epochs=100, early_stopping=True, n_iter_no_change=2, callbacks=[recorder]
    ).fit(X, y)
    assert clf.n_iter_ < 100
    best = int(np.argmin(clf.history_["val_loss"]))
    for kept, best_weights in zip(
        clf.model_.get_weights(), recorder.weights[best], strict=True
    ):
        np.testing.assert_array_equal(kept, best_weights)


def test_history_matches_keras_evaluate_on_validation(digits):
    # val_loss / val_accuracy are what Keras's evaluate reports on the held-out rows
    X, y = digits
    recorder = Recorder()
    clf = small(epochs=1, early_stopping=True, callbacks=[recorder]).fit(X, y)
    _, valid = clf._split_validation(clf.target_encoder_.transform(y).reshape(-1))
    loss, accuracy = clf.model_.evaluate(X[valid], y[valid], verbose=0)
    assert clf.history_["val_loss"][0] == pytest.approx(loss, rel=1e-4)
    assert clf.history_["val_accuracy"][0] == pytest.approx(accuracy, abs=1e-6)


@pytest.mark.parametrize("verbose", [1, 2])
def test_verbose_shows_progress_per_epoch(digits, capsys, verbose):
    X, y = digits
    small(epochs=2, verbose=verbose).fit(X, y)
    out = capsys.readouterr().out
    # one plain line per epoch, whatever the level: no bar, no backspaces
    lines = out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]
    assert all("loss: " in line for line in lines)
    assert "\b" not in out and "\r" not in out


def test_silent_by_default(digits, capsys):
    X, y = digits
    small(epochs=1).fit(X, y)
    assert capsys.readouterr().out == ""


# --- the engine takes its input shape from the model, not a 2-D assumption --------


class TinyImageClassifier(BaseKerasClassifier):
    """A minimal image architecture: (n, h, w) or (n, h, w, 1) in, one dense layer."""

    _allow_nd = True

    def __init__(self, *, epochs=2, batch_size=32, learning_rate=0.01, random_state=0):
        super().__init__(
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            random_state=random_state,
        )

    def _network_input(self, X):
        return X[..., None] if X.ndim == 3 else X

    def _build_network(self, input_shape, n_classes, seed):
        (kernel_seed, _) = layer_seeds(seed, 1)
        init = keras.initializers.GlorotUniform(seed=kernel_seed)
        return keras.Sequential(
            [
                keras.Input(shape=input_shape),
                keras.layers.Flatten(),
                keras.layers.Dense(n_classes, "softmax", kernel_initializer=init),
            ]
        )


@pytest.fixture(scope="module")
def images(digits):
    X, y = digits
    return np.ascontiguousarray(X.reshape(-1, 8, 8)), y


@pytest.fixture(scope="module")
def fitted_images(images):
    X, y = images
    return TinyImageClassifier().fit(X, y)


def test_image_engine_reads_its_input_shape_from_the_model(fitted_images, images):
    X, y = images
    clf = fitted_images
    assert clf._network().input_shape == (8, 8, 1)
    assert tuple(clf.model_.inputs[0].shape[1:]) == (8, 8, 1)
    assert clf.n_features_in_ == 64
    assert clf.score(X, y) > 0.8
    expected = clf.model_.predict(X[..., None], verbose=0)
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-5, atol=1e-6)


def test_image_fast_path_passes_the_models_shape_through_uncopied(
    fitted_images, images
):
    X, _ = images
    X4 = np.ascontiguousarray(X[:5, :, :, None])
    assert fitted_images._validate_data(X4)[0] is X4
    # (n, h, w) takes the full path, reshaped without a copy, to the same answer
    np.testing.assert_array_equal(
        fitted_images.predict_proba(X[:5]), fitted_images.predict_proba(X4)
    )
    np.testing.assert_array_equal(
        fitted_images.predict_proba(X[:5].astype(np.float64).tolist()),
        fitted_images.predict_proba(X4),
    )


def test_image_engine_refuses_other_shapes_naming_both(fitted_images, images):
    X, _ = images
    with pytest.raises(ValueError, match=r"\(6, 6, 1\).*\(8, 8, 1\)"):
        fitted_images.predict(np.ascontiguousarray(X[:5, :6, :6]))
    with pytest.raises(ValueError, match=r"\(64,\).*\(8, 8, 1\)"):
        fitted_images.predict(X[:5].reshape(5, 64))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        fitted_images.predict(X[0, 0])
    bad = X[:5].copy()
    bad[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fitted_images.predict(bad[..., None])


def test_image_engine_partial_fit_equals_fit(images):
    X, y = images
    full = TinyImageClassifier(epochs=3).fit(X, y)
    stepwise = TinyImageClassifier()
    for _ in range(3):
        stepwise.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_array_equal(full.predict_proba(X), stepwise.predict_proba(X))
    assert stepwise._network()._train_epoch.experimental_get_tracing_count() == 1


def test_shared_tensor_keeps_an_image_batchs_shape_and_values(images):
    X, _ = images
    unaligned = np.empty(X.size + 1, dtype=np.float32)[1:].reshape(X.shape)
    unaligned[...] = X
    tensor = _training._shared_tensor(unaligned[..., None])
    assert tuple(tensor.shape) == (*X.shape, 1)
    np.testing.assert_array_equal(tensor.numpy()[..., 0], X)
