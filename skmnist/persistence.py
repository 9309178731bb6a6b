"""Saving and loading fitted estimators and pipelines.

Files are written atomically: a reader sees the old file or the complete new one,
never a half-written model. joblib files are pickles: load only files you trust.
"""

from pathlib import Path

from skmnist._io import atomic_path, atomic_write


def save_model(estimator, path, *, compress=3):
    """Save a fitted estimator or pipeline with joblib, atomically.

    The Keras network inside is stored in Keras's own format within the pickle
    (scikeras does this), so the file needs no TensorFlow session to be valid.

    Parameters
    ----------
    estimator : estimator
        A fitted skmnist classifier (such as :class:`skmnist.KerasMLPClassifier`)
        or a pipeline containing one.
    path : str or path-like
        Destination file, conventionally ending in ``.joblib``. Its folder is
        created if needed.
    compress : int, default=3
        joblib compression level (0 to 9).

    Returns
    -------
    path : pathlib.Path
        The file written.

    See Also
    --------
    load_model : The inverse.

    Examples
    --------
    >>> import tempfile, os
    >>> from skmnist import ImageFlattener
    >>> from skmnist.persistence import save_model, load_model
    >>> path = os.path.join(tempfile.mkdtemp(), "flatten.joblib")
    >>> flattener = ImageFlattener().fit([[[0, 255]]])
    >>> load_model(save_model(flattener, path)).image_shape_
    (1, 2)
    """
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as file:
        joblib.dump(estimator, file, compress=compress)
    return path


def load_model(path):
    """Load an estimator saved by :func:`save_model`.

    Only load files you trust: like any pickle, a joblib file can run code.

    Parameters
    ----------
    path : str or path-like
        File written by :func:`save_model`.

    Returns
    -------
    estimator : estimator
        The fitted estimator or pipeline.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a saved model.
    """
    import joblib

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no saved model at {str(path)!r}; train one with `skmnist train -o {path}`"
        )
    try:
        return joblib.load(path)
    except (EOFError, KeyError, IndexError, ValueError, TypeError) as exc:
        # joblib/pickle raise these for truncated or foreign files
        raise ValueError(
            f"{str(path)!r} is not a readable skmnist model file ({exc}); "
            "save it again with skmnist.persistence.save_model"
        ) from exc


def export_keras(estimator, path):
    """Export the fitted network to Keras's native ``.keras`` format, atomically.

    Only the network is exported: it takes what the pipeline's first step
    outputs, float pixels scaled to [0, 1] -- flat rows from
    :class:`skmnist.ImageFlattener` for the dense network, ``(n, height, width,
    1)`` images from :class:`skmnist.preprocessing.ImageReshaper` for the
    convolutional one -- and returns class probabilities in the order of the
    classifier's ``classes_``. Use it to serve the model without scikit-learn,
    e.g. with TensorFlow Serving or Keras alone.

    Parameters
    ----------
    estimator : classifier or Pipeline
        A fitted skmnist Keras classifier (such as
        :class:`skmnist.KerasMLPClassifier`), or a fitted pipeline ending in one.
    path : str or path-like
        Destination file; must end in ``.keras``. Its folder is created if needed.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    ValueError
        If ``path`` does not end in ``.keras``.
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.

    See Also
    --------
    save_model : Save the whole pipeline, preprocessing included.

    Examples
    --------
    >>> import os, tempfile
    >>> import keras
    >>> from sklearn.datasets import load_digits
    >>> from skmnist import KerasMLPClassifier
    >>> from skmnist.persistence import export_keras
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = KerasMLPClassifier((16,), epochs=1, random_state=0).fit(X / 16, y)
    >>> path = export_keras(clf, os.path.join(tempfile.mkdtemp(), "digits.keras"))
    >>> keras.saving.load_model(path).predict(X[:2] / 16, verbose=0).shape
    (2, 10)
    """
    from skmnist.pipeline import final_classifier

    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"the file name must end in .keras, got {str(path)!r}")
    model = final_classifier(estimator).model_
    path.parent.mkdir(parents=True, exist_ok=True)
    # Keras writes the file itself, by name, and insists on the .keras suffix
    with atomic_path(path, suffix=".part.keras") as tmp_path:
        model.save(tmp_path)
    return path
