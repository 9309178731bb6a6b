"""Saving and loading fitted estimators and pipelines.

Files are written atomically: a reader sees the old file or the complete new one,
never a half-written model. joblib files are pickles: load only files you trust.
"""

from pathlib import Path

from skmnist._io import atomic_write


def save_model(estimator, path, *, compress=3):
    """Save a fitted estimator or pipeline with joblib, atomically.

    The Keras network inside is stored in Keras's own format within the pickle
    (scikeras does this), so the file needs no TensorFlow session to be valid.

    Parameters
    ----------
    estimator : estimator
        A fitted :class:`skmnist.KerasMLPClassifier` or pipeline containing one.
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
