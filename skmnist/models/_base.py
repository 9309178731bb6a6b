"""The engine every skmnist network shares: a scikeras classifier that is a real one.

:class:`BaseKerasClassifier` holds everything that is not the architecture, as
scikit-learn's ``BaseMultilayerPerceptron`` does for ``MLPClassifier`` and skorch's
``NeuralNet`` for ``NeuralNetClassifier``: the scikeras adaptation, the classifier
tags, the validation of the shared parameters, seeding from ``random_state`` alone,
the compiled whole-epoch training loop (:class:`skmnist._training.CompiledNetwork`),
early stopping, ``partial_fit``, class weights, the fast prediction path, pickling
and the fitted attributes. A subclass declares its parameters and builds its network:

- ``__init__`` stores its own parameters and passes the shared ones to
  ``super().__init__``;
- ``_parameter_constraints = {**BaseKerasClassifier._parameter_constraints, ...}``;
- ``_build_network(self, input_shape, n_classes, seed)`` returns the uncompiled
  ``keras.Model`` (one input of shape ``input_shape``, a softmax output);
- images: ``_allow_nd = True`` admits arrays of more than two dimensions, and
  ``_network_input(self, X)`` reshapes validated input to what the network takes.

Nothing here assumes one input shape: the engine reads it from the model.
"""

import textwrap
import time
from numbers import Integral, Real

import numpy as np

from skmnist._compat import (
    CallbackSupportMixin,
    ClassifierTags,
    Interval,
    InvalidParameterError,
    KerasClassifier,
    ProgressBar,
    StrOptions,
    _fit_context,
    callback_root_context,
    check_keras_backend,
    scikeras_routing,
    sklearn_get_param_names,
    validate_data,
)

# Keras under another backend would build models our TensorFlow loop cannot train:
# say so once, clearly, before Keras (imported by scikeras) is loaded.
check_keras_backend()

from scikeras.wrappers import BaseWrapper  # noqa: E402
from sklearn import get_config  # noqa: E402
from sklearn.base import BaseEstimator  # noqa: E402
from sklearn.metrics import accuracy_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.utils import check_random_state  # noqa: E402
from sklearn.utils.class_weight import compute_class_weight  # noqa: E402
from sklearn.utils.multiclass import check_classification_targets  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

from skmnist._network import (  # noqa: E402
    DTYPE_POLICIES,
    OPTIMIZERS,
    SCHEDULES,
    dtype_policy_scope,
    make_optimizer,
    make_schedule,
)
from skmnist._progress import EpochLines  # noqa: E402
from skmnist._training import (  # noqa: E402
    CompiledNetwork,
    epoch_permutations,
    to_tensors,
    weight_layers,
)
from skmnist._utils import is_positive_int, labels_from_proba  # noqa: E402

# The parameters and fitted attributes every family shares, documented once: each
# class's docstring holds the lines "{shared_parameters}" and "{shared_attributes}"
# where they belong, filled in when the class is created (see _fill_shared_docs).
_SHARED_PARAMETERS_DOC = """\
optimizer : {"adam", "adamw", "nadam", "rmsprop", "sgd", "adagrad"}, \
default="adam"
    Keras optimizer.
learning_rate : float, default=0.001
    Learning rate of the optimizer (Adam's default).
momentum : float in [0, 1], default=0.9
    Momentum of ``optimizer="sgd"``, with ``MLPClassifier``'s meaning and
    default: Keras's SGD keeps a velocity ``v = momentum * v - learning_rate *
    g`` and adds it to the weights, ``MLPClassifier``'s update. 0 is plain SGD.
    Only used by ``"sgd"``, as in ``MLPClassifier``: the other optimizers
    ignore it (Keras's RMSprop has a ``momentum`` too, but it smooths the
    rescaled step, has no Nesterov form and defaults to 0; it stays at 0).
nesterovs_momentum : bool, default=True
    Whether ``optimizer="sgd"`` uses Nesterov's momentum (Keras's
    ``nesterov``), as ``MLPClassifier``'s default does. Only used by ``"sgd"``
    with ``momentum > 0``.
alpha : float, default=0.0
    Strength of the L2 penalty on the weights, with scikit-learn's
    ``MLPClassifier`` meaning: each batch's loss gains
    ``0.5 * alpha * sum(W ** 2) / batch_len``, summed over the kernels of
    every dense and convolution layer (``coefs_``), never the biases. Without
    sample or class weights this is exactly ``MLPClassifier``'s term, so equal
    ``alpha`` and ``batch_size`` regularise equally; note that its default
    batch is ``min(200, n_samples)`` where ours is 128, which makes the same
    ``alpha`` 200/128 times as strong here. The penalty is per batch: it does
    not change with the size of the training set (more data only means more
    steps), and a larger batch weakens it. With weights, ``MLPClassifier``
    divides the weighted data loss and the penalty by the batch's weight sum,
    this engine divides both by the batch's length (Keras's convention): the
    balance of the two terms is the same. It is part of the training
    ``loss`` (``history_``, ``loss_curve_``), not of ``val_loss``. Training
    only: predictions and exported networks do not depend on it except
    through the weights. 0 (the default) keeps the reference network;
    ``MLPClassifier``'s default is 1e-4.
shift_range : float, default=0.0
    Augmentation: each training image is shifted by up to this many pixels
    in each direction (drawn uniformly per image, sub-pixel, bilinear,
    zeros shifted in). See "Augmentation" below for all three ranges.
rotation_range : float in [0, 180], default=0.0
    Augmentation: each training image is rotated about its centre by an
    angle drawn uniformly in ``[-rotation_range, rotation_range]`` degrees.
zoom_range : float in [0, 1), default=0.0
    Augmentation: each training image is scaled about its centre by a
    factor drawn uniformly in ``[1 - zoom_range, 1 + zoom_range]``.

    The three ranges make one affine transform per image, applied to the
    training batches inside the compiled epoch; they are drawn from
    ``random_state``, the epoch and the batch alone (stateless random ops),
    so a seeded fit is reproducible and ``partial_fit`` epoch ``e`` sees the
    images ``fit`` epoch ``e`` sees. Never applied to prediction, validation
    or early-stopping data. Flat rows of ``s * s`` pixels are augmented as
    ``s x s`` images (the square rule of ``KerasCNNClassifier``); rows that
    are not square images cannot be augmented and are refused. All at 0
    (the default): no augmentation, results unchanged.
learning_rate_schedule : {"constant", "cosine", "one-cycle"}, \
default="constant"
    How the learning rate changes over the optimizer's steps, as a Keras
    ``LearningRateSchedule`` of the optimizer's step counter: ``"cosine"``
    decays from ``learning_rate`` to 0 along a half cosine; ``"one-cycle"``
    warms up linearly from ``learning_rate / 25`` to ``learning_rate`` over
    the first 30% of the steps, then decays along a half cosine to
    ``learning_rate / 250000`` (PyTorch's ``OneCycleLR`` defaults, without
    the momentum cycle). The schedule's length is
    ``epochs * ceil(n_train / batch_size)`` steps, fixed when the network is
    built: ``n_train`` is the rows ``fit`` trains on (without the
    early-stopping share), or the rows of the first ``partial_fit`` call.
    The step counter belongs to the optimizer, so successive ``partial_fit``
    calls continue the schedule where the last one stopped, and ``epochs``
    calls on same-sized data run it exactly once; past its end (more calls,
    ``warm_start``) the rate stays at its final value. Early stopping may end
    training before the schedule does.
label_smoothing : float in [0, 1), default=0.0
    Label smoothing of the training loss, Keras's meaning: the one-hot
    target becomes ``(1 - label_smoothing) * onehot + label_smoothing /
    n_classes``. Training loss only: ``val_loss`` (what early stopping
    watches) and ``score`` use the true labels.
weight_decay : float or None, default=None
    Decoupled weight decay (Loshchilov and Hutter's AdamW; Keras's
    optimizer ``weight_decay``): after each step every trainable variable
    ``w`` becomes ``w - lr_t * weight_decay * w``, where ``lr_t`` is the
    step's learning rate (it follows the schedule). Unlike ``alpha``, which
    adds to the gradient and is rescaled by Adam's per-weight step sizes,
    it shrinks every weight in proportion, the regulariser that pairs with
    adaptive optimizers. None keeps the optimizer's own default: 0.004 for
    ``"adamw"``, none for the others; any optimizer takes a value (Keras
    applies it alike). Training only.
dtype_policy : {"float32", "mixed_bfloat16"}, default="float32"
    Keras's dtype policy of the network's layers. ``"mixed_bfloat16"``
    computes the layers in bfloat16 with float32 weights (Keras's mixed
    precision) and keeps the output layer of the built-in families in
    float32; on CPUs with AMX or AVX512-BF16 units it trains faster, with a
    small loss of accuracy (see the performance page for the measured
    figures). A seeded fit stays reproducible on the same machine but not
    bitwise equal to float32, nor across CPUs with other bfloat16 units.
    Probabilities are float32 either way, and an ONNX export computes in
    float32. With your own network (``KerasImageClassifier``) the policy
    applies to the layers a builder creates; a ``keras.Model`` given as
    ``model=`` keeps the dtypes of its layers.
batch_size : int, default=128
    Samples per gradient step.
epochs : int, default=10
    Passes over the training data per ``fit`` (at most, with early stopping).
early_stopping : bool, default=False
    In ``fit``, stop when the validation loss has not improved by ``tol``
    for ``n_iter_no_change`` epochs; the best epoch's weights are kept. The
    validation set is ``fit``'s ``X_val``, ``y_val`` when given, else
    ``validation_fraction`` of the training data (stratified), held out. As in
    scikit-learn's ``MLPClassifier``, it does not apply to ``partial_fit``,
    which always trains one epoch on every row it is given.
validation_fraction : float in (0, 1), default=0.1
    Share of the training data held out when ``early_stopping`` is true and
    ``fit`` is given no ``X_val``.
n_iter_no_change : int, default=3
    Patience of early stopping, in epochs.
tol : float, default=1e-4
    Smallest decrease of the validation loss that counts as an improvement.
class_weight : dict, "balanced" or None, default=None
    Weights of the classes in the loss, as in ``LogisticRegression``:
    ``{label: weight}`` (classes not listed weigh 1), ``"balanced"`` for
    ``n_samples / (n_classes * np.bincount(y))`` computed from ``y`` at each
    ``fit``, or None for equal weights. Multiplied with ``sample_weight``
    when both are given; with early stopping the validation loss is weighted
    alike. ``partial_fit`` refuses ``"balanced"`` (one call sees only part of
    the data), as scikit-learn's ``SGDClassifier`` does: compute the weights
    once with :func:`~sklearn.utils.class_weight.compute_class_weight` and
    pass them as a dict.
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
    0 is silent; 1 (or more) prints one plain line per epoch on standard
    output (``epoch 3/10 - 2.14 s - loss: ... - accuracy: ...``, with the
    validation scores when there is a validation set), the same in a
    terminal, a log file and a Jupyter cell. When scikit-learn's
    ``ProgressBar`` callback watches the fit (``set_callbacks``, or
    propagated from a pipeline or search), it is the one display and these
    lines are left out.
"""

_SHARED_ATTRIBUTES_DOC = """\
history_ : dict of str to list of float
    Per-epoch training metrics: ``"loss"``, ``"accuracy"`` and, with a
    validation set (``X_val`` or early stopping), ``"val_loss"`` and
    ``"val_accuracy"``.
n_iter_ : int
    Number of epochs trained in total (fewer than ``epochs`` when early
    stopping or a callback stopped training).
fit_time_ : float
    Seconds spent in the last ``fit`` or ``partial_fit``.
classes_ : ndarray of shape (n_classes,)
    Class labels.
n_classes_ : int
    Number of classes.
coefs_ : list of ndarray
    The kernel of every layer that has one, in order, float32, read from the
    network: ``(n_inputs, n_units)`` for a dense layer, as in
    ``MLPClassifier``; ``(height, width, channels, filters)`` for a
    convolution. They are the network's weights after every ``fit`` and
    ``partial_fit``, and what ``alpha`` penalises. The arrays are read-only
    copies (changing one in place raises rather than silently doing
    nothing); assigning a list of arrays of the same shapes,
    ``clf.coefs_ = [...]``, writes them into the network.
intercepts_ : list of ndarray
    The bias of each of those layers, ``(n_units,)`` or ``(filters,)``;
    read-only copies, and assignable, as ``coefs_``.
loss_ : float
    Training loss of the last epoch (``alpha``'s penalty included).
loss_curve_ : list of float
    Training loss of every epoch: the list ``history_["loss"]`` itself, one
    record.
best_loss_ : float or None
    Smallest training loss reached; None when early stopping ran (see
    ``best_validation_score_``), as in ``MLPClassifier``.
validation_scores_ : list of float or None
    Validation accuracy of every epoch of early stopping (the list
    ``history_["val_accuracy"]`` itself); None without early stopping.
best_validation_score_ : float or None
    Validation accuracy of the network kept by early stopping: the epoch
    with the lowest validation loss (``MLPClassifier`` keeps the epoch with
    the highest accuracy); None without early stopping.
t_ : int
    Training samples seen by the optimizer (rows per epoch times epochs),
    counted as in ``MLPClassifier``.
out_activation_ : str
    Name of the output activation (``"softmax"``).
"""


# MLPClassifier's parameters whose names or values differ here: the errors that
# meet them say what to write instead (the constructor cannot: scikit-learn's rules
# keep **kwargs out of __init__). The docs page "From MLPClassifier" has them all.
_MLP_NAMES = {
    "max_iter": "is called epochs here",
    "learning_rate_init": "is called learning_rate here",
    "solver": "is called optimizer here ('sgd', 'adam', ...; there is no 'lbfgs')",
    "shuffle": "has no counterpart: every epoch is shuffled",
    "power_t": "has no counterpart: there is no 'invscaling' schedule",
    "beta_1": "has no counterpart: Adam runs at Keras's defaults",
    "beta_2": "has no counterpart: Adam runs at Keras's defaults",
    "epsilon": "has no counterpart: Adam runs at Keras's defaults",
    "max_fun": "has no counterpart: it belongs to solver='lbfgs'",
}
_MLP_VALUES = {
    "learning_rate": (
        {"constant", "invscaling", "adaptive"},
        "learning_rate is the optimizer's step size here (MLPClassifier's "
        "learning_rate_init), a float such as 0.001; MLPClassifier's schedules "
        "have no counterpart",
    ),
    "batch_size": (
        {"auto"},
        "batch_size must be an int here; MLPClassifier's 'auto' is min(200, n_samples)",
    ),
    "optimizer": (
        {"lbfgs"},
        "there is no full-batch quasi-Newton optimizer; use 'adam' or 'sgd' with "
        "a batch_size (MLPClassifier's solver='lbfgs' suits small data sets)",
    ),
}
_MIGRATION_NOTES = "See 'From MLPClassifier' in skmnist's documentation."
_TRANSLATION = (
    "KerasMLPClassifier.from_mlpclassifier_params(**params) translates all of "
    "MLPClassifier's keywords."
)


def _fill_shared_docs(doc):
    """``doc`` with the shared parameter and attribute entries in place."""
    for marker, text in (
        ("{shared_parameters}", _SHARED_PARAMETERS_DOC),
        ("{shared_attributes}", _SHARED_ATTRIBUTES_DOC),
    ):
        line = f"    {marker}\n"
        if doc and line in doc:
            doc = doc.replace(line, textwrap.indent(text, "    "))
    return doc


class BaseKerasClassifier(CallbackSupportMixin, KerasClassifier):
    """Base class of skmnist's Keras classifiers; not used directly.

    Subclasses (:class:`~skmnist.models.KerasMLPClassifier`,
    :class:`~skmnist.models.KerasCNNClassifier`) add their architecture's
    parameters and build their network in ``_build_network``. The parameters
    below are shared by every family.

    Parameters
    ----------
    {shared_parameters}

    Attributes
    ----------
    model_ : keras.Model
        The fitted Keras network.
    {shared_attributes}
    n_features_in_ : int
        Number of features seen during fit (for images, pixels per image).
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when X has string column names.

    Notes
    -----
    scikeras 0.13's ``KerasClassifier`` lists ``ClassifierMixin`` after
    ``BaseEstimator``, so scikit-learn >= 1.6 does not see it as a classifier.
    This class declares its classifier tags itself in ``__sklearn_tags__``.
    """

    _parameter_constraints = {
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "shift_range": [Interval(Real, 0, None, closed="left")],
        "rotation_range": [Interval(Real, 0, 180, closed="both")],
        "zoom_range": [Interval(Real, 0, 1, closed="left")],
        "learning_rate_schedule": [StrOptions(set(SCHEDULES))],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left"), None],
        "dtype_policy": [StrOptions(set(DTYPE_POLICIES))],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "callbacks": [list, None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # Whether X may have more than two dimensions (images); see _network_input.
    _allow_nd = False

    # scikeras's routed parameters (``model__units``), which set_params would accept
    # under these prefixes: none here (a family's parameters are all named in its
    # signature); KerasImageClassifier routes to the user's builder.
    _routing_prefixes = frozenset()

    # Parameters that must be a positive int or a non-empty tuple of positive ints,
    # which sklearn's constraints cannot say: {name: (what it is, an example)}.
    _layer_size_params = {}

    # Not a parameter: the loss every network trains with (the training graph in
    # skmnist._training computes it). scikeras's target encoder reads it to encode
    # labels as integers, and it is compiled into the model, so that an exported
    # ``.keras`` file evaluates with the loss it was trained on.
    loss = "sparse_categorical_crossentropy"

    def __init__(
        self,
        *,
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
        # Deliberately not calling KerasClassifier.__init__: it would store
        # scikeras's own parameters, which our networks fix.
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.alpha = alpha
        self.shift_range = shift_range
        self.rotation_range = rotation_range
        self.zoom_range = zoom_range
        self.learning_rate_schedule = learning_rate_schedule
        self.label_smoothing = label_smoothing
        self.weight_decay = weight_decay
        self.dtype_policy = dtype_policy
        self.batch_size = batch_size
        self.epochs = epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.class_weight = class_weight
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def _validate_params(self):
        # MLPClassifier's values first: the generic constraint error would not
        # say what they mean here
        for name, (values, hint) in _MLP_VALUES.items():
            value = getattr(self, name, None)
            if isinstance(value, str) and value in values:
                raise InvalidParameterError(
                    f"The {name!r} parameter of {type(self).__name__} got "
                    f"{value!r}, MLPClassifier's meaning: {hint}. {_MIGRATION_NOTES}"
                )
        super()._validate_params()
        # layer sizes checked here so that they fail like every other parameter,
        # before training
        for name, (meaning, example) in self._layer_size_params.items():
            value = getattr(self, name)
            sizes = np.atleast_1d(np.asarray(value, dtype=object))
            if (
                sizes.ndim != 1
                or sizes.size == 0
                or not all(map(is_positive_int, sizes))
            ):
                raise InvalidParameterError(
                    f"The {name!r} parameter of {type(self).__name__} must be a "
                    f"positive int or a non-empty tuple of positive ints ({meaning}), "
                    f"e.g. {example}; got {value!r}."
                )

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.__doc__ = _fill_shared_docs(cls.__doc__)

    # --- scikit-learn protocol: restore BaseEstimator's behaviour that scikeras
    # overrides (parameters from the signature, strict set_params, sklearn's repr)
    _get_param_names = classmethod(sklearn_get_param_names)
    __repr__ = BaseEstimator.__repr__

    def set_params(self, **params):
        """Set the parameters of this estimator (scikit-learn's ``set_params``).

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : object
            This estimator.
        """
        foreign = sorted(set(params) & set(_MLP_NAMES))
        if foreign:
            said = "; ".join(f"{name!r} {_MLP_NAMES[name]}" for name in foreign)
            raise ValueError(
                f"Invalid parameter(s) {foreign} for estimator {type(self).__name__}"
                f": they are MLPClassifier's. {said}. {_TRANSLATION} "
                f"{_MIGRATION_NOTES}"
            )
        return BaseEstimator.set_params(self, **params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # scikeras's mixin order hides ClassifierMixin's tags: declare them here
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.target_tags.required = True
        tags.input_tags.allow_nan = False
        return tags

    # --- what a subclass defines -------------------------------------------------
    def _build_network(self, input_shape, n_classes, seed):
        """Return the uncompiled network: one input of ``input_shape``, softmax out.

        ``seed`` is the fit's one integer seed; derive every layer's initialiser
        and dropout seed from it (``skmnist._network.layer_seeds``).
        """
        raise NotImplementedError(
            f"{type(self).__name__} must define _build_network(input_shape, "
            "n_classes, seed)"
        )

    def _network_input(self, X):
        """Validated float32 ``X`` as the network takes it (no copy); identity here.

        Called on training data and on every prediction input that takes the
        full validation path; the result's trailing shape is checked against the
        model's.
        """
        return X

    # --- fitting ---------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Build the network and train it for ``epochs`` epochs.

        With a validation set (``X_val`` and ``y_val``), its loss and accuracy
        are recorded after every epoch (``history_["val_loss"]``,
        ``history_["val_accuracy"]``); it is never trained on. With
        ``early_stopping``, training stops earlier on that validation set, or,
        without one, on a held-out share of ``X`` (see the parameter).

        In a pipeline or a search, the validation set is metadata of ``fit``,
        as for scikit-learn's ``HistGradientBoostingClassifier``: with metadata
        routing enabled, request it with
        ``set_fit_request(X_val=True, y_val=True)``
        (:func:`skmnist.make_mnist_pipeline` does, and prepares ``X_val``
        with its image step).

        With scikit-learn >= 1.9, callbacks set with ``set_callbacks`` (or
        propagated from a pipeline or search) see this fit as one task with one
        subtask per epoch; a callback whose ``on_fit_task_end`` returns true
        stops training after that epoch.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training data (pixels scaled to [0, 1]); converted to float32. Images
            keep their shape for the families that take images.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights of the loss (multiplied by ``class_weight``).
        X_val : array-like of shape (n_val_samples, ...), default=None
            Validation samples, shaped and scaled as ``X``.
        y_val : array-like of shape (n_val_samples,), default=None
            Their labels, all classes of ``y``.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples (multiplied by ``class_weight``).

        Returns
        -------
        self : object
            The fitted classifier.
        """
        start = time.perf_counter()
        validation = _validation_arguments(X_val, y_val, sample_weight_val)
        self.classes_ = None  # found from y, as KerasClassifier.fit does
        # BaseWrapper, not KerasClassifier: its class_weight handling would
        # multiply the caller's sample_weight in place; ours is in _fit_keras_model
        self._schedule_early_stopping = self.early_stopping
        BaseWrapper.fit(
            self,
            X,
            y,
            sample_weight=sample_weight,
            early_stopping=self.early_stopping,
            validation=validation,
        )
        self.fit_time_ = time.perf_counter() - start
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self,
        X,
        y,
        classes=None,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Train one more epoch on every row of X, keeping weights and optimizer.

        As in scikit-learn's ``MLPClassifier``, ``early_stopping`` does not apply
        here: no validation split is held out and nothing stops the epoch. With
        ``early_stopping=False``, ``n`` calls of ``partial_fit`` on the same data
        give the same network as ``fit(X, y)`` with ``epochs=n``: each epoch's
        shuffling depends only on ``random_state`` and the epoch number.
        ``class_weight="balanced"`` is refused (pass a dict instead). A
        validation set, when given, is scored after the epoch (``history_``).
        For scikit-learn's callbacks each call is one task, the epoch: a
        callback's request to stop has nothing left to stop (the caller decides
        whether to call again).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            All classes, needed on the first call if ``y`` lacks some of them.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights of the loss.
        X_val : array-like of shape (n_val_samples, ...), default=None
            Validation samples, shaped and scaled as ``X``.
        y_val : array-like of shape (n_val_samples,), default=None
            Their labels.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : object
            The updated classifier.
        """
        if isinstance(self.class_weight, str):  # "balanced", by the constraints
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: one call "
                "sees only part of the data. Compute the weights once, e.g. "
                "dict(zip(classes, compute_class_weight('balanced', classes=classes, "
                "y=y_all))) with sklearn.utils.class_weight.compute_class_weight, "
                "and pass that dict as class_weight."
            )
        start = time.perf_counter()
        validation = _validation_arguments(X_val, y_val, sample_weight_val)
        self.classes_ = (
            classes if classes is not None else getattr(self, "classes_", None)
        )
        self._schedule_early_stopping = False
        BaseWrapper.partial_fit(
            self,
            X,
            y,
            sample_weight=sample_weight,
            early_stopping=False,
            validation=validation,
            epoch_tasks=False,
        )
        self.fit_time_ = time.perf_counter() - start
        return self

    def _initialize(self, X, y=None):
        # Draw one seed for everything random in this fit, from random_state
        # alone (never from global state).
        rng = check_random_state(self.random_state)
        self._seed = int(rng.randint(np.iinfo(np.int32).max))
        # the layers built now take the policy (Keras's is thread-local state,
        # restored on the way out)
        with dtype_policy_scope(self.dtype_policy):
            return super()._initialize(X, y)

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        # float32 straight from the input (no float64 detour); dense only.
        if y is None and not reset and self._is_ready_for_prediction(X):
            return X, None
        check = {"reset": reset, "dtype": np.float32}
        if self._allow_nd:
            # images: any number of trailing dimensions; the width check of
            # ensure_2d becomes the per-sample shape check below
            check.update(allow_nd=True, ensure_2d=False)
        if y is None:
            X = validate_data(self, X, **check)
        else:
            X, y = validate_data(self, X, y, **check)
            check_classification_targets(y)
            if reset:
                self.target_type_ = self._type_of_target(y)
                self.y_dtype_ = y.dtype
                self.y_ndim_ = y.ndim
        if self._allow_nd:
            if X.ndim < 2:
                raise ValueError(
                    f"Expected an array of samples of at least 2 dimensions, got "
                    f"shape {X.shape}. Reshape your data, e.g. X.reshape(1, -1) "
                    "for a single sample."
                )
            if reset:
                self.n_features_in_ = int(np.prod(X.shape[1:]))
        X = self._network_input(X)
        if reset:
            self.X_dtype_ = X.dtype
            self.X_shape_ = X.shape
        elif tuple(X.shape[1:]) != tuple(self.X_shape_[1:]):
            raise ValueError(
                f"X has samples of shape {tuple(X.shape[1:])}, but "
                f"{type(self).__name__} was fitted on samples of shape "
                f"{tuple(self.X_shape_[1:])}."
            )
        return X, y

    def _is_ready_for_prediction(self, X):
        """Whether X is already what ``_validate_data`` would return: skip it.

        The pipeline's first step hands over exactly this (a C-contiguous float32
        array of the model's input shape), and for one image scikit-learn's full
        validation costs about as much as the network. Anything else (lists,
        frames, other dtypes, feature names, wrong shape, non-finite values) takes
        the full path and its errors.
        """
        return (
            type(X) is np.ndarray
            and X.dtype == np.float32
            and X.flags.c_contiguous
            and X.ndim >= 2
            and X.shape[0] > 0
            and getattr(self, "model_", None) is not None
            and X.shape[1:] == self._network().input_shape
            and not hasattr(self, "feature_names_in_")
            # the sum is finite iff every value is (barring float32 overflow,
            # which only sends us down the full path); no temporary array
            and (get_config()["assume_finite"] or bool(np.isfinite(X.sum())))
        )

    def _build_keras_model(self):
        model = self._build_network(
            tuple(int(d) for d in self.X_shape_[1:]), self.n_classes_, self._seed
        )
        model.compile(**self._get_compile_kwargs())
        return model

    def _get_compile_kwargs(self):
        # scikeras's hook, with our optimizer parameters: a fresh optimizer
        # (``optimizer__name=value`` routed to its class, as in scikeras), the
        # loss the training graph computes, and accuracy
        route_params, _, _ = scikeras_routing()
        routed = route_params(
            self.get_params(), destination="optimizer", pass_filter=set(), strict=True
        )
        return {
            "optimizer": make_optimizer(
                self.optimizer,
                make_schedule(
                    self.learning_rate_schedule,
                    self.learning_rate,
                    self.epochs * -(-self._schedule_rows() // self.batch_size),
                ),
                # optimizer__momentum (a user's network) wins over momentum
                momentum=routed.pop("momentum", self.momentum),
                nesterov=routed.pop("nesterov", self.nesterovs_momentum),
                weight_decay=routed.pop("weight_decay", self.weight_decay),
                **routed,
            ),
            "loss": self.loss,
            "metrics": ["accuracy"],
        }

    def _schedule_rows(self):
        """Training rows per epoch that the learning-rate schedule is laid out for.

        Those of the fit that builds the network: ``fit``'s rows less the
        early-stopping share (``train_test_split``'s count), or the rows of the
        first ``partial_fit`` call.
        """
        n_rows = int(self.X_shape_[0])  # the network is built after validation
        if getattr(self, "_schedule_early_stopping", False):
            n_rows -= int(np.ceil(self.validation_fraction * n_rows))
        return max(n_rows, 1)

    def _training_options(self, epoch):
        """The training graph's per-epoch options: augmentation, smoothing, seed."""
        return {
            "shift_range": self.shift_range,
            "rotation_range": self.rotation_range,
            "zoom_range": self.zoom_range,
            "label_smoothing": self.label_smoothing,
            "seed": self._seed,
            "epoch": epoch,
        }

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

    def _class_weights(self, y):
        """Per-class loss weights (indexed by encoded class), or None."""
        if self.class_weight is None:
            return None
        n_classes = len(self.classes_)
        weights = np.ones(n_classes, dtype=np.float32)
        if isinstance(self.class_weight, str):  # "balanced"
            present = np.unique(y)
            weights[present] = compute_class_weight("balanced", classes=present, y=y)
            return weights
        index = {label: i for i, label in enumerate(self.classes_.tolist())}
        unknown = [label for label in self.class_weight if label not in index]
        if unknown:
            raise ValueError(
                f"class_weight has label(s) {unknown} that are not classes of y; "
                f"the classes are {self.classes_.tolist()}. Use those labels as keys."
            )
        for label, weight in self.class_weight.items():
            if not isinstance(weight, Real) or not weight >= 0:
                raise ValueError(
                    f"class_weight[{label!r}] must be a number >= 0; got {weight!r}."
                )
            weights[index[label]] = weight
        return weights

    # --- the training loop, in its steps -----------------------------------------
    def _fit_keras_model(
        self,
        X,
        y,
        sample_weight,
        warm_start,
        epochs,
        initial_epoch,
        early_stopping=False,
        validation=None,
        epoch_tasks=True,
        **kwargs,
    ):
        # One compiled graph per epoch (see skmnist._training): Keras's fit loop is
        # replaced, its callbacks are kept and called per epoch as fit calls them.
        # X is validated (float32, the network's shape), y encoded (0..k-1).
        labels = _Labels(self, y)
        class_weights = self._class_weights(labels.encoded)  # from y, not y_val
        tensors = _weighted_tensors(X, labels.encoded, sample_weight, class_weights)
        rows, valid = self._validation_tensors(
            tensors, validation, early_stopping, class_weights
        )
        steps = -(-len(rows) // self.batch_size)
        callbacks = self._keras_callbacks(
            early_stopping and valid is not None, initial_epoch + epochs, steps
        )
        # scikit-learn's callbacks: fit is a task with one subtask per epoch;
        # a partial_fit call is one task, the epoch itself
        task = _EpochTasks(self, X, labels, sample_weight, epochs if epoch_tasks else 0)
        if not warm_start or not hasattr(self, "history_") or initial_epoch == 0:
            self.history_ = {}
            self.t_, self.best_validation_score_ = 0, None
        self._train_epochs(
            tensors, rows, valid, callbacks, task, initial_epoch, epochs, steps
        )

    def _validation_tensors(self, tensors, validation, early_stopping, class_weights):
        """The training rows and the validation ``(X, y, w)`` tensors (or None).

        The given validation set if any; else, with early stopping, a held-out
        share of the training rows, gathered by index in the graph (no copy of X).
        """
        import tensorflow as tf

        X, y, w = tensors
        rows = np.arange(len(X), dtype=np.int32)
        if validation is not None:
            return rows, self._checked_validation(*validation, class_weights)
        held_out = self._validation_rows(y.numpy(), early_stopping)
        if held_out is not None:
            rows, valid = held_out
            return rows, [tf.gather(t, valid) for t in (X, y, w)]
        return rows, None

    def _checked_validation(self, X_val, y_val, sample_weight_val, class_weights):
        """``fit``'s validation set as tensors, checked against the training data."""
        try:
            X_val, _ = self._validate_data(X_val)
        except ValueError as exc:
            raise ValueError(
                f"X_val does not match the training data X: {exc} In a pipeline, "
                "X_val must be prepared by the steps before the classifier: enable "
                "metadata routing (sklearn.set_config(enable_metadata_routing=True))"
                " and build the pipeline with skmnist.make_mnist_pipeline, which "
                "then prepares X_val as X (transform_input=['X_val']); or fit the "
                "steps one by one: Xt = pipe[:-1].fit_transform(X, y), then "
                "pipe[-1].fit(Xt, y, X_val=pipe[:-1].transform(X_val), y_val=y_val)."
            ) from exc
        y_val = np.asarray(y_val)
        if y_val.ndim != 1 or len(y_val) != len(X_val):
            raise ValueError(
                f"y_val must hold one label per sample of X_val ({len(X_val)}); "
                f"got an array of shape {y_val.shape}."
            )
        unseen = np.setdiff1d(np.unique(y_val), self.classes_)
        if unseen.size:
            raise ValueError(
                f"y_val has label(s) {unseen.tolist()} that are not classes of the "
                f"training labels y ({self.classes_.tolist()}): drop those samples "
                "from the validation set."
            )
        y_val = (
            np.asarray(self.target_encoder_.transform(y_val))
            .reshape(len(X_val))
            .astype(np.int32)
        )
        if sample_weight_val is not None:
            sample_weight_val = np.asarray(sample_weight_val, dtype=np.float32)
            if sample_weight_val.shape != (len(X_val),):
                raise ValueError(
                    f"sample_weight_val must have shape ({len(X_val)},), one weight "
                    f"per sample of X_val; got {sample_weight_val.shape}."
                )
        return list(_weighted_tensors(X_val, y_val, sample_weight_val, class_weights))

    def _keras_callbacks(self, early_stopping, epochs, steps):
        """The Keras callbacks of this fit: the user's, the display, early stopping."""
        import keras

        callbacks = list(self.callbacks or [])
        if self.verbose and not self._watched_by_progress_bar():
            callbacks.append(EpochLines(epochs))
        if early_stopping:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss",
                    min_delta=self.tol,
                    patience=self.n_iter_no_change,
                    restore_best_weights=True,
                )
            )
        return keras.callbacks.CallbackList(
            callbacks,
            add_progbar=False,
            verbose=self.verbose,
            epochs=epochs,
            steps=steps,
            model=self.model_,
        )

    def _watched_by_progress_bar(self):
        # one display per epoch: scikit-learn's bars when they watch this fit
        return ProgressBar is not None and any(
            isinstance(callback, ProgressBar)
            for callback in getattr(self, "_skl_callbacks", ())
        )

    def _train_epochs(
        self, tensors, rows, valid, callbacks, task, initial_epoch, epochs, steps
    ):
        """The epoch loop: train, validate, call back, record; stop when asked."""
        network, model = self._network(), self.model_
        epochs_before = len(self.history_.get("loss", []))
        model.stop_training = False
        callbacks.on_train_begin()
        task.begin()
        logs = None
        for epoch in range(initial_epoch, initial_epoch + epochs):
            epoch_task = task.epoch_begin()
            callbacks.on_epoch_begin(epoch)
            callbacks.on_train_batch_begin(0)
            order = rows[epoch_permutations(len(rows), self._seed, epoch, 1)[0]]
            logs = network.train_epoch(
                *tensors,
                order,
                self.batch_size,
                self.alpha,
                **self._training_options(epoch),
            )
            callbacks.on_train_batch_end(steps - 1, dict(logs))
            if valid is not None:
                scores = network.evaluate(*valid)
                logs.update({f"val_{key}": value for key, value in scores.items()})
            callbacks.on_epoch_end(epoch, logs)
            for key, value in logs.items():
                self.history_.setdefault(key, []).append(float(value))
            self.n_iter_ = len(self.history_["loss"])
            stop = task.epoch_end(epoch_task)
            if model.stop_training or stop:
                break
        model.optimizer.finalize_variable_values(model.trainable_weights)
        callbacks.on_train_end(logs=logs)
        self.n_iter_ = len(self.history_.get("loss", []))
        self.t_ = getattr(self, "t_", 0) + len(rows) * (self.n_iter_ - epochs_before)
        if valid is not None:  # the kept (best) network's, as MLPClassifier's
            self.best_validation_score_ = network.evaluate(*valid)["accuracy"]
        task.end()

    def _validation_rows(self, y, early_stopping):
        """(train, validation) row indices to evaluate each epoch on, or None."""
        return self._split_validation(y) if early_stopping else None

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
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Samples, shaped as at fit.

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
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Samples, shaped as at fit.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        proba = self._predict_raw(X)  # checks fitted first
        return labels_from_proba(self.classes_, proba)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on the given data and labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
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

    # --- MLPClassifier's fitted attributes: views of the network and history_ -----
    # Properties, not copies stored at fit: they cannot disagree with the network
    # or with history_, whatever trained it (fit, partial_fit, warm start).
    @property
    def coefs_(self):
        """Kernels of the weighted layers (read-only float32 copies); assignable."""
        return [_read_only(layer.kernel) for layer in self._weight_layers()]

    @coefs_.setter
    def coefs_(self, values):
        self._assign_weights("coefs_", "kernel", values)

    @property
    def intercepts_(self):
        """Biases of the weighted layers (read-only float32 copies); assignable."""
        return [
            _read_only(layer.bias)
            if getattr(layer, "bias", None) is not None
            else _read_only(np.zeros(layer.kernel.shape[-1], np.float32))
            for layer in self._weight_layers()
        ]

    @intercepts_.setter
    def intercepts_(self, values):
        self._assign_weights("intercepts_", "bias", values)

    @property
    def loss_curve_(self):
        """Training loss of every epoch: ``history_["loss"]`` itself."""
        check_is_fitted(self, "history_")
        return self.history_.get("loss", [])

    @property
    def loss_(self):
        """Training loss of the last epoch."""
        curve = self.loss_curve_
        return curve[-1] if curve else None

    @property
    def best_loss_(self):
        """Smallest training loss; None when early stopping ran."""
        curve = self.loss_curve_
        if self.validation_scores_ is not None or not curve:
            return None
        return min(curve)

    @property
    def validation_scores_(self):
        """Validation accuracy per epoch of early stopping, or None."""
        check_is_fitted(self, "history_")
        return self.history_.get("val_accuracy")

    @property
    def out_activation_(self):
        """Name of the output layer's activation."""
        check_is_fitted(self, "model_")
        for layer in reversed(self.model_.layers):
            activation = getattr(layer, "activation", None)
            if activation is not None:
                return getattr(activation, "__name__", str(activation))
        return None

    def _weight_layers(self):
        check_is_fitted(self, "model_")
        return weight_layers(self.model_)

    def _assign_weights(self, name, kind, values):
        """Write ``values`` (one array per weighted layer) into the network."""
        layers = self._weight_layers()
        values = list(values)
        if len(values) != len(layers):
            raise ValueError(
                f"{name} needs {len(layers)} arrays, one per weighted layer; got "
                f"{len(values)}. Start from a copy: new = [a.copy() for a in "
                f"clf.{name}]."
            )
        targets = []
        for i, (layer, value) in enumerate(zip(layers, values, strict=True)):
            variable = getattr(layer, kind, None)
            value = np.asarray(value, dtype=np.float32)
            if variable is None:
                if np.any(value):
                    raise ValueError(
                        f"{name}[{i}]: layer {layer.name!r} has no bias; only "
                        "zeros can be assigned to it."
                    )
                continue
            if value.shape != tuple(variable.shape):
                raise ValueError(
                    f"{name}[{i}] must have shape {tuple(variable.shape)} (layer "
                    f"{layer.name!r}); got {value.shape}."
                )
            targets.append((variable, value))
        for variable, value in targets:  # all checked first: all or nothing
            variable.assign(value)

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


BaseKerasClassifier.__doc__ = _fill_shared_docs(BaseKerasClassifier.__doc__)


def _read_only(weights):
    """A float32 NumPy copy of ``weights`` that refuses in-place changes."""
    if hasattr(weights, "numpy"):  # a Keras variable
        weights = weights.numpy()
    array = np.array(weights, dtype=np.float32)
    array.flags.writeable = False
    return array


def _weighted_tensors(X, y, sample_weight, class_weights):
    """``(X, y, w)`` tensors, ``class_weights`` (per encoded class) folded into w."""
    if class_weights is not None:
        # a new array: never scale the caller's sample_weight in place
        per_row = class_weights[y]
        sample_weight = per_row if sample_weight is None else per_row * sample_weight
    return to_tensors(X, y, sample_weight)


def _validation_arguments(X_val, y_val, sample_weight_val):
    """``fit``'s validation set as one value (None without one); halves refused."""
    if X_val is None and y_val is None:
        if sample_weight_val is not None:
            raise ValueError(
                "sample_weight_val was given without a validation set: pass X_val "
                "and y_val too, or leave sample_weight_val out."
            )
        return None
    if X_val is None or y_val is None:
        given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
        raise ValueError(
            f"{given} was given without {missing}: a validation set needs both "
            "X_val (the samples) and y_val (their labels)."
        )
    return X_val, y_val, sample_weight_val


class _Labels:
    """A fit's encoded labels, and the caller's labels, made only when asked for."""

    def __init__(self, estimator, encoded):
        self.classes = estimator.classes_
        self.encoded = np.asarray(encoded).reshape(-1).astype(np.int32, copy=False)
        self._original = None

    def original(self):
        if self._original is None:
            self._original = np.asarray(self.classes)[self.encoded]
        return self._original


class _EpochTasks:
    """One fit's tasks for scikit-learn's callbacks (1.9+): the fit, its epochs.

    ``n_epochs == 0`` makes the fit itself the one task (``partial_fit``: one
    epoch). Callbacks receive the training data as the estimator took it (the
    caller's labels, not the encoded ones), ``sample_weight`` as metadata and,
    if they ask for it, a ``fitted_estimator``: a shallow copy sharing the
    network, which predicts with the weights of the epoch just trained while
    the hook runs (a callback that keeps it for later sees later weights).
    With no callback set, each hook is a loop over nothing.
    """

    def __init__(self, estimator, X, labels, sample_weight, n_epochs):
        self.estimator, self.X, self.labels = estimator, X, labels
        self.metadata = (
            None if sample_weight is None else {"sample_weight": sample_weight}
        )
        self.per_epoch = n_epochs > 0
        self.root = callback_root_context(
            estimator,
            max_subtasks=n_epochs,
            task_name="fit" if self.per_epoch else "partial_fit",
        )

    def _hook(self, context, name, fitted=True):
        return getattr(context, name)(
            estimator=self.estimator,
            X=self.X,
            y=self.labels.original,  # a callable: evaluated only if asked for
            metadata=self.metadata,
            reconstruction_attributes=(
                (lambda: {"n_iter_": self.estimator.n_iter_}) if fitted else None
            ),
        )

    def begin(self):
        self._hook(self.root, "call_on_fit_task_begin", fitted=False)

    def epoch_begin(self):
        if not self.per_epoch:
            return self.root
        context = self.root.subcontext(task_name="epoch")
        self._hook(context, "call_on_fit_task_begin", fitted=False)
        return context

    def epoch_end(self, context):
        """Whether a callback asks to stop."""
        return bool(self._hook(context, "call_on_fit_task_end"))

    def end(self):
        if self.per_epoch:
            self._hook(self.root, "call_on_fit_task_end")
