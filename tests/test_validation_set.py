"""A validation set given to fit: X_val, y_val, sample_weight_val, and their routing."""

import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV

from skmnist import KerasMLPClassifier, make_mnist_pipeline
from skmnist.models import KerasCNNClassifier

SMALL = {
    KerasMLPClassifier: dict(hidden_layer_sizes=(16,)),
    KerasCNNClassifier: dict(filters=(4,), dense_units=8),
}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    images = (X / 16).astype(np.float32).reshape(-1, 8, 8)
    return images[:1000], y[:1000], images[1000:], y[1000:]


def small(cls=KerasMLPClassifier, **params):
    defaults = {"epochs": 3, "learning_rate": 0.01, "random_state": 0}
    return cls(**{**SMALL[cls], **defaults, **params})


def flat(images):
    return images.reshape(len(images), -1)


@pytest.mark.parametrize("cls", [KerasMLPClassifier, KerasCNNClassifier])
def test_validation_scores_are_recorded_each_epoch(cls, digits):
    X, y, X_val, y_val = digits
    if cls is KerasMLPClassifier:
        X, X_val = flat(X), flat(X_val)
    clf = small(cls).fit(X, y, X_val=X_val, y_val=y_val)
    assert len(clf.history_["val_accuracy"]) == len(clf.history_["val_loss"]) == 3
    # the last epoch's validation accuracy is the fitted model's accuracy on it
    assert clf.history_["val_accuracy"][-1] == clf.score(X_val, y_val)


def test_validation_set_is_never_trained_on(digits):
    X, y, X_val, y_val = digits
    plain = small().fit(flat(X), y)
    watched = small().fit(flat(X), y, X_val=flat(X_val), y_val=y_val)
    assert plain.history_["loss"] == watched.history_["loss"]
    for a, b in zip(
        plain.model_.get_weights(), watched.model_.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_uses_the_given_set_and_every_training_row(digits):
    X, y, X_val, y_val = digits
    clf = small(early_stopping=True, n_iter_no_change=1, epochs=30)
    clf.fit(flat(X), y, X_val=flat(X_val), y_val=y_val)
    # no share held out: the first epoch trains on the rows an unwatched fit uses
    plain = small(epochs=1).fit(flat(X), y)
    assert clf.history_["loss"][0] == plain.history_["loss"][0]
    assert clf.n_iter_ < 30  # stopped by the validation loss
    best = int(np.argmin(clf.history_["val_loss"]))
    assert clf.n_iter_ == best + 2  # patience 1; the best epoch's weights kept
    assert clf.score(flat(X_val), y_val) == pytest.approx(
        clf.history_["val_accuracy"][best], abs=1e-6
    )


def test_validation_sample_weights_weigh_the_scores(digits):
    X, y, X_val, y_val = digits
    weights = np.zeros(len(y_val))
    weights[: len(y_val) // 2] = 1
    clf = small().fit(
        flat(X), y, X_val=flat(X_val), y_val=y_val, sample_weight_val=weights
    )
    half = slice(0, len(y_val) // 2)
    expected = accuracy_score(y_val[half], clf.predict(flat(X_val)[half]))
    assert clf.history_["val_accuracy"][-1] == pytest.approx(expected, abs=1e-6)


def test_partial_fit_scores_its_epoch_on_the_validation_set(digits):
    X, y, X_val, y_val = digits
    clf = small()
    for _ in range(2):
        clf.partial_fit(
            flat(X), y, classes=np.arange(10), X_val=flat(X_val), y_val=y_val
        )
    assert len(clf.history_["val_accuracy"]) == 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(X_val="X"), "X_val was given without y_val"),
        (dict(y_val="y"), "y_val was given without X_val"),
        (dict(sample_weight_val=np.ones(3)), "sample_weight_val was given without"),
        (
            dict(X_val="X", y_val="y", sample_weight_val=np.ones(3)),
            r"sample_weight_val must have shape \(797,\)",
        ),
        (dict(X_val="X3d", y_val="y"), "X_val does not match the training data"),
        (dict(X_val="Xnarrow", y_val="y"), "X_val does not match the training data"),
        (dict(X_val="X", y_val="y_short"), "y_val must hold one label per sample"),
        (dict(X_val="X", y_val="y_unseen"), r"label\(s\) \[42\]"),
    ],
)
def test_bad_validation_sets_are_refused_by_name(kwargs, message, digits):
    X, y, X_val, y_val = digits
    values = {
        "X": flat(X_val),
        "X3d": X_val,
        "Xnarrow": flat(X_val)[:, :10],
        "y": y_val,
        "y_short": y_val[:-1],
        "y_unseen": np.where(y_val == 3, 42, y_val),
    }
    kwargs = {
        k: values.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()
    }
    with pytest.raises(ValueError, match=message):
        small(epochs=1).fit(flat(X), y, **kwargs)


def test_the_pipeline_prepares_x_val_with_routing_enabled(digits):
    X, y, X_val, y_val = digits
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_mnist_pipeline(
            **SMALL[KerasMLPClassifier], epochs=2, random_state=0
        )
        pipe.fit(X * 255, y, X_val=X_val * 255, y_val=y_val)  # as uint8 pixels
        assert pipe[-1].history_["val_accuracy"][-1] == pipe.score(X_val * 255, y_val)
        # and through a search, which routes the validation set to every fit
        search = GridSearchCV(pipe, {"classifier__epochs": [1, 2]}, cv=2)
        search.fit(X, y, X_val=X_val, y_val=y_val)
        assert (
            len(search.best_estimator_[-1].history_["val_loss"])
            == (search.best_params_["classifier__epochs"])
        )


def test_the_pipeline_without_routing_says_how(digits):
    X, y, X_val, y_val = digits
    pipe = make_mnist_pipeline(**SMALL[KerasMLPClassifier], epochs=1)
    with pytest.raises(ValueError, match="X_val"):
        pipe.fit(X, y, X_val=X_val, y_val=y_val)
    # raw images handed past the image step: the error says how to route them
    with pytest.raises(ValueError, match="enable_metadata_routing=True"):
        pipe.fit(X, y, classifier__X_val=X_val, classifier__y_val=y_val)


def test_pruned_search_validates_on_a_hold_out_set_of_your_own(digits):
    import optuna
    from sklearn.base import clone

    from skmnist import PrunedSearchCV

    X, y, X_val, y_val = digits
    clf = small()
    space = {"dropout": optuna.distributions.FloatDistribution(0.0, 0.5)}
    search = PrunedSearchCV(clf, space, n_trials=2, max_epochs=3, random_state=0)
    search.fit(flat(X), y, X_val=flat(X_val), y_val=y_val)
    assert search.n_splits_ == 1
    # the first trial is clf as given, trained on all of X, scored on X_val
    first = search.cv_results_["params"][0]
    expected = clone(clf).set_params(**first).fit(flat(X), y).score(flat(X_val), y_val)
    assert search.cv_results_["split0_test_score"][0] == pytest.approx(expected)
    with pytest.raises(ValueError, match="cv=3 and X_val were both given"):
        PrunedSearchCV(clf, space, cv=3).fit(flat(X), y, X_val=flat(X_val), y_val=y_val)
    with pytest.raises(ValueError, match="X_val was given without y_val"):
        PrunedSearchCV(clf, space).fit(flat(X), y, X_val=flat(X_val))
