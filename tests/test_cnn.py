"""KerasCNNClassifier: the MLP's guarantees, for the convolutional family."""

import pickle
import random

import joblib
import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay

from skmnist import KerasCNNClassifier
from skmnist._compat import InvalidParameterError
from skmnist.models.cnn import build_cnn, image_shape


def small_cnn(**params):
    """A network small enough for the check suite, still learning its toy data."""
    defaults = dict(
        filters=(8,),
        dense_units=16,
        dropout=0.0,
        epochs=20,
        batch_size=32,
        learning_rate=0.01,
        random_state=0,
    )
    return KerasCNNClassifier(**{**defaults, **params})


@pytest.fixture(scope="module")
def digits():
    """load_digits as (n, 8, 8) float32 images in [0, 1]."""
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32).reshape(-1, 8, 8), y


def test_is_a_classifier_with_the_agreed_parameters():
    clf = KerasCNNClassifier()
    assert is_classifier(clf)
    params = clf.get_params()
    assert params["filters"] == (32, 64)
    assert (params["kernel_size"], params["pool_size"]) == (3, 2)
    assert (params["dense_units"], params["dropout"]) == (0, 0.5)
    shared = {
        "optimizer",
        "learning_rate",
        "momentum",
        "nesterovs_momentum",
        "alpha",
        "batch_size",
        "epochs",
        "early_stopping",
        "validation_fraction",
        "n_iter_no_change",
        "tol",
        "class_weight",
        "callbacks",
        "warm_start",
        "random_state",
        "verbose",
    }
    assert shared <= set(params)


def test_default_network_is_keras_simple_mnist_convnet():
    model = build_cnn((28, 28, 1), 10, seed=0)
    assert model.count_params() == 34_826
    assert [layer.name for layer in model.layers] == [
        "conv_1",
        "pool_1",
        "conv_2",
        "pool_2",
        "flatten",
        "dropout",
        "output",
    ]
    # 28 -> 26 -> 13 -> 11 -> 5, "valid" everywhere, as in Keras's example
    assert [tuple(layer.output.shape[1:3]) for layer in model.layers[:4]] == [
        (26, 26),
        (13, 13),
        (11, 11),
        (5, 5),
    ]
    assert model.get_layer("dropout").rate == 0.5


def test_dense_units_adds_a_hidden_layer():
    model = build_cnn((28, 28, 1), 10, dense_units=128, dropout=0.25, seed=0)
    names = [layer.name for layer in model.layers]
    assert names[-3:] == ["hidden", "dropout", "output"]
    assert model.get_layer("hidden").units == 128
    assert "dropout" not in [
        layer.name for layer in build_cnn((28, 28, 1), 10, dropout=0, seed=0).layers
    ]


@pytest.mark.parametrize(
    "sample_shape, expected",
    [
        ((784,), (28, 28, 1)),
        ((64,), (8, 8, 1)),
        ((4,), (2, 2, 1)),
        ((1,), (1, 1, 1)),
        ((2,), (1, 2, 1)),
        ((10,), (1, 10, 1)),
        ((28, 28), (28, 28, 1)),
        ((5, 7, 3), (5, 7, 3)),
    ],
)
def test_image_shape_rule(sample_shape, expected):
    assert image_shape(sample_shape) == expected


def test_samples_of_four_dimensions_are_refused():
    with pytest.raises(ValueError, match=r"got samples of shape \(2, 2, 2, 1\)"):
        image_shape((2, 2, 2, 1))


@pytest.mark.parametrize("shape", [(1, 1, 1), (1, 2, 1), (2, 2, 1), (3, 5, 1)])
def test_tiny_images_never_shrink_to_nothing(shape):
    model = build_cnn(shape, 3, filters=(4, 4, 4), kernel_size=3, pool_size=2, seed=0)
    assert model.output_shape == (None, 3)
    assert all(min(layer.output.shape[1:3]) >= 1 for layer in model.layers[:6])


def test_images_flat_rows_and_channel_axis_are_the_same_input(digits):
    X, y = digits
    clf = small_cnn(epochs=2).fit(X, y)
    assert clf.image_shape_ == (8, 8, 1)
    assert clf.model_.inputs[0].shape[1:] == (8, 8, 1)
    expected = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.predict_proba(X[..., None]), expected)
    np.testing.assert_array_equal(clf.predict_proba(X.reshape(len(X), 64)), expected)
    # flat training rows are read as the same 8 x 8 images
    flat = small_cnn(epochs=2).fit(X.reshape(len(X), 64), y)
    np.testing.assert_array_equal(flat.predict_proba(X), expected)


def test_predicting_other_image_shapes_names_both(digits):
    X, y = digits
    clf = small_cnn(epochs=1).fit(X, y)
    with pytest.raises(ValueError, match=r"49 features.*expecting 64.*\(8, 8, 1\)"):
        clf.predict(X[:, :7, :7])
    # as many pixels, another shape
    with pytest.raises(ValueError, match=r"\(4, 16, 1\).*\(8, 8, 1\)"):
        clf.predict(X.reshape(-1, 4, 16))


def test_same_random_state_gives_identical_predictions(digits):
    X, y = digits
    first = small_cnn(epochs=3, dropout=0.5).fit(X, y).predict_proba(X)
    second = small_cnn(epochs=3, dropout=0.5).fit(X, y).predict_proba(X)
    other = small_cnn(epochs=3, dropout=0.5, random_state=1).fit(X, y)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other.predict_proba(X))


def test_fit_leaves_global_random_state_alone(digits, global_random_state):
    import tensorflow as tf

    X, y = digits
    tf.random.set_seed(1234)
    np.random.seed(99)
    random.seed(7)
    before = global_random_state()
    small_cnn(epochs=2, dropout=0.5, early_stopping=True).fit(X, y)
    assert global_random_state() == before
    after_fit = tf.random.uniform((3,)).numpy()
    tf.random.set_seed(1234)
    np.testing.assert_array_equal(after_fit, tf.random.uniform((3,)).numpy())


def test_results_ignore_callers_global_seeds(digits):
    import tensorflow as tf

    X, y = digits
    tf.random.set_seed(1)
    np.random.seed(1)
    first = small_cnn(epochs=2, dropout=0.5).fit(X, y).predict_proba(X)
    tf.random.set_seed(2)
    np.random.seed(2)
    random.seed(2)
    second = small_cnn(epochs=2, dropout=0.5).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)


def test_partial_fit_epochs_equal_one_fit(digits):
    X, y = digits
    full = small_cnn(epochs=3, dropout=0.5).fit(X, y)
    stepwise = small_cnn(epochs=1, dropout=0.5)
    for _ in range(3):
        stepwise.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_array_equal(full.predict_proba(X), stepwise.predict_proba(X))
    assert stepwise.n_iter_ == 3
    assert stepwise.history_["loss"] == pytest.approx(full.history_["loss"])


def test_early_stopping_stops_and_records_validation(digits):
    X, y = digits
    clf = small_cnn(epochs=10, early_stopping=True, n_iter_no_change=1, tol=10).fit(
        X, y
    )
    assert clf.n_iter_ == 2
    assert set(clf.history_) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_predictions_do_not_depend_on_row_order(digits):
    X, y = digits
    clf = small_cnn(epochs=2).fit(X, y)
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_array_equal(clf.predict(X[order]), clf.predict(X)[order])
    np.testing.assert_allclose(
        clf.predict_proba(X[order]), clf.predict_proba(X)[order], atol=1e-5
    )


@pytest.mark.parametrize(
    "params, match",
    [
        ({"filters": ()}, "filters"),
        ({"filters": (32, 0)}, "filters"),
        ({"filters": (8.5,)}, "filters"),
        ({"kernel_size": 0}, "kernel_size"),
        ({"pool_size": 0}, "pool_size"),
        ({"dense_units": -1}, "dense_units"),
        ({"dropout": 1.0}, "dropout"),
        ({"learning_rate": 0}, "learning_rate"),
    ],
)
def test_bad_parameters_are_refused_at_fit(digits, params, match):
    X, y = digits
    clf = KerasCNNClassifier(**params)  # __init__ only stores
    with pytest.raises((ValueError, InvalidParameterError), match=match):
        clf.fit(X[:20], y[:20])


def test_an_int_filters_means_one_block(digits):
    X, y = digits
    clf = KerasCNNClassifier(filters=4, epochs=1, random_state=0).fit(X[:50], y[:50])
    assert [layer.name for layer in clf.model_.layers][:2] == ["conv_1", "pool_1"]
    assert "conv_2" not in [layer.name for layer in clf.model_.layers]


def test_class_weight_changes_the_loss(digits):
    X, y = digits
    plain = small_cnn(epochs=1).fit(X, y)
    weighted = small_cnn(epochs=1, class_weight={0: 5.0}).fit(X, y)
    assert plain.history_["loss"] != weighted.history_["loss"]


def test_fitted_classifier_survives_clone_pickle_and_joblib(digits, tmp_path):
    X, y = digits
    clf = small_cnn(epochs=2).fit(X, y)
    expected = clf.predict_proba(X)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    assert restored.image_shape_ == (8, 8, 1)
    joblib.dump(clf, tmp_path / "clf.joblib")
    np.testing.assert_array_equal(
        joblib.load(tmp_path / "clf.joblib").predict_proba(X), expected
    )
    fresh = clone(clf)
    assert fresh.get_params() == clf.get_params()
    assert not hasattr(fresh, "model_")


def test_keras_export_takes_images_and_gives_the_same_probabilities(digits, tmp_path):
    import keras

    from skmnist.persistence import export_keras

    X, y = digits
    clf = small_cnn(epochs=2).fit(X, y)
    path = export_keras(clf, tmp_path / "cnn.keras")
    model = keras.models.load_model(path)
    assert model.inputs[0].shape[1:] == (8, 8, 1)
    np.testing.assert_allclose(
        model.predict(X[..., None], verbose=0), clf.predict_proba(X), atol=1e-6
    )


@pytest.fixture(scope="module")
def cnn_pipeline(mnist):
    """A small CNN pipeline on 3,000 MNIST images (a few seconds)."""
    from skmnist import make_mnist_pipeline

    pipe = make_mnist_pipeline(
        model="cnn", filters=(8, 16), learning_rate=0.005, epochs=3, random_state=0
    )
    return pipe.fit(mnist.X_train[:3000], mnist.y_train[:3000])


def test_pipeline_learns_mnist_and_predicts_through_the_fast_path(cnn_pipeline, mnist):
    X_test, y_test = mnist.X_test[:1000], mnist.y_test[:1000]
    assert [name for name, _ in cnn_pipeline.steps] == ["reshape", "classifier"]
    assert cnn_pipeline.score(X_test, y_test) > 0.85
    clf = cnn_pipeline[-1]
    images = cnn_pipeline[0].transform(X_test[:5])
    assert images.shape == (5, 28, 28, 1) and images.dtype == np.float32
    assert clf._is_ready_for_prediction(images)
    np.testing.assert_array_equal(
        cnn_pipeline.predict_proba(X_test[:5]), clf.predict_proba(X_test[:5] / 255)
    )


def test_confusion_matrix_display_from_a_cnn_pipeline(cnn_pipeline, mnist):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X_test, y_test = mnist.X_test[:500], mnist.y_test[:500]
    display = ConfusionMatrixDisplay.from_estimator(cnn_pipeline, X_test, y_test)
    assert display.confusion_matrix.shape == (10, 10)
    assert display.confusion_matrix.sum() == 500
    assert np.trace(display.confusion_matrix) == int(
        (cnn_pipeline.predict(X_test) == y_test).sum()
    )
    plt.close(display.figure_)


def test_report_describes_a_cnn_pipeline(cnn_pipeline, mnist, tmp_path):
    from skmnist import write_report

    X_test, y_test = mnist.X_test[:500], mnist.y_test[:500]
    path = write_report(cnn_pipeline, X_test, y_test, tmp_path / "cnn.html")
    html = path.read_text(encoding="utf-8")
    assert "KerasCNNClassifier" in html
    assert "conv_1" in html and "pool_2" in html
    accuracy = cnn_pipeline.score(X_test, y_test)
    assert f'<span id="test-accuracy">{accuracy:.4f}</span>' in html
