"""Search spaces for :class:`skmnist.PrunedSearchCV`: the ready-made spaces, sampling,
checking and storing parameters.

A space is either a dict ``{estimator parameter: optuna distribution}`` or a callable
``space(trial) -> {estimator parameter: value}``. Either way a trial ends up with a
dict of the *estimator's* parameters, which is checked against the estimator before
any training and stored on the trial as JSON (tuples tagged, so they come back as
tuples), so a resumed study rebuilds ``best_params_`` without calling the space again.

Nothing here imports Optuna at module level.
"""

import numpy as np
from sklearn.base import BaseEstimator, clone

from skmnist._utils import is_positive_int

__all__ = [
    "auto_search_space",
    "cnn_search_space",
    "mlp_search_space",
    "training_search_space",
]

PARAMS_ATTR = "params"  # trial user attribute holding the estimator's parameters
_TUPLE_TAG = "__tuple__"


def mlp_search_space(trial, *, prefix="classifier__", max_layers=2):
    """Sample the dense network's parameters: a conditional Optuna search space.

    Draws the number of hidden layers, then the units of each layer, so the
    space covers networks of different depths; returns them as the estimator's
    own ``hidden_layer_sizes`` tuple. Pass the function itself (or a
    :func:`functools.partial` of it) as ``param_distributions`` of
    :class:`skmnist.PrunedSearchCV`.

    ============================  =====================================
    Optuna parameter              range
    ============================  =====================================
    ``n_layers``                  1 to ``max_layers`` (int)
    ``n_units_l0``, ``_l1``, ...  128 to 2048 units (int, log scale)
    ``dropout``                   0 to 0.5 (float)
    ``learning_rate``             3e-4 to 1e-2 (float, log scale)
    ``batch_size``                128, 256 or 512 (categorical)
    ============================  =====================================

    The ranges suit a budget of minutes on MNIST (see the search benchmark on
    the performance page). A 10-minute search on full MNIST over up to 3
    layers of 128 to 1024 units, learning rates 3e-4 to 3e-3 and batches up to
    512 found its best trials in single layers of about 900 units at the
    largest batch and learning rate, and no three-layer network got past the
    first pruning: the space now reaches further that way, and stops at two
    layers by default. Batches of 1024 were tried too, and dropped: their
    winner validated well and tested worse (large batches generalise worse).

    Parameters
    ----------
    trial : optuna.trial.Trial
        The trial to sample from.
    prefix : str, default ``"classifier__"``
        Put before every returned name. The default addresses the classifier
        step of :func:`skmnist.make_mnist_pipeline`; use ``prefix=""`` to
        search a bare :class:`skmnist.KerasMLPClassifier`.
    max_layers : int, default=2
        Largest number of hidden layers; at least 1.

    Returns
    -------
    params : dict
        ``{prefix + "hidden_layer_sizes": (units, ...), prefix + "dropout": ...,
        prefix + "learning_rate": ..., prefix + "batch_size": ...}``.

    See Also
    --------
    cnn_search_space : The space of the convolutional network.

    Notes
    -----
    Dropout acts between hidden layers, so a one-layer network ignores it.
    ``alpha`` (the L2 penalty) is not sampled: on the reference network (which
    has dropout) it did not pay in a quick check, 10 epochs on 50,000 MNIST
    images validated on the other 10,000: ``alpha=1e-3`` against 0 changed the
    validation accuracy by +0.10, -0.02 and +0.17 points for three seeds, within
    the spread between seeds, and 1e-4 or 1e-2 no more. A dimension that does
    not pay costs a budgeted search trials. Add it to your own space if you
    search without dropout, e.g. ``trial.suggest_float("alpha", 1e-6, 1e-2,
    log=True)`` under the estimator's ``alpha``.
    The number of epochs is not sampled: :class:`skmnist.PrunedSearchCV`
    trains every trial up to its ``max_epochs``, its pruner decides how many
    epochs a trial gets, and the best epoch count goes into ``best_params_``.

    Examples
    --------
    >>> import optuna
    >>> from skmnist import mlp_search_space
    >>> trial = optuna.create_study().ask()
    >>> params = mlp_search_space(trial, max_layers=2)
    >>> sorted(params)  # doctest: +NORMALIZE_WHITESPACE
    ['classifier__batch_size', 'classifier__dropout',
     'classifier__hidden_layer_sizes', 'classifier__learning_rate']
    >>> len(params["classifier__hidden_layer_sizes"]) == trial.params["n_layers"]
    True
    """
    if not is_positive_int(max_layers):
        raise ValueError(
            f"max_layers must be a whole number >= 1 (a network needs at least one "
            f"hidden layer); got {max_layers!r}."
        )
    n_layers = trial.suggest_int("n_layers", 1, int(max_layers))
    sizes = tuple(
        trial.suggest_int(f"n_units_l{i}", 128, 2048, log=True) for i in range(n_layers)
    )
    return {
        f"{prefix}hidden_layer_sizes": sizes,
        f"{prefix}dropout": trial.suggest_float("dropout", 0.0, 0.5),
        **_training_params(trial, prefix),
    }


def cnn_search_space(trial, *, prefix="classifier__"):
    """Sample the convolutional network's parameters: an Optuna search space.

    The space of :class:`skmnist.KerasCNNClassifier`, two convolution and
    max-pooling blocks as its default network: the filters of each block, the
    kernel size, the hidden dense layer (none, or some units), dropout, the
    learning rate and the batch size. Pass the function itself (or a
    :func:`functools.partial` of it) as ``param_distributions`` of
    :class:`skmnist.PrunedSearchCV`, with a pipeline from
    ``make_mnist_pipeline(model="cnn")``.

    ============================  =====================================
    Optuna parameter              range
    ============================  =====================================
    ``filters_b0``                16 to 64 filters (int, log scale)
    ``filters_b1``                32 to 128 filters (int, log scale)
    ``kernel_size``               3 or 5 (categorical)
    ``dense_units``               0 (no hidden dense layer), 64, 128 or
                                  256 (categorical)
    ``dropout``                   0 to 0.6 (float)
    ``learning_rate``             3e-4 to 1e-2 (float, log scale)
    ``batch_size``                128, 256 or 512 (categorical)
    ============================  =====================================

    Parameters
    ----------
    trial : optuna.trial.Trial
        The trial to sample from.
    prefix : str, default ``"classifier__"``
        Put before every returned name. The default addresses the classifier
        step of :func:`skmnist.make_mnist_pipeline`; use ``prefix=""`` to
        search a bare :class:`skmnist.KerasCNNClassifier`.

    Returns
    -------
    params : dict
        ``{prefix + "filters": (n0, n1), prefix + "kernel_size": ...,
        prefix + "dense_units": ..., prefix + "dropout": ...,
        prefix + "learning_rate": ..., prefix + "batch_size": ...}``.

    See Also
    --------
    mlp_search_space : The space of the dense network.

    Notes
    -----
    The number of epochs is not sampled: the search's pruner decides it (see
    :func:`mlp_search_space`). The number of blocks stays two, as in the
    default network (Keras's simple MNIST convnet); to search the depth too,
    write a space that returns a longer or shorter ``filters`` tuple.

    Examples
    --------
    >>> import optuna
    >>> from skmnist import cnn_search_space
    >>> trial = optuna.create_study().ask()
    >>> params = cnn_search_space(trial, prefix="")
    >>> sorted(params)  # doctest: +NORMALIZE_WHITESPACE
    ['batch_size', 'dense_units', 'dropout', 'filters', 'kernel_size',
     'learning_rate']
    >>> len(params["filters"]), 16 <= params["filters"][0] <= 64
    (2, True)
    """
    filters = (
        trial.suggest_int("filters_b0", 16, 64, log=True),
        trial.suggest_int("filters_b1", 32, 128, log=True),
    )
    return {
        f"{prefix}filters": filters,
        f"{prefix}kernel_size": trial.suggest_categorical("kernel_size", [3, 5]),
        f"{prefix}dense_units": trial.suggest_categorical(
            "dense_units", [0, 64, 128, 256]
        ),
        f"{prefix}dropout": trial.suggest_float("dropout", 0.0, 0.6),
        **_training_params(trial, prefix),
    }


def training_search_space(trial, *, prefix="classifier__"):
    """Sample the engine's training parameters: the space of any network.

    The learning rate and batch size, drawn as :func:`mlp_search_space` and
    :func:`cnn_search_space` draw them: the default space of a user's own
    network (:class:`skmnist.KerasImageClassifier`), whose architecture
    arguments are the user's to add, e.g. in a space of one's own::

        def space(trial):
            return {
                **training_search_space(trial),
                "classifier__model__filters": trial.suggest_int("filters", 8, 64),
            }

    ============================  =====================================
    Optuna parameter              range
    ============================  =====================================
    ``learning_rate``             3e-4 to 1e-2 (float, log scale)
    ``batch_size``                128, 256 or 512 (categorical)
    ============================  =====================================

    Parameters
    ----------
    trial : optuna.trial.Trial
        The trial to sample from.
    prefix : str, default ``"classifier__"``
        Put before every returned name (``""`` for a bare classifier).

    Returns
    -------
    params : dict
        ``{prefix + "learning_rate": ..., prefix + "batch_size": ...}``.

    See Also
    --------
    mlp_search_space : The space of the dense network.
    cnn_search_space : The space of the convolutional network.

    Examples
    --------
    >>> import optuna
    >>> from skmnist.search import training_search_space
    >>> sorted(training_search_space(optuna.create_study().ask(), prefix=""))
    ['batch_size', 'learning_rate']
    """
    return _training_params(trial, prefix)


def _training_params(trial, prefix):
    """The training parameters every network family searches, sampled alike."""
    return {
        f"{prefix}learning_rate": trial.suggest_float(
            "learning_rate", 3e-4, 1e-2, log=True
        ),
        f"{prefix}batch_size": trial.suggest_categorical("batch_size", [128, 256, 512]),
    }


def auto_search_space(trial, *, prefix="classifier__", families=None, max_layers=2):
    """Sample a network family, then its parameters: a search across families.

    The first choice is the family, ``"mlp"``, ``"cnn"`` or one of their presets
    (``skmnist.models.PRESETS``: ``"cnn-fast"``, ``"cnn-strong"``,
    ``"cnn-strong-bf16"``, ``"mlp-strong"``); then that
    family's own conditional space:
    :func:`mlp_search_space` or :func:`cnn_search_space`, and for a preset its
    parameters with the learning rate (a third to three times the preset's) and,
    if it augments, the strength of its augmentation (0.5 to 1.5 times its
    shifts, rotations and zooms) sampled around them. Each family's Optuna
    parameters carry its name (``"cnn_dropout"``, ``"mlp_n_layers"``...), so the
    sampler learns each family's space apart. A preset's trials train its own
    epochs, the length of its learning-rate schedule (up to the search's
    ``max_epochs``); the families' epochs are left to the search, as in the
    other spaces.

    The estimator searched must switch families with ``set_params(family=...)``:
    ``make_mnist_pipeline(model="auto")`` (a
    :class:`skmnist.pipeline.FamilyPipeline`), whose steps are named alike in
    every family; ``best_params_["family"]`` then names the winner.

    Parameters
    ----------
    trial : optuna.trial.Trial
        The trial to sample from.
    prefix : str, default ``"classifier__"``
        Put before every classifier parameter (not before ``"family"``).
    families : list of str or None, default=None
        The families and presets to choose from; ``None`` means every built-in
        one, families then presets, as the registry lists them.
    max_layers : int, default=2
        Most hidden layers of the dense network (:func:`mlp_search_space`).

    Returns
    -------
    params : dict
        ``{"family": name, prefix + <parameter>: value, ...}``.

    See Also
    --------
    mlp_search_space, cnn_search_space : The spaces of the two families.

    Notes
    -----
    Trials of the families differ up to tenfold in cost; with a ``timeout``,
    :class:`skmnist.PrunedSearchCV` prunes a trial whose epochs left would not
    end within the time left, or that would take more than half of the
    ``timeout`` (measured from its second epoch on).

    Examples
    --------
    >>> import optuna
    >>> from skmnist import auto_search_space, make_mnist_pipeline
    >>> from skmnist.search._spaces import candidate
    >>> study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    >>> params = auto_search_space(study.ask(), families=["cnn"])
    >>> params["family"], type(candidate(make_mnist_pipeline("auto"), params)[-1])
    ('cnn', <class 'skmnist.models.cnn.KerasCNNClassifier'>)
    """
    from skmnist.models._registry import FAMILIES, PRESETS

    names = [*FAMILIES, *PRESETS] if families is None else list(families)
    unknown = [name for name in names if name not in FAMILIES and name not in PRESETS]
    if unknown or not names:
        raise ValueError(
            f"families must name built-in families or presets, some of "
            f"{[*FAMILIES, *PRESETS]}; got {families!r}."
        )
    family = trial.suggest_categorical("family", names)
    named = _NamedTrial(trial, family)
    if family in FAMILIES:
        entry = FAMILIES[family]
        options = {"max_layers": max_layers}
        space = entry.load_search_space()(
            named,
            prefix=prefix,
            **{name: options[name] for name in entry.search_options},
        )
    else:
        space = _preset_space(named, PRESETS[family].estimator_params(), prefix)
    return {"family": family, **space}


# the augmentation parameters a preset's strength scales
_AUGMENTATION = ("shift_range", "rotation_range", "zoom_range")


def _preset_space(trial, params, prefix):
    """A preset's parameters, the learning rate and augmentation sampled around
    its own. Its epochs stay: they are its schedule's length, and a trial
    trained past them would train on at the schedule's final, tiny rate."""
    rate = params["learning_rate"]
    params["learning_rate"] = trial.suggest_float(
        "learning_rate", rate / 3, rate * 3, log=True
    )
    if any(params.get(name) for name in _AUGMENTATION):
        strength = trial.suggest_float("augmentation", 0.5, 1.5)
        for name in _AUGMENTATION:
            if name in params:
                params[name] = params[name] * strength
    return {f"{prefix}{name}": value for name, value in params.items()}


class _NamedTrial:
    """A trial whose parameter names start with a family's: ``cnn_dropout``."""

    def __init__(self, trial, family):
        self._trial, self._family = trial, family

    def suggest_int(self, name, *args, **kwargs):
        return self._trial.suggest_int(f"{self._family}_{name}", *args, **kwargs)

    def suggest_float(self, name, *args, **kwargs):
        return self._trial.suggest_float(f"{self._family}_{name}", *args, **kwargs)

    def suggest_categorical(self, name, *args, **kwargs):
        return self._trial.suggest_categorical(
            f"{self._family}_{name}", *args, **kwargs
        )

    def __getattr__(self, name):
        return getattr(self._trial, name)


def check_distributions(distributions):
    """Raise ``TypeError`` unless every value is an Optuna distribution."""
    from optuna.distributions import BaseDistribution

    for name, dist in distributions.items():
        if not isinstance(dist, BaseDistribution):
            raise TypeError(
                f"param_distributions[{name!r}] must be an Optuna distribution such "
                f"as optuna.distributions.FloatDistribution(0, 0.5), got {dist!r}; "
                "use a callable space for anything else."
            )


def sample_params(trial, space):
    """The estimator parameters of ``trial``: from a dict space or a callable."""
    if callable(space):
        params = space(trial)
        if not isinstance(params, dict):
            raise TypeError(
                f"a callable search space must return a dict of estimator "
                f"parameters, got {type(params).__name__}."
            )
        return params
    return {name: _suggest(trial, name, dist) for name, dist in space.items()}


def _suggest(trial, name, dist):
    # The public suggest_* API, so the sampler sees the usual calls.
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(
            name, dist.low, dist.high, step=dist.step, log=dist.log
        )
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(
            name, dist.low, dist.high, step=dist.step, log=dist.log
        )
    if isinstance(dist, CategoricalDistribution):
        return trial.suggest_categorical(name, dist.choices)
    raise TypeError(f"unsupported Optuna distribution for {name!r}: {dist!r}")


def check_param_names(estimator, names):
    """Raise ``ValueError`` naming the valid parameters if any name is unknown."""
    valid = estimator.get_params(deep=True)
    unknown = sorted(
        name for name in set(names) - set(valid) if not _is_routed(estimator, name)
    )
    if unknown:
        searchable = sorted(k for k, v in valid.items() if not _is_estimator(v))
        hint = ""
        if any(name.startswith("classifier__") for name in unknown) and not any(
            k.startswith("classifier__") for k in valid
        ):
            hint = " (for a bare classifier, use mlp_search_space with prefix='')"
        raise ValueError(
            f"unknown parameter(s) {', '.join(unknown)} for "
            f"{type(estimator).__name__}{hint}; valid names: {', '.join(searchable)}."
        )


def _is_routed(estimator, name):
    """Whether ``name`` is a routed parameter that its estimator's set_params takes.

    scikeras's convention: ``classifier__model__units`` is ``model__units`` of the
    classifier step, a builder argument that need not be set yet.
    """
    parts = name.split("__")
    params = estimator.get_params(deep=True)
    for i in range(len(parts) - 1):
        owner = estimator if i == 0 else params.get("__".join(parts[:i]))
        if isinstance(owner, BaseEstimator) and parts[i] in getattr(
            owner, "_routing_prefixes", ()
        ):
            return True
    return False


def candidate(estimator, params):
    """A clone of ``estimator`` with ``params`` set, checked by its own validation.

    Raises ``ValueError`` (sklearn's ``InvalidParameterError`` for an impossible
    value) before any training, so a broken space fails at once, not trial by
    trial.
    """
    est = clone(estimator)
    if "family" in params and "family" in est.get_params(deep=False):
        # a FamilyPipeline: the family's steps first, then their parameters
        est.set_params(family=params["family"])
    check_param_names(est, params)
    encode_params(params)  # values must be storable
    est.set_params(**params)
    for part in [est, *est.get_params(deep=True).values()]:
        if _is_estimator(part) and hasattr(part, "_parameter_constraints"):
            part._validate_params()
    return est


def _is_estimator(value):
    return isinstance(value, BaseEstimator)


def encode_params(params):
    """JSON-ready copy of an estimator parameter dict (tuples tagged)."""
    return {name: _to_json(name, value) for name, value in params.items()}


def decode_params(stored):
    """Inverse of :func:`encode_params`."""
    return {name: _from_json(value) for name, value in stored.items()}


def _to_json(name, value):
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple | list | np.ndarray):
        items = [_to_json(name, v) for v in value]
        return items if isinstance(value, list) else {_TUPLE_TAG: items}
    raise ValueError(
        f"the search space gave {name}={value!r}; values must be numbers, strings, "
        "booleans, None, or tuples/lists of them, so the study can store them."
    )


def _from_json(value):
    if isinstance(value, dict) and set(value) == {_TUPLE_TAG}:
        return tuple(_from_json(v) for v in value[_TUPLE_TAG])
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value
