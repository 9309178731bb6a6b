"""Every private name skmnist takes from scikit-learn, scikeras, Keras and TensorFlow.

skmnist supports every release from the lowest bound in ``setup.cfg`` to the newest.
Private names (a leading ``_``, or a ``_private`` module) carry no stability promise, so
they are imported in this one module and nowhere else (``tests/test_compat.py``
checks): when a release moves one, only this file changes.

Each name says why it is needed and which releases provide it. Importing this module
imports scikit-learn (already a dependency of every estimator) but never TensorFlow
or Keras: helpers that touch them are functions importing them when called.

Examples
--------
>>> from skmnist._compat import Interval, check_keras_backend
>>> from numbers import Integral
>>> Interval(Integral, 1, None, closed="left").is_satisfied_by(3)
True
"""

import contextlib
import json
import os
from pathlib import Path

# --- scikit-learn -----------------------------------------------------------------
# Each line: why skmnist needs the name, and which releases provide it.
#
# _fit_context: the decorator validating parameters once per fit (and skipping
# nested validation); private, sklearn.base, since sklearn 1.3.
from sklearn.base import BaseEstimator as _BaseEstimator
from sklearn.base import _fit_context  # noqa: F401

# _check_multimetric_scoring, _MultimetricScorer: GridSearchCV's own handling of a
# list, tuple or dict ``scoring`` (validation, names, one predict shared by the
# scorers); private module sklearn.metrics._scorer, both unchanged since sklearn 1.4
# (``_MultimetricScorer(*, scorers, raise_exc)``).
from sklearn.metrics._scorer import (  # noqa: F401
    _check_multimetric_scoring,
    _MultimetricScorer,
)

# ClassifierTags, Tags, TargetTags, get_tags: the estimator tags; public in
# sklearn.utils since 1.6 (our lowest), routed here so tag code has one import.
from sklearn.utils import ClassifierTags, Tags, TargetTags, get_tags  # noqa: F401

# _safe_indexing: rows of arrays, DataFrames and lists alike (CV splits in the
# search); private module sklearn.utils._indexing since sklearn 1.3.
from sklearn.utils._indexing import _safe_indexing  # noqa: F401

# _routing_enabled: whether metadata routing is on (sklearn.set_config); private
# module sklearn.utils._metadata_requests, since 1.3.
from sklearn.utils._metadata_requests import _routing_enabled as routing_enabled

# Interval, StrOptions, HasMethods, InvalidParameterError: the declarative
# ``_parameter_constraints`` and their errors; private module, stable since 1.2.
from sklearn.utils._param_validation import (  # noqa: F401
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
)

# _check_feature_names_in: get_feature_names_out's input check; private, since 1.0.
# _check_method_params: the rows of the fit and score metadata (sample_weight...)
# that fall in a split, as GridSearchCV indexes them; private, since 1.4.
# validate_data: public function since sklearn 1.6 (before: the private method
# BaseEstimator._validate_data, removed in 1.7); routed here all the same.
from sklearn.utils.validation import (  # noqa: F401
    _check_feature_names_in,
    _check_method_params,
    validate_data,
)

# sklearn.callback: scikit-learn's callback protocol (set_callbacks, task contexts,
# ProgressBar, ScoringMonitor), public but experimental, new in 1.9. Older releases
# have none: CallbackSupportMixin is then an empty class (estimators have no
# set_callbacks; everything else works the same).
try:
    from sklearn.callback import CallbackSupportMixin, ProgressBar
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """Stands in for ``sklearn.callback.CallbackSupportMixin`` (sklearn < 1.9)."""

    ProgressBar = None
    HAS_CALLBACKS = False
else:
    HAS_CALLBACKS = True

# BaseEstimator._get_param_names, a private classmethod in every release: the
# parameters named by __init__'s signature. scikeras replaces it with one reading
# __dict__; estimators restore it with ``classmethod(sklearn_get_param_names)``.
sklearn_get_param_names = _BaseEstimator._get_param_names.__func__


def validate_estimator_params(estimator):
    """Check ``estimator``'s parameters against its constraints, as its fit would.

    ``BaseEstimator._validate_params``, private, since sklearn 1.2: used to check an
    ``MLPClassifier``'s parameters in ``KerasMLPClassifier.from_mlpclassifier``,
    whose errors then name MLPClassifier's parameter as the user wrote it.
    """
    estimator._validate_params()


__all__ = [
    "CallbackSupportMixin",
    "ClassifierTags",
    "HAS_CALLBACKS",
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "KerasBackendError",
    "KerasClassifier",  # noqa: F822 - built on first use by __getattr__
    "ProgressBar",
    "routing_enabled",
    "StrOptions",
    "Tags",
    "TargetTags",
    "_MultimetricScorer",
    "_check_feature_names_in",
    "_check_method_params",
    "_check_multimetric_scoring",
    "_fit_context",
    "_safe_indexing",
    "callback_root_context",
    "check_keras_backend",
    "concrete_call_flat",
    "get_tags",
    "keras_backend",
    "keras_graph_nodes",
    "multimetric_scorers",
    "pipeline_fit_params",
    "pipeline_parameter_constraints",
    "scikeras_routing",
    "sklearn_get_param_names",
    "stale_trial_retry",
    "tensor_from_dlpack",
    "validate_data",
    "validate_estimator_params",
]


def multimetric_scorers(scorer):
    """The ``{name: scorer}`` dict inside a ``_MultimetricScorer`` (its private
    ``_scorers``, sklearn 1.4 to 1.9 at least); what ``GridSearchCV.scorer_`` holds."""
    return scorer._scorers


def pipeline_parameter_constraints():
    """``Pipeline._parameter_constraints`` (private, since sklearn 1.2), which a
    subclass with a parameter of its own extends (``FamilyPipeline``)."""
    from sklearn.pipeline import Pipeline

    return dict(Pipeline._parameter_constraints)


def pipeline_fit_params(pipeline, params):
    """``{step name: Bunch(fit=..., fit_transform=...)}``: ``Pipeline.fit``'s split of
    ``params`` between its steps.

    ``Pipeline._check_method_params`` (private, sklearn 1.4 to 1.9 at least) does it
    as ``Pipeline.fit`` would: by metadata routing when it is enabled, else by the
    ``step__param`` names. The search trains a pipeline step by step (its final
    step one epoch at a time), so it needs the split without the fit.
    """
    return pipeline._check_method_params(method="fit", props=params)


# --- scikit-learn's callbacks ---------------------------------------------------------
class _NoCallbackContext:
    """A task context that calls nothing: scikit-learn < 1.9 has no callbacks."""

    def subcontext(self, *args, **kwargs):
        return self

    def call_on_fit_task_begin(self, **kwargs):
        return self

    def call_on_fit_task_end(self, **kwargs):
        return False

    def propagate_callback_context(self, sub_estimator):
        return contextlib.nullcontext()


def callback_root_context(estimator, *, max_subtasks, task_name="fit"):
    """The root task context of one ``fit`` of ``estimator`` (its callbacks set up).

    ``CallbackSupportMixin._init_callback_context`` is the documented (private)
    entry of scikit-learn 1.9's callback protocol for an estimator's fit. Before
    1.9, a context whose hooks do nothing, so fit code is the same on every
    release.
    """
    if not HAS_CALLBACKS:
        return _NoCallbackContext()
    return estimator._init_callback_context(
        task_name=task_name, max_subtasks=max_subtasks
    )


# --- scikeras ----------------------------------------------------------------------
class _TagsChainEnd:
    """Ends the ``super().__sklearn_tags__()`` chain after scikeras's mixins.

    scikeras 0.13 declares ``KerasClassifier(BaseWrapper, ClassifierMixin)``, so
    ``BaseEstimator`` comes *before* ``ClassifierMixin`` in the MRO and nothing
    after ``ClassifierMixin`` defines ``__sklearn_tags__``. scikit-learn 1.6.x sees
    ``BaseWrapper._more_tags`` and builds the tags the legacy way, calling every
    class's ``__sklearn_tags__`` in turn: ``ClassifierMixin``'s ``super()`` call
    then fails with ``AttributeError: 'super' object has no attribute
    '__sklearn_tags__'`` (scikeras#332, #337; fixed in no scikeras release). This
    class, last in the MRO, answers that call with ``BaseEstimator``'s defaults.
    From scikit-learn 1.7 the legacy path is gone and this is never reached.
    """

    def __sklearn_tags__(self):
        return Tags(estimator_type=None, target_tags=TargetTags(required=False))


def _make_keras_classifier():
    """scikeras's ``KerasClassifier`` with tags that work on every scikit-learn."""
    check_keras_backend()
    from skmnist._quiet import quiet_tensorflow_import

    quiet_tensorflow_import()  # no C++ start-up lines in a notebook's cells
    from scikeras.wrappers import KerasClassifier as _ScikerasClassifier

    class KerasClassifier(_ScikerasClassifier, _TagsChainEnd):
        __doc__ = _ScikerasClassifier.__doc__
        # scikeras's legacy tags ({"multilabel": True, "poor_score": True, ...}),
        # read only by scikit-learn 1.6.x's legacy path through
        # BaseWrapper._more_tags: wrong for skmnist's estimators, which declare
        # their tags in __sklearn_tags__. Empty, every version sees the same tags.
        _tags = {}

    # importable as skmnist._compat.KerasClassifier (pickle finds classes by name)
    KerasClassifier.__module__ = __name__
    KerasClassifier.__qualname__ = "KerasClassifier"
    return KerasClassifier


def __getattr__(name):
    # ``KerasClassifier`` is built on first use: scikeras imports Keras and
    # TensorFlow, which ``import skmnist._compat`` must not.
    if name == "KerasClassifier":
        cls = _make_keras_classifier()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def scikeras_routing():
    """scikeras's routing helpers ``(route_params, has_param, accepts_kwargs)``.

    :class:`skmnist.KerasImageClassifier` hands its builder ``model__`` parameters,
    ``meta`` and ``compile_kwargs`` exactly as scikeras's ``_build_keras_model``
    does, with scikeras's own functions; they live in the private module
    ``scikeras._utils`` (unchanged since scikeras 0.4). Imported on call: scikeras
    imports Keras.
    """
    check_keras_backend()
    from scikeras._utils import accepts_kwargs, has_param, route_params

    return route_params, has_param, accepts_kwargs


# --- Keras backend ----------------------------------------------------------------
class KerasBackendError(ImportError):
    """Keras is configured for a backend other than TensorFlow."""


def keras_backend():
    """The Keras backend Keras will load, read without importing Keras.

    Keras takes ``KERAS_BACKEND`` from the environment first, then the ``"backend"``
    key of ``$KERAS_HOME/keras.json`` (``~/.keras/keras.json`` by default), and
    defaults to ``"tensorflow"``.

    Returns
    -------
    backend : str
        The backend's name, e.g. ``"tensorflow"`` or ``"jax"``.
    source : str
        Where it came from: ``"KERAS_BACKEND"``, the keras.json path, or ``"default"``.

    Examples
    --------
    >>> backend, source = keras_backend()
    >>> isinstance(backend, str) and isinstance(source, str)
    True
    """
    env = os.environ.get("KERAS_BACKEND")
    if env:
        return env, "KERAS_BACKEND"
    if "KERAS_HOME" in os.environ:
        home = Path(os.environ["KERAS_HOME"])
    else:
        base = Path(os.path.expanduser("~"))
        if not os.access(base, os.W_OK):
            base = Path("/tmp")
        home = base / ".keras"
    config = home / "keras.json"
    try:
        backend = json.loads(config.read_text()).get("backend")
    except (OSError, ValueError, AttributeError):
        backend = None
    if backend:
        return str(backend), str(config)
    return "tensorflow", "default"


def check_keras_backend():
    """Raise :class:`KerasBackendError` unless Keras will use TensorFlow.

    skmnist's training loop is TensorFlow code; under another backend Keras would
    build models skmnist cannot train. Call this before importing Keras.

    Raises
    ------
    KerasBackendError
        Naming the setting that selects another backend and how to fix it.

    Examples
    --------
    >>> import os
    >>> os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow" or (
    ...     check_keras_backend() is None)
    True
    """
    backend, source = keras_backend()
    if backend.strip().lower() == "tensorflow":
        return None
    if source == "KERAS_BACKEND":
        where = f"the environment variable KERAS_BACKEND={backend!r}"
        fix = "unset KERAS_BACKEND or set it to 'tensorflow'"
    else:
        where = f'"backend": {backend!r} in {source}'
        fix = (
            f'set "backend": "tensorflow" in {source}, or set the environment '
            "variable KERAS_BACKEND=tensorflow"
        )
    raise KerasBackendError(
        f"skmnist trains with TensorFlow, but Keras is configured for the "
        f"{backend!r} backend by {where}. Fix: {fix}."
    )


# --- Keras graphs -----------------------------------------------------------------
def keras_graph_nodes(model):
    """The layer calls of a functional or Sequential Keras model, inputs first.

    Returns ``[(layer, input_tensors, output_tensors), ...]``: every call on a path
    from ``model.inputs`` to ``model.outputs``, each after the calls producing its
    inputs, in a fixed order (depth first from the outputs). A layer called twice
    (shared weights) appears twice. Keras 3 has no public graph walk: each
    ``KerasTensor`` carries a private ``_keras_history`` (operation, node_index,
    tensor_index) and each operation lists its calls in the private
    ``_inbound_nodes``; ``Node.input_tensors`` and ``Node.outputs`` are public
    attributes of those calls. This is the walk ``keras.src.ops.node``'s docstring
    describes, unchanged from Keras 3.0 to 3.15.

    Raises
    ------
    ValueError
        If an output does not come from the model's inputs through layer calls.
    """
    inputs = {id(t) for t in model.inputs}

    def producer(tensor):
        history = getattr(tensor, "_keras_history", None)
        if history is None or history.operation is None:
            raise ValueError(
                f"the Keras model {model.name!r} has a tensor {tensor!r} that no "
                "layer produced; only models built from keras.Input are exported"
            )
        return history.operation._inbound_nodes[history.node_index]

    def parents(node):
        return [producer(t) for t in node.input_tensors if id(t) not in inputs]

    order, finished, expanded = [], set(), set()
    stack = [producer(t) for t in reversed(model.outputs) if id(t) not in inputs]
    while stack:
        node = stack[-1]
        if id(node) in finished:
            stack.pop()
            continue
        pending = [p for p in parents(node) if id(p) not in finished]
        if pending and id(node) not in expanded:
            expanded.add(id(node))
            stack.extend(reversed(pending))
            continue
        stack.pop()
        finished.add(id(node))
        order.append((node.operation, list(node.input_tensors), list(node.outputs)))
    return order


# --- TensorFlow -------------------------------------------------------------------
def tensor_from_dlpack(array):
    """A TensorFlow tensor sharing ``array``'s memory through DLPack.

    ``tf.experimental.dlpack`` is experimental (TensorFlow 2.2 to at least 2.21) and
    takes a DLPack capsule (``array.__dlpack__()``, NumPy >= 1.22). Raises
    ``AttributeError``, ``BufferError``, ``TypeError`` or ``ValueError`` when it
    cannot share; callers fall back to ``tf.convert_to_tensor``.
    """
    import tensorflow as tf

    return tf.experimental.dlpack.from_dlpack(array.__dlpack__())


def concrete_call_flat(concrete):
    """The private ``ConcreteFunction._call_flat`` and the captured inputs, or None.

    ``concrete._call_flat(args, captured_inputs)`` runs a concrete function without
    re-binding structured arguments; private in every TensorFlow 2.x (checked on
    2.16 to 2.21). Returns ``(call_flat, captured_inputs)`` or ``None`` if either
    is missing, so callers use the public call instead.
    """
    call_flat = getattr(concrete, "_call_flat", None)
    captured = getattr(concrete, "captured_inputs", None)
    if call_flat is None or captured is None:
        return None
    return call_flat, captured


# --- Optuna -------------------------------------------------------------------------
def stale_trial_retry(max_retry):
    """``RDBStorage`` keyword arguments retrying stale trials ``max_retry`` times.

    Optuna 4.9 renamed ``RetryFailedTrialCallback`` to
    ``RetryHeartbeatStaleTrialCallback`` and the storage's ``failed_trial_callback``
    argument to ``heartbeat_stale_trial_callback`` (the old names warn from 4.9 and
    go in 6.0); Optuna 4.0 to 4.8 know only the old ones. Returns ``{}`` for
    ``max_retry=0`` (stale trials are failed, not retried).

    Examples
    --------
    >>> stale_trial_retry(0)
    {}
    >>> [(key, type(value).__name__) for key, value in stale_trial_retry(3).items()]
    [('..._callback', 'Retry...Callback')]
    """
    import optuna

    if max_retry == 0:
        return {}
    new = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None)
    if new is not None:  # Optuna >= 4.9
        return {"heartbeat_stale_trial_callback": new(max_retry)}
    old = optuna.storages.RetryFailedTrialCallback  # Optuna 4.0 to 4.8
    return {"failed_trial_callback": old(max_retry)}
