"""Small shared helpers used across skmnist.

Nothing here imports TensorFlow or Keras: the module is imported by
``skmnist.report``, ``skmnist.plotting`` and the estimators alike.
"""

from numbers import Integral

import numpy as np

__all__ = ["labels_from_proba", "is_positive_int"]


def labels_from_proba(classes, proba):
    """Turn class probabilities into class labels.

    Parameters
    ----------
    classes : array-like of shape (n_classes,)
        The class labels, in the order of the columns of ``proba``
        (an estimator's ``classes_``).
    proba : array-like of shape (n_samples, n_classes)
        Class probabilities (or any per-class scores; the highest wins).

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        ``classes[np.argmax(proba, axis=1)]``: the most probable class of
        each sample. Ties go to the first class, as :func:`numpy.argmax`.

    Examples
    --------
    >>> import numpy as np
    >>> from skmnist._utils import labels_from_proba
    >>> labels_from_proba(np.array([3, 5, 8]),
    ...                   np.array([[0.1, 0.7, 0.2], [0.6, 0.1, 0.3]]))
    array([5, 3])
    """
    classes = np.asarray(classes)
    proba = np.asarray(proba)
    if proba.ndim != 2 or proba.shape[1] != classes.shape[0]:
        raise ValueError(
            f"proba must have shape (n_samples, {classes.shape[0]}) to match the "
            f"{classes.shape[0]} classes; got shape {proba.shape}. Pass the "
            "output of predict_proba and the estimator's classes_."
        )
    return classes[np.argmax(proba, axis=1)]


def is_positive_int(value):
    """Tell whether ``value`` is an integer greater than zero.

    Python and NumPy integers count; ``bool`` does not (``True`` is not a
    count), nor do floats such as ``3.0``.

    Parameters
    ----------
    value : object
        The value to test.

    Returns
    -------
    bool
        True if ``value`` is an ``int`` or ``numpy.integer`` (not a bool) and
        ``value > 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmnist._utils import is_positive_int
    >>> is_positive_int(3), is_positive_int(np.int64(2))
    (True, True)
    >>> is_positive_int(0), is_positive_int(True), is_positive_int(3.0)
    (False, False, False)
    """
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, Integral) and bool(value > 0)
