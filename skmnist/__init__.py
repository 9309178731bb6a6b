"""skmnist: the classic Keras MNIST network as a first-class scikit-learn estimator.

Public names are imported lazily (PEP 562), so ``import skmnist`` stays fast and never
imports TensorFlow; the heavy modules load the first time one of their names is used.

Examples
--------
>>> import skmnist
>>> skmnist.ImageFlattener().fit_transform([[[0, 255], [128, 0]]])
array([[0.       , 1.       , 0.5019608, 0.       ]], dtype=float32)
"""

import importlib

__version__ = "0.1.0"

# public name -> submodule that defines it
_LAZY = {
    "get_data_home": "skmnist.datasets",
    "load_mnist": "skmnist.datasets",
    "load_fashion_mnist": "skmnist.datasets",
    "load_image_folder": "skmnist.datasets",
    "ImageFlattener": "skmnist.preprocessing",
    "ImageReshaper": "skmnist.preprocessing",
    "PixelScaleWarning": "skmnist.preprocessing",
    "make_mnist_pipeline": "skmnist.pipeline",
    "PrunedSearchCV": "skmnist.search",
    "mlp_search_space": "skmnist.search",
    "auto_search_space": "skmnist.search",
    "cnn_search_space": "skmnist.search",
    "training_search_space": "skmnist.search",
    "TrainingCurvesDisplay": "skmnist.plotting",
    "DigitGridDisplay": "skmnist.plotting",
    "MisclassifiedDisplay": "skmnist.plotting",
    "write_report": "skmnist.report",
    "load_digit_images": "skmnist.digits",
    "save_model": "skmnist.persistence",
    "load_model": "skmnist.persistence",
    "export_keras": "skmnist.persistence",
    "export_onnx": "skmnist.onnx",
    "OnnxClassifier": "skmnist.onnx",
}

# every registered family's estimator (skmnist.models.FAMILIES), and a user's network's
_LAZY.update(
    (name, "skmnist.models")
    for name in importlib.import_module("skmnist.models")._LAZY
    if name != "BaseKerasClassifier"
)

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'skmnist' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: later look-ups skip this hook
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
