"""skmnist's Keras classifiers: one shared engine, one module per architecture.

- :class:`BaseKerasClassifier` (``_base.py``): training, validation, early
  stopping, ``partial_fit``, class weights, prediction, pickling;
- :class:`KerasMLPClassifier` (``mlp.py``): the dense network;
- :class:`KerasCNNClassifier` (``cnn.py``): the convolutional network;
- :class:`KerasImageClassifier` (``custom.py``): a user's own network, given
  as scikeras takes it (``model=`` a builder, ``model__`` arguments).

``FAMILIES`` (``_registry.py``) declares every family once: its name, estimator,
image step, search space, command-line option and exports; ``PRESETS`` the named
training recipes of the families (``cnn-fast``, ``cnn-strong``,
``cnn-strong-bf16``, ``mlp-strong``).

Names load lazily (PEP 562): importing this package does not import TensorFlow.
"""

import importlib

from skmnist.models._registry import (  # PRESETS: re-exported (__all__)
    FAMILIES,
    PRESETS,  # noqa: F401
    USER_NETWORK,
)

# public name -> submodule that defines it; each family's estimator from the registry
_LAZY = {
    "BaseKerasClassifier": "skmnist.models._base",
    **{
        family.estimator.partition(":")[2]: family.estimator.partition(":")[0]
        for family in (*FAMILIES.values(), USER_NETWORK)
    },
}

__all__ = sorted([*_LAZY, "FAMILIES", "PRESETS"])


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'skmnist.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: later look-ups skip this hook
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
