"""The ready-made MNIST pipelines: an image step, then a Keras classifier."""

import inspect

from sklearn.pipeline import Pipeline

from skmnist._compat import (
    StrOptions,
    pipeline_parameter_constraints,
    routing_enabled,
)
from skmnist.models._registry import (
    FAMILIES,
    PRESETS,
    USER_NETWORK,
    get_family,
    preset_params,
)

# make_mnist_pipeline(model=AUTO): a pipeline whose family is a parameter
AUTO = "auto"


def make_mnist_pipeline(model="mlp", **params):
    """Build the image step and the classifier of one network family as a Pipeline.

    - ``model="mlp"`` (default): ``Pipeline([("flatten", ImageFlattener()),
      ("classifier", KerasMLPClassifier(**params))])``, the reference MNIST model
      at the defaults;
    - ``model="cnn"``: ``Pipeline([("reshape", ImageReshaper()),
      ("classifier", KerasCNNClassifier(**params))])``, which keeps each image's
      two dimensions;
    - ``model="cnn-fast"``, ``"cnn-strong"``, ``"cnn-strong-bf16"`` or
      ``"mlp-strong"``: a named
      training recipe (``skmnist.models.PRESETS``), the family's pipeline with
      the recipe's parameters; ``params`` given as well win over them;
    - ``model="auto"``: a :class:`~skmnist.pipeline.FamilyPipeline`, steps
      ``"image"`` and ``"classifier"``, the dense network until
      ``set_params(family=...)`` switches it to another family or preset: the
      estimator of a search across families (:func:`skmnist.auto_search_space`);
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
    model : {"mlp", "cnn", "cnn-fast", "cnn-strong", "cnn-strong-bf16", \
"mlp-strong", "auto"}, callable or keras.Model, default="mlp"
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
    if isinstance(model, str) and model == AUTO:
        # starts as the dense network; the search's space switches the family
        mlp = FAMILIES["mlp"]
        steps = [
            ("image", mlp.make_image_step()[1]),
            ("classifier", mlp.load_estimator()(**params)),
        ]
        return FamilyPipeline(steps, family="mlp")
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


class FamilyPipeline(Pipeline):
    """A pipeline of one built-in family whose family is a parameter.

    ``set_params(family=name)`` replaces both steps, ``"image"`` and
    ``"classifier"``, by those of the family or preset ``name`` (see
    ``skmnist.models.FAMILIES`` and ``PRESETS``), so that one search can switch
    families: :func:`skmnist.auto_search_space` returns ``family`` with the
    family's own parameters, and ``best_params_["family"]`` names the winner.
    The step names are the same in every family, so ``classifier__<name>``
    addresses any family's classifier. Build one with
    ``make_mnist_pipeline(model="auto")``.

    On a switch, the new classifier has the preset's parameters (for a
    preset), and keeps those of the previous classifier that it accepts and
    that were set away from their default, except a previous preset's own
    (``random_state=0`` or ``epochs=2`` carry over, the MLP's
    ``hidden_layer_sizes`` cannot); parameters set with ``family`` in the same
    ``set_params`` call apply after the switch.

    Parameters
    ----------
    steps : list of (str, estimator)
        ``[("image", step), ("classifier", classifier)]``.
    family : str, default="mlp"
        The family (or preset) ``steps`` belong to.
    transform_input, memory, verbose
        As :class:`~sklearn.pipeline.Pipeline`'s.

    Examples
    --------
    >>> from skmnist import make_mnist_pipeline
    >>> pipe = make_mnist_pipeline("auto", epochs=2, random_state=0)
    >>> _ = pipe.set_params(family="cnn", classifier__filters=(8, 16))
    >>> [type(step).__name__ for _, step in pipe.steps]
    ['ImageReshaper', 'KerasCNNClassifier']
    >>> pipe[-1].epochs, pipe[-1].random_state, pipe[-1].filters
    (2, 0, (8, 16))
    """

    _parameter_constraints = {
        **pipeline_parameter_constraints(),
        "family": [StrOptions({*FAMILIES, *PRESETS})],
    }

    def __init__(
        self, steps, *, family="mlp", transform_input=None, memory=None, verbose=False
    ):
        super().__init__(
            steps, transform_input=transform_input, memory=memory, verbose=verbose
        )
        self.family = family

    def set_params(self, **params):
        """Set parameters; ``family`` first, replacing the steps when it changes.

        Returns
        -------
        self : FamilyPipeline
            This pipeline.
        """
        family = params.pop("family", None)
        if family is not None and family != self.family:
            self._switch(family)
        return super().set_params(**params) if params else self

    def _switch(self, family):
        if family not in FAMILIES and family not in PRESETS:
            raise ValueError(
                f"family must be one of {[*FAMILIES, *PRESETS]} (the built-in "
                f"families and their presets); got {family!r}."
            )
        entry = get_family(family)
        cls = entry.load_estimator()
        accepted = set(inspect.signature(cls).parameters)
        old = self.steps[-1][1] if self.steps else None
        carried = {}
        if old is not None:
            defaults = type(old)().get_params(deep=False)
            own_preset = preset_params(self.family)
            for name, value in old.get_params(deep=False).items():
                if name not in accepted or _same(value, defaults.get(name)):
                    continue
                if name in own_preset and _same(value, own_preset[name]):
                    continue  # the previous preset's, not the user's
                carried[name] = value
        classifier = cls(**{**carried, **preset_params(family)})
        self.steps = [("image", entry.make_image_step()[1]), ("classifier", classifier)]
        self.family = family


def _same(a, b):
    """Whether two parameter values are equal (False where == is not a bool)."""
    if a is b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return False


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
