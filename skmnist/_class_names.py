"""The names of a fitted model's classes, which travel with it.

A model trained by the command line on Fashion-MNIST or a folder of images keeps
its dataset's class names in ``class_names_`` (one per entry of ``classes_``, in
the same order): the report, ``skmnist predict``, the server and the ONNX file
show them. From Python, set it on the fitted pipeline::

    pipe.fit(data.X_train, data.y_train)
    pipe.class_names_ = data.target_names[pipe.classes_]

A model without it is described by ``str(label)`` of each class.
"""

import numpy as np

__all__ = ["attach_class_names", "class_names", "target_class_names"]


def target_class_names(classes, target_names):
    """The names of `classes` (labels that index `target_names`), in their order.

    Examples
    --------
    >>> target_class_names(np.array([0, 2]), ["T-shirt", "Trouser", "Pullover"])
    ['T-shirt', 'Pullover']
    """
    target_names = [str(name) for name in target_names]
    names = []
    for label in np.asarray(classes).tolist():
        if not (isinstance(label, int) and 0 <= label < len(target_names)):
            raise ValueError(
                f"class {label!r} does not index the {len(target_names)} target "
                "names; labels must be 0 to n_classes - 1 to be named"
            )
        names.append(target_names[label])
    return names


def attach_class_names(estimator, names):
    """Set ``estimator.class_names_`` (one name per class) and return `estimator`."""
    names = [str(name) for name in names]
    classes = np.asarray(estimator.classes_)
    if len(names) != len(classes):
        raise ValueError(
            f"got {len(names)} class names for the model's {len(classes)} classes "
            f"{classes.tolist()}"
        )
    estimator.class_names_ = np.asarray(names, dtype=object)
    return estimator


def class_names(estimator):
    """One name per entry of ``estimator.classes_``: ``class_names_`` if set.

    Looks on the estimator, then on a pipeline's last step; otherwise the
    labels themselves, as strings.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> class_names(SimpleNamespace(classes_=np.array([3, 5])))
    ['3', '5']
    >>> model = SimpleNamespace(classes_=np.array([0, 1]), class_names_=["cat", "dog"])
    >>> class_names(model)
    ['cat', 'dog']
    """
    classes = np.asarray(estimator.classes_)
    for holder in (estimator, _last_step(estimator)):
        names = getattr(holder, "class_names_", None)
        if names is not None and len(names) == len(classes):
            return [str(name) for name in names]
    return [str(label) for label in classes.tolist()]


def _last_step(estimator):
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else None
