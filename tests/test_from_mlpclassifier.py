"""What an MLPClassifier user finds: alpha, the fitted attributes, the names."""

import inspect
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier

from skmnist import KerasCNNClassifier, KerasMLPClassifier, make_mnist_pipeline
from skmnist._compat import InvalidParameterError

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


def mlp(**params):
    return KerasMLPClassifier(
        **{"hidden_layer_sizes": (16,), "epochs": 2, "random_state": 0, **params}
    )


def numpy_forward(clf, X):
    """MLPClassifier's forward pass, written from coefs_ and intercepts_ alone."""
    activation = X
    last = len(clf.coefs_) - 1
    for i, (W, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        activation = activation @ W + b
        if i < last:
            activation = np.maximum(activation, 0)  # relu
    shifted = np.exp(activation - activation.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


# --- alpha ----------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.5, 3.0])
def test_alpha_is_mlpclassifiers_penalty_on_the_kernels(digits, alpha):
    # one full-batch SGD step from the same initial weights, with and without the
    # penalty: the loss differs by 0.5 * alpha * sum(W0**2) / n and each kernel's
    # step by lr * alpha * W0 / n (MLPClassifier's term); the biases not at all
    X, y = digits
    X, y = X[:300], y[:300]
    n, lr = len(X), 0.1
    steps = {}
    for a in (0.0, alpha):
        clf = mlp(
            alpha=a,
            optimizer="sgd",
            learning_rate=lr,
            batch_size=n,
            epochs=1,
            warm_start=True,
        )
        clf.initialize(X, y)
        start = (clf.coefs_, clf.intercepts_)
        clf.fit(X, y)
        steps[a] = (start, clf.coefs_, clf.intercepts_, clf.loss_)
    (W0, b0), W_plain, b_plain, loss_plain = steps[0.0]
    (W0_again, _), W_pen, b_pen, loss_pen = steps[alpha]
    for w, w_again in zip(W0, W0_again):  # same start
        np.testing.assert_array_equal(w, w_again)
    squares = sum(float((w.astype(np.float64) ** 2).sum()) for w in W0)
    assert loss_pen - loss_plain == pytest.approx(0.5 * alpha * squares / n, rel=1e-4)
    for w0, plain, pen in zip(W0, W_plain, W_pen):
        np.testing.assert_allclose(pen - plain, -lr * alpha * w0 / n, atol=2e-6)
    for plain, pen in zip(b_plain, b_pen):
        np.testing.assert_allclose(pen, plain, atol=1e-6)


def test_alpha_zero_changes_nothing_and_alpha_shrinks_the_weights(digits):
    X, y = digits
    plain = mlp(epochs=3).fit(X, y)
    again = mlp(epochs=3, alpha=0.0).fit(X, y)
    np.testing.assert_array_equal(plain.predict_proba(X), again.predict_proba(X))
    strong = mlp(epochs=3, alpha=10.0).fit(X, y)
    norm = [sum(float((w**2).sum()) for w in c.coefs_) for c in (plain, strong)]
    assert norm[1] < norm[0]


def test_alpha_acts_on_the_convolutional_family(digits):
    X, y = digits
    images = X.reshape(-1, 8, 8)
    params = dict(filters=(4,), epochs=2, learning_rate=0.01, random_state=0)
    plain = KerasCNNClassifier(**params).fit(images, y)
    strong = KerasCNNClassifier(alpha=10.0, **params).fit(images, y)
    norm = [sum(float((w**2).sum()) for w in c.coefs_) for c in (plain, strong)]
    assert norm[1] < norm[0]
    assert strong.loss_ > plain.loss_


@pytest.mark.parametrize(
    "make",
    [
        lambda: mlp(alpha=1.0),
        lambda: KerasCNNClassifier(filters=(4,), epochs=1, alpha=1.0, random_state=0),
    ],
)
def test_alpha_is_training_only_and_exports_to_onnx_unchanged(digits, make, tmp_path):
    from skmnist.onnx import OnnxClassifier, export_onnx

    X, y = digits
    clf = make().fit(X, y)
    onnx = OnnxClassifier(export_onnx(clf, tmp_path / "alpha.onnx"))
    np.testing.assert_allclose(onnx.predict_proba(X), clf.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("alpha", [-1e-4, "1e-4"])
def test_bad_alpha_is_refused_at_fit(digits, alpha):
    X, y = digits
    with pytest.raises(InvalidParameterError, match="alpha"):
        mlp(alpha=alpha).fit(X[:20], y[:20])


def test_alpha_is_searchable(digits):
    X, y = digits
    search = GridSearchCV(mlp(epochs=1), {"alpha": [0.0, 10.0]}, cv=2).fit(X, y)
    assert list(search.cv_results_["param_alpha"]) == [0.0, 10.0]
    pipe = make_mnist_pipeline().set_params(classifier__alpha=1e-3)
    assert pipe.get_params()["classifier__alpha"] == 1e-3


# --- the fitted attributes ----------------------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_coefs_and_intercepts_have_mlpclassifiers_shapes_and_the_real_weights(digits):
    X, y = digits
    clf = mlp(hidden_layer_sizes=(32, 16), dropout=0.1).fit(X, y)
    reference = MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=1).fit(X, y)
    assert [w.shape for w in clf.coefs_] == [w.shape for w in reference.coefs_]
    shapes = [b.shape for b in reference.intercepts_]
    assert [b.shape for b in clf.intercepts_] == shapes
    assert all(w.dtype == np.float32 for w in clf.coefs_ + clf.intercepts_)
    assert clf.n_layers_ == reference.n_layers_ == 4
    assert clf.out_activation_ == reference.out_activation_ == "softmax"
    # a NumPy forward pass from them is the network's prediction
    dp = np.abs(numpy_forward(clf, X) - clf.predict_proba(X)).max()
    assert dp < 1e-5
    # and they follow every partial_fit
    before = clf.coefs_[0]
    clf.partial_fit(X, y)
    assert not np.array_equal(before, clf.coefs_[0])
    dp = np.abs(numpy_forward(clf, X) - clf.predict_proba(X)).max()
    assert dp < 1e-5


def test_coefs_are_read_only_copies_and_assigning_writes_the_network(digits):
    X, y = digits
    clf = mlp().fit(X, y)
    with pytest.raises(ValueError, match="read-only"):
        clf.coefs_[0][0, 0] = 1.0
    clf.coefs_ = [np.zeros_like(w) for w in clf.coefs_]
    clf.intercepts_ = [np.zeros_like(b) for b in clf.intercepts_]
    np.testing.assert_allclose(clf.predict_proba(X[:3]), 0.1, rtol=1e-6)
    with pytest.raises(ValueError, match=r"shape \(64, 16\)"):
        clf.coefs_ = [np.zeros((3, 3)), clf.coefs_[1]]
    with pytest.raises(ValueError, match="needs 2 arrays"):
        clf.intercepts_ = clf.intercepts_[:1]


def test_loss_curve_is_the_history_and_the_training_records(digits):
    X, y = digits
    clf = mlp(epochs=3).fit(X, y)
    assert clf.loss_curve_ is clf.history_["loss"]
    assert len(clf.loss_curve_) == clf.n_iter_ == 3
    assert clf.loss_ == clf.loss_curve_[-1]
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert clf.t_ == 3 * len(X)
    clf.partial_fit(X[:100], y[:100])
    assert clf.loss_curve_ is clf.history_["loss"] and len(clf.loss_curve_) == 4
    assert clf.t_ == 3 * len(X) + 100
    assert clf.fit(X, y).t_ == 3 * len(X)  # a new fit starts the count again


def test_early_stopping_records_the_validation_scores(digits):
    X, y = digits
    clf = mlp(epochs=4, early_stopping=True, validation_fraction=0.2, tol=0.0)
    clf.fit(X, y)
    assert clf.validation_scores_ is clf.history_["val_accuracy"]
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_loss_ is None
    # the kept network's validation accuracy: that of the lowest validation loss
    best = int(np.argmin(clf.history_["val_loss"]))
    assert clf.best_validation_score_ == pytest.approx(clf.validation_scores_[best])
    n_train = len(X) - int(np.ceil(0.2 * len(X)))
    assert clf.t_ == clf.n_iter_ * n_train


def test_the_convolutional_family_has_the_attributes_that_mean_something(digits):
    X, y = digits
    clf = KerasCNNClassifier(filters=(4,), dense_units=8, epochs=1, random_state=0)
    clf.fit(X.reshape(-1, 8, 8), y)
    assert [w.shape for w in clf.coefs_] == [(3, 3, 1, 4), (36, 8), (8, 10)]
    assert [b.shape for b in clf.intercepts_] == [(4,), (8,), (10,)]
    assert clf.loss_curve_ is clf.history_["loss"] and clf.t_ == len(X)
    assert clf.out_activation_ == "softmax"
    assert not hasattr(clf, "n_layers_")  # layers of units: a perceptron's notion


def test_attributes_before_fit_say_not_fitted_and_survive_pickling(digits):
    clf = mlp()
    for name in ("coefs_", "intercepts_", "loss_curve_", "loss_", "out_activation_"):
        assert not hasattr(clf, name)
    with pytest.raises(NotFittedError):
        clf.coefs_  # noqa: B018
    X, y = digits
    clf.fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    for a, b in zip(restored.coefs_, clf.coefs_):
        np.testing.assert_array_equal(a, b)
    assert restored.loss_curve_ == clf.loss_curve_ and restored.t_ == clf.t_


# --- MLPClassifier's names --------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"max_iter": 10}, "'max_iter' is called epochs here"),
        ({"learning_rate_init": 0.1}, "'learning_rate_init' is called learning_rate"),
        ({"solver": "sgd", "momentum": 0.9}, "'momentum' has no counterpart"),
    ],
)
def test_set_params_with_mlpclassifiers_names_says_what_to_write(params, match):
    with pytest.raises(ValueError, match=match):
        KerasMLPClassifier().set_params(**params)
    with pytest.raises(ValueError, match="From MLPClassifier"):
        make_mnist_pipeline().set_params(
            **{f"classifier__{k}": v for k, v in params.items()}
        )


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"learning_rate": "adaptive"}, "learning_rate_init"),
        ({"batch_size": "auto"}, r"min\(200, n_samples\)"),
        ({"optimizer": "lbfgs"}, "quasi-Newton"),
    ],
)
def test_mlpclassifiers_values_are_refused_with_a_translation(digits, params, match):
    X, y = digits
    with pytest.raises(InvalidParameterError, match=match):
        mlp(**params).fit(X[:20], y[:20])


def _mlpclassifier_attributes():
    doc = inspect.getdoc(MLPClassifier).split("Attributes\n----------\n")[1]
    doc = doc.split("\nSee Also")[0]
    return sorted(set(re.findall(r"^(\w+_) :", doc, flags=re.MULTILINE)))


def test_migration_notes_cover_every_parameter_and_attribute():
    notes = (DOCS / "from_mlpclassifier.rst").read_text()
    names = sorted(MLPClassifier().get_params()) + _mlpclassifier_attributes()
    assert "coefs_" in names and "max_iter" in names
    missing = [name for name in names if f"``{name}``" not in notes]
    assert missing == []
    # and the class points to them
    assert ":ref:`from-mlpclassifier`" in KerasMLPClassifier.__doc__
