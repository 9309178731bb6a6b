"""The ready-made MNIST pipeline: image flattener, then the Keras classifier."""

from sklearn.pipeline import Pipeline

from skmnist.preprocessing import ImageFlattener


def make_mnist_pipeline(**params):
    """Build ``Pipeline([("flatten", ImageFlattener()), ("classifier", ...)])``.

    The pipeline takes images of shape ``(n, 28, 28)`` (uint8, as loaded by
    :func:`skmnist.load_mnist`) straight in. At the defaults it is the reference
    MNIST model; searches address the classifier's parameters as
    ``classifier__hidden_layer_sizes``, ``classifier__dropout`` and so on.
    TensorFlow is imported here, on first use.

    Parameters
    ----------
    **params : dict
        Parameters of :class:`skmnist.KerasMLPClassifier`, for example
        ``epochs=3`` or ``hidden_layer_sizes=(512, 128)``.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted pipeline with steps ``"flatten"`` and ``"classifier"``.

    See Also
    --------
    skmnist.KerasMLPClassifier : The classifier and its parameters.
    skmnist.ImageFlattener : The first step.

    Examples
    --------
    >>> from sklearn.base import is_classifier
    >>> from skmnist import make_mnist_pipeline
    >>> pipe = make_mnist_pipeline(epochs=3, dropout=0.1)
    >>> [name for name, _ in pipe.steps]
    ['flatten', 'classifier']
    >>> pipe.get_params()["classifier__epochs"], is_classifier(pipe)
    (3, True)
    """
    from skmnist.model import KerasMLPClassifier

    return Pipeline(
        [("flatten", ImageFlattener()), ("classifier", KerasMLPClassifier(**params))]
    )


def final_classifier(estimator, *, attribute="model_"):
    """The classifier at the end of a pipeline (or the estimator itself), fitted.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A fitted :class:`skmnist.KerasMLPClassifier`, or a pipeline ending in one.
    attribute : str, default="model_"
        Fitted attribute whose absence means "not fitted".

    Returns
    -------
    classifier : estimator
        The last step.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If it has no ``attribute``.
    """
    from sklearn.utils.validation import check_is_fitted

    classifier = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    check_is_fitted(classifier, attribute)
    return classifier
