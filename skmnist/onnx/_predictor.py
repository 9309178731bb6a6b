"""Predict with an exported skmnist model through onnxruntime, without TensorFlow.

Only numpy and onnxruntime are imported to predict (scikit-learn only for
``score``): loading a model and classifying a few images takes a fraction of a
second, where importing TensorFlow alone takes seconds.
"""

import json
import math
import os
from os import PathLike, fspath

import numpy as np

from skmnist._images import check_pixel_range, pixel_range
from skmnist.onnx._deps import require
from skmnist.onnx._export import INPUT, LABEL, METADATA_KEY, PROBABILITIES

__all__ = ["OnnxClassifier"]


class OnnxClassifier:
    """A classifier over an ONNX file written by :func:`skmnist.export_onnx`.

    Runs the exported pipeline (pixel scaling, flattening or reshaping, network,
    class labels) with onnxruntime: neither TensorFlow nor Keras is imported. It
    takes images as the pipeline did -- ``(n_samples, height, width)``,
    ``(n_samples, height, width, 1)`` or flat ``(n_samples, height * width)``,
    uint8 or float, in the units seen in ``fit`` -- and checks them by the same
    rules (:mod:`skmnist._images`): negative pixels and a batch above the learned
    scale are refused, a few stray pixels outside it are clipped with a warning. Its
    ``predict`` output works with scikit-learn's metrics and
    :meth:`sklearn.metrics.ConfusionMatrixDisplay.from_predictions`.

    Parameters
    ----------
    model : str, path-like or bytes
        The ``.onnx`` file, or its contents.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, with the dtype they had in the pipeline.
    n_classes_ : int
        Number of classes.
    class_names_ : ndarray of shape (n_classes,), dtype object
        The name of each class, as the exported model knew them (e.g.
        Fashion-MNIST's ``"Trouser"``); the labels as text otherwise.
    scale_ : float or None
        The pixel scale the exported transformer learned (None without one).
    image_shape_ : tuple of (int, int) or None
        ``(height, width)`` of the images (None without a transformer).
    n_features_in_ : int
        Values per sample (pixels per image).
    metadata_ : dict
        What the export recorded: network family, transformer, skmnist version.
    session_ : onnxruntime.InferenceSession
        The session running the graph.

    See Also
    --------
    skmnist.export_onnx : Write a fitted pipeline as an ONNX file.

    Notes
    -----
    The input is cast to the graph's input type before the graph runs: float32, as
    the pipeline's transformer does (exact for uint8 pixels, so the graph sees the
    values the Keras pipeline saw), or uint8 for a model exported with
    ``input_dtype="uint8"``, which then refuses fractional pixels.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.metrics import accuracy_score
    >>> from skmnist import make_mnist_pipeline, export_onnx
    >>> from skmnist.onnx import OnnxClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> pipe = make_mnist_pipeline(hidden_layer_sizes=(16,), epochs=2, random_state=0)
    >>> path = export_onnx(pipe.fit(X, y), os.path.join(tempfile.mkdtemp(), "d.onnx"))
    >>> clf = OnnxClassifier(path)
    >>> clf.classes_
    array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    >>> clf.predict_proba(X[:2]).shape
    (2, 10)
    >>> clf.score(X, y) == accuracy_score(y, pipe.predict(X))
    True
    """

    def __init__(self, model):
        if not isinstance(model, bytes | str | PathLike):
            raise TypeError(
                f"model must be the path of an .onnx file or its bytes; got a "
                f"{type(model).__name__}"
            )
        ort = require("onnxruntime", "Predicting with an ONNX model")
        source = model if isinstance(model, bytes) else fspath(model)
        self._source = "<bytes>" if isinstance(model, bytes) else source
        if not isinstance(model, bytes) and not os.path.isfile(source):
            raise FileNotFoundError(
                f"no ONNX model at {source!r}; write one with `skmnist export "
                f"MODEL {source}`"
            )
        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only
        # no busy-waiting threads between calls: as fast on a batch, and the
        # cores stay free for the rest of the process (a server, a CLI, TensorFlow)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            session = ort.InferenceSession(
                source, options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime's own exception types vary by version
            raise ValueError(
                f"{self._source!r} is not a readable ONNX model "
                f"({type(exc).__name__}: {str(exc).strip().splitlines()[0]})"
            ) from exc
        custom = session.get_modelmeta().custom_metadata_map
        if METADATA_KEY not in custom:
            raise ValueError(
                f"{self._source!r} is an ONNX model, but not one written by "
                "skmnist.export_onnx (no skmnist metadata); export the pipeline with "
                "`skmnist export`"
            )
        meta = json.loads(custom[METADATA_KEY])
        self.session_ = session
        self.metadata_ = meta
        self.classes_ = np.asarray(
            meta["classes"], dtype=np.dtype(meta["classes_dtype"])
        )
        self.n_classes_ = len(self.classes_)
        # files exported before names travelled: the labels as text
        self.class_names_ = np.asarray(
            meta.get("class_names") or [str(c) for c in self.classes_.tolist()],
            dtype=object,
        )
        self.scale_ = meta["scale"]
        self.image_shape_ = (
            None if meta["image_shape"] is None else tuple(meta["image_shape"])
        )
        self._input_shape = tuple(meta["input_shape"])
        self._input_dtype = np.dtype(meta.get("input_dtype", "float32"))
        self.n_features_in_ = math.prod(self._input_shape)

    def __repr__(self):
        return f"OnnxClassifier({self._source!r})"

    def predict_proba(self, X):
        """Class probabilities of each image.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width), \
                (n_samples, height, width, 1) or (n_samples, height * width)
            Images, in the pixel units seen in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), float32
            Probabilities in the order of ``classes_``; rows sum to 1.
        """
        return self._run(X, [PROBABILITIES])[0]

    def predict(self, X):
        """Most probable class of each image (computed in the ONNX graph).

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width), \
                (n_samples, height, width, 1) or (n_samples, height * width)
            Images, in the pixel units seen in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels, with the dtype of ``classes_``.
        """
        labels = self._run(X, [LABEL])[0]
        return np.asarray(labels).astype(self.classes_.dtype, copy=False)

    def predict_with_proba(self, X):
        """Labels and probabilities from one run of the graph.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        proba : ndarray of shape (n_samples, n_classes), float32
        """
        labels, proba = self._run(X, [LABEL, PROBABILITIES])
        return np.asarray(labels).astype(self.classes_.dtype, copy=False), proba

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on the given images and labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width) or as in ``predict``
            Images.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Accuracy of ``self.predict(X)``.
        """
        from sklearn.metrics import accuracy_score

        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))

    # -- input checks --------------------------------------------------------------

    def _run(self, X, outputs):
        images = self._validate(X)
        return self.session_.run(outputs, {INPUT: images})

    def _validate(self, X):
        """Float32 samples of the graph's input shape, checked as the pipeline does."""
        X = np.asarray(X)
        if X.dtype.kind not in "biuf":
            raise ValueError(
                f"X must hold numbers (pixel intensities); got dtype {X.dtype}"
            )
        expected = self._input_shape
        if (
            X.ndim < 2
            or math.prod(X.shape[1:]) != self.n_features_in_
            or (
                X.ndim > 2
                and len(expected) >= 2
                and tuple(X.shape[1:3]) != tuple(expected[:2])
            )
            or (X.ndim == 4 and X.shape[3] != 1)
        ):
            accepted = (
                f"(n_samples, {', '.join(map(str, expected))})"
                if self.image_shape_ is None
                else f"(n_samples, {expected[0]}, {expected[1]}), (n_samples, "
                f"{expected[0]}, {expected[1]}, 1) or (n_samples, "
                f"{self.n_features_in_})"
            )
            raise ValueError(
                f"X has shape {X.shape}, but this model takes {accepted}; "
                "resize the images to the size the model was trained on"
            )
        if X.shape[0] == 0:
            raise ValueError(f"X has no images (shape {X.shape}); pass at least one")
        if X.dtype.kind == "f" and not np.isfinite(X).all():
            raise ValueError("Input X contains NaN or infinity; pixels must be finite")
        if self.scale_ is not None:
            # the transformers' rules: strays above the scale clipped with a
            # warning, a batch in other units refused
            name = self.metadata_.get("transformer") or "the model"
            if check_pixel_range(X, *pixel_range(X), self.scale_, name):
                X = np.clip(X.astype(np.float32), 0, np.float32(self.scale_))
        if self._input_dtype == np.uint8 and X.dtype != np.uint8:
            images = X.astype(np.uint8)
            if not np.array_equal(images, X):
                raise ValueError(
                    "this model was exported with input_dtype='uint8' and takes "
                    "whole 0-255 pixels only; got fractional or larger values. "
                    "Export it again with input_dtype='float32' for other pixels"
                )
        else:
            images = X.astype(self._input_dtype, copy=False)
        return images.reshape(len(X), *expected)
