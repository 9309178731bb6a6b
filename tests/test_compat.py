"""skmnist._compat: private imports in one place, the Keras backend, the tags fix."""

import ast
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest

import skmnist
from skmnist import _compat

PACKAGE = Path(skmnist.__file__).parent
ROOT = PACKAGE.parent
GUARDED = ("sklearn", "scikeras", "keras", "tensorflow", "tf_keras")


def _is_private_module(module):
    parts = module.split(".")
    return parts[0] in GUARDED and any(part.startswith("_") for part in parts[1:])


def private_imports(source, filename="<string>"):
    """``(line, what)`` for every private name taken from a guarded library.

    Private imports, and private attributes (``_name``, not dunders) read from a
    name imported from a guarded library (``BaseEstimator._get_param_names``,
    ``tf._internal``).
    """
    found = []
    tree = ast.parse(source, filename)
    guarded_names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in GUARDED:
                    guarded_names.add((alias.asname or alias.name).split(".")[0])
                if _is_private_module(alias.name):
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] not in GUARDED:
                continue
            guarded_names.update(alias.asname or alias.name for alias in node.names)
            if _is_private_module(node.module):
                found.append((node.lineno, f"from {node.module} import ..."))
                continue
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(
                        (node.lineno, f"from {node.module} import {alias.name}")
                    )
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
            continue
        if node.attr.startswith("__") and node.attr.endswith("__"):
            continue
        root = node.value
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and root.id in guarded_names:
            found.append((node.lineno, f"{ast.unparse(node)}"))
    return found


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from sklearn.base import _fit_context", 1),
        ("from sklearn.utils._param_validation import Interval", 1),
        ("import sklearn.utils._indexing", 1),
        ("def f():\n    from keras.src import ops", 0),
        ("def f():\n    from keras.src.backend import _x", 1),
        ("from tensorflow.python.eager import _def_function", 1),
        ("from scikeras._utils import x", 1),
        ("from sklearn.base import BaseEstimator, clone", 0),
        ("from skmnist._compat import _fit_context", 0),
        ("from ._io import atomic_write", 0),
        ("import numpy._core", 0),
        ("from sklearn.base import BaseEstimator\nBaseEstimator._get_param_names", 1),
        ("import tensorflow as tf\ntf.experimental.dlpack._x", 1),
        ("import tensorflow as tf\ntf.experimental.dlpack.from_dlpack", 0),
        ("from sklearn.base import BaseEstimator\nBaseEstimator.__repr__", 0),
        ("import numpy as np\nnp._core", 0),
    ],
)
def test_the_scanner_finds_private_imports(source, expected):
    assert len(private_imports(source)) == expected


def test_only_compat_imports_private_names():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "_compat.py":
            continue
        for line, what in private_imports(path.read_text(), str(path)):
            offenders.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not offenders, (
        "private imports outside skmnist/_compat.py (re-export them there and "
        "import from skmnist._compat):\n" + "\n".join(offenders)
    )


def test_compat_reexports_under_the_same_names():
    from sklearn.base import _fit_context
    from sklearn.utils._indexing import _safe_indexing
    from sklearn.utils._param_validation import Interval, StrOptions

    assert _compat._fit_context is _fit_context
    assert _compat._safe_indexing is _safe_indexing
    assert _compat.Interval is Interval
    assert _compat.StrOptions is StrOptions
    # ProgressBar is None where scikit-learn has no callbacks (< 1.9)
    optional = set() if _compat.HAS_CALLBACKS else {"ProgressBar"}
    for name in set(_compat.__all__) - optional:
        assert getattr(_compat, name) is not None


def _run(code, **env):
    environ = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **env}
    for key, value in env.items():
        if value is None:
            environ.pop(key)
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        timeout=300,
    )


def test_importing_compat_loads_neither_tensorflow_nor_keras():
    result = _run(
        "import sys, skmnist._compat\n"
        "print([m for m in ('tensorflow', 'keras', 'scikeras') if m in sys.modules])"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


PROBE_BACKEND = (
    "import sys\n"
    "from skmnist._compat import KerasBackendError\n"
    "try:\n"
    "    from skmnist import KerasMLPClassifier\n"
    "except KerasBackendError as exc:\n"
    "    print('keras' in sys.modules, isinstance(exc, ImportError))\n"
    "    print(exc)\n"
    "else:\n"
    "    print('imported')\n"
)


def test_another_keras_backend_in_the_environment_is_one_clear_error():
    result = _run(PROBE_BACKEND, KERAS_BACKEND="jax")
    assert result.returncode == 0, result.stderr
    first, message = result.stdout.strip().split("\n", 1)
    # raised before Keras is imported, as an ImportError
    assert first == "False True"
    assert "KERAS_BACKEND='jax'" in message
    assert "unset KERAS_BACKEND or set it to 'tensorflow'" in message
    assert "skmnist trains with TensorFlow" in message


def test_another_keras_backend_in_keras_json_names_the_file(tmp_path):
    config = tmp_path / "keras.json"
    config.write_text(json.dumps({"backend": "torch", "floatx": "float32"}))
    result = _run(PROBE_BACKEND, KERAS_BACKEND=None, KERAS_HOME=str(tmp_path))
    assert result.returncode == 0, result.stderr
    first, message = result.stdout.strip().split("\n", 1)
    assert first == "False True"
    assert "'torch'" in message and str(config) in message
    assert "KERAS_BACKEND=tensorflow" in message


def test_keras_backend_reads_environment_then_keras_json(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert _compat.keras_backend() == ("tensorflow", "default")
    (tmp_path / "keras.json").write_text('{"backend": "jax"}')
    assert _compat.keras_backend() == ("jax", str(tmp_path / "keras.json"))
    with pytest.raises(_compat.KerasBackendError, match="keras.json"):
        _compat.check_keras_backend()
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")  # the environment wins
    assert _compat.keras_backend() == ("tensorflow", "KERAS_BACKEND")
    assert _compat.check_keras_backend() is None
    (tmp_path / "keras.json").write_text("not json")
    monkeypatch.delenv("KERAS_BACKEND")
    assert _compat.keras_backend() == ("tensorflow", "default")


def test_tensorflow_backend_imports_the_classifier():
    result = _run(PROBE_BACKEND, KERAS_BACKEND="tensorflow")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "imported"


# --- the scikit-learn 1.6 tags crash ------------------------------------------------
def test_every_tags_provider_in_the_mro_answers():
    # scikit-learn 1.6.x builds scikeras estimators' tags by calling each class's
    # __sklearn_tags__ unbound; ClassifierMixin's super() call needs a class after
    # it in the MRO. This is that call, so it runs (and fails unfixed) everywhere.
    from sklearn.base import ClassifierMixin

    from skmnist import KerasMLPClassifier

    clf = KerasMLPClassifier()
    providers = [k for k in type(clf).__mro__ if "__sklearn_tags__" in vars(k)]
    assert ClassifierMixin in providers
    for klass in providers:
        assert klass.__sklearn_tags__(clf).target_tags is not None
    assert ClassifierMixin.__sklearn_tags__(clf).estimator_type == "classifier"


def test_classifier_tags_are_the_declared_ones():
    from sklearn.base import is_classifier

    from skmnist import KerasMLPClassifier

    clf = KerasMLPClassifier()
    tags = _compat.get_tags(clf)
    assert is_classifier(clf)
    assert tags.estimator_type == "classifier"
    assert tags.target_tags.required
    # not scikeras's legacy {"multilabel": True, "poor_score": True}
    assert tags.classifier_tags == _compat.ClassifierTags()
    assert not tags.target_tags.multi_output
    assert not tags.input_tags.allow_nan


def test_fixed_keras_classifier_is_scikeras_classifier():
    from scikeras.wrappers import KerasClassifier

    assert issubclass(_compat.KerasClassifier, KerasClassifier)
    assert _compat.KerasClassifier.__mro__[-2] is _compat._TagsChainEnd
    fixed = _compat.KerasClassifier
    assert pickle.loads(pickle.dumps(fixed)) is fixed  # importable by its name


# --- TensorFlow helpers ---------------------------------------------------------------
def test_tensor_from_dlpack_keeps_the_values():
    import numpy as np

    X = np.arange(12, dtype=np.float32).reshape(3, 4)
    tensor = _compat.tensor_from_dlpack(X)
    assert tensor.dtype.name == "float32"
    np.testing.assert_array_equal(tensor.numpy(), X)


def test_concrete_call_flat_is_none_without_the_private_method():
    assert _compat.concrete_call_flat(object()) is None


# --- the oldest-versions CI job ------------------------------------------------------
def _constraints(setup_cfg):
    result = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "oldest_constraints.py"), str(setup_cfg)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if not line.startswith("#")]


def test_oldest_constraints_follow_the_lower_bounds(tmp_path):
    setup_cfg = tmp_path / "setup.cfg"
    setup_cfg.write_text(
        "[options]\ninstall_requires =\n"
        "    numpy>=1.26\n    pillow>=10\n    scipy>=1.10.1,<2\n"
        "    psycopg[binary]>=3.1\n    plain\n"
        "[options.extras_require]\ntest =\n    pytest>=8\n"
    )
    assert _constraints(setup_cfg) == [
        "numpy==1.26.*",
        "pillow==10.*",
        "scipy==1.10.*",
        "psycopg==3.1.*",
    ]


def test_oldest_constraints_pin_every_install_requirement():
    import configparser

    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    requirements = [
        line for line in config["options"]["install_requires"].splitlines() if line
    ]
    pins = _constraints(ROOT / "setup.cfg")
    names = [re.split(r"[\[<>=!~ ;]", r.strip(), maxsplit=1)[0] for r in requirements]
    assert [pin.split("==")[0] for pin in pins] == names
    assert all(re.fullmatch(r"[\w.-]+==\d+(\.\d+)?\.\*", pin) for pin in pins)


def test_keras_graph_nodes_lists_every_call_after_its_inputs():
    import keras

    inputs = keras.Input((4,))
    shared = keras.layers.Dense(4, name="shared")
    a = shared(inputs)
    b = shared(a)  # the same layer called twice: two calls
    model = keras.Model(inputs, keras.layers.Add(name="add")([a, b]))
    calls = _compat.keras_graph_nodes(model)
    assert [layer.name for layer, _, _ in calls] == ["shared", "shared", "add"]
    made = {id(inputs)}
    for _, tensors, outputs in calls:
        assert all(id(t) in made for t in tensors)
        made.update(id(t) for t in outputs)
    assert id(model.outputs[0]) in made

    sequential = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, name="d"), keras.layers.ReLU()]
    )
    layers = [layer for layer, _, _ in _compat.keras_graph_nodes(sequential)]
    assert layers == sequential.layers
