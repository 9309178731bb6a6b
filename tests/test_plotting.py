"""Displays: drawn with Agg, saved to PNG, and checked against the values they show."""

import subprocess
import sys

import matplotlib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from skmnist.plotting import (  # noqa: E402
    DigitGridDisplay,
    MisclassifiedDisplay,
    TrainingCurvesDisplay,
)

HISTORY = {
    "loss": [0.9, 0.5, 0.4, 0.35],
    "accuracy": [0.7, 0.85, 0.9, 0.91],
    "val_loss": [0.6, 0.5, 0.45, 0.44],
    "val_accuracy": [0.8, 0.86, 0.88, 0.885],
}


@pytest.fixture(autouse=True)
def close_figures():
    plt.close("all")  # before too: figures an earlier test left open
    yield
    plt.close("all")


def assert_renders(figure, tmp_path):
    """Save the figure to PNG and check the file decodes to a non-empty image."""
    path = tmp_path / "figure.png"
    figure.savefig(path)
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert min(image.size) > 50


# -- TrainingCurvesDisplay ---------------------------------------------------------


def test_training_curves_plot_the_history(tmp_path):
    display = TrainingCurvesDisplay.from_history(HISTORY)

    assert len(display.axes_) == 2
    assert [ax.get_ylabel() for ax in display.axes_] == ["Loss", "Accuracy"]
    assert all(ax.get_xlabel() == "Epoch" for ax in display.axes_)
    assert set(display.lines_) == set(HISTORY)
    for key, line in display.lines_.items():
        assert_array_equal(line.get_xdata(), [1, 2, 3, 4])
        assert_allclose(line.get_ydata(), HISTORY[key])
    loss_ax, accuracy_ax = display.axes_
    assert display.lines_["val_loss"].axes is loss_ax
    assert display.lines_["accuracy"].axes is accuracy_ax
    legend = [text.get_text() for text in loss_ax.get_legend().get_texts()]
    assert legend == ["train", "validation"]
    assert display.figure_ is loss_ax.figure
    assert_renders(display.figure_, tmp_path)


def test_training_curves_without_validation_draw_training_only():
    history = {"loss": HISTORY["loss"], "accuracy": HISTORY["accuracy"]}
    display = TrainingCurvesDisplay.from_history(history, name="mlp")

    assert set(display.lines_) == {"loss", "accuracy"}
    legend = display.axes_[0].get_legend().get_texts()
    assert [text.get_text() for text in legend] == ["mlp (train)"]


def test_training_curves_on_given_axes():
    figure, axes = plt.subplots(1, 2)
    display = TrainingCurvesDisplay(HISTORY).plot(ax=axes, line_kw={"color": "k"})

    assert list(display.axes_) == list(axes)
    assert display.figure_ is figure
    assert display.lines_["loss"].get_color() == "k"
    with pytest.raises(ValueError, match="expected 2 axes"):
        TrainingCurvesDisplay(HISTORY).plot(ax=axes[:1])


def test_training_curves_with_one_metric_use_one_axes():
    display = TrainingCurvesDisplay.from_history({"loss": [1.0, 0.5]})
    assert len(display.axes_) == 1
    assert display.axes_[0].get_ylabel() == "Loss"


@pytest.mark.parametrize("history", [{}, {"val_loss": [1.0]}, {"loss": ["a"]}, [1]])
def test_training_curves_reject_histories_without_curves(history):
    with pytest.raises(ValueError, match="history"):
        TrainingCurvesDisplay.from_history(history)


def test_training_curves_from_fitted_pipeline_and_classifier(fitted_pipeline, tmp_path):
    history = fitted_pipeline[-1].history_
    for estimator in (fitted_pipeline, fitted_pipeline[-1]):
        display = TrainingCurvesDisplay.from_estimator(estimator)
        assert set(display.lines_) == {"loss", "accuracy", "val_loss", "val_accuracy"}
        for key, line in display.lines_.items():
            assert_allclose(line.get_ydata(), history[key])
    assert_renders(display.figure_, tmp_path)


def test_training_curves_need_a_fitted_estimator():
    from sklearn.exceptions import NotFittedError

    from skmnist.pipeline import make_mnist_pipeline

    with pytest.raises(NotFittedError):
        TrainingCurvesDisplay.from_estimator(make_mnist_pipeline())


# -- DigitGridDisplay --------------------------------------------------------------


def test_digit_grid_from_estimator(fitted_pipeline, mnist, tmp_path):
    X, y = mnist.X_test[:200], mnist.y_test[:200]
    display = DigitGridDisplay.from_estimator(fitted_pipeline, X, y, n=12, n_cols=5)

    y_pred = fitted_pipeline.predict(X[:12])
    assert len(display.images_) == 12
    assert display.axes_.shape == (3, 5)
    for k, artist in enumerate(display.images_):
        assert_array_equal(artist.get_array(), X[k])
        assert artist.axes.get_title() == f"true {y[k]}\npred {y_pred[k]}"
    wrong = y_pred != y[:12]
    colors = [artist.axes.title.get_color() for artist in display.images_]
    assert [color == "tab:red" for color in colors] == list(wrong)
    assert not any(ax.axison for ax in display.axes_.flat)  # spare axes hidden too
    assert_renders(display.figure_, tmp_path)


def test_digit_grid_from_predictions_accepts_flat_images_and_no_labels():
    flat = np.random.default_rng(0).random((7, 784))
    display = DigitGridDisplay.from_predictions(flat)

    assert len(display.images_) == 7
    assert display.images_[0].get_array().shape == (28, 28)
    assert display.images_[0].get_clim() == (0, 1)  # floats in [0, 1] keep their scale
    assert display.axes_[0, 0].get_title() == ""


def test_digit_grid_checks_its_inputs():
    images = np.zeros((3, 28, 28))
    with pytest.raises(ValueError, match="one label per image"):
        DigitGridDisplay(images, y_true=[1, 2]).plot()
    with pytest.raises(ValueError, match="images of shape"):
        DigitGridDisplay.from_predictions(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="n must be"):
        DigitGridDisplay.from_predictions(images, n=0)


# -- MisclassifiedDisplay ----------------------------------------------------------


def test_misclassified_from_predictions_shows_confident_mistakes_first():
    images = np.arange(5)[:, None, None] * np.ones((5, 4, 4))
    y_true = np.array([0, 1, 1, 0, 1])
    y_proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.45, 0.55], [0.95, 0.05]])
    display = MisclassifiedDisplay.from_predictions(images, y_true, y_proba, n=2)

    # wrong: samples 1 (p=0.6), 3 (p=0.55), 4 (p=0.95); the two most confident
    assert_array_equal(display.indices, [4, 1])
    assert_array_equal(display.y_pred, [0, 0])
    assert_allclose(display.probability, [0.95, 0.6])
    assert_array_equal(display.images_[0].get_array(), images[4])
    assert display.axes_[0, 0].get_title() == "true 1\npred 0\np=0.95"


def test_misclassified_from_estimator(fitted_pipeline, mnist, tmp_path):
    X, y = mnist.X_test[:1000], mnist.y_test[:1000]
    display = MisclassifiedDisplay.from_estimator(fitted_pipeline, X, y, n=10)

    proba = fitted_pipeline.predict_proba(X)
    y_pred = fitted_pipeline.predict(X)
    assert len(display.images_) == 10
    assert np.all(y_pred[display.indices] != y[display.indices])
    assert_array_equal(display.y_pred, y_pred[display.indices])
    assert_allclose(display.probability, proba.max(axis=1)[display.indices])
    assert np.all(np.diff(display.probability) <= 0)  # most confident first
    # no mistake left out is more confident than the last one shown
    others = np.setdiff1d(np.flatnonzero(y_pred != y), display.indices)
    assert proba.max(axis=1)[others].max() <= display.probability[-1]
    assert_renders(display.figure_, tmp_path)


def test_misclassified_without_mistakes():
    display = MisclassifiedDisplay.from_predictions(
        np.zeros((2, 28, 28)), [0, 1], [[0.9, 0.1], [0.2, 0.8]]
    )
    assert display.images_ == []
    assert "No misclassified" in display.axes_.flat[0].texts[0].get_text()


def test_misclassified_checks_shapes():
    with pytest.raises(ValueError, match="same samples"):
        MisclassifiedDisplay.from_predictions(np.zeros((2, 28, 28)), [0], [[1, 0]])


def test_misclassified_takes_channel_images_and_class_labels():
    # the convolutional network's input: (n, height, width, 1); labels not 0..k-1
    images = np.random.default_rng(0).random((4, 28, 28, 1))
    y_proba = [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.1, 0.9]]
    display = MisclassifiedDisplay.from_predictions(
        images, ["b", "b", "a", "a"], y_proba, classes=np.array(["a", "b"])
    )
    assert_array_equal(display.indices, [3, 0])  # p=0.9 first, then p=0.8
    assert_array_equal(display.y_pred, ["b", "a"])
    assert_array_equal(display.images_[0].get_array(), images[3, :, :, 0])
    grid = DigitGridDisplay.from_predictions(images, n=np.int64(2))
    assert len(grid.images_) == 2 and grid.images_[0].get_array().shape == (28, 28)


@pytest.mark.parametrize("n", [0, -1, True, 2.0, "3"])
def test_displays_refuse_counts_that_are_not_positive_ints(n):
    images = np.zeros((3, 28, 28))
    with pytest.raises(ValueError, match=r"n must be a whole number >= 1.*got"):
        DigitGridDisplay.from_predictions(images, n=n)
    with pytest.raises(ValueError, match="n must be"):
        MisclassifiedDisplay.from_predictions(images, [0, 1, 1], np.eye(3)[:, :2], n=n)


def test_displays_from_a_cnn_pipeline_and_a_bare_cnn(mnist, tmp_path):
    from skmnist.pipeline import make_mnist_pipeline

    pipe = make_mnist_pipeline(model="cnn", filters=(8,), epochs=2, random_state=0)
    pipe.fit(mnist.X_train[:600], mnist.y_train[:600])
    X, y = mnist.X_test[:400], mnist.y_test[:400]

    curves = TrainingCurvesDisplay.from_estimator(pipe)
    assert_allclose(curves.lines_["loss"].get_ydata(), pipe[-1].history_["loss"])
    for estimator, images in ((pipe, X), (pipe[-1], pipe[0].transform(X))):
        wrong = MisclassifiedDisplay.from_estimator(estimator, images, y, n=5)
        assert np.all(pipe.predict(X)[wrong.indices] != y[wrong.indices])
        assert wrong.images_[0].get_array().shape == (28, 28)
        grid = DigitGridDisplay.from_estimator(estimator, images, y, n=4)
        assert len(grid.images_) == 4
    assert_renders(wrong.figure_, tmp_path)


# -- scikit-learn's confusion matrix on the pipeline -------------------------------


def test_confusion_matrix_display_accepts_the_pipeline(fitted_pipeline, mnist):
    from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix

    X, y = mnist.X_test[:500], mnist.y_test[:500]
    display = ConfusionMatrixDisplay.from_estimator(fitted_pipeline, X, y)

    assert_array_equal(
        display.confusion_matrix, confusion_matrix(y, fitted_pipeline.predict(X))
    )
    assert display.ax_.get_xlabel() == "Predicted label"


# -- import cost ---------------------------------------------------------------------


def test_importing_skmnist_and_the_plotting_module_stays_light():
    code = (
        "import sys, skmnist, skmnist.plotting, skmnist.digits, skmnist.report; "
        "heavy = {'matplotlib', 'tensorflow', 'keras'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
