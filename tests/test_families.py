"""The common tests: one suite over every registered family and a user's network.

As scikit-learn's common tests do, every network family of the registry
(``skmnist.models._registry.FAMILIES``) and a user's network built by a test
builder (``tests/network_builders.py``) pass the same checks: scikit-learn's
estimator checks, with each expected failure named once in one table with its
reason; determinism from ``random_state``; clone, pickle and joblib;
``partial_fit`` against ``fit``; class weights; the summary; ONNX parity, the
report and serve's JSON API on an MNIST pipeline. A new family joins by being
registered and listed in ``SMALL``, not by copying tests.
"""

import pickle

import joblib
import numpy as np
import pytest
from network_builders import small_network
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmnist.models._registry import FAMILIES, USER_NETWORK

# A small configuration of every family, quick on the checks' toy data and still
# learning it: {family name: parameters}. The user's network is the test builder.
SMALL = {
    "mlp": dict(hidden_layer_sizes=(32,)),
    "cnn": dict(filters=(8,), dense_units=16, dropout=0.0),
    USER_NETWORK.name: dict(model=small_network, model__units=32),
}
TRAINING = dict(epochs=20, batch_size=32, learning_rate=0.01, random_state=0)

_COMMON_FAILURES = {
    "check_mixin_order": (
        "scikeras's KerasClassifier inherits (BaseWrapper, ClassifierMixin), so "
        "BaseEstimator precedes ClassifierMixin in its MRO; no subclass can reorder "
        "them (a consistent-MRO TypeError, see "
        "test_engine.py::test_mixin_order_cannot_be_fixed_in_a_subclass). The "
        "classifier tags it would supply are declared in "
        "BaseKerasClassifier.__sklearn_tags__ instead."
    ),
    "check_estimator_tags_renamed": (
        "scikeras's BaseWrapper defines the pre-1.6 _more_tags without "
        "__sklearn_tags__, and the check walks every class of the MRO; our classes "
        "define __sklearn_tags__, which is what scikit-learn reads."
    ),
    "check_sample_weight_equivalence_on_dense_data": (
        "training is stochastic mini-batch gradient descent: repeating a sample "
        "changes the batches and the number of steps per epoch, so weight 2 and a "
        "duplicated row give different networks (scikit-learn checks its own "
        "MLPClassifier only with the full-batch lbfgs solver)."
    ),
}

# Each family's expected failures of scikit-learn's estimator checks, and why.
EXPECTED_FAILED_CHECKS = {
    "mlp": {
        **_COMMON_FAILURES,
        "check_methods_sample_order_invariance": (
            "TensorFlow's float32 matrix products round a row slightly differently "
            "depending on its position in the batch (differences ~1e-5, above the "
            "check's tolerance); predicted classes are order-invariant, see "
            "test_engine.py::test_predictions_do_not_depend_on_row_order."
        ),
    },
    "cnn": dict(_COMMON_FAILURES),
    USER_NETWORK.name: {
        **_COMMON_FAILURES,
        "check_no_attributes_set_in_init": (
            "the builder's routed arguments (model__units) are stored by __init__ "
            "from **routed_params, as scikeras stores them: they are parameters "
            "(get_params, set_params and clone see them), but the check counts "
            "only the names in __init__'s signature. scikeras's KerasClassifier "
            "fails it alike."
        ),
    },
}


def make_estimator(family, **params):
    """The family's classifier, small, with ``params`` over ``SMALL``."""
    cls = (FAMILIES.get(family) or USER_NETWORK).load_estimator()
    return cls(**{**TRAINING, **SMALL[family], **params})


ALL_FAMILIES = [*FAMILIES, USER_NETWORK.name]


def _family_of(estimator):
    for name in ALL_FAMILIES:
        cls = (FAMILIES.get(name) or USER_NETWORK).load_estimator()
        if type(estimator) is cls:
            return name
    raise AssertionError(f"{type(estimator).__name__} is not a registered family")


def test_every_registered_family_is_in_the_common_suite():
    assert set(SMALL) == set(EXPECTED_FAILED_CHECKS) == set(ALL_FAMILIES)


@parametrize_with_checks(
    [make_estimator(family) for family in ALL_FAMILIES],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS[_family_of(est)],
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits():
    """500 load_digits images, (n, 8, 8) float32 in [0, 1]: what every family takes."""
    X, y = load_digits(return_X_y=True)
    return (X[:500] / 16).astype(np.float32).reshape(-1, 8, 8), y[:500]


def _fitted(family, digits, **params):
    X, y = digits
    est = make_estimator(family, epochs=3, **params)
    if family == "mlp":
        X = X.reshape(len(X), -1)  # the dense family takes flat rows
    return est.fit(X, y), X, y


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_same_random_state_gives_bitwise_identical_networks(family, digits):
    first, X, _ = _fitted(family, digits)
    second, _, _ = _fitted(family, digits)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert first.history_ == second.history_


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_clone_pickle_and_joblib_keep_parameters_and_predictions(
    family, digits, tmp_path
):
    clf, X, y = _fitted(family, digits)
    expected = clf.predict_proba(X)
    unfitted = clone(clf)
    assert unfitted.get_params() == clf.get_params()
    assert not hasattr(unfitted, "model_")
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(clf)).predict_proba(X), expected
    )
    joblib.dump(clf, tmp_path / "clf.joblib")
    restored = joblib.load(tmp_path / "clf.joblib")
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    restored.partial_fit(X, y)  # the restored network trains on
    assert restored.n_iter_ == clf.n_iter_ + 1


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_partial_fit_epochs_equal_one_fit(family, digits):
    fitted, X, y = _fitted(family, digits)
    stepped = make_estimator(family, epochs=3)
    for _ in range(3):
        stepped.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_array_equal(stepped.predict_proba(X), fitted.predict_proba(X))


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_class_weight_is_a_per_class_sample_weight(family, digits):
    weights = {label: 1.0 + label / 10 for label in range(10)}
    by_class, X, y = _fitted(family, digits, class_weight=weights)
    by_sample = make_estimator(family, epochs=3)
    by_sample.fit(X, y, sample_weight=np.array([weights[label] for label in y]))
    np.testing.assert_allclose(
        by_class.predict_proba(X), by_sample.predict_proba(X), atol=1e-6
    )


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_summary_names_the_fitted_layers(family, digits):
    clf, _, _ = _fitted(family, digits)
    text = clf.summary()
    assert "Total params" in text and clf.model_.layers[-1].name in text


# --- the registry: everything a family is, declared once --------------------------


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_pipeline_command_line_and_search_space_derive_from_the_registry(family):
    import inspect

    import optuna

    from skmnist.commands.search import fixed_space
    from skmnist.pipeline import make_mnist_pipeline
    from skmnist.search._spaces import check_param_names

    entry = FAMILIES.get(family) or USER_NETWORK
    model = family if family in FAMILIES else small_network
    pipe = make_mnist_pipeline(model)
    step, image_step = entry.make_image_step()
    assert pipe.steps[0][0] == step and type(pipe[0]) is type(image_step)
    assert type(pipe[-1]) is entry.load_estimator()
    cli_model = family if family in FAMILIES else "network_builders:small_network"
    space = fixed_space(
        optuna.create_study().ask(), fixed={}, max_layers=1, model=cli_model
    )
    check_param_names(pipe, space)  # the default space fits the family's pipeline
    if entry.sizes_option is not None:
        name, _, default = entry.sizes_option
        signature = inspect.signature(entry.load_estimator())
        assert ",".join(map(str, signature.parameters[name].default)) == default


def test_anything_else_is_not_a_family():
    from skmnist.pipeline import make_mnist_pipeline

    with pytest.raises(ValueError, match=r"\['cnn', 'mlp'\].*keras.Model; got 'rnn'"):
        make_mnist_pipeline("rnn")


# --- what a fitted MNIST pipeline of every family goes through --------------------


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_onnx_report_and_serve_for_every_family(family, mnist, tmp_path):
    from starlette.testclient import TestClient

    from skmnist import OnnxClassifier, export_onnx, write_report
    from skmnist.pipeline import make_mnist_pipeline
    from skmnist.serve import create_app

    model = family if family in FAMILIES else small_network
    params = {k: v for k, v in SMALL[family].items() if k != "model"}
    pipe = make_mnist_pipeline(model, epochs=1, random_state=0, **params)
    pipe.fit(mnist.X_train[:600], mnist.y_train[:600])
    X = mnist.X_test[:200]
    proba = pipe.predict_proba(X)

    onnx_model = OnnxClassifier(export_onnx(pipe, tmp_path / "model.onnx"))
    np.testing.assert_allclose(onnx_model.predict_proba(X), proba, atol=1e-5)
    np.testing.assert_array_equal(onnx_model.predict(X), pipe.predict(X))

    report = write_report(pipe, X, mnist.y_test[:200], tmp_path / "report.html")
    assert "accuracy" in report.read_text(encoding="utf-8").lower()

    answer = TestClient(create_app(pipe)).post("/predict", json=X[0].tolist()).json()
    np.testing.assert_allclose(answer["probabilities"], proba[0], rtol=1e-5, atol=1e-7)
    assert answer["prediction"] == pipe.predict(X[:1])[0]
