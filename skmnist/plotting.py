"""Plots of a fitted MNIST model, as scikit-learn-style ``Display`` objects.

Each display takes computed values in ``__init__``, draws them with ``plot(ax=None)``
and keeps the figure, the axes and the artists as attributes; the class methods
``from_estimator`` and ``from_predictions`` (or ``from_history``) compute the values
first. Nothing is shown or saved: call ``plt.show()`` or ``display.figure_.savefig``.

The confusion matrix is scikit-learn's own
:class:`~sklearn.metrics.ConfusionMatrixDisplay`, which accepts the MNIST pipeline
directly: ``ConfusionMatrixDisplay.from_estimator(pipeline, X_test, y_test)``.

matplotlib is imported only when something is drawn.
"""

import math

import numpy as np

from skmnist._images import as_image_batch
from skmnist._utils import is_positive_int, labels_from_proba

__all__ = ["DigitGridDisplay", "MisclassifiedDisplay", "TrainingCurvesDisplay"]

_METRIC_LABELS = {"loss": "Loss", "accuracy": "Accuracy"}
_WRONG_COLOR = "tab:red"


class TrainingCurvesDisplay:
    """Loss and accuracy per epoch, on the training and the validation data.

    One axes per metric, side by side; the validation curve is drawn when it was
    recorded (``early_stopping=True``). Use :meth:`from_estimator` or
    :meth:`from_history` to create one.

    Parameters
    ----------
    history : dict of str to list of float
        Per-epoch values, as a classifier's ``history_``: ``"loss"`` and/or
        ``"accuracy"``, and optionally ``"val_loss"`` and ``"val_accuracy"``.
    name : str, default=None
        Name of the model, shown in the legends.

    Attributes
    ----------
    lines_ : dict of str to matplotlib.lines.Line2D
        The curve of each history key drawn (``"loss"``, ``"val_loss"``, ...).
    axes_ : ndarray of matplotlib.axes.Axes
        One axes per metric, in the order loss, accuracy.
    figure_ : matplotlib.figure.Figure
        Figure containing the curves.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against training set size.

    Examples
    --------
    >>> from skmnist import TrainingCurvesDisplay
    >>> history = {"loss": [0.9, 0.5, 0.4], "accuracy": [0.7, 0.85, 0.9],
    ...            "val_loss": [0.6, 0.5, 0.45], "val_accuracy": [0.8, 0.86, 0.88]}
    >>> display = TrainingCurvesDisplay.from_history(history)
    >>> [ax.get_ylabel() for ax in display.axes_]
    ['Loss', 'Accuracy']
    >>> sorted(display.lines_)
    ['accuracy', 'loss', 'val_accuracy', 'val_loss']
    """

    def __init__(self, history, *, name=None):
        self.history = history
        self.name = name

    def plot(self, ax=None, *, name=None, line_kw=None):
        """Draw the curves.

        Parameters
        ----------
        ax : array-like of matplotlib.axes.Axes, default=None
            One axes per metric recorded (two for loss and accuracy). If None, a
            new figure with the axes side by side is created.
        name : str, default=None
            Name of the model in the legends; overrides the one given at creation.
        line_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : TrainingCurvesDisplay
            Object that stores computed values.
        """
        history = _check_history(self.history)
        metrics = [metric for metric in _METRIC_LABELS if metric in history]
        axes = _axes_row(ax, len(metrics), cell_size=(5.0, 3.8))
        name = self.name if name is None else name
        line_kw = {"marker": "o", "markersize": 3, **(line_kw or {})}

        self.lines_ = {}
        for axis, metric in zip(axes, metrics, strict=True):
            for key, split in ((metric, "train"), (f"val_{metric}", "validation")):
                if key in history:
                    self.lines_[key] = _plot_curve(
                        axis, history[key], _legend_label(name, split), line_kw
                    )
            _label_curve_axes(axis, _METRIC_LABELS[metric])
        self.axes_ = axes
        self.figure_ = axes[0].figure
        return self

    @classmethod
    def from_history(cls, history, *, name=None, ax=None, line_kw=None):
        """Plot the curves of a per-epoch history.

        Parameters
        ----------
        history : dict of str to list of float
            Per-epoch values with keys ``"loss"``, ``"accuracy"``, ``"val_loss"``
            and ``"val_accuracy"`` (at least one of the first two), as Keras's
            ``History.history``.
        name : str, default=None
            Name of the model, shown in the legends.
        ax : array-like of matplotlib.axes.Axes, default=None
            One axes per metric; if None, a new figure is created.
        line_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : TrainingCurvesDisplay
            The display, drawn.
        """
        return cls(history, name=name).plot(ax=ax, line_kw=line_kw)

    @classmethod
    def from_estimator(cls, estimator, *, name=None, ax=None, line_kw=None):
        """Plot the training history of a fitted classifier or pipeline.

        Parameters
        ----------
        estimator : classifier or Pipeline
            A fitted skmnist classifier of either network family (such as
            :class:`skmnist.KerasMLPClassifier`), or a fitted pipeline ending
            in one (such as :func:`skmnist.make_mnist_pipeline`).
        name : str, default=None
            Name of the model, shown in the legends.
        ax : array-like of matplotlib.axes.Axes, default=None
            One axes per metric; if None, a new figure is created.
        line_kw : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : TrainingCurvesDisplay
            The display, drawn.
        """
        from skmnist.pipeline import final_classifier

        history = final_classifier(estimator, attribute="history_").history_
        return cls.from_history(history, name=name, ax=ax, line_kw=line_kw)


class DigitGridDisplay:
    """A grid of digit images titled with their labels and predictions.

    When both labels and predictions are given, wrong predictions are titled in red.
    Use :meth:`from_estimator` or :meth:`from_predictions` to create one.

    Parameters
    ----------
    images : array-like of shape (n_images, height, width), \
(n_images, height, width, 1) or (n_images, n_pixels)
        Grayscale images; flat rows of a square number of pixels are reshaped.
        Values in [0, 255], or in [0, 1] if none exceeds 1.
    y_true : array-like of shape (n_images,), default=None
        True labels.
    y_pred : array-like of shape (n_images,), default=None
        Predicted labels.

    Attributes
    ----------
    images_ : list of matplotlib.image.AxesImage
        One image artist per digit.
    axes_ : ndarray of matplotlib.axes.Axes
        The grid's axes (any beyond the number of images are switched off).
    figure_ : matplotlib.figure.Figure
        Figure containing the grid.

    See Also
    --------
    MisclassifiedDisplay : The most confidently wrong predictions.

    Examples
    --------
    >>> import numpy as np
    >>> from skmnist import DigitGridDisplay
    >>> images = np.random.default_rng(0).integers(0, 256, (6, 28, 28))
    >>> display = DigitGridDisplay.from_predictions(
    ...     images, y_true=[0, 1, 2, 3, 4, 5], y_pred=[0, 1, 2, 3, 4, 6])
    >>> len(display.images_), display.axes_[0, 0].get_title()
    (6, 'true 0\\npred 0')
    """

    def __init__(self, images, *, y_true=None, y_pred=None):
        self.images = images
        self.y_true = y_true
        self.y_pred = y_pred

    def plot(self, ax=None, *, n_cols=None, cmap="gray_r"):
        """Draw the grid.

        Parameters
        ----------
        ax : array-like of matplotlib.axes.Axes, default=None
            At least one axes per image. If None, a new figure is created.
        n_cols : int, default=None
            Columns of the new grid; by default about the square root of the number
            of images. Ignored when ``ax`` is given.
        cmap : str or matplotlib.colors.Colormap, default="gray_r"
            Colormap; the default draws ink dark on white.

        Returns
        -------
        display : DigitGridDisplay
            Object that stores computed values.
        """
        images = as_image_batch(self.images)
        titles, wrong = _titles(len(images), y_true=self.y_true, y_pred=self.y_pred)
        self.axes_, self.images_ = _plot_grid(
            images, titles, wrong, ax=ax, n_cols=n_cols, cmap=cmap
        )
        self.figure_ = self.axes_.flat[0].figure
        return self

    @classmethod
    def from_predictions(
        cls,
        images,
        y_true=None,
        y_pred=None,
        *,
        n=25,
        ax=None,
        n_cols=None,
        cmap="gray_r",
    ):
        """Plot the first ``n`` images with their labels and predictions.

        Parameters
        ----------
        images : array-like of shape (n_samples, height, width), \
(n_samples, height, width, 1) or (n_samples, n_pixels)
            Grayscale images.
        y_true : array-like of shape (n_samples,), default=None
            True labels.
        y_pred : array-like of shape (n_samples,), default=None
            Predicted labels.
        n : int, default=25
            Number of images shown (the first ones).
        ax : array-like of matplotlib.axes.Axes, default=None
            At least ``n`` axes; if None, a new figure is created.
        n_cols : int, default=None
            Columns of the new grid.
        cmap : str or matplotlib.colors.Colormap, default="gray_r"
            Colormap.

        Returns
        -------
        display : DigitGridDisplay
            The display, drawn.
        """
        _check_n(n)
        images = as_image_batch(images)[:n]
        display = cls(
            images,
            y_true=_head(y_true, n, len(images)),
            y_pred=_head(y_pred, n, len(images)),
        )
        return display.plot(ax=ax, n_cols=n_cols, cmap=cmap)

    @classmethod
    def from_estimator(
        cls, estimator, X, y=None, *, n=25, ax=None, n_cols=None, cmap="gray_r"
    ):
        """Plot the first ``n`` images of ``X`` with the estimator's predictions.

        Parameters
        ----------
        estimator : estimator
            A fitted classifier or pipeline that accepts ``X``.
        X : array-like of shape (n_samples, height, width), \
(n_samples, height, width, 1) or (n_samples, n_pixels)
            Images, as the estimator takes them (either network family).
        y : array-like of shape (n_samples,), default=None
            True labels; wrong predictions are titled in red.
        n : int, default=25
            Number of images shown (the first ones).
        ax : array-like of matplotlib.axes.Axes, default=None
            At least ``n`` axes; if None, a new figure is created.
        n_cols : int, default=None
            Columns of the new grid.
        cmap : str or matplotlib.colors.Colormap, default="gray_r"
            Colormap.

        Returns
        -------
        display : DigitGridDisplay
            The display, drawn.
        """
        _check_n(n)
        X = X[:n]
        return cls.from_predictions(
            X, y, estimator.predict(X), n=n, ax=ax, n_cols=n_cols, cmap=cmap
        )


class MisclassifiedDisplay:
    """The most confidently wrong predictions: image, true and predicted label.

    Each image is titled with its true label, the predicted one and the
    probability the model gave to its (wrong) prediction, most confident first.
    Use :meth:`from_estimator` or :meth:`from_predictions` to create one.

    Parameters
    ----------
    images : array-like of shape (n_images, height, width), \
(n_images, height, width, 1) or (n_images, n_pixels)
        The misclassified images, in the order to show them.
    y_true : array-like of shape (n_images,)
        Their true labels.
    y_pred : array-like of shape (n_images,)
        The predicted labels.
    probability : array-like of shape (n_images,)
        The probability of each predicted label.
    indices : array-like of shape (n_images,), default=None
        Positions of the images in the data they were picked from.

    Attributes
    ----------
    images_ : list of matplotlib.image.AxesImage
        One image artist per digit (empty when there is no mistake to show).
    axes_ : ndarray of matplotlib.axes.Axes
        The grid's axes.
    figure_ : matplotlib.figure.Figure
        Figure containing the grid.

    See Also
    --------
    DigitGridDisplay : Any images with labels and predictions.
    sklearn.metrics.ConfusionMatrixDisplay : Counts of each kind of mistake.

    Examples
    --------
    >>> import numpy as np
    >>> from skmnist import MisclassifiedDisplay
    >>> images = np.zeros((3, 28, 28))
    >>> proba = [[0.9, 0.1], [0.3, 0.7], [0.4, 0.6]]  # all three predict wrongly
    >>> display = MisclassifiedDisplay.from_predictions(images, [1, 0, 0], proba)
    >>> display.indices.tolist(), display.y_pred.tolist()
    ([0, 1, 2], [0, 1, 1])
    >>> display.axes_[0, 0].get_title()
    'true 1\\npred 0\\np=0.90'
    """

    def __init__(self, images, y_true, y_pred, probability, *, indices=None):
        self.images = images
        self.y_true = y_true
        self.y_pred = y_pred
        self.probability = probability
        self.indices = indices

    def plot(self, ax=None, *, n_cols=None, cmap="gray_r"):
        """Draw the grid.

        Parameters
        ----------
        ax : array-like of matplotlib.axes.Axes, default=None
            At least one axes per image. If None, a new figure is created.
        n_cols : int, default=None
            Columns of the new grid. Ignored when ``ax`` is given.
        cmap : str or matplotlib.colors.Colormap, default="gray_r"
            Colormap.

        Returns
        -------
        display : MisclassifiedDisplay
            Object that stores computed values.
        """
        images = as_image_batch(self.images)
        if len(images) == 0:
            self.axes_, self.images_ = _plot_nothing(ax, "No misclassified images")
        else:
            titles, _ = _titles(
                len(images),
                y_true=self.y_true,
                y_pred=self.y_pred,
                probability=self.probability,
            )
            self.axes_, self.images_ = _plot_grid(
                images,
                titles,
                np.ones(len(images), dtype=bool),
                ax=ax,
                n_cols=n_cols,
                cmap=cmap,
            )
        self.figure_ = self.axes_.flat[0].figure
        return self

    @classmethod
    def from_predictions(
        cls,
        images,
        y_true,
        y_proba,
        *,
        classes=None,
        n=16,
        ax=None,
        n_cols=None,
        cmap="gray_r",
    ):
        """Plot the ``n`` wrong predictions made with the highest probability.

        Parameters
        ----------
        images : array-like of shape (n_samples, height, width), \
(n_samples, height, width, 1) or (n_samples, n_pixels)
            Images.
        y_true : array-like of shape (n_samples,)
            True labels.
        y_proba : array-like of shape (n_samples, n_classes)
            Predicted class probabilities, as from ``predict_proba``.
        classes : array-like of shape (n_classes,), default=None
            Labels of the columns of ``y_proba``; by default ``0 .. n_classes - 1``.
        n : int, default=16
            Largest number of images shown.
        ax : array-like of matplotlib.axes.Axes, default=None
            Enough axes for the images; if None, a new figure is created.
        n_cols : int, default=None
            Columns of the new grid.
        cmap : str or matplotlib.colors.Colormap, default="gray_r"
            Colormap.

        Returns
        -------
        display : MisclassifiedDisplay
            The display, drawn.
        """
        _check_n(n)
        images = as_image_batch(images)
        y_true = np.asarray(y_true)
        y_proba = np.asarray(y_proba, dtype=float)
        if y_proba.ndim != 2 or not len(images) == len(y_true) == len(y_proba):
            raise ValueError(
                "images, y_true and y_proba must describe the same samples, with "
                f"y_proba of shape (n_samples, n_classes); got {len(images)} images, "
                f"{len(y_true)} labels and y_proba of shape {y_proba.shape}"
            )
        classes = np.arange(y_proba.shape[1]) if classes is None else classes
        y_pred = labels_from_proba(classes, y_proba)
        probability = y_proba.max(axis=1)
        wrong = np.flatnonzero(y_pred != y_true)
        # most confident first; ties keep data order, so the result is reproducible
        worst = wrong[np.argsort(-probability[wrong], kind="stable")][:n]
        display = cls(
            images[worst],
            y_true[worst],
            y_pred[worst],
            probability[worst],
            indices=worst,
        )
        return display.plot(ax=ax, n_cols=n_cols, cmap=cmap)

    @classmethod
    def from_estimator(
        cls, estimator, X, y, *, n=16, ax=None, n_cols=None, cmap="gray_r"
    ):
        """Plot the estimator's ``n`` most confidently wrong predictions on ``X``.

        Parameters
        ----------
        estimator : estimator
            A fitted classifier or pipeline with ``predict_proba`` and
            ``classes_``.
        X : array-like of shape (n_samples, height, width), \
(n_samples, height, width, 1) or (n_samples, n_pixels)
            Images, as the estimator takes them (either network family).
        y : array-like of shape (n_samples,)
            True labels.
        n : int, default=16
            Largest number of images shown.
        ax : array-like of matplotlib.axes.Axes, default=None
            Enough axes for the images; if None, a new figure is created.
        n_cols : int, default=None
            Columns of the new grid.
        cmap : str or matplotlib.colors.Colormap, default="gray_r"
            Colormap.

        Returns
        -------
        display : MisclassifiedDisplay
            The display, drawn.
        """
        return cls.from_predictions(
            X,
            y,
            estimator.predict_proba(X),
            classes=estimator.classes_,
            n=n,
            ax=ax,
            n_cols=n_cols,
            cmap=cmap,
        )


# -- validation ------------------------------------------------------------------


def _check_history(history):
    try:
        history = {
            key: np.asarray(values, dtype=float) for key, values in history.items()
        }
    except (AttributeError, TypeError, ValueError) as exc:
        raise ValueError(
            f"history must be a dict of per-epoch number lists, got {history!r}"
        ) from exc
    if not any(metric in history for metric in _METRIC_LABELS):
        raise ValueError(
            "history has no 'loss' nor 'accuracy' values to plot; its keys are "
            f"{sorted(history)}"
        )
    return history


def _check_n(n):
    if not is_positive_int(n):
        raise ValueError(f"n must be a whole number >= 1 (images shown), got {n!r}")


def _head(values, n, n_images):
    if values is None:
        return None
    values = np.asarray(values)[:n]
    if len(values) != n_images:
        raise ValueError(f"expected one label per image, got {len(values)} labels")
    return values


# -- drawing ---------------------------------------------------------------------


def _axes_row(ax, n, *, cell_size):
    """``n`` axes: the ones given, or a new row of them."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(
            1,
            n,
            figsize=(cell_size[0] * n, cell_size[1]),
            squeeze=False,
            layout="constrained",
        )
    axes = np.asarray(ax, dtype=object).ravel()
    if len(axes) != n:
        raise ValueError(f"expected {n} axes (one per metric), got {len(axes)}")
    return axes


def _axes_grid(ax, n_images, n_cols):
    """At least ``n_images`` axes: the ones given, or a new grid."""
    if ax is not None:
        axes = np.asarray(ax, dtype=object)
        if axes.size < n_images:
            raise ValueError(f"expected at least {n_images} axes, got {axes.size}")
        return axes.reshape(-1, axes.shape[-1]) if axes.ndim else axes.reshape(1, 1)
    import matplotlib.pyplot as plt

    n_cols = n_cols or math.ceil(math.sqrt(n_images))
    n_rows = math.ceil(n_images / n_cols)
    _, axes = plt.subplots(
        n_rows,
        n_cols,
        figsize=(1.3 * n_cols, 1.65 * n_rows),
        squeeze=False,
        layout="constrained",
    )
    return axes


def _plot_curve(axis, values, label, line_kw):
    epochs = np.arange(1, len(values) + 1)
    (line,) = axis.plot(epochs, values, label=label, **line_kw)
    return line


def _label_curve_axes(axis, metric_label):
    from matplotlib.ticker import MaxNLocator

    axis.set(xlabel="Epoch", ylabel=metric_label, title=metric_label)
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole
    axis.grid(alpha=0.3)
    axis.legend()


def _legend_label(name, split):
    return split if name is None else f"{name} ({split})"


def _titles(n_images, *, y_true=None, y_pred=None, probability=None):
    """One title per image, and whether each prediction is wrong."""
    columns = []
    for values, template in ((y_true, "true {}"), (y_pred, "pred {}")):
        if values is not None:
            columns.append([template.format(value) for value in np.ravel(values)])
    if probability is not None:
        columns.append([f"p={p:.2f}" for p in np.ravel(probability)])
    for column in columns:
        if len(column) != n_images:
            raise ValueError(
                f"expected one label per image ({n_images}), got {len(column)}"
            )
    titles = ["\n".join(parts) for parts in zip(*columns, strict=True)] or [
        ""
    ] * n_images
    if y_true is None or y_pred is None:
        return titles, np.zeros(n_images, dtype=bool)
    return titles, np.asarray(y_true) != np.asarray(y_pred)


def _plot_grid(images, titles, wrong, *, ax, n_cols, cmap):
    axes = _axes_grid(ax, len(images), n_cols)
    # 8-bit images are drawn on 0-255, others on 0-1, so faint digits stay faint
    vmax = 255 if images.max(initial=0) > 1 else 1
    artists = []
    for axis, image, title, is_wrong in zip(
        axes.flat, images, titles, wrong, strict=False
    ):
        artists.append(axis.imshow(image, cmap=cmap, vmin=0, vmax=vmax))
        color = {"color": _WRONG_COLOR} if is_wrong else {}
        axis.set_title(title, fontsize=8, **color)
    for axis in axes.flat:
        axis.set_axis_off()
    return axes, artists


def _plot_nothing(ax, message):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(3, 1), layout="constrained")
    axes = np.asarray(ax, dtype=object).reshape(1, -1)
    axes.flat[0].text(0.5, 0.5, message, ha="center", va="center")
    for axis in axes.flat:
        axis.set_axis_off()
    return axes, []
