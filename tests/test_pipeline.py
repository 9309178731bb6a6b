"""The MNIST pipeline end to end on the real data, and with scikit-learn's tools."""

import numpy as np
import pytest
from sklearn.base import is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    check_cv,
    cross_validate,
)

from skmnist import ImageFlattener, KerasMLPClassifier, make_mnist_pipeline
from skmnist.pipeline import final_classifier


@pytest.fixture(scope="module")
def reference_run(mnist):
    """The reference pipeline trained on all 60,000 images for 10 epochs, once."""
    pipe = make_mnist_pipeline(random_state=0)
    pipe.fit(mnist.X_train, mnist.y_train)
    return pipe


def test_reference_run_reaches_the_reference_accuracy(reference_run, mnist):
    accuracy = reference_run.score(mnist.X_test, mnist.y_test)
    print(f"reference run: test accuracy {accuracy:.4f}")  # shown with -rP / -s
    assert accuracy >= 0.978
    classifier = reference_run.named_steps["classifier"]
    assert classifier.model_.count_params() == 235_146
    assert classifier.n_iter_ == 10
    assert classifier.history_["accuracy"][-1] > 0.98


def test_confusion_matrix_display_accepts_the_fitted_pipeline(reference_run, mnist):
    import matplotlib

    matplotlib.use("Agg")
    display = ConfusionMatrixDisplay.from_estimator(
        reference_run, mnist.X_test, mnist.y_test
    )
    matrix = display.confusion_matrix
    assert matrix.shape == (10, 10)
    assert matrix.sum() == 10_000
    np.testing.assert_array_equal(matrix.sum(axis=1), np.bincount(mnist.y_test))
    assert np.trace(matrix) / matrix.sum() >= 0.978


def test_pipeline_shape_and_parameters():
    pipe = make_mnist_pipeline(epochs=3, hidden_layer_sizes=(64,))
    assert [name for name, _ in pipe.steps] == ["flatten", "classifier"]
    assert isinstance(pipe.named_steps["flatten"], ImageFlattener)
    assert isinstance(pipe.named_steps["classifier"], KerasMLPClassifier)
    params = pipe.get_params()
    assert params["classifier__epochs"] == 3
    assert params["classifier__hidden_layer_sizes"] == (64,)
    assert is_classifier(pipe)


@pytest.fixture(scope="module")
def subset(mnist):
    """3,000 training images: enough to learn, fast enough for searches."""
    return mnist.X_train[:3000], mnist.y_train[:3000]


def test_cross_validation_is_stratified(subset):
    X, y = subset
    pipe = make_mnist_pipeline(epochs=2, hidden_layer_sizes=(32,), random_state=0)
    assert isinstance(check_cv(3, y, classifier=is_classifier(pipe)), StratifiedKFold)
    result = cross_validate(pipe, X, y, cv=3, return_indices=True)
    overall = np.bincount(y, minlength=10) / len(y)
    for test_index in result["indices"]["test"]:
        fold = np.bincount(y[test_index], minlength=10) / len(test_index)
        np.testing.assert_allclose(fold, overall, atol=0.002)
    assert np.all(result["test_score"] > 0.7)  # far above chance (0.1)


def test_grid_search_over_layer_sizes_and_dropout(subset):
    X, y = subset
    grid = {
        "classifier__hidden_layer_sizes": [(16,), (64, 32)],
        "classifier__dropout": [0.0, 0.3],
    }
    search = GridSearchCV(
        make_mnist_pipeline(epochs=2, random_state=0), grid, cv=2, refit=True
    )
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert (
        search.best_params_["classifier__hidden_layer_sizes"]
        in grid["classifier__hidden_layer_sizes"]
    )
    # the bigger network wins on MNIST
    assert search.best_params_["classifier__hidden_layer_sizes"] == (64, 32)
    best = search.best_estimator_.named_steps["classifier"]
    assert best.model_.get_layer("hidden_2").units == 32
    assert search.score(X, y) > 0.8


def test_pipeline_accepts_images_in_every_layout(subset):
    X, y = subset
    pipe = make_mnist_pipeline(epochs=1, hidden_layer_sizes=(16,), random_state=0)
    pipe.fit(X[:500], y[:500])
    expected = pipe.predict_proba(X[:50])
    np.testing.assert_array_equal(pipe.predict_proba(X[:50, :, :, None]), expected)
    np.testing.assert_array_equal(pipe.predict_proba(X[:50].reshape(50, -1)), expected)
    with pytest.raises(ValueError, match=r"\(28, 28\)"):
        pipe.predict(X[:5, :20, :20])


@pytest.mark.parametrize("model", ["rnn", "MLP", None, 3])
def test_unknown_model_family_is_refused_naming_the_choices(model):
    with pytest.raises(ValueError, match=r"model must be one of \['cnn', 'mlp'\]"):
        make_mnist_pipeline(model=model)


def test_cnn_pipeline_keeps_the_images_two_dimensions(subset):
    from skmnist.models import KerasCNNClassifier
    from skmnist.preprocessing import ImageReshaper

    X, y = subset
    pipe = make_mnist_pipeline(model="cnn", epochs=1, random_state=0)
    assert [name for name, _ in pipe.steps] == ["reshape", "classifier"]
    assert isinstance(pipe.named_steps["reshape"], ImageReshaper)
    assert isinstance(pipe.named_steps["classifier"], KerasCNNClassifier)
    assert pipe.get_params()["classifier__epochs"] == 1
    assert is_classifier(pipe)
    with pytest.raises(NotFittedError):
        final_classifier(pipe)
    pipe.fit(X[:500], y[:500])
    classifier = final_classifier(pipe)
    assert classifier is pipe.named_steps["classifier"]
    assert classifier.model_.inputs[0].shape[1:] == (28, 28, 1)
    assert pipe.predict_proba(X[:3]).shape == (3, 10)


def test_final_classifier_of_the_mlp_pipeline_and_of_a_bare_classifier(subset):
    X, y = subset
    pipe = make_mnist_pipeline(epochs=1, hidden_layer_sizes=(16,), random_state=0)
    with pytest.raises(NotFittedError):
        final_classifier(pipe)
    pipe.fit(X[:300], y[:300])
    assert final_classifier(pipe) is pipe.named_steps["classifier"]
    assert final_classifier(pipe[-1]) is pipe[-1]
