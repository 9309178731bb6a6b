"""The network families, each declared once: what everything else derives from.

A family is data about code: its name (``make_mnist_pipeline(model=...)`` and
``skmnist train/search --model``), its estimator, the image step in front of it,
its search space, its command-line options and its exports. The pipeline
factory, the commands, the search's default space and the docs read this table;
a new built-in family is its module in :mod:`skmnist.models` plus one entry here.

Everything is named by import path and loaded on use: reading the table imports
neither TensorFlow nor Optuna (``skmnist --help`` lists the families).
"""

import importlib
from dataclasses import dataclass, field


def _load(path):
    """The object at ``"package.module:name"``."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Family:
    """One network family.

    Attributes
    ----------
    name : str
        Its name in ``make_mnist_pipeline(model=name)`` and ``--model name``.
    estimator : str
        ``"module:Class"`` of its classifier.
    image_step : tuple of (str, str)
        The pipeline's first step: its name and ``"module:Class"``.
    search_space : str
        ``"module:function"`` of its Optuna space, ``space(trial, *, prefix,
        **options)``.
    summary : str
        One line for the command line's help.
    sizes_option : tuple of (str, str, str) or None
        ``(parameter, meaning, default)`` of its layer-size parameter, set on
        the command line by ``--<parameter with dashes> N,N,...`` (the default
        written as there, for the help without importing the estimator).
    search_options : tuple of str
        Options of ``skmnist search`` passed to the search space by name.
    exports : tuple of str
        ``"module:function"`` of the functions that export a fitted pipeline.
    """

    name: str
    estimator: str
    image_step: tuple
    search_space: str
    summary: str
    sizes_option: tuple = None
    search_options: tuple = ()
    exports: tuple = field(
        default=("skmnist.onnx:export_onnx", "skmnist.persistence:export_keras")
    )

    def load_estimator(self):
        """The classifier class."""
        return _load(self.estimator)

    def make_image_step(self):
        """``(name, a new image step)``."""
        name, path = self.image_step
        return name, _load(path)()

    def load_search_space(self):
        """The search-space function."""
        return _load(self.search_space)


# the built-in families, in the order the docs and the command line list them
FAMILIES = {
    family.name: family
    for family in (
        Family(
            name="mlp",
            estimator="skmnist.models.mlp:KerasMLPClassifier",
            image_step=("flatten", "skmnist.preprocessing:ImageFlattener"),
            search_space="skmnist.search._spaces:mlp_search_space",
            summary="the dense network of the reference notebook",
            sizes_option=("hidden_layer_sizes", "units per hidden layer", "256,128"),
            search_options=("max_layers",),
        ),
        Family(
            name="cnn",
            estimator="skmnist.models.cnn:KerasCNNClassifier",
            image_step=("reshape", "skmnist.preprocessing:ImageReshaper"),
            search_space="skmnist.search._spaces:cnn_search_space",
            summary="a small convolutional network (Keras's simple MNIST convnet)",
            sizes_option=("filters", "filters of each convolution block", "32,64"),
        ),
    )
}


@dataclass(frozen=True)
class Preset:
    """A named training recipe: a built-in family with chosen parameters.

    ``make_mnist_pipeline(model=name)`` and ``--model name`` build the family's
    pipeline with these parameters; any parameter given as well wins over the
    preset's. Every figure quoted in ``summary`` is measured by
    ``benchmarks/bench_recipes.py``.

    Attributes
    ----------
    name : str
        Its name in ``make_mnist_pipeline(model=name)`` and ``--model name``.
    family : str
        The built-in family (a key of ``FAMILIES``).
    params : tuple of (str, object)
        The estimator's parameters, as ``(name, value)`` pairs.
    summary : str
        One line for the command line's help.
    """

    name: str
    family: str
    params: tuple
    summary: str

    def estimator_params(self):
        """The preset's parameters as a dict (a new one each call)."""
        return dict(self.params)


# cnn-strong's network and training, chosen on both MNIST and Fashion-MNIST:
# "same" padding and a dense layer for clothing's textures; shifts only
# (rotations and zooms cost clothing 0.3-1 point); no batch normalisation (it
# doubled the epoch on these CPUs and bought nothing here)
_CNN_STRONG = (
    ("filters", (32, 64)),
    ("kernel_size", 3),
    ("padding", "same"),
    ("dense_units", 256),
    ("dropout", 0.25),
    ("learning_rate", 0.003),
    ("learning_rate_schedule", "one-cycle"),
    ("shift_range", 2.0),
    ("label_smoothing", 0.1),
)

# the named recipes (issue 20), fastest first; the figures are measured by
# benchmarks/bench_recipes.py (docs/performance.rst)
PRESETS = {
    preset.name: preset
    for preset in (
        Preset(
            name="cnn-fast",
            family="cnn",
            params=(
                # no batch normalisation: on these CPUs it doubled the epoch
                # (9.8 s against 4.7 s) for 0.05 points
                ("filters", (16, 32)),
                ("kernel_size", 5),
                ("dropout", 0.25),
                ("learning_rate", 0.005),
                ("learning_rate_schedule", "one-cycle"),
                ("epochs", 3),
            ),
            summary="the shortest fit to 99% MNIST test accuracy",
        ),
        Preset(
            name="cnn-strong",
            family="cnn",
            params=(*_CNN_STRONG, ("epochs", 15)),
            summary="the most accurate recipe in 5 minutes of 2 CPU cores",
        ),
        Preset(
            name="cnn-strong-bf16",
            family="cnn",
            # cnn-strong in bfloat16 for CPUs with AMX or AVX512-BF16 units: its
            # epoch is about a third cheaper there, and three more epochs bought
            # clothing the last tenth of a point (93.07% against 92.87% over 3
            # seeds); on other CPUs bfloat16 is emulated, slower
            params=(*_CNN_STRONG, ("dtype_policy", "mixed_bfloat16"), ("epochs", 18)),
            summary="cnn-strong in bfloat16, for CPUs with AMX or AVX512-BF16 units",
        ),
        Preset(
            name="mlp-strong",
            family="mlp",
            params=(
                ("hidden_layer_sizes", (1024, 1024)),
                ("learning_rate", 0.002),
                ("learning_rate_schedule", "one-cycle"),
                ("shift_range", 2.0),
                ("rotation_range", 10.0),
                ("zoom_range", 0.1),
                ("epochs", 30),
            ),
            summary="a dense network past 99% MNIST test accuracy in 5 minutes",
        ),
    )
}

# A user's own network (make_mnist_pipeline(model=<builder>), --model
# module:builder): images keep their shape, the builder's network is searched
# over the engine's training parameters (its own arguments are the user's to
# add, as model__<argument>).
USER_NETWORK = Family(
    name="user network",
    estimator="skmnist.models.custom:KerasImageClassifier",
    image_step=("reshape", "skmnist.preprocessing:ImageReshaper"),
    search_space="skmnist.search._spaces:training_search_space",
    summary="your own network, a function building a keras.Model",
)


def get_family(model):
    """The family of ``model``: a family name, a preset's name, or a user's network.

    A callable or a ``keras.Model`` is a user's network; a string with a colon,
    ``"module:function"``, names a builder to import (the command line's form).
    """
    if isinstance(model, str) and model in FAMILIES:
        return FAMILIES[model]
    if isinstance(model, str) and model in PRESETS:
        return FAMILIES[PRESETS[model].family]
    if callable(model):  # a builder or a keras.Model
        return USER_NETWORK
    raise ValueError(
        f"model must be one of {sorted(FAMILIES)} (the built-in network families), "
        f"one of {sorted(PRESETS)} (their named recipes), or your own network: a "
        f"function returning a keras.Model, or a keras.Model; got {model!r}."
    )


def preset_params(model):
    """The parameters the preset ``model`` sets; ``{}`` for anything else."""
    if isinstance(model, str) and model in PRESETS:
        return PRESETS[model].estimator_params()
    return {}


def load_builder(path):
    """The builder at ``"module:function"`` (``--model`` of the commands)."""
    module, sep, name = path.partition(":")
    if not sep or not module or not name:
        raise ValueError(
            f"--model must be one of {', '.join([*FAMILIES, *PRESETS])}, or "
            "MODULE:FUNCTION "
            f"naming a function that builds a keras.Model; got {path!r}."
        )
    try:
        builder = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise ValueError(
            f"--model {path}: cannot import {name!r} from {module!r} ({error}); "
            "the module must be importable (on PYTHONPATH or in the current folder)."
        ) from None
    if not callable(builder):
        raise ValueError(f"--model {path}: {name!r} is not a function.")
    return builder
