"""Training recipes of the shared engine: augmentation, schedules, smoothing, BN."""

import numpy as np
import pytest
from scipy import ndimage
from sklearn.datasets import load_digits

from skmnist import KerasCNNClassifier, KerasMLPClassifier
from skmnist._compat import InvalidParameterError
from skmnist._network import make_schedule

AUGMENT = dict(shift_range=1.0, rotation_range=15.0, zoom_range=0.1)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


def cnn(**params):
    defaults = dict(filters=(4,), epochs=2, batch_size=64, random_state=0)
    return KerasCNNClassifier(**{**defaults, **params})


# -- augmentation ------------------------------------------------------------------
def test_augmentation_is_reproducible_and_seeded(digits):
    X, y = digits
    first = cnn(**AUGMENT).fit(X, y).predict_proba(X)
    again = cnn(**AUGMENT).fit(X, y).predict_proba(X)
    plain = cnn().fit(X, y).predict_proba(X)
    reseeded = cnn(**AUGMENT, random_state=1).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, plain)
    assert not np.array_equal(first, reseeded)


def test_zero_ranges_are_no_augmentation(digits):
    X, y = digits
    off = cnn(shift_range=0.0, rotation_range=0, zoom_range=0.0, label_smoothing=0.0)
    np.testing.assert_array_equal(
        off.fit(X, y).predict_proba(X), cnn().fit(X, y).predict_proba(X)
    )


def test_one_image_transform_is_a_bilinear_shift():
    # rotation and zoom at 0: each image must be moved by its drawn shift, as
    # scipy's order-1 shift with zeros outside (interpolated with) moves it
    import tensorflow as tf

    clf = cnn().fit(*load_digits(return_X_y=True))
    network = clf._network()
    images = (load_digits().images[:5] / 16).astype(np.float32)[..., None]
    seed = tf.constant([3, 4], tf.int64)
    ranges = tf.constant([2.0, 0.0, 0.0])
    moved = network._augment(tf.constant(images), ranges, seed).numpy()
    draws = tf.random.stateless_uniform([5, 4], seed, minval=-1.0, maxval=1.0)
    shifts = draws.numpy()[:, :2] * 2.0
    for image, out, (dx, dy) in zip(images, moved, shifts, strict=True):
        expected = ndimage.shift(
            image[..., 0], (dy, dx), order=1, mode="grid-constant", cval=0.0
        )
        np.testing.assert_allclose(out[..., 0], expected, atol=1e-5)


def test_augmentation_never_touches_prediction_or_validation(digits):
    X, y = digits
    clf = cnn(**AUGMENT, early_stopping=True, epochs=3).fit(X, y)
    images = X.reshape(-1, 8, 8, 1)
    np.testing.assert_array_equal(
        clf.predict_proba(X), clf.model_(images, training=False).numpy()
    )
    # the kept network's validation accuracy is that of the untouched held-out rows
    _, valid = clf._split_validation(np.asarray(y))
    assert clf.best_validation_score_ == pytest.approx(
        clf.score(X[valid], y[valid]), abs=1e-6
    )


def test_partial_fit_epochs_see_the_augmentation_of_fit(digits):
    X, y = digits
    whole = cnn(**AUGMENT, epochs=2).fit(X, y)
    steps = cnn(**AUGMENT, epochs=2)
    for _ in range(2):
        steps.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_array_equal(whole.predict_proba(X), steps.predict_proba(X))


def test_flat_rows_are_augmented_as_square_images(digits):
    X, y = digits
    mlp = KerasMLPClassifier(hidden_layer_sizes=(16,), epochs=1, random_state=0)
    plain = mlp.fit(X, y).predict_proba(X)
    shifted = mlp.set_params(shift_range=1.0).fit(X, y).predict_proba(X)
    assert shifted.shape == plain.shape and not np.array_equal(plain, shifted)
    with pytest.raises(ValueError, match="not images.*Set the three ranges to 0"):
        mlp.fit(X[:, :10], y)


# -- schedules ---------------------------------------------------------------------
def test_one_cycle_warms_up_then_decays():
    schedule = make_schedule("one-cycle", 0.01, 100)
    rates = [float(schedule(step)) for step in range(101)]
    assert rates[0] == pytest.approx(0.01 / 25)
    assert max(rates) == pytest.approx(0.01) and int(np.argmax(rates)) == 30
    assert rates[-1] == pytest.approx(0.01 / 250000)
    assert np.all(np.diff(rates[:31]) > 0) and np.all(np.diff(rates[30:]) <= 0)


@pytest.mark.parametrize("schedule", ["cosine", "one-cycle"])
def test_schedule_continues_across_partial_fit(digits, schedule):
    X, y = digits
    whole = cnn(learning_rate_schedule=schedule, learning_rate=0.01, epochs=3)
    whole.fit(X, y)
    steps = cnn(learning_rate_schedule=schedule, learning_rate=0.01, epochs=3)
    rates = []
    for _ in range(3):
        steps.partial_fit(X, y, classes=np.unique(y))
        rates.append(float(np.asarray(steps.model_.optimizer.learning_rate)))
    np.testing.assert_array_equal(whole.predict_proba(X), steps.predict_proba(X))
    per_epoch = -(-len(X) // 64)
    assert int(np.asarray(steps.model_.optimizer.iterations)) == 3 * per_epoch
    expected = make_schedule(schedule, 0.01, 3 * per_epoch)
    assert rates == pytest.approx([float(expected(k * per_epoch)) for k in (1, 2, 3)])
    assert rates[-1] < 1e-6  # the schedule ran exactly once over the 3 calls


def test_schedule_is_laid_out_on_the_rows_early_stopping_trains_on(digits):
    X, y = digits
    clf = cnn(learning_rate_schedule="cosine", early_stopping=True, epochs=2)
    clf.fit(X, y)
    train, _ = clf._split_validation(np.asarray(y))
    steps = 2 * -(-len(train) // 64)
    assert clf.model_.optimizer.learning_rate.numpy() == pytest.approx(
        float(make_schedule("cosine", 0.001, steps)(int(clf.n_iter_) * steps // 2)),
        abs=1e-9,
    )


# -- label smoothing ---------------------------------------------------------------
def test_label_smoothing_is_keras_label_smoothing(digits):
    import keras

    X, y = digits
    network = cnn().fit(X, y)._network()
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(10), size=20).astype(np.float32)
    labels = rng.integers(0, 10, size=20).astype(np.int32)
    ours = network._smoothed_loss(labels, proba, 0.1).numpy()
    theirs = keras.losses.CategoricalCrossentropy(label_smoothing=0.1, reduction=None)(
        np.eye(10, dtype=np.float32)[labels], proba
    )
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-5)


def test_label_smoothing_changes_the_training_loss_only(digits):
    X, y = digits
    plain = cnn(early_stopping=True).fit(X, y)
    smooth = cnn(early_stopping=True, label_smoothing=0.2).fit(X, y)
    assert smooth.history_["loss"][0] != plain.history_["loss"][0]
    # val_loss is the plain cross-entropy of the smoothed model's predictions
    _, valid = smooth._split_validation(np.asarray(y))
    proba = smooth.predict_proba(X[valid])
    nll = -np.log(np.clip(proba[np.arange(len(valid)), y[valid]], 1e-7, 1))
    assert smooth.history_["val_loss"][-1] == pytest.approx(nll.mean(), rel=1e-4)


# -- batch normalisation -----------------------------------------------------------
def test_batch_normalization_blocks_train_and_predict(digits):
    X, y = digits
    clf = cnn(
        filters=(4, 8),
        batch_normalization=True,
        epochs=5,
        batch_size=32,
        learning_rate=0.01,
    ).fit(X, y)
    kinds = [type(layer).__name__ for layer in clf.model_.layers]
    assert kinds.count("BatchNormalization") == 2
    assert clf.model_.get_layer("conv_1").bias is None
    moving = clf.model_.get_layer("norm_1").moving_mean.numpy()
    assert np.any(moving != 0)  # the training batches updated the statistics
    assert clf.score(X, y) > 0.5
    assert cnn(filters=(4, 8)).fit(X, y).model_.get_layer("conv_1").bias is not None


def test_same_padding_keeps_the_image_size_through_the_convolutions(digits):
    X, y = digits  # 8 x 8 images
    fit = dict(filters=(4, 8), epochs=5, batch_size=32, learning_rate=0.01)
    same = cnn(padding="same", **fit).fit(X, y)
    valid = cnn(**fit).fit(X, y)

    def conv_sizes(clf):
        return [
            tuple(clf.model_.get_layer(f"conv_{i}").output.shape[1:3]) for i in (1, 2)
        ]

    assert conv_sizes(same) == [(8, 8), (4, 4)]  # only the pooling shrinks it
    assert conv_sizes(valid) == [(6, 6), (1, 1)]  # 8 -> 6 -> 3 -> 1
    assert same.model_.count_params() > valid.model_.count_params()
    assert same.score(X, y) > 0.5


# -- parameters --------------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"rotation_range": 200},
        {"zoom_range": 1.0},
        {"shift_range": -1},
        {"label_smoothing": 1.0},
        {"learning_rate_schedule": "linear"},
        {"batch_normalization": "yes"},
        {"padding": "full"},
        {"weight_decay": -0.1},
        {"dtype_policy": "mixed_float16"},
    ],
)
def test_bad_recipe_parameters_are_refused(digits, params):
    name = next(iter(params))
    with pytest.raises(InvalidParameterError, match=name):
        cnn(**params).fit(*digits)


# -- decoupled weight decay ----------------------------------------------------------
def test_weight_decay_is_decoupled_and_follows_the_learning_rate(digits):
    # one step of plain SGD (no momentum): w <- w - lr * g - lr * wd * w, the
    # decay applied to the weights, never through the gradient (AdamW's rule)
    X, y = digits
    params = dict(optimizer="sgd", momentum=0.0, learning_rate=0.1, epochs=1)
    plain = cnn(**params, batch_size=len(X)).fit(X, y)
    decayed = cnn(**params, batch_size=len(X), weight_decay=0.5).fit(X, y)
    assert decayed.model_.optimizer.weight_decay == 0.5
    # the same seeded initial weights, left as they are by a vanishing step
    start = cnn(**{**params, "learning_rate": 1e-30}, batch_size=len(X)).fit(X, y)
    for before, a, b in zip(
        start.model_.get_weights(),
        plain.model_.get_weights(),
        decayed.model_.get_weights(),
        strict=True,
    ):
        # Keras decays the weights before applying the gradient step
        np.testing.assert_allclose(b, a - 0.1 * 0.5 * before, rtol=1e-5, atol=1e-6)


def test_weight_decay_none_keeps_the_optimizers_default(digits):
    X, y = digits
    assert cnn(optimizer="adamw").fit(X, y).model_.optimizer.weight_decay == 0.004
    assert cnn().fit(X, y).model_.optimizer.weight_decay is None
    routed = cnn(optimizer="adamw", weight_decay=0.01).fit(X, y)
    assert routed.model_.optimizer.weight_decay == 0.01


# -- bfloat16 ------------------------------------------------------------------------
@pytest.mark.parametrize("family", [KerasCNNClassifier, KerasMLPClassifier])
def test_mixed_bfloat16_computes_in_bfloat16_and_answers_float32(digits, family):
    import keras

    X, y = digits
    small = dict(epochs=5, batch_size=64, learning_rate=0.01, random_state=0)
    small.update(filters=(4,)) if family is KerasCNNClassifier else small.update(
        hidden_layer_sizes=(16,)
    )
    clf = family(**small, dtype_policy="mixed_bfloat16").fit(X, y)
    again = family(**small, dtype_policy="mixed_bfloat16").fit(X, y)
    policies = {layer.name: layer.dtype_policy.name for layer in clf.model_.layers}
    assert policies.pop("output") == "float32"  # softmax in float32
    assert set(policies.values()) == {"mixed_bfloat16"}
    assert all(w.dtype == np.float32 for w in clf.model_.get_weights())
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float32
    np.testing.assert_array_equal(proba, again.predict_proba(X))  # reproducible
    assert not np.array_equal(proba, family(**small).fit(X, y).predict_proba(X))
    assert clf.score(X, y) > 0.8
    # Keras's default policy is left as it was
    assert keras.config.dtype_policy().name == "float32"


def test_mixed_bfloat16_exports_float32_onnx(digits, tmp_path):
    pytest.importorskip("onnxruntime")
    from skmnist import OnnxClassifier, export_onnx, make_mnist_pipeline

    X, y = digits
    images = X.reshape(-1, 8, 8)
    pipe = make_mnist_pipeline(
        model="cnn",
        filters=(4,),
        epochs=2,
        random_state=0,
        batch_normalization=True,
        dtype_policy="mixed_bfloat16",
    ).fit(images, y)
    path = export_onnx(pipe, tmp_path / "bf16.onnx")
    onnx = OnnxClassifier(path)
    proba = onnx.predict_proba(images)
    assert proba.dtype == np.float32
    # the exported graph computes in float32: close to the bfloat16 network's
    # answers to bfloat16's precision (3 significant digits)
    np.testing.assert_allclose(proba, pipe.predict_proba(images), atol=2e-2)
    assert np.mean(onnx.predict(images) == pipe.predict(images)) > 0.97


# -- presets -------------------------------------------------------------------------
def test_presets_are_their_familys_pipeline_with_the_recipe():
    from skmnist import make_mnist_pipeline
    from skmnist.models import FAMILIES, PRESETS

    for name, preset in PRESETS.items():
        pipe = make_mnist_pipeline(model=name)
        family = FAMILIES[preset.family]
        assert isinstance(pipe[-1], family.load_estimator())
        assert pipe.steps[0][0] == family.image_step[0]
        params = pipe[-1].get_params()
        for key, value in preset.params:
            assert params[key] == value, (name, key)
    # what the caller gives wins over the preset
    pipe = make_mnist_pipeline(model="cnn-strong", epochs=1, random_state=3)
    assert pipe[-1].epochs == 1 and pipe[-1].random_state == 3
    assert (
        pipe[-1].shift_range == PRESETS["cnn-strong"].estimator_params()["shift_range"]
    )


def test_an_unknown_preset_names_the_presets():
    from skmnist import make_mnist_pipeline

    with pytest.raises(ValueError, match="cnn-strong"):
        make_mnist_pipeline(model="cnn-strongest")
