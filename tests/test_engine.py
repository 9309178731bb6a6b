"""The shared engine (BaseKerasClassifier), exercised through the dense family.

Training, seeding, early stopping, partial_fit, class weights, prediction and state:
what every family inherits. The checks run over every family, scikit-learn's
estimator checks included, are in test_families.py; a family's own architecture is
tested in its own file (test_mlp.py, test_cnn.py, test_custom.py).
"""

import os
import pickle
import random
import subprocess
import sys

import joblib
import numpy as np
import pytest
from sklearn.base import ClassifierMixin, clone, is_classifier
from sklearn.datasets import load_digits
from sklearn.metrics import RocCurveDisplay, recall_score
from sklearn.utils.class_weight import compute_class_weight

from skmnist import KerasMLPClassifier
from skmnist._compat import InvalidParameterError


def small_classifier(**params):
    """A network small enough for the check suite, still learning its toy data."""
    defaults = dict(
        hidden_layer_sizes=(32,),
        epochs=20,
        batch_size=32,
        learning_rate=0.01,
        random_state=0,
    )
    return KerasMLPClassifier(**{**defaults, **params})


def test_mixin_order_cannot_be_fixed_in_a_subclass():
    with pytest.raises(TypeError, match="consistent method resolution"):
        type("Reordered", (ClassifierMixin, KerasMLPClassifier), {})


def test_scikeras_alone_is_not_a_classifier_but_ours_is():
    # the trap this class exists to fix (scikit-learn >= 1.6): plain scikeras is not
    # seen as a classifier (1.7+) or cannot even report its tags (1.6.x, scikeras#332)
    from scikeras.wrappers import KerasClassifier

    try:
        plain = is_classifier(KerasClassifier())
    except AttributeError as exc:
        assert "__sklearn_tags__" in str(exc)
        plain = False
    assert not plain
    assert is_classifier(KerasMLPClassifier())


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


def test_same_random_state_gives_identical_predictions(digits):
    X, y = digits
    first = small_classifier(epochs=3).fit(X, y).predict_proba(X)
    second = small_classifier(epochs=3).fit(X, y).predict_proba(X)
    other = small_classifier(epochs=3, random_state=1).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def test_fit_leaves_global_random_state_alone(digits, global_random_state):
    import tensorflow as tf

    X, y = digits
    tf.random.set_seed(1234)
    np.random.seed(99)
    random.seed(7)
    before = global_random_state()
    small_classifier(epochs=2, early_stopping=True).fit(X, y)
    assert global_random_state() == before
    # and TensorFlow's global stream continues as if nothing had happened
    after_fit = tf.random.uniform((3,)).numpy()
    tf.random.set_seed(1234)
    np.testing.assert_array_equal(after_fit, tf.random.uniform((3,)).numpy())


def test_results_ignore_callers_global_seeds(digits):
    import tensorflow as tf

    X, y = digits
    tf.random.set_seed(1)
    np.random.seed(1)
    first = small_classifier(epochs=2).fit(X, y).predict_proba(X)
    tf.random.set_seed(2)
    np.random.seed(2)
    random.seed(2)
    second = small_classifier(epochs=2).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)


def test_partial_fit_epochs_equal_one_fit(digits):
    X, y = digits
    full = small_classifier(epochs=3).fit(X, y)
    stepwise = small_classifier(epochs=1)
    for _ in range(3):
        stepwise.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_array_equal(full.predict_proba(X), stepwise.predict_proba(X))
    assert stepwise.n_iter_ == 3
    assert stepwise.history_["loss"] == pytest.approx(full.history_["loss"])


def test_history_records_each_epoch(digits):
    X, y = digits
    clf = small_classifier(epochs=4).fit(X, y)
    assert set(clf.history_) == {"loss", "accuracy"}
    assert len(clf.history_["loss"]) == clf.n_iter_ == 4
    assert clf.history_["loss"][-1] < clf.history_["loss"][0]
    assert clf.fit_time_ > 0


def test_early_stopping_holds_out_validation_data_and_stops(digits):
    X, y = digits
    clf = small_classifier(
        epochs=200, early_stopping=True, n_iter_no_change=2, validation_fraction=0.2
    ).fit(X, y)
    assert {"val_loss", "val_accuracy"} <= set(clf.history_)
    assert clf.n_iter_ < 200
    # it stopped because the last n_iter_no_change epochs did not improve by tol
    val_loss = clf.history_["val_loss"]
    assert min(val_loss[-2:]) > min(val_loss[:-2]) - clf.tol


def test_predict_proba_of_one_sample_keeps_two_dimensions(digits):
    # scikeras squeezes a single row to 1-D; a classifier must not
    X, y = digits
    clf = small_classifier(epochs=1).fit(X, y)
    proba = clf.predict_proba(X[:1])
    assert proba.shape == (1, 10)
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)


def test_predictions_do_not_depend_on_row_order(digits):
    X, y = digits
    clf = small_classifier(epochs=2).fit(X, y)
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_array_equal(clf.predict(X)[order], clf.predict(X[order]))
    np.testing.assert_allclose(
        clf.predict_proba(X)[order], clf.predict_proba(X[order]), atol=1e-5
    )


def test_large_and_small_batches_predict_alike(digits):
    # small inputs take a direct call, large ones Model.predict: same answers
    X, y = digits
    clf = small_classifier(epochs=2).fit(X, y)
    big = clf.predict_proba(np.concatenate([X, X]))[: len(X)]
    small = np.concatenate(
        [clf.predict_proba(X[i : i + 500]) for i in range(0, len(X), 500)]
    )
    np.testing.assert_allclose(big, small, atol=1e-5)


def test_string_labels(digits):
    X, y = digits
    names = np.array(["zero", "one", "two", "three", "four"] * 2)[y]
    clf = small_classifier(epochs=3).fit(X, names)
    assert set(clf.predict(X)) <= set(names)
    assert list(clf.classes_) == sorted(set(names))


def test_binary_problem_works_with_roc_curve_display(digits):
    import matplotlib

    matplotlib.use("Agg")
    X, y = digits
    mask = y < 2
    clf = small_classifier(epochs=3).fit(X[mask], y[mask])
    display = RocCurveDisplay.from_estimator(clf, X[mask], y[mask])
    assert display.roc_auc > 0.95


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"hidden_layer_sizes": ()}, "non-empty"),
        ({"hidden_layer_sizes": (64, 0)}, r"\(64, 0\)"),
        ({"hidden_layer_sizes": (64, -3)}, r"\(64, -3\)"),
        ({"hidden_layer_sizes": ("a",)}, "positive ints"),
        ({"hidden_layer_sizes": 0}, "hidden_layer_sizes"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"activation": "sine"}, "activation"),
        ({"optimizer": "lion"}, "optimizer"),
        ({"epochs": 0}, "epochs"),
        ({"class_weight": "auto"}, "class_weight"),
        ({"class_weight": [1, 2]}, "class_weight"),
    ],
)
def test_bad_parameters_are_refused_at_fit(digits, params, match):
    X, y = digits
    clf = KerasMLPClassifier(**params)  # __init__ only stores
    with pytest.raises((ValueError, InvalidParameterError), match=match):
        clf.fit(X[:20], y[:20])


def test_fitted_classifier_survives_clone_pickle_and_joblib(digits, tmp_path):
    X, y = digits
    clf = small_classifier(epochs=2).fit(X, y)
    expected = clf.predict_proba(X)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    joblib.dump(clf, tmp_path / "clf.joblib")
    np.testing.assert_array_equal(
        joblib.load(tmp_path / "clf.joblib").predict_proba(X), expected
    )
    fresh = clone(clf)
    assert fresh.get_params() == clf.get_params()
    assert not hasattr(fresh, "model_")


# --- the shared engine and the old import path ------------------------------------


def test_import_of_the_models_package_loads_no_tensorflow():
    code = (
        "import skmnist.models, skmnist.pipeline, sys\n"
        "print([m for m in ('tensorflow', 'keras', 'scikeras') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_another_keras_backend_gets_one_clear_error():
    # jax is not installed: without our check Keras itself would fail to import it
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    code = "from skmnist import make_mnist_pipeline\nmake_mnist_pipeline()"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("skmnist._compat.KerasBackendError")
    assert "KERAS_BACKEND" in last and "'jax'" in last and "tensorflow" in last
    assert "No module named" not in result.stderr


# --- partial_fit and early stopping (as scikit-learn's MLPClassifier) ------------


def test_early_stopping_stops_fit_when_the_loss_does_not_improve_by_tol(digits):
    X, y = digits
    clf = small_classifier(epochs=10, early_stopping=True, n_iter_no_change=1, tol=10)
    clf.fit(X, y)
    assert clf.n_iter_ == 2  # epoch 1 improves on nothing, epoch 2 not by 10
    assert len(clf.history_["val_loss"]) == 2


def test_partial_fit_trains_every_row_and_ignores_early_stopping(digits):
    X, y = digits
    stopping = small_classifier(early_stopping=True, n_iter_no_change=1, tol=10)
    plain = small_classifier(early_stopping=False)
    for _ in range(10):
        stopping.partial_fit(X, y, classes=np.unique(y))
        plain.partial_fit(X, y, classes=np.unique(y))
    assert stopping.n_iter_ == plain.n_iter_ == 10
    assert set(stopping.history_) == {"loss", "accuracy"}  # no validation split
    # the same epochs over the same (all) rows: the very same network
    assert stopping.history_["loss"] == plain.history_["loss"]
    np.testing.assert_array_equal(stopping.predict_proba(X), plain.predict_proba(X))


# --- class_weight -----------------------------------------------------------------


def test_class_weight_dict_is_a_per_class_sample_weight(digits):
    X, y = digits
    weights = {0: 4.0, 3: 0.5}  # exact in float32: products are exact too
    per_row = np.array([weights.get(label, 1.0) for label in y], dtype=np.float32)
    by_class = small_classifier(epochs=2, class_weight=weights).fit(X, y)
    by_sample = small_classifier(epochs=2).fit(X, y, sample_weight=per_row)
    expected = by_sample.predict_proba(X)
    np.testing.assert_array_equal(by_class.predict_proba(X), expected)
    assert not np.array_equal(
        small_classifier(epochs=2).fit(X, y).predict_proba(X), expected
    )


def test_class_weight_and_sample_weight_multiply(digits):
    X, y = digits
    sample_weight = np.where(np.arange(len(y)) % 2 == 0, 2.0, 0.25)
    before = sample_weight.copy()
    both = small_classifier(epochs=2, class_weight={1: 0.5, 7: 4.0})
    both.fit(X, y, sample_weight=sample_weight)
    np.testing.assert_array_equal(sample_weight, before)  # not scaled in place
    product = sample_weight * np.select([y == 1, y == 7], [0.5, 4.0], 1.0)
    alone = small_classifier(epochs=2).fit(X, y, sample_weight=product)
    np.testing.assert_array_equal(both.predict_proba(X), alone.predict_proba(X))


def test_balanced_class_weight_is_sklearns(digits):
    X, y = digits
    keep = (y != 5) | (np.arange(len(y)) % 4 == 0)  # make digit 5 rare
    X, y = X[keep], y[keep]
    classes = np.unique(y)
    sklearn_weights = dict(
        zip(
            classes, compute_class_weight("balanced", classes=classes, y=y), strict=True
        )
    )
    balanced = small_classifier(epochs=2, class_weight="balanced").fit(X, y)
    as_dict = small_classifier(epochs=2, class_weight=sklearn_weights).fit(X, y)
    np.testing.assert_array_equal(balanced.predict_proba(X), as_dict.predict_proba(X))


def test_class_weight_with_string_labels(digits):
    X, y = digits
    names = np.array(["even", "odd"])[y % 2]
    clf = small_classifier(epochs=2, class_weight={"odd": 2.0}).fit(X, names)
    assert set(clf.classes_) == {"even", "odd"}


def test_class_weight_naming_an_unknown_label_is_refused(digits):
    X, y = digits
    clf = small_classifier(epochs=1, class_weight={0: 2.0, 42: 1.0})
    with pytest.raises(ValueError, match=r"\[42\].*not classes of y"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match=r"class_weight\[0\] must be a number >= 0"):
        small_classifier(epochs=1, class_weight={0: -1.0}).fit(X, y)


def test_partial_fit_refuses_balanced_and_accepts_a_dict(digits):
    X, y = digits
    with pytest.raises(ValueError, match="'balanced' is not supported by partial_fit"):
        small_classifier(class_weight="balanced").partial_fit(X, y)
    weights = {0: 4.0}
    clf = small_classifier(class_weight=weights).partial_fit(X, y)
    per_row = np.where(y == 0, 4.0, 1.0)
    alone = small_classifier().partial_fit(X, y, sample_weight=per_row)
    np.testing.assert_array_equal(clf.predict_proba(X), alone.predict_proba(X))


def test_balanced_class_weight_raises_the_minority_recall(mnist):
    # digit 0 with 30 training images against 600 of every other digit
    rng = np.random.default_rng(0)
    rows = np.concatenate(
        [
            rng.choice(np.flatnonzero(mnist.y_train == digit), size, replace=False)
            for digit, size in [(0, 30)] + [(d, 600) for d in range(1, 10)]
        ]
    )
    X = (mnist.X_train[rows].reshape(len(rows), -1) / np.float32(255)).astype(
        np.float32
    )
    y = mnist.y_train[rows]
    X_test = (mnist.X_test.reshape(len(mnist.X_test), -1) / np.float32(255)).astype(
        np.float32
    )
    recall = {}
    for class_weight in (None, "balanced"):
        clf = KerasMLPClassifier(
            hidden_layer_sizes=(64,),
            epochs=3,
            class_weight=class_weight,
            random_state=0,
        ).fit(X, y)
        recall[class_weight] = recall_score(mnist.y_test == 0, clf.predict(X_test) == 0)
    print(f"digit-0 recall: None {recall[None]:.3f}, balanced {recall['balanced']:.3f}")
    assert recall["balanced"] > recall[None] + 0.05
