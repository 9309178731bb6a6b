"""The Keras multi-layer perceptron: its parameters and its network."""

from numbers import Integral, Real

import numpy as np

from skmnist._compat import Interval, StrOptions
from skmnist._network import ACTIVATIONS, layer_seeds
from skmnist.models._base import BaseKerasClassifier


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
    under their names. Every parameter and attribute, and the ones with no
    counterpart (``solver="lbfgs"``, ``momentum``, ``power_t``...), are in the
    migration notes, :ref:`from-mlpclassifier`.

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
        alpha=0.0,
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
            alpha=alpha,
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
        )
    )
    return keras.Sequential(layers, name=name or "mlp")
