"""A user's own Keras network on the shared engine, taken as scikeras takes it."""

import re
from numbers import Real

import numpy as np

from skmnist._compat import (
    Interval,
    InvalidParameterError,
    scikeras_routing,
    sklearn_get_param_names,
)
from skmnist.models._base import BaseKerasClassifier

# Prefixes of routed parameters: ``model__units`` goes to the builder,
# ``optimizer__momentum`` to the optimizer's class (scikeras's convention).
_ROUTED = ("model", "optimizer")

# scikeras parameters that the engine fixes or does otherwise: name -> the way out
_SCIKERAS_ONLY = {
    "build_fn": "pass the builder as model=",
    "loss": "the engine trains with sparse categorical cross-entropy; leave it out",
    "metrics": "history_ records loss and accuracy; compute other metrics with "
    "sklearn.metrics on predict",
    "shuffle": "every epoch is shuffled from random_state; leave it out",
    "run_eagerly": "the engine compiles whole epochs; leave it out",
    "validation_batch_size": "the validation rows are evaluated in one call; "
    "leave it out",
}

# Losses a builder may compile its model with: the engine's, or the same loss on
# one-hot labels (identical values on integer classes)
_CROSS_ENTROPY = {"sparse_categorical_crossentropy", "categorical_crossentropy"}


class KerasImageClassifier(BaseKerasClassifier):
    """Your own Keras network as a scikit-learn classifier, on skmnist's engine.

    Give the network as scikeras does: ``model=`` a function that builds and
    returns a Keras model (uncompiled, or compiled with a cross-entropy loss),
    with its arguments as routed parameters ``model__<argument>`` (for example
    ``model__filters=32``), which ``get_params``, ``set_params``, ``clone``,
    :class:`~sklearn.model_selection.GridSearchCV` and
    :class:`skmnist.PrunedSearchCV` see like any other parameter. A
    ``keras.Model`` instance works too: it is cloned (fresh weights) at every
    ``fit``. The network is then trained by the engine that trains skmnist's
    own families (:class:`~skmnist.models.BaseKerasClassifier`): whole epochs
    compiled into one graph, early stopping, ``partial_fit``, class weights,
    pickling, the fast prediction path and :meth:`summary`.

    **What the builder gets.** Besides its ``model__`` parameters, the builder
    receives, when its signature names them (or takes ``**kwargs``), as in
    scikeras:

    - ``meta``: what fit learnt about the data, scikeras's dict: ``X_shape_``
      (the training data's shape as given), ``n_features_in_`` (values per
      sample), ``n_classes_``, ``classes_``, ``target_type_``...;
    - ``compile_kwargs``: ``{"optimizer": ..., "loss": ..., "metrics": ...}``
      from this estimator's parameters, for a builder that compiles;
    - ``seed``: one int drawn from `random_state` for this fit;
    - ``params``: all of ``get_params()``.

    **What it must return.** One input taking ``n_features_in_`` values per
    sample in any shape (``X`` is reshaped to it: flat rows, ``(n, 28, 28)``
    and ``(n, 28, 28, 1)`` all feed a network built for any of them), one
    output of ``n_classes_`` softmax probabilities. A compiled model must use
    sparse (or one-hot) categorical cross-entropy on those probabilities; it
    keeps its own optimizer when that is not ``compile_kwargs["optimizer"]``,
    in which case `optimizer` and `learning_rate` must stay at their defaults.
    Anything else is refused at ``fit`` with one error naming what is wrong.
    The model's own losses (``kernel_regularizer`` and the like) are added to
    the training loss, as ``Model.fit`` does.

    **Reproducibility.** Results are bitwise identical for the same
    `random_state` (on CPU) when every random layer of the network is seeded
    from ``seed``: each initialiser and each ``Dropout`` (or other random
    layer) gets its own int, e.g. ``seeds = np.random.default_rng(seed)`` and
    ``seed=int(seeds.integers(2**31))`` per layer, as the example below does.
    The shuffling, the validation split and the rest are seeded from
    `random_state` anyway, and no global random state is read or changed. A
    builder that ignores ``seed`` still trains, but its initial weights and
    dropout masks come from Keras's global random state, so two fits differ
    unless the caller fixes it (``keras.utils.set_random_seed``).

    Parameters
    ----------
    model : callable or keras.Model, default=None
        The network: a function returning a ``keras.Model`` (a module-level
        function, so that the estimator pickles), or a ``keras.Model`` to clone
        at each ``fit``. Required.
    validation_split : float in [0, 1), default=0.0
        As in scikeras and ``Model.fit``: the *last* ``validation_split`` share
        of the rows of ``X`` (in ``fit`` and in each ``partial_fit``) is not
        trained on and is evaluated after every epoch (``val_loss`` and
        ``val_accuracy`` in ``history_`` and in the callbacks' logs, so
        ``keras.callbacks.EarlyStopping`` can watch it).
        Cannot be combined with `early_stopping`, which holds out its own
        stratified share (`validation_fraction`).
    {shared_parameters}
    **routed_params : dict
        ``model__<name>=value``: arguments of the builder (any other name not
        above, e.g. ``units=64``, is passed to it too, as scikeras does);
        ``optimizer__<name>=value``: arguments of the optimizer's class
        (``optimizer__learning_rate`` wins over `learning_rate`).

    Attributes
    ----------
    model_ : keras.Model
        The fitted Keras network.
    {shared_attributes}
    n_features_in_ : int
        Number of values per sample seen during fit.
    X_shape_ : tuple of int
        Shape of the training data as the network takes it (after the
        builder ran; the builder saw the shape as given).
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    skmnist.make_mnist_pipeline : With ``model=<builder>``, this classifier
        behind an image step.
    skmnist.KerasMLPClassifier : skmnist's dense network.
    skmnist.KerasCNNClassifier : skmnist's convolutional network.

    Notes
    -----
    For scikeras users: ``KerasClassifier(model=build, model__units=64,
    epochs=10, batch_size=32, verbose=0, random_state=0,
    validation_split=0.1, callbacks=[...], class_weight=...)`` runs unchanged
    with ``KerasImageClassifier`` in its place (defaults differ: 10 epochs of
    batches of 128, silent). scikeras's parameters that the engine fixes
    (``loss``, ``metrics``, ``shuffle``, ``run_eagerly``, ``fit__...``,
    ``compile__...``, ``predict__...``) are refused with an error saying
    what to do instead; ``optimizer`` is one of the names above.

    Examples
    --------
    >>> import keras
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skmnist import KerasImageClassifier
    >>> def build(meta, seed, units=32):
    ...     seeds = np.random.default_rng(seed)
    ...     def init():
    ...         return keras.initializers.GlorotUniform(int(seeds.integers(2**31)))
    ...     inputs = keras.Input(shape=meta["X_shape_"][1:])
    ...     x = keras.layers.Flatten()(inputs)
    ...     x = keras.layers.Dense(units, "relu", kernel_initializer=init())(x)
    ...     outputs = keras.layers.Dense(
    ...         meta["n_classes_"], "softmax", kernel_initializer=init()
    ...     )(x)
    ...     return keras.Model(inputs, outputs)
    >>> X, y = load_digits(return_X_y=True)
    >>> images = (X / 16).reshape(-1, 8, 8)
    >>> clf = KerasImageClassifier(
    ...     build, model__units=32, learning_rate=0.01, epochs=10, random_state=0
    ... )
    >>> clf.fit(images, y).score(images, y) > 0.9
    True
    >>> clf.get_params()["model__units"], clf.predict_proba(X[:1] / 16).shape
    (32, (1, 10))
    """

    _parameter_constraints = {
        **BaseKerasClassifier._parameter_constraints,
        "model": [callable, None],
        "validation_split": [Interval(Real, 0, 1, closed="left")],
    }

    # images or rows of any shape: _network_input reshapes them to the network's
    _allow_nd = True

    # read by scikeras's set_params: these prefixes are parameters of their own
    _routing_prefixes = set(_ROUTED)

    def __init__(
        self,
        model=None,
        *,
        validation_split=0.0,
        optimizer="adam",
        learning_rate=0.001,
        alpha=0.0,
        momentum=0.9,
        nesterovs_momentum=True,
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
        **routed_params,
    ):
        self.model = model
        self.validation_split = validation_split
        super().__init__(
            optimizer=optimizer,
            learning_rate=learning_rate,
            alpha=alpha,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
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
        # stored as attributes, as scikeras stores them: get_params finds them
        vars(self).update(routed_params)

    # --- parameters: the signature's, plus the routed ones set on the instance ----
    def __repr__(self, N_CHAR_MAX=700):
        # a builder shows as its name, not its memory address: the same text in
        # every process (search logs, test ids of parallel workers)
        text = super().__repr__(N_CHAR_MAX)
        return re.sub(r"<function (\S+) at 0x[0-9a-fA-F]+>", r"\1", text)

    def _get_param_names(self):
        named = type(self)._signature_param_names()
        extra = (
            name
            for name in vars(self)
            if name not in named and not name.startswith("_") and not name.endswith("_")
        )
        return sorted([*named, *extra])

    @classmethod
    def _signature_param_names(cls):
        return sklearn_get_param_names(cls)

    def set_params(self, **params):
        # scikeras's own: a routed name (model__units) is set even when it is new,
        # anything else goes through scikit-learn's strict set_params
        from scikeras.wrappers import BaseWrapper

        return BaseWrapper.set_params(self, **params)

    def _builder_params(self):
        """``{name: value}`` of every parameter that is not the signature's."""
        named = set(type(self)._signature_param_names())
        return {k: v for k, v in self.get_params().items() if k not in named}

    def _validate_params(self):
        super()._validate_params()
        for name in self._builder_params():
            prefix = name.partition("__")[0] if "__" in name else None
            if name in _SCIKERAS_ONLY or (prefix is not None and prefix not in _ROUTED):
                way_out = _SCIKERAS_ONLY.get(
                    name,
                    "route builder arguments as model__<name> and optimizer "
                    "arguments as optimizer__<name>",
                )
                raise InvalidParameterError(
                    f"{type(self).__name__} does not take scikeras's parameter "
                    f"{name!r}: {way_out}."
                )
        if self.early_stopping and self.validation_split:
            raise InvalidParameterError(
                f"early_stopping=True holds out validation_fraction="
                f"{self.validation_fraction} of the data itself; got "
                f"validation_split={self.validation_split} as well. Use one: "
                "early_stopping (stratified hold-out, stops training), or "
                "validation_split with your own keras.callbacks.EarlyStopping."
            )

    # --- building and checking the user's network ----------------------------------
    def _initialize(self, X, y=None):
        # a new network: forget the old one, so that X is validated as given and
        # the builder sees its shape (meta["X_shape_"])
        for name in ("model_", "_network_"):
            self.__dict__.pop(name, None)
        X, y = super()._initialize(X, y)
        # the network is checked: from now on X takes its input shape
        self.X_shape_ = (self.X_shape_[0], *self._input_shape(self.model_))
        return self._network_input(X), y

    def _build_keras_model(self):
        import keras

        if self.model is None:
            raise ValueError(
                f"{type(self).__name__} needs model=: a function returning a "
                "keras.Model (see the class's Examples), or a keras.Model."
            )
        if isinstance(self.model, keras.Model):
            model = self._clone_instance(self.model)
        else:
            model = self._call_builder(self.model)
        self._check_network(model)
        # an uncompiled network is compiled by scikeras's _ensure_compiled_model
        # with _get_compile_kwargs, as every family's
        return model

    def _clone_instance(self, original):
        import keras

        routed = [k for k in self._builder_params() if not k.startswith("optimizer__")]
        if routed:
            raise InvalidParameterError(
                f"model is a keras.Model instance, which takes no arguments; got "
                f"{', '.join(routed)}. Pass a function building the model as "
                "model= to give it arguments."
            )
        # fresh weights from the layers' initialisers (seeded ones repeat)
        model = keras.models.clone_model(original)
        if getattr(original, "compiled", False):
            self._check_loss(original.loss)
            optimizer = type(original.optimizer).from_config(
                original.optimizer.get_config()
            )
            self._check_optimizer(optimizer, None)
            model.compile(optimizer=optimizer, loss=original.loss, metrics=["accuracy"])
        return model

    def _call_builder(self, build):
        route_params, has_param, accepts_kwargs = scikeras_routing()
        params = self.get_params()
        # model__units=3 -> units=3, and unrouted extra names as scikeras passes them
        extra = {k for k in self._builder_params() if "__" not in k}
        kwargs = route_params(
            params, destination="model", pass_filter=extra, strict=True
        )
        takes_any = accepts_kwargs(build)
        unknown = [k for k in kwargs if not (takes_any or has_param(build, k))]
        if unknown:
            raise InvalidParameterError(
                f"the model builder {_name(build)} has no argument(s) "
                f"{', '.join(map(repr, unknown))} (from "
                f"{', '.join(k if k in extra else 'model__' + k for k in unknown)}); "
                "rename them to its arguments or add them to its signature."
            )
        ours = {}  # the compile_kwargs handed over, if any

        def compile_kwargs():
            ours.update(self._get_compile_kwargs())
            return dict(ours)

        given = {
            "meta": self._get_metadata,
            "compile_kwargs": compile_kwargs,
            "seed": lambda: self._seed,
            "params": lambda: params,
        }
        for name, value in given.items():
            if takes_any or has_param(build, name):
                kwargs[name] = value()
        model = build(**kwargs)
        import keras

        if not isinstance(model, keras.Model):
            raise TypeError(
                f"the model builder {_name(build)} must return a keras.Model; got "
                f"{type(model).__name__}."
            )
        if getattr(model, "compiled", False):
            self._check_loss(model.loss)
            self._check_optimizer(model.optimizer, ours.get("optimizer"))
        return model

    def _check_loss(self, loss):
        import keras

        name = loss if isinstance(loss, str) else getattr(loss, "__name__", None)
        if isinstance(loss, keras.losses.Loss):
            config = loss.get_config()
            if (
                isinstance(
                    loss,
                    keras.losses.SparseCategoricalCrossentropy
                    | keras.losses.CategoricalCrossentropy,
                )
                and not config.get("from_logits")
                and not config.get("label_smoothing")
                and config.get("ignore_class") is None
            ):
                return
        elif name in _CROSS_ENTROPY:
            return
        raise ValueError(
            f"the model was compiled with loss {loss!r}; {type(self).__name__} "
            "trains with categorical cross-entropy on the network's softmax "
            "output. Compile with loss='sparse_categorical_crossentropy' (or "
            "compile_kwargs['loss']), or return the model uncompiled."
        )

    def _check_optimizer(self, optimizer, ours):
        if optimizer is ours:
            return
        defaults = {
            "optimizer": "adam",
            "learning_rate": 0.001,
            "learning_rate_schedule": "constant",
        }
        changed = {
            k: getattr(self, k) for k, v in defaults.items() if getattr(self, k) != v
        }
        if changed or any(k.startswith("optimizer__") for k in self._builder_params()):
            raise ValueError(
                f"the model was compiled with its own optimizer "
                f"({type(optimizer).__name__}), so {type(self).__name__}'s "
                "optimizer parameters would not apply; got "
                f"{changed or 'optimizer__ arguments'}. "
                "Compile with compile_kwargs['optimizer'], or leave them at "
                "their defaults."
            )

    def _check_network(self, model):
        """One clear error unless ``model`` takes X and returns class probabilities."""
        n_classes, n_features = self.n_classes_, self.n_features_in_
        problem = None
        if len(model.inputs) != 1 or len(model.outputs) != 1:
            problem = (
                f"it has {len(model.inputs)} inputs and {len(model.outputs)} "
                "outputs; it must have one of each"
            )
        else:
            shape = tuple(model.inputs[0].shape[1:])
            out = tuple(model.outputs[0].shape[1:])
            if None in shape:
                problem = (
                    f"its input shape {shape} is not fully known; build it with "
                    "keras.Input(shape=meta['X_shape_'][1:])"
                )
            elif int(np.prod(shape)) != n_features:
                problem = (
                    f"its input takes samples of shape {shape} "
                    f"({int(np.prod(shape))} values), but X has samples of shape "
                    f"{tuple(self.X_shape_[1:])} ({n_features} values); build "
                    "it with keras.Input(shape=meta['X_shape_'][1:])"
                )
            elif out != (n_classes,):
                problem = (
                    f"its output has shape {out}; it must give one probability "
                    f"per class, shape ({n_classes},) (meta['n_classes_'])"
                )
            elif not _gives_probabilities(model, shape, self._seed):
                problem = (
                    "its outputs are not probabilities (non-negative, summing to "
                    "1); end it with a softmax, e.g. "
                    f"keras.layers.Dense({n_classes}, activation='softmax')"
                )
        if problem is not None:
            raise ValueError(
                f"the network given as model= to {type(self).__name__} cannot be "
                f"trained: {problem}."
            )

    @staticmethod
    def _input_shape(model):
        return tuple(int(d) for d in model.inputs[0].shape[1:])

    # --- data ---------------------------------------------------------------------
    def _network_input(self, X):
        model = self.__dict__.get("model_")
        if model is None:  # fitting: the builder sees X as given
            return X
        n_features = int(np.prod(X.shape[1:]))
        if n_features != self.n_features_in_:
            raise ValueError(
                f"X has {n_features} features, but {type(self).__name__} is "
                f"expecting {self.n_features_in_} features as input (samples of "
                f"shape {tuple(X.shape[1:])}; the network takes samples of shape "
                f"{self._input_shape(model)})."
            )
        return X.reshape(len(X), *self._input_shape(model))

    def _validation_rows(self, y, early_stopping):
        if not self.validation_split:
            return super()._validation_rows(y, early_stopping)
        # Keras's rule: the last rows, before any shuffling
        n = len(y)
        split_at = int(np.floor(n * (1.0 - self.validation_split)))
        if split_at == 0 or split_at == n:
            raise ValueError(
                f"validation_split={self.validation_split} of {n} samples leaves "
                f"{split_at} to train on and {n - split_at} to validate; each "
                "needs at least one. Change validation_split or give more data."
            )
        rows = np.arange(n, dtype=np.int32)
        return rows[:split_at], rows[split_at:]


def _gives_probabilities(model, sample_shape, seed):
    """Whether the network's outputs on a few random inputs are distributions."""
    x = np.random.default_rng(seed).random((3, *sample_shape), dtype=np.float32)
    import keras

    proba = keras.ops.convert_to_numpy(model(x, training=False))
    return bool(np.all(proba >= 0) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-3))


def _name(build):
    return getattr(build, "__qualname__", None) or repr(build)
