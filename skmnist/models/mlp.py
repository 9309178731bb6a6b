"""The Keras multi-layer perceptron: its parameters and its network."""

from numbers import Integral, Real

import numpy as np

from skmnist._compat import Interval, StrOptions, validate_estimator_params
from skmnist._network import ACTIVATIONS, layer_seeds
from skmnist.models._base import _MIGRATION_NOTES, BaseKerasClassifier

# MLPClassifier's Adam settings, which Keras's Adam (the same update) runs at here,
# but for its epsilon of 1e-7; other values have no counterpart.
_MLP_ADAM = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8}
# A changing learning rate is a Keras callback here: the one for each schedule.
_MLP_SCHEDULES = {
    "invscaling": "keras.callbacks.LearningRateScheduler",
    "adaptive": "keras.callbacks.ReduceLROnPlateau",
}


class KerasMLPClassifier(BaseKerasClassifier):
    """Multi-layer perceptron classifier trained with Keras, in scikit-learn's API.

    The network is ``Dense -> activation -> Dropout`` for every hidden layer (no
    dropout after the last one) and a softmax output, trained with sparse
    categorical cross-entropy. The defaults are the classic Keras MNIST network:
    784 inputs, 256 and 128 ReLU units with dropout 0.2 between them, 10 outputs
    (235,146 parameters), Adam, 10 epochs of batches of 128.

    Every parameter is flat and searchable (``GridSearchCV``, Optuna), and the
    estimator is a real scikit-learn classifier: ``is_classifier`` is true,
    cross-validation stratifies, and the metric displays accept it. Training,
    early stopping, ``partial_fit``, class weights and prediction are those of
    :class:`~skmnist.models.BaseKerasClassifier`, shared with
    :class:`~skmnist.models.KerasCNNClassifier`.

    **Coming from scikit-learn's MLPClassifier?** ``hidden_layer_sizes``,
    ``activation``, ``alpha``, ``batch_size`` (an int), ``early_stopping``,
    ``validation_fraction``, ``n_iter_no_change``, ``tol``, ``warm_start``,
    ``random_state`` and ``verbose`` keep their names; ``max_iter`` is
    ``epochs``, ``solver`` is ``optimizer`` and ``learning_rate_init`` is
    ``learning_rate`` (here a number, not a schedule). The fitted attributes
    ``coefs_``, ``intercepts_``, ``loss_curve_`` and the others are there
    under their names. :meth:`from_mlpclassifier_params` takes
    ``MLPClassifier``'s own keywords (and :meth:`from_mlpclassifier` an
    ``MLPClassifier``) and returns the translated estimator, or one error per
    setting with no counterpart (``solver="lbfgs"``, ``learning_rate=
    "adaptive"``...). Every parameter and attribute is in the migration notes,
    :ref:`from-mlpclassifier`.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(256, 128)
        Units of each hidden layer; at least one layer. An int means one layer.
    activation : {"relu", "tanh", "logistic", "identity", "sigmoid", "linear", \
"elu", "gelu", "selu", "swish"}, default="relu"
        Activation of the hidden layers (sklearn's names, or Keras's).
    dropout : float in [0, 1), default=0.2
        Dropout rate after every hidden layer but the last.
    {shared_parameters}

    Attributes
    ----------
    model_ : keras.Model
        The fitted Keras network.
    {shared_attributes}
    n_layers_ : int
        Number of layers of units, input and output included
        (``len(hidden_layer_sizes) + 2``), as in ``MLPClassifier``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    skmnist.make_mnist_pipeline : This classifier behind an image flattener.
    skmnist.models.KerasCNNClassifier : The convolutional family.
    sklearn.neural_network.MLPClassifier : scikit-learn's own perceptron.

    Notes
    -----
    scikeras 0.13's ``KerasClassifier`` lists ``ClassifierMixin`` after
    ``BaseEstimator``, so scikit-learn >= 1.6 does not see it as a classifier.
    The base class declares its classifier tags itself in ``__sklearn_tags__``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skmnist import KerasMLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = KerasMLPClassifier(hidden_layer_sizes=(32,), epochs=20, random_state=0)
    >>> clf.fit(X / 16, y).score(X / 16, y) > 0.9
    True
    >>> clf.predict_proba(X[:1] / 16).shape
    (1, 10)

    The weights, as ``MLPClassifier`` shows them:

    >>> [w.shape for w in clf.coefs_], clf.n_layers_
    ([(64, 32), (32, 10)], 3)
    >>> clf.loss_curve_ is clf.history_["loss"], len(clf.loss_curve_)
    (True, 20)

    ``MLPClassifier``'s keywords, translated (its defaults fill in the rest,
    and its network has no dropout):

    >>> sgd = KerasMLPClassifier.from_mlpclassifier_params(
    ...     hidden_layer_sizes=(32,),
    ...     max_iter=20,
    ...     solver="sgd",
    ...     learning_rate_init=0.1,
    ...     random_state=0,
    ... )
    >>> sgd.epochs, sgd.optimizer, sgd.learning_rate, sgd.momentum, sgd.alpha
    (20, 'sgd', 0.1, 0.9, 0.0001)
    >>> sgd.batch_size, sgd.dropout
    (200, 0.0)
    >>> sgd.fit(X / 16, y).score(X / 16, y) > 0.9
    True
    """

    _parameter_constraints = {
        **BaseKerasClassifier._parameter_constraints,
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
    }
    _layer_size_params = {
        "hidden_layer_sizes": ("units of each hidden layer", (256, 128))
    }

    def __init__(
        self,
        hidden_layer_sizes=(256, 128),
        *,
        activation="relu",
        dropout=0.2,
        optimizer="adam",
        learning_rate=0.001,
        momentum=0.9,
        nesterovs_momentum=True,
        alpha=0.0,
        shift_range=0.0,
        rotation_range=0.0,
        zoom_range=0.0,
        learning_rate_schedule="constant",
        label_smoothing=0.0,
        weight_decay=None,
        dtype_policy="float32",
        batch_size=128,
        epochs=10,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=3,
        tol=1e-4,
        class_weight=None,
        callbacks=None,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        super().__init__(
            optimizer=optimizer,
            learning_rate=learning_rate,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            alpha=alpha,
            shift_range=shift_range,
            rotation_range=rotation_range,
            zoom_range=zoom_range,
            learning_rate_schedule=learning_rate_schedule,
            label_smoothing=label_smoothing,
            weight_decay=weight_decay,
            dtype_policy=dtype_policy,
            batch_size=batch_size,
            epochs=epochs,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            class_weight=class_weight,
            callbacks=callbacks,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
        )

    @classmethod
    def from_mlpclassifier_params(cls, **params):
        """The estimator ``MLPClassifier(**params)`` translates to.

        Every ``MLPClassifier`` parameter is read, the ones not given at
        ``MLPClassifier``'s defaults (``max_iter=200``, ``alpha=1e-4``,
        ``hidden_layer_sizes=(100,)``...), so the result trains the network
        ``MLPClassifier`` would: no dropout, its batch, its optimizer. The
        constructor cannot take these names itself (scikit-learn's rules keep
        ``**kwargs`` out of ``__init__``).

        Parameters
        ----------
        **params : dict
            Keyword arguments of :class:`~sklearn.neural_network.MLPClassifier`.

        Returns
        -------
        estimator : KerasMLPClassifier
            Unfitted. Set skmnist's own parameters (``dropout``,
            ``class_weight``, ``callbacks``) on it with ``set_params``.

        Raises
        ------
        TypeError
            For a name that is not an ``MLPClassifier`` parameter.
        ValueError
            For settings with no counterpart, one sentence each with the way
            out (see :meth:`from_mlpclassifier`); ``InvalidParameterError``
            for values ``MLPClassifier`` itself refuses.

        See Also
        --------
        from_mlpclassifier : The same, from an ``MLPClassifier``.

        Examples
        --------
        >>> from skmnist import KerasMLPClassifier
        >>> clf = KerasMLPClassifier.from_mlpclassifier_params(max_iter=10)
        >>> clf.epochs, clf.hidden_layer_sizes, clf.n_iter_no_change
        (10, (100,), 10)
        >>> KerasMLPClassifier.from_mlpclassifier_params(solver="lbfgs")
        Traceback (most recent call last):
            ...
        ValueError: MLPClassifier's solver='lbfgs' (with its max_fun) has no ...
        """
        from sklearn.neural_network import MLPClassifier

        known = MLPClassifier().get_params()
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise TypeError(
                f"{unknown} are not parameters of MLPClassifier, whose keywords "
                f"from_mlpclassifier_params takes: {sorted(known)}. Set "
                f"{cls.__name__}'s own parameters on the result, e.g. "
                f"{cls.__name__}.from_mlpclassifier_params(...).set_params("
                "dropout=0.2)."
            )
        return cls.from_mlpclassifier(MLPClassifier(**params))

    @classmethod
    def from_mlpclassifier(cls, estimator):
        """The estimator an ``MLPClassifier``'s parameters translate to.

        Only the parameters are read: a fitted ``MLPClassifier``'s weights are
        not copied (the networks differ: Keras's initialisation, float32).

        Parameters
        ----------
        estimator : sklearn.neural_network.MLPClassifier
            The classifier whose parameters to translate, fitted or not.

        Returns
        -------
        estimator : KerasMLPClassifier
            Unfitted, with ``dropout=0`` (``MLPClassifier`` has none).

        Raises
        ------
        ValueError
            When a setting that acts in ``MLPClassifier`` has no counterpart,
            naming each such setting and the way out: ``solver="lbfgs"`` (and
            its ``max_fun``), ``learning_rate="invscaling"`` (and its
            ``power_t``) or ``"adaptive"`` with ``solver="sgd"`` (a Keras
            callback gives a changing rate), ``beta_1``, ``beta_2`` or
            ``epsilon`` other than the defaults with ``solver="adam"``, and
            ``shuffle=False``. Settings that ``MLPClassifier`` ignores
            (``learning_rate`` with ``"adam"``, ``momentum`` with ``"adam"``)
            are passed on or ignored alike.

        Notes
        -----
        The translation: ``solver`` is ``optimizer``, ``learning_rate_init``
        ``learning_rate``, ``max_iter`` ``epochs``, ``batch_size="auto"`` is
        200 (``MLPClassifier``'s ``min(200, n_samples)``: a batch larger than
        the training rows is all of them here too), ``n_iter_no_change=inf``
        is ``max_iter``, a true ``verbose`` is 2 (one line per epoch); the
        other names are the same. The results still differ in the random
        initial weights, Adam's epsilon (1e-7 here, 1e-8 there), and two
        stopping rules: without ``early_stopping`` ``MLPClassifier`` stops
        once the training loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, where every epoch runs here; with it, the
        criterion is the validation loss here, the accuracy there.

        Examples
        --------
        >>> from sklearn.neural_network import MLPClassifier
        >>> from skmnist import KerasMLPClassifier
        >>> mlp = MLPClassifier(hidden_layer_sizes=(50,), solver="sgd")
        >>> KerasMLPClassifier.from_mlpclassifier(mlp).get_params()["momentum"]
        0.9
        """
        from sklearn.neural_network import MLPClassifier

        if not isinstance(estimator, MLPClassifier):
            raise TypeError(
                "from_mlpclassifier takes a sklearn.neural_network.MLPClassifier; "
                f"got {type(estimator).__name__}. For keyword arguments use "
                f"{cls.__name__}.from_mlpclassifier_params(**params)."
            )
        validate_estimator_params(estimator)
        p = estimator.get_params()
        refused = _mlpclassifier_refusals(p)
        if refused:
            raise ValueError(
                "; ".join(f"MLPClassifier's {why}" for why in refused)
                + f". {_MIGRATION_NOTES}"
            )
        patience = p["n_iter_no_change"]
        return cls(
            hidden_layer_sizes=p["hidden_layer_sizes"],
            activation=p["activation"],
            dropout=0.0,
            optimizer=p["solver"],
            learning_rate=p["learning_rate_init"],
            momentum=p["momentum"],
            nesterovs_momentum=p["nesterovs_momentum"],
            alpha=p["alpha"],
            batch_size=200 if p["batch_size"] == "auto" else p["batch_size"],
            epochs=p["max_iter"],
            early_stopping=p["early_stopping"],
            validation_fraction=p["validation_fraction"],
            n_iter_no_change=p["max_iter"] if patience == np.inf else patience,
            tol=p["tol"],
            warm_start=p["warm_start"],
            random_state=p["random_state"],
            verbose=2 if p["verbose"] else 0,
        )

    @property
    def n_layers_(self):
        """Layers of units, input and output included, as in MLPClassifier."""
        return len(self.coefs_) + 1

    def _build_network(self, input_shape, n_classes, seed):
        return build_mlp(
            input_shape,
            n_classes,
            hidden_layer_sizes=tuple(
                int(s) for s in np.atleast_1d(self.hidden_layer_sizes)
            ),
            activation=self.activation,
            dropout=self.dropout,
            seed=seed,
        )


def _mlpclassifier_refusals(p):
    """Why each setting of ``p`` (MLPClassifier's parameters) that acts there has
    no counterpart here, with the way out; empty when all translate."""
    refused = []
    if p["solver"] == "lbfgs":
        refused.append(
            "solver='lbfgs' (with its max_fun) has no counterpart: a full-batch "
            "quasi-Newton method does not fit mini-batch training. Use "
            "solver='adam' or 'sgd', or MLPClassifier itself on a small data set"
        )
    schedule = p["learning_rate"]
    if p["solver"] == "sgd" and schedule in _MLP_SCHEDULES:
        with_power_t = " (with its power_t)" if schedule == "invscaling" else ""
        refused.append(
            f"learning_rate={schedule!r}{with_power_t} has no counterpart: the "
            "rate is constant here. Use learning_rate='constant', and for a "
            "changing rate pass a callback to the result, .set_params(callbacks="
            f"[{_MLP_SCHEDULES[schedule]}(...)])"
        )
    if p["solver"] == "adam":
        for name, default in _MLP_ADAM.items():
            if p[name] != default:
                refused.append(
                    f"{name}={p[name]!r} has no counterpart: Adam runs at Keras's "
                    f"settings here. Use MLPClassifier's default {name}={default!r}"
                )
    if not p["shuffle"]:
        refused.append(
            "shuffle=False has no counterpart: every epoch is shuffled here, in an "
            "order drawn from random_state. Use shuffle=True"
        )
    return refused


def build_mlp(
    input_shape, n_classes, hidden_layer_sizes, activation, dropout, seed, name=None
):
    """Return the uncompiled dense network.

    ``Dense(h) -> activation -> Dropout(dropout)`` for every hidden layer but the
    last, which has no dropout, then a ``Dense(n_classes)`` softmax output. At
    ``hidden_layer_sizes=(256, 128)`` and ``dropout=0.2`` on 784 inputs this is
    exactly the reference MNIST model: 235,146 parameters.

    Parameters
    ----------
    input_shape : int or tuple of int
        Features per sample (an int, or a 1-tuple).
    n_classes : int
        Units of the softmax output.
    hidden_layer_sizes : tuple of int
        Units of each hidden layer.
    activation : str
        A key of ``skmnist._network.ACTIVATIONS``.
    dropout : float
        Dropout rate after every hidden layer but the last.
    seed : int
        Seed of every initialiser and dropout layer.
    name : str, default=None
        Model name ("mlp").

    Returns
    -------
    model : keras.Sequential
        The network, not compiled.

    Examples
    --------
    >>> build_mlp(784, 10, (256, 128), "relu", 0.2, seed=0).count_params()
    235146
    """
    import keras

    shape = tuple(np.atleast_1d(input_shape).tolist())
    sizes = tuple(hidden_layer_sizes)
    seeds = iter(layer_seeds(seed, len(sizes) + 1))
    layers = [keras.Input(shape=shape, name="pixels")]
    for i, units in enumerate(sizes):
        layers.append(
            keras.layers.Dense(
                units,
                activation=ACTIVATIONS[activation],
                kernel_initializer=keras.initializers.GlorotUniform(seed=next(seeds)),
                name=f"hidden_{i + 1}",
            )
        )
        drop_seed = next(seeds)
        if dropout > 0 and i < len(sizes) - 1:
            layers.append(
                keras.layers.Dropout(dropout, seed=drop_seed, name=f"dropout_{i + 1}")
            )
    layers.append(
        keras.layers.Dense(
            n_classes,
            activation="softmax",
            kernel_initializer=keras.initializers.GlorotUniform(seed=next(seeds)),
            name="output",
            dtype="float32",  # probabilities in float32 under mixed precision
        )
    )
    return keras.Sequential(layers, name=name or "mlp")
