"""KerasImageClassifier: a user's own network, taken as scikeras takes it.

What only this family has: the builder and its routed arguments, what the builder
is given, the shapes it is fed, the checks of what it returns, scikeras's shared
parameters (validation_split), the model's own losses. The guarantees every family
shares (estimator checks, determinism, pickling, partial_fit, class_weight) are in
test_families.py.
"""

import pickle

import keras
import numpy as np
import pytest
from network_builders import (
    compiled_network,
    fixed_input_network,
    logits_network,
    not_a_model,
    regularised_network,
    residual_network,
    scikeras_style,
    small_network,
    wrong_classes_network,
)
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from skmnist import KerasImageClassifier, make_mnist_pipeline
from skmnist._compat import InvalidParameterError


@pytest.fixture(scope="module")
def digits():
    """400 load_digits images, (n, 8, 8) float32 in [0, 1]."""
    X, y = load_digits(return_X_y=True)
    return (X[:400] / 16).astype(np.float32).reshape(-1, 8, 8), y[:400]


def small(**params):
    defaults = dict(
        model=small_network, epochs=2, batch_size=32, learning_rate=0.01, random_state=0
    )
    return KerasImageClassifier(**{**defaults, **params})


# --- the network as a parameter ---------------------------------------------------


def test_routed_arguments_are_parameters_for_clone_set_params_and_repr():
    clf = small(model__units=8)
    assert clf.get_params()["model__units"] == 8
    assert clone(clf).get_params() == clf.get_params()
    clf.set_params(model__units=4, model__dropout=0.1)  # a new routed name is fine
    assert clf.model__units == 4 and clf.get_params()["model__dropout"] == 0.1
    assert "model__units=4" in repr(clf)
    with pytest.raises(ValueError, match="unitz"):
        clf.set_params(unitz=3)  # not routed: scikit-learn's strict check


def test_grid_search_tunes_a_builder_argument(digits):
    X, y = digits
    grid = GridSearchCV(small(), {"model__units": [4, 16]}, cv=2).fit(X, y)
    assert grid.best_params_["model__units"] in (4, 16)
    assert (
        grid.best_estimator_.model_.layers[2].units == grid.best_params_["model__units"]
    )


def test_builder_gets_meta_compile_kwargs_seed_and_params_as_it_asks(digits):
    seen = {}

    def build(meta, compile_kwargs, seed, params, units=16):
        seen.update(meta=meta, compile_kwargs=compile_kwargs, seed=seed, params=params)
        return small_network(meta, seed, units)

    X, y = digits
    small(model=build, optimizer="sgd").fit(X, y)
    meta = seen["meta"]
    assert meta["X_shape_"] == X.shape and meta["n_features_in_"] == 64
    assert meta["n_classes_"] == 10 and meta["target_type_"] == "multiclass"
    assert isinstance(seen["compile_kwargs"]["optimizer"], keras.optimizers.SGD)
    assert seen["compile_kwargs"]["loss"] == "sparse_categorical_crossentropy"
    assert isinstance(seen["seed"], int) and seen["params"]["optimizer"] == "sgd"


def test_scikeras_style_builder_with_kwargs_and_unrouted_argument(digits):
    X, y = digits
    clf = small(model=scikeras_style, hidden=8, epochs=10)
    clf.fit(X.reshape(len(X), -1), y)
    assert clf.model_.layers[0].units == 8  # "hidden" reached the builder
    assert clf.score(X.reshape(len(X), -1), y) > 0.3  # chance is 0.1


def test_optimizer_arguments_are_routed_to_its_class(digits):
    X, y = digits
    clf = small(optimizer="sgd", optimizer__momentum=0.9).fit(X, y)
    assert clf.model_.optimizer.momentum == pytest.approx(0.9)


@pytest.mark.parametrize("shape", [(64,), (8, 8), (8, 8, 1)])
def test_any_image_layout_feeds_the_network(digits, shape):
    X, y = digits
    # one network built for (8, 8) images: flat rows and channel axes fit it too
    clf = small().fit(X, y)
    expected = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.predict_proba(X.reshape(-1, *shape)), expected)
    # and a network fitted on that layout is built for it
    other = small().fit(X.reshape(-1, *shape), y)
    assert other.model_.inputs[0].shape[1:] == shape
    assert other.X_shape_[1:] == shape


def test_wrong_number_of_values_per_sample_is_refused(digits):
    X, y = digits
    clf = small().fit(X, y)
    with pytest.raises(ValueError, match="X has 49 features, but .* expecting 64"):
        clf.predict(X[:, :7, :7])


def test_a_keras_model_is_cloned_at_each_fit(digits):
    X, y = digits
    net = residual_network({"X_shape_": X.shape, "n_classes_": 10}, seed=0)
    before = [w.copy() for w in net.get_weights()]
    clf = small(model=net).fit(X, y)
    assert clf.model_ is not net
    for old, now in zip(before, net.get_weights(), strict=True):
        np.testing.assert_array_equal(old, now)  # the given model is untouched
    again = small(model=net).fit(X, y)  # seeded initialisers: the same network
    np.testing.assert_array_equal(clf.predict_proba(X), again.predict_proba(X))
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    with pytest.raises(InvalidParameterError, match="takes no arguments"):
        small(model=net, model__units=3).fit(X, y)


def test_a_builder_compiling_with_cross_entropy_is_accepted(digits):
    X, y = digits
    clf = small(model=compiled_network).fit(X, y)
    assert clf.score(X, y) > 0.5
    # compiled with compile_kwargs: exactly the uncompiled network's training
    np.testing.assert_array_equal(
        clf.predict_proba(X), small().fit(X, y).predict_proba(X)
    )


# --- one clear error for anything unusable ----------------------------------------


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"model": None}, ValueError, "needs model="),
        ({"model": not_a_model}, TypeError, "must return a keras.Model; got str"),
        ({"model": logits_network}, ValueError, "not probabilities.*softmax"),
        ({"model": wrong_classes_network}, ValueError, r"shape \(11,\).*\(10,\)"),
        ({"model": fixed_input_network}, ValueError, r"\(28, 28, 1\) \(784 values\)"),
        (
            {"model": compiled_network, "model__loss": "mse"},
            ValueError,
            "compiled with loss 'mse'",
        ),
        ({"model__unitz": 3}, InvalidParameterError, "no argument.*'unitz'"),
        ({"loss": "sparse_categorical_crossentropy"}, InvalidParameterError, "'loss'"),
        ({"fit__batch_size": 32}, InvalidParameterError, "'fit__batch_size'"),
        (
            {"early_stopping": True, "validation_split": 0.1},
            InvalidParameterError,
            "Use one",
        ),
        ({"validation_split": 0.999}, ValueError, "leaves 0 to train on and 400"),
    ],
)
def test_unusable_networks_and_parameters_get_one_clear_error(
    digits, params, error, match
):
    X, y = digits
    with pytest.raises(error, match=match):
        small(**params).fit(X, y)


def test_own_optimizer_with_changed_learning_rate_is_refused(digits):
    def build(meta, seed):
        model = small_network(meta, seed)
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
        return model

    X, y = digits
    assert small(model=build, learning_rate=0.001).fit(X, y).model_.optimizer.name
    with pytest.raises(ValueError, match="its own optimizer.*learning_rate"):
        small(model=build, learning_rate=0.01).fit(X, y)


# --- scikeras's parameters, as scikeras uses them ---------------------------------


def test_validation_split_holds_out_the_last_rows(digits):
    X, y = digits
    clf = small(validation_split=0.25).fit(X, y)
    assert set(clf.history_) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    # trained on the first 300 rows only, exactly as on those rows alone
    alone = small().fit(X[:300], y[:300])
    np.testing.assert_array_equal(clf.predict_proba(X), alone.predict_proba(X))
    # a Keras callback watching val_loss sees it
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=0)
    stopped = small(validation_split=0.25, epochs=50, callbacks=[stop]).fit(X, y)
    assert stopped.n_iter_ < 50


# --- the model's own losses -------------------------------------------------------


@pytest.mark.parametrize("l2", [0.0, 0.1])
def test_regularisers_train_as_keras_fit_does(digits, l2):
    X, y = digits
    X = X.reshape(len(X), -1)
    net = regularised_network({"X_shape_": X.shape, "n_classes_": 10}, seed=0, l2=l2)
    # one full batch of plain SGD: the engine's step against Keras's own
    clf = KerasImageClassifier(
        net,
        optimizer="sgd",
        momentum=0.0,  # plain SGD, as Keras's SGD(0.5) below
        learning_rate=0.5,
        batch_size=len(X),
        epochs=1,
    ).fit(X, y)
    reference = keras.models.clone_model(net)
    reference.compile(
        optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy"
    )
    logs = reference.train_on_batch(X, y, return_dict=True)
    for ours, keras_weight in zip(
        clf.model_.get_weights(), reference.get_weights(), strict=True
    ):
        np.testing.assert_allclose(ours, keras_weight, atol=1e-6)
    assert clf.history_["loss"][0] == pytest.approx(logs["loss"], rel=1e-5)


# --- the registry: the user's network as a family ----------------------------------


def test_pipeline_of_a_users_network(digits):
    X, y = digits
    pipe = make_mnist_pipeline(small_network, model__units=8, epochs=2, random_state=0)
    assert [name for name, _ in pipe.steps] == ["reshape", "classifier"]
    assert isinstance(pipe[-1], KerasImageClassifier)
    assert pipe.get_params()["classifier__model__units"] == 8
    pipe.set_params(classifier__model__units=4)
    assert pipe.fit(X, y)[-1].model_.layers[2].units == 4


def test_pruned_search_over_builder_arguments(digits):
    from skmnist import PrunedSearchCV
    from skmnist.search import training_search_space

    def space(trial):
        return {
            **training_search_space(trial),
            "classifier__model__units": trial.suggest_int("units", 4, 16),
        }

    X, y = digits
    pipe = make_mnist_pipeline(small_network, model__units=8, epochs=2, random_state=0)
    search = PrunedSearchCV(
        pipe, space, n_trials=2, cv=2, max_epochs=2, refit=False, random_state=0
    )
    search.fit(X, y)
    assert search.n_trials_ == 2
    assert 4 <= search.best_params_["classifier__model__units"] <= 16
