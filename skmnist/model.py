"""The Keras multi-layer perceptron as a scikit-learn classifier."""

import time
from numbers import Integral, Real

import keras
import numpy as np
import tensorflow as tf
from scikeras.wrappers import KerasClassifier
from sklearn import get_config
from sklearn.base import BaseEstimator, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from skmnist._network import ACTIVATIONS, OPTIMIZERS, build_mlp, make_optimizer
from skmnist._training import CompiledNetwork, epoch_permutations, to_tensors


class KerasMLPClassifier(KerasClassifier):
    """Multi-layer perceptron classifier trained with Keras, in scikit-learn's API.

    The network is ``Dense -> activation -> Dropout`` for every hidden layer (no
    dropout after the last one) and a softmax output, trained with sparse
    categorical cross-entropy. The defaults are the classic Keras MNIST network:
    784 inputs, 256 and 128 ReLU units with dropout 0.2 between them, 10 outputs
    (235,146 parameters), Adam, 10 epochs of batches of 128.

    Every parameter is flat and searchable (``GridSearchCV``, Optuna), and the
    estimator is a real scikit-learn classifier: ``is_classifier`` is true,
    cross-validation stratifies, and the metric displays accept it.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(256, 128)
        Units of each hidden layer; at least one layer. An int means one layer.
    activation : {"relu", "tanh", "logistic", "identity", "sigmoid", "linear", \
"elu", "gelu", "selu", "swish"}, default="relu"
        Activation of the hidden layers (sklearn's names, or Keras's).
    dropout : float in [0, 1), default=0.2
        Dropout rate after every hidden layer but the last.
    optimizer : {"adam", "adamw", "nadam", "rmsprop", "sgd", "adagrad"}, \
default="adam"
        Keras optimizer.
    learning_rate : float, default=0.001
        Learning rate of the optimizer (Adam's default).
    batch_size : int, default=128
        Samples per gradient step.
    epochs : int, default=10
        Passes over the training data per ``fit`` (at most, with early stopping).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified) and stop
        when the validation loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs; the best epoch's weights are kept.
    validation_fraction : float in (0, 1), default=0.1
        Share of the training data held out when ``early_stopping`` is true.
    n_iter_no_change : int, default=3
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Smallest decrease of the validation loss that counts as an improvement.
    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks for training (progress, logging, pruning...).
    warm_start : bool, default=False
        Keep training the fitted network on ``fit`` instead of starting afresh.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the dropout masks, the shuffling and the validation
        split. An int gives identical results on every fit (on CPU). No global
        random state (Python's, NumPy's, TensorFlow's or Keras's) is read or
        changed.
    verbose : int, default=0
        0 is silent, 1 shows Keras's progress bar (advanced once per epoch: an
        epoch runs as one compiled call), 2 one line per epoch.

    Attributes
    ----------
    model_ : keras.Model
        The fitted Keras network.
    history_ : dict of str to list of float
        Per-epoch training metrics: ``"loss"``, ``"accuracy"`` and, with early
        stopping, ``"val_loss"`` and ``"val_accuracy"``.
    n_iter_ : int
        Number of epochs trained in total.
    fit_time_ : float
        Seconds spent in the last ``fit`` or ``partial_fit``.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_classes_ : int
        Number of classes.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    skmnist.make_mnist_pipeline : This classifier behind an image flattener.
    sklearn.neural_network.MLPClassifier : scikit-learn's own perceptron.

    Notes
    -----
    scikeras 0.13's ``KerasClassifier`` lists ``ClassifierMixin`` after
    ``BaseEstimator``, so scikit-learn >= 1.6 does not see it as a classifier.
    This class declares its classifier tags itself in ``__sklearn_tags__``.

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
    """

    _parameter_constraints = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "callbacks": [list, None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # scikeras reads these; here they are fixed properties of the network
    model = None
    build_fn = None
    loss = "sparse_categorical_crossentropy"
    metrics = ("accuracy",)
    class_weight = None
    shuffle = True

    def __init__(
        self,
        hidden_layer_sizes=(256, 128),
        *,
        activation="relu",
        dropout=0.2,
        optimizer="adam",
        learning_rate=0.001,
        batch_size=128,
        epochs=10,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=3,
        tol=1e-4,
        callbacks=None,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        # Deliberately not calling KerasClassifier.__init__: it would store
        # scikeras's own parameters, which this network fixes.
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.epochs = epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    # --- scikit-learn protocol: restore BaseEstimator's behaviour that scikeras
    # overrides (parameters from the signature, strict set_params, sklearn's repr)
    _get_param_names = classmethod(BaseEstimator._get_param_names.__func__)
    set_params = BaseEstimator.set_params
    __repr__ = BaseEstimator.__repr__

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # scikeras's mixin order hides ClassifierMixin's tags: declare them here
        tags.estimator_type = "classifier"
        tags.classifier_tags = _classifier_tags()
        tags.target_tags.required = True
        tags.input_tags.allow_nan = False
        return tags

    # --- fitting ---------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Build the network and train it for ``epochs`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (pixels scaled to [0, 1]); converted to float32.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights of the loss.

        Returns
        -------
        self : KerasMLPClassifier
            The fitted classifier.
        """
        start = time.perf_counter()
        super().fit(X, y, sample_weight=sample_weight)
        self.fit_time_ = time.perf_counter() - start
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one more epoch, keeping the weights and optimizer state.

        ``fit(epochs=n)`` and ``n`` calls of ``partial_fit`` on the same data give
        the same network: each epoch's shuffling depends only on ``random_state``
        and the epoch number.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            All classes, needed on the first call if ``y`` lacks some of them.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights of the loss.

        Returns
        -------
        self : KerasMLPClassifier
            The updated classifier.
        """
        start = time.perf_counter()
        super().partial_fit(X, y, classes=classes, sample_weight=sample_weight)
        self.fit_time_ = time.perf_counter() - start
        return self

    def _validate_params(self):
        # sklearn's constraints cannot say "a non-empty tuple of positive ints"; check
        # it here so that it fails like every other parameter, before any training
        super()._validate_params()
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes, dtype=object))
        if sizes.ndim != 1 or sizes.size == 0 or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s > 0
            for s in sizes
        ):
            raise InvalidParameterError(
                "The 'hidden_layer_sizes' parameter of KerasMLPClassifier must be a "
                "positive int or a non-empty tuple of positive ints, e.g. (256, 128); "
                f"got {self.hidden_layer_sizes!r}."
            )

    def _hidden_sizes(self):
        return tuple(int(s) for s in np.atleast_1d(self.hidden_layer_sizes))

    def _initialize(self, X, y=None):
        # Draw one seed for everything random in this fit, from random_state
        # alone (never from global state).
        rng = check_random_state(self.random_state)
        self._seed = int(rng.randint(np.iinfo(np.int32).max))
        return super()._initialize(X, y)

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        # float32 straight from the input (no float64 detour); dense 2-D only.
        if y is None and not reset and self._is_ready_for_prediction(X):
            return X, None
        if y is None:
            X = validate_data(self, X, reset=reset, dtype=np.float32)
        else:
            X, y = validate_data(self, X, y, reset=reset, dtype=np.float32)
            check_classification_targets(y)
            if reset:
                self.target_type_ = self._type_of_target(y)
                self.y_dtype_ = y.dtype
                self.y_ndim_ = y.ndim
        if reset:
            self.X_dtype_ = X.dtype
            self.X_shape_ = X.shape
        return X, y

    def _is_ready_for_prediction(self, X):
        """Whether X is already what ``validate_data`` would return: skip it.

        The pipeline's flattener hands over exactly this (a C-contiguous float32
        matrix), and for one image scikit-learn's full validation costs about as
        much as the network. Anything else (lists, frames, other dtypes, feature
        names, wrong width, non-finite values) takes the full path and its errors.
        """
        return (
            type(X) is np.ndarray
            and X.dtype == np.float32
            and X.ndim == 2
            and X.flags.c_contiguous
            and X.shape[0] > 0
            and X.shape[1] == getattr(self, "n_features_in_", -1)
            and not hasattr(self, "feature_names_in_")
            # the sum is finite iff every value is (barring float32 overflow,
            # which only sends us down the full path); no temporary array
            and (get_config()["assume_finite"] or bool(np.isfinite(X.sum())))
        )

    def _build_keras_model(self):
        model = build_mlp(
            n_features=self.n_features_in_,
            n_classes=self.n_classes_,
            hidden_layer_sizes=self._hidden_sizes(),
            activation=self.activation,
            dropout=self.dropout,
            seed=self._seed,
        )
        model.compile(
            optimizer=make_optimizer(self.optimizer, self.learning_rate),
            loss=self.loss,
            metrics=list(self.metrics),
        )
        return model

    def _network(self):
        """The compiled functions of ``model_``, built once per fitted model."""
        network = getattr(self, "_network_", None)
        if network is None or network.model is not self.model_:
            network = self._network_ = CompiledNetwork(self.model_)
        return network

    def __getstate__(self):
        # tf.functions cannot be pickled, and a loaded model needs new ones anyway:
        # they are rebuilt on first use. Copy: never mutate self.__dict__.
        state = dict(super().__getstate__())
        state.pop("_network_", None)
        return state

    def _fit_keras_model(
        self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs
    ):
        # One compiled graph per epoch (see skmnist._training): Keras's fit loop is
        # replaced, its callbacks are kept and called per epoch as fit calls them.
        network = self._network()
        model = self.model_
        X, y, w = to_tensors(X, y, sample_weight)
        rows, validation = np.arange(len(X), dtype=np.int32), None
        callbacks = list(self.callbacks or [])
        if self.early_stopping:
            rows, valid = self._split_validation(y.numpy())
            # the training rows are gathered by index in the graph: no copy of X
            validation = [tf.gather(t, valid) for t in (X, y, w)]
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss",
                    min_delta=self.tol,
                    patience=self.n_iter_no_change,
                    restore_best_weights=True,
                )
            )
        steps = -(-len(rows) // self.batch_size)
        callbacks = keras.callbacks.CallbackList(
            callbacks,
            add_progbar=self.verbose != 0,
            verbose=self.verbose,
            epochs=initial_epoch + epochs,
            steps=steps,
            model=model,
        )
        if not warm_start or not hasattr(self, "history_") or initial_epoch == 0:
            self.history_ = {}
        model.stop_training = False
        callbacks.on_train_begin()
        logs = None
        for epoch in range(initial_epoch, initial_epoch + epochs):
            callbacks.on_epoch_begin(epoch)
            callbacks.on_train_batch_begin(0)
            order = rows[epoch_permutations(len(rows), self._seed, epoch, 1)[0]]
            logs = network.train_epoch(X, y, w, order, self.batch_size)
            callbacks.on_train_batch_end(steps - 1, dict(logs))
            if validation is not None:
                logs.update(
                    {f"val_{k}": v for k, v in network.evaluate(*validation).items()}
                )
            callbacks.on_epoch_end(epoch, logs)
            for key, value in logs.items():
                self.history_.setdefault(key, []).append(float(value))
            if model.stop_training:
                break
        model.optimizer.finalize_variable_values(model.trainable_weights)
        callbacks.on_train_end(logs=logs)
        self.n_iter_ = len(self.history_.get("loss", []))

    def _split_validation(self, y):
        """Stratified (train, validation) row indices, as ``train_test_split``."""
        _, counts = np.unique(y, return_counts=True)
        stratify = y if counts.min() >= 2 else None
        train, valid = train_test_split(
            np.arange(len(y), dtype=np.int32),
            test_size=self.validation_fraction,
            random_state=self._seed,
            stratify=stratify,
        )
        return train, valid

    # --- prediction ------------------------------------------------------------
    def _predict_raw(self, X, **kwargs):
        check_is_fitted(self, "model_")
        X, _ = self._validate_data(X)
        # a compiled call traced once per model: Model.predict's per-call set-up
        # costs tens of ms, an eager call a few ms
        return self._network().predict(X)

    def predict_proba(self, X):
        """Class probabilities of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), float32
            Probabilities in the order of ``classes_``; rows sum to 1.
        """
        return self._predict_raw(X)

    def predict(self, X):
        """Most probable class of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        proba = self._predict_raw(X)  # checks fitted first
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on the given data and labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Accuracy of ``self.predict(X)``.
        """
        return accuracy_score(y, self.predict(X), sample_weight=sample_weight)

    def summary(self):
        """The fitted network's layers, output shapes and parameter counts.

        Returns
        -------
        text : str
            Keras's model summary.
        """
        check_is_fitted(self, "model_")
        lines = []
        self.model_.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
        return "\n".join(lines)


def _classifier_tags():
    from sklearn.utils import ClassifierTags

    return ClassifierTags()
