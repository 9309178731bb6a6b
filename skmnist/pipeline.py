"""The ready-made MNIST pipelines: an image step, then a Keras classifier."""

from sklearn.pipeline import Pipeline

from skmnist._compat import routing_enabled
from skmnist.models._registry import USER_NETWORK, get_family, preset_params


def make_mnist_pipeline(model="mlp", **params):
    """Build the image step and the classifier of one network family as a Pipeline.

    - ``model="mlp"`` (default): ``Pipeline([("flatten", ImageFlattener()),
      ("classifier", KerasMLPClassifier(**params))])``, the reference MNIST model
      at the defaults;
    - ``model="cnn"``: ``Pipeline([("reshape", ImageReshaper()),
      ("classifier", KerasCNNClassifier(**params))])``, which keeps each image's
      two dimensions;
    - ``model="cnn-fast"``, ``"cnn-strong"`` or ``"mlp-strong"``: a named
      training recipe (``skmnist.models.PRESETS``), the family's pipeline with
      the recipe's parameters; ``params`` given as well win over them;
    - ``model=<your builder>`` (a function returning a ``keras.Model``, or a
      ``keras.Model``): ``Pipeline([("reshape", ImageReshaper()),
      ("classifier", KerasImageClassifier(model, **params))])``, your own
      network on the same engine; its arguments go in ``params`` as
      ``model__<argument>``.

    The families are declared in one table (``skmnist.models.FAMILIES``).
    The pipeline takes images of shape ``(n, 28, 28)`` (uint8, as loaded by
    :func:`skmnist.load_mnist`) straight in. Searches address the classifier's
    parameters as ``classifier__hidden_layer_sizes``, ``classifier__dropout``
    and so on. TensorFlow is imported here, on first use.

    **A validation set** (the reference notebook's ``validation_data``):
    with scikit-learn's metadata routing enabled when the pipeline is built
    (``sklearn.set_config(enable_metadata_routing=True)``), the classifier
    requests ``X_val``, ``y_val`` and ``sample_weight_val`` and the pipeline
    prepares ``X_val`` with its fitted image step (``transform_input=
    ["X_val"]``), so ``pipe.fit(X, y, X_val=X_test, y_val=y_test)`` records
    the test accuracy of every epoch in ``pipe[-1].history_``. Without
    routing, ``Pipeline.fit`` takes no ``X_val`` (scikit-learn's error); a
    bare classifier's ``fit`` takes it always.

    Parameters
    ----------
    model : {"mlp", "cnn", "cnn-fast", "cnn-strong", "mlp-strong"}, callable \
or keras.Model, default="mlp"
        The network family, a named recipe of one, or your own network.
    **params : dict
        Parameters of the classifier (:class:`skmnist.KerasMLPClassifier`,
        :class:`skmnist.KerasCNNClassifier` or
        :class:`skmnist.KerasImageClassifier`), for example ``epochs=3``
        or ``hidden_layer_sizes=(512, 128)``.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted pipeline with steps ``"flatten"`` (or ``"reshape"``) and
        ``"classifier"``.

    Raises
    ------
    ValueError
        If ``model`` is neither a family nor a network.

    See Also
    --------
    skmnist.KerasMLPClassifier : The dense classifier and its parameters.
    skmnist.KerasCNNClassifier : The convolutional classifier.
    skmnist.KerasImageClassifier : Your own network as a classifier.
    skmnist.ImageFlattener : The first step of the dense pipeline.

    Examples
    --------
    >>> from sklearn.base import is_classifier
    >>> from skmnist import make_mnist_pipeline
    >>> pipe = make_mnist_pipeline(epochs=3, dropout=0.1)
    >>> [name for name, _ in pipe.steps]
    ['flatten', 'classifier']
    >>> pipe.get_params()["classifier__epochs"], is_classifier(pipe)
    (3, True)

    With a validation set:

    >>> import sklearn
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> images = X.reshape(-1, 8, 8) / 16
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     pipe = make_mnist_pipeline(hidden_layer_sizes=(16,), epochs=2,
    ...                                random_state=0)
    ...     _ = pipe.fit(images[:1000], y[:1000], X_val=images[1000:],
    ...                  y_val=y[1000:])
    >>> len(pipe[-1].history_["val_accuracy"])
    2
    """
    family = get_family(model)
    if family is USER_NETWORK:  # the network is the estimator's model=
        params = {"model": model, **params}
    params = {**preset_params(model), **params}  # what the caller sets wins
    step = family.make_image_step()
    estimator = family.load_estimator()(**params)
    if not routing_enabled():
        # Pipeline refuses transform_input without routing, even with no X_val
        return Pipeline([step, ("classifier", estimator)])
    estimator.set_fit_request(X_val=True, y_val=True, sample_weight_val=True)
    return Pipeline([step, ("classifier", estimator)], transform_input=["X_val"])


def final_classifier(estimator, *, attribute="model_"):
    """The classifier at the end of a pipeline (or the estimator itself), fitted.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A fitted skmnist classifier (either family), or a pipeline ending in one.
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
