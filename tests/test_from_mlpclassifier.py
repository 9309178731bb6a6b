"""What an MLPClassifier user finds: alpha, the fitted attributes, the names."""

import inspect
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
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
    for i, (W, b) in enumerate(zip(clf.coefs_, clf.intercepts_, strict=True)):
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
            momentum=0.0,  # plain SGD: the step is -lr * gradient
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
    for w, w_again in zip(W0, W0_again, strict=True):  # same start
        np.testing.assert_array_equal(w, w_again)
    squares = sum(float((w.astype(np.float64) ** 2).sum()) for w in W0)
    assert loss_pen - loss_plain == pytest.approx(0.5 * alpha * squares / n, rel=1e-4)
    for w0, plain, pen in zip(W0, W_plain, W_pen, strict=True):
        np.testing.assert_allclose(pen - plain, -lr * alpha * w0 / n, atol=2e-6)
    for plain, pen in zip(b_plain, b_pen, strict=True):
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
    for a, b in zip(restored.coefs_, clf.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    assert restored.loss_curve_ == clf.loss_curve_ and restored.t_ == clf.t_


# --- MLPClassifier's names --------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"max_iter": 10}, "'max_iter' is called epochs here"),
        ({"learning_rate_init": 0.1}, "'learning_rate_init' is called learning_rate"),
        ({"solver": "sgd", "momentum": 0.9}, "'solver' is called optimizer"),
        ({"power_t": 0.5}, "'power_t' has no counterpart"),
    ],
)
def test_set_params_with_mlpclassifiers_names_says_what_to_write(params, match):
    with pytest.raises(ValueError, match=match):
        KerasMLPClassifier().set_params(**params)
    with pytest.raises(ValueError, match="from_mlpclassifier_params"):
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


# --- momentum -------------------------------------------------------------------


def test_momentum_defaults_are_mlpclassifiers_and_clone_keeps_them():
    clf = KerasMLPClassifier()
    reference = MLPClassifier().get_params()
    for name in ("momentum", "nesterovs_momentum"):
        assert clf.get_params()[name] == reference[name]
        assert KerasCNNClassifier().get_params()[name] == reference[name]
    clf.set_params(momentum=0.5, nesterovs_momentum=False)
    params = clone(clf).get_params()
    assert (params["momentum"], params["nesterovs_momentum"]) == (0.5, False)
    pipe = make_mnist_pipeline().set_params(classifier__momentum=0.0)
    assert pipe.get_params()["classifier__momentum"] == 0.0


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, (0.9, True)),
        ({"momentum": 0.5, "nesterovs_momentum": False}, (0.5, False)),
        ({"momentum": 0.0}, (0.0, True)),
    ],
)
def test_the_keras_sgd_carries_the_momentum(digits, params, expected):
    X, y = digits
    clf = mlp(optimizer="sgd", **params)
    clf.initialize(X[:50], y[:50])
    optimizer = clf.model_.optimizer
    assert type(optimizer).__name__ == "SGD"
    assert (optimizer.momentum, optimizer.nesterov) == expected
    cnn = KerasCNNClassifier(filters=(4,), optimizer="sgd", **params)
    cnn.initialize(X[:50].reshape(-1, 8, 8), y[:50])
    assert (cnn.model_.optimizer.momentum, cnn.model_.optimizer.nesterov) == expected


def test_momentum_is_for_sgd_only(digits):
    # as in MLPClassifier; Keras's RMSprop momentum (another update) stays at 0
    X, y = digits
    clf = mlp(optimizer="rmsprop", momentum=0.5)
    clf.initialize(X[:50], y[:50])
    assert clf.model_.optimizer.momentum == 0.0


@pytest.mark.parametrize("nesterov", [True, False])
def test_momentum_is_mlpclassifiers_update(digits, nesterov):
    # from the same weights, one full-batch step: plain SGD moves by -lr * g; with
    # momentum m the velocity starts at -lr * g, and Nesterov's step is
    # m * v - lr * g = (1 + m) times the plain one (MLPClassifier's
    # SGDOptimizer), the classical one just v
    X, y = digits
    X, y = X[:200], y[:200]
    moved = {}
    for m in (0.0, 0.5):
        clf = mlp(
            optimizer="sgd",
            momentum=m,
            nesterovs_momentum=nesterov,
            learning_rate=0.1,
            batch_size=len(X),
            epochs=1,
            warm_start=True,
        )
        clf.initialize(X, y)
        start = clf.coefs_ + clf.intercepts_
        clf.fit(X, y)
        moved[m] = [
            b - a for a, b in zip(start, clf.coefs_ + clf.intercepts_, strict=True)
        ]
    factor = 1.5 if nesterov else 1.0
    for plain, with_momentum in zip(moved[0.0], moved[0.5], strict=True):
        np.testing.assert_allclose(with_momentum, factor * plain, atol=1e-6)
    assert any(np.abs(step).max() > 1e-3 for step in moved[0.0])


@pytest.mark.parametrize(
    "params", [{"momentum": 1.5}, {"momentum": -0.1}, {"nesterovs_momentum": "yes"}]
)
def test_bad_momentum_is_refused_at_fit(digits, params):
    X, y = digits
    with pytest.raises(InvalidParameterError, match=next(iter(params))):
        mlp(**params).fit(X[:20], y[:20])


# --- from_mlpclassifier_params ------------------------------------------------------

# scikit-learn's plot_mnist_filters.py, as the migration notes translate it
FILTERS_EXAMPLE = dict(
    hidden_layer_sizes=(50,),
    max_iter=10,
    alpha=1e-4,
    solver="sgd",
    learning_rate_init=0.1,
    random_state=1,
)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_translated_example_has_mlpclassifiers_settings(digits):
    clf = KerasMLPClassifier.from_mlpclassifier_params(**FILTERS_EXAMPLE)
    assert isinstance(clf, KerasMLPClassifier)
    params = clf.get_params()
    expected = {
        "hidden_layer_sizes": (50,),
        "activation": "relu",
        "dropout": 0.0,
        "optimizer": "sgd",
        "learning_rate": 0.1,
        "momentum": 0.9,
        "nesterovs_momentum": True,
        "alpha": 1e-4,
        "batch_size": 200,
        "epochs": 10,
        "early_stopping": False,
        "validation_fraction": 0.1,
        "n_iter_no_change": 10,
        "tol": 1e-4,
        "warm_start": False,
        "random_state": 1,
        "verbose": 0,
        "class_weight": None,
        "callbacks": None,
        # skmnist's training recipes, off (MLPClassifier has none)
        "shift_range": 0.0,
        "rotation_range": 0.0,
        "zoom_range": 0.0,
        "learning_rate_schedule": "constant",
        "label_smoothing": 0.0,
        "weight_decay": None,
        "dtype_policy": "float32",
    }
    assert params == expected
    # the same from an MLPClassifier, fitted or not
    reference = MLPClassifier(**FILTERS_EXAMPLE)
    assert KerasMLPClassifier.from_mlpclassifier(reference).get_params() == expected
    reference.set_params(max_iter=1).fit(*digits)
    translated = KerasMLPClassifier.from_mlpclassifier(reference)
    assert translated.get_params() == {**expected, "epochs": 1}
    assert not hasattr(translated, "model_")
    assert "from_mlpclassifier_params(" in (DOCS / "from_mlpclassifier.rst").read_text()


def test_every_mlpclassifier_parameter_with_a_counterpart_reaches_the_estimator():
    # each one changed from MLPClassifier's default: (value, name here, value here)
    changed = {
        "hidden_layer_sizes": ((7, 5), "hidden_layer_sizes", (7, 5)),
        "activation": ("tanh", "activation", "tanh"),
        "solver": ("sgd", "optimizer", "sgd"),
        "alpha": (0.5, "alpha", 0.5),
        "batch_size": (64, "batch_size", 64),
        "learning_rate_init": (0.02, "learning_rate", 0.02),
        "max_iter": (7, "epochs", 7),
        "random_state": (3, "random_state", 3),
        "tol": (0.01, "tol", 0.01),
        "verbose": (True, "verbose", 2),
        "warm_start": (True, "warm_start", True),
        "momentum": (0.3, "momentum", 0.3),
        "nesterovs_momentum": (False, "nesterovs_momentum", False),
        "early_stopping": (True, "early_stopping", True),
        "validation_fraction": (0.25, "validation_fraction", 0.25),
        "n_iter_no_change": (4, "n_iter_no_change", 4),
    }
    # and the ones without: accepted where they do not act (solver="adam"),
    # refused where they would (see the next test)
    inactive = {"learning_rate": "adaptive", "power_t": 0.1, "max_fun": 10}
    defaults = MLPClassifier().get_params()
    refusable = {"shuffle", "beta_1", "beta_2", "epsilon"}
    assert set(changed) | set(inactive) | refusable == set(defaults)
    for name, (value, ours, expected) in changed.items():
        clf = KerasMLPClassifier.from_mlpclassifier_params(**{name: value})
        assert clf.get_params()[ours] == expected, name
    clf = KerasMLPClassifier.from_mlpclassifier_params(**inactive)
    assert clf.get_params()["optimizer"] == "adam"
    # SGD ignores Adam's settings, there and here
    KerasMLPClassifier.from_mlpclassifier_params(solver="sgd", beta_1=0.5)


def test_mlpclassifiers_defaults_fill_in_the_rest():
    clf = KerasMLPClassifier.from_mlpclassifier_params()
    params = clf.get_params()
    assert params["hidden_layer_sizes"] == (100,) and params["dropout"] == 0.0
    assert (params["epochs"], params["alpha"], params["batch_size"]) == (200, 1e-4, 200)
    assert (params["optimizer"], params["learning_rate"]) == ("adam", 0.001)
    assert params["n_iter_no_change"] == 10
    # an infinite patience is a patience as long as the run
    clf = KerasMLPClassifier.from_mlpclassifier_params(
        max_iter=12, n_iter_no_change=np.inf
    )
    assert clf.n_iter_no_change == 12


def test_batch_size_auto_is_min_200_n(digits):
    # "auto" becomes 200, which on fewer rows trains exactly as a batch of n
    X, y = digits
    X, y = X[:150], y[:150]
    params = dict(optimizer="sgd", learning_rate=0.1, epochs=2)
    auto = mlp(batch_size=200, **params).fit(X, y)
    whole = mlp(batch_size=len(X), **params).fit(X, y)
    for a, b in zip(auto.coefs_, whole.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"solver": "lbfgs"}, r"solver='lbfgs' \(with its max_fun\).*solver='adam'"),
        (
            {"solver": "sgd", "learning_rate": "invscaling"},
            r"learning_rate='invscaling' \(with its power_t\).*LearningRateScheduler",
        ),
        (
            {"solver": "sgd", "learning_rate": "adaptive"},
            r"learning_rate='adaptive'.*ReduceLROnPlateau",
        ),
        ({"beta_1": 0.8}, r"beta_1=0.8 .*default beta_1=0.9"),
        ({"beta_2": 0.99}, r"beta_2=0.99 .*default beta_2=0.999"),
        ({"epsilon": 1e-7}, r"epsilon=1e-07 .*default epsilon=1e-08"),
        ({"shuffle": False}, r"shuffle=False .*shuffle=True"),
    ],
)
def test_settings_without_a_counterpart_are_refused_with_the_way_out(params, match):
    with pytest.raises(ValueError, match=match):
        KerasMLPClassifier.from_mlpclassifier_params(**params)
    with pytest.raises(ValueError, match="From MLPClassifier"):
        KerasMLPClassifier.from_mlpclassifier(MLPClassifier(**params))


def test_every_refused_setting_is_named_in_one_error():
    with pytest.raises(ValueError) as error:
        KerasMLPClassifier.from_mlpclassifier_params(beta_1=0.8, shuffle=False)
    assert "beta_1=0.8" in str(error.value) and "shuffle=False" in str(error.value)


def test_what_is_not_mlpclassifiers_is_refused_by_name():
    with pytest.raises(TypeError, match=r"\['dropout', 'epochs'\].*set_params"):
        KerasMLPClassifier.from_mlpclassifier_params(epochs=3, dropout=0.1)
    with pytest.raises(InvalidParameterError, match="'max_iter' parameter of MLPC"):
        KerasMLPClassifier.from_mlpclassifier_params(max_iter=0)
    with pytest.raises(TypeError, match="from_mlpclassifier_params"):
        KerasMLPClassifier.from_mlpclassifier(KerasMLPClassifier())
