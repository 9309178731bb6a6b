"""Arguments and helpers shared by several subcommands (no heavy imports here)."""

import argparse

from skmnist._utils import is_positive_int


def positive_int(text):
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number, got {text!r}"
        ) from None
    if not is_positive_int(value):
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def positive_float(text):
    """argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (0 < value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return value


def add_data_arguments(parser):
    """--data-home and --base-url, as understood by skmnist.load_mnist."""
    group = parser.add_argument_group("data")
    group.add_argument(
        "--data-home",
        metavar="DIR",
        help="folder holding mnist.npz or the IDX files (default: $SKMNIST_DATA_HOME, "
        "else the per-user cache)",
    )
    group.add_argument(
        "--base-url", metavar="URL", help="mirror to download the IDX files from"
    )
    group.add_argument(
        "--offline",
        action="store_true",
        help="never download; fail if the data is not already there",
    )


def load_data(args):
    """Load MNIST as the data arguments say."""
    from skmnist.datasets import load_mnist

    return load_mnist(
        data_home=args.data_home,
        base_url=args.base_url,
        download_if_missing=not args.offline,
    )


def load_fitted_model(path, *, allow_onnx=False):
    """Load a saved model and check that it can classify (one-line errors).

    With ``allow_onnx``, a ``.onnx`` file (from ``skmnist export``) is loaded as a
    :class:`skmnist.onnx.OnnxClassifier`, without importing TensorFlow.
    """
    from pathlib import Path

    from skmnist.cli import CommandError

    if Path(path).suffix.lower() == ".onnx":
        if not allow_onnx:
            raise CommandError(
                f"{path!r} is an ONNX model, which predicts but holds no training "
                "history or parameters; give this command the model saved by "
                "`skmnist train` (.joblib)"
            )
        from skmnist.onnx import MissingDependencyError, OnnxClassifier

        try:
            return OnnxClassifier(path)
        except MissingDependencyError as exc:
            raise CommandError(str(exc)) from None
    from skmnist.persistence import load_model

    model = load_model(path)
    if not all(hasattr(model, name) for name in ("predict", "predict_proba")):
        raise CommandError(
            f"{path!r} holds a {type(model).__name__}, not a fitted classifier; "
            "train one with `skmnist train`"
        )
    return model


def stratified_subset(X, y, size):
    """``size`` images of ``(X, y)``, stratified by digit; all of them if fewer.

    The same images on every call, whatever the run's seed (``random_state=0``):
    runs with different seeds still train and score on the same data.
    """
    if size >= len(X):
        return X, y
    from sklearn.model_selection import train_test_split

    X, _, y, _ = train_test_split(X, y, train_size=size, stratify=y, random_state=0)
    return X, y


def format_confusion_matrix(matrix):
    """A labelled text table of a confusion matrix.

    Examples
    --------
    >>> import numpy as np
    >>> print(format_confusion_matrix(np.array([[5, 1], [0, 12]])))
          0   1
      0   5   1
      1   0  12
    """
    width = max(4, len(str(matrix.max())) + 1)
    header = " " * 3 + "".join(f"{j:>{width}}" for j in range(matrix.shape[1]))
    rows = [
        f"{i:>3}" + "".join(f"{v:>{width}}" for v in row)
        for i, row in enumerate(matrix)
    ]
    return "\n".join([header, *rows])


def print_test_scores(y_true, y_pred, *, report=False):
    """Test accuracy (sklearn's accuracy_score), optionally the per-class report,
    then the confusion matrix, on stdout."""
    from sklearn.metrics import accuracy_score, classification_report, confusion_matrix

    print(
        f"test accuracy: {accuracy_score(y_true, y_pred):.4f} on {len(y_true):,} images"
    )
    if report:
        print()
        print(classification_report(y_true, y_pred, digits=4))
    print("confusion matrix (rows: true digit, columns: predicted):")
    print(format_confusion_matrix(confusion_matrix(y_true, y_pred)))


def add_model_argument(parser, what):
    """--model: a family of the registry, or MODULE:FUNCTION for one's own network."""
    from skmnist.models._registry import FAMILIES, USER_NETWORK

    listed = "; ".join(f"{name}, {family.summary}" for name, family in FAMILIES.items())
    parser.add_argument(
        "--model",
        type=model_argument,
        default="mlp",
        metavar="|".join(FAMILIES) + "|MODULE:FUNCTION",
        help=f"network to {what}: {listed}; or MODULE:FUNCTION, "
        f"{USER_NETWORK.summary} (default: %(default)s)",
    )


def model_argument(text):
    """argparse type for --model: a family name, or MODULE:FUNCTION (imported later)."""
    from skmnist.models._registry import FAMILIES

    module, sep, name = text.partition(":")
    if text in FAMILIES or (sep and module and name):
        return text
    raise argparse.ArgumentTypeError(
        f"expected one of {', '.join(FAMILIES)}, or MODULE:FUNCTION naming a "
        f"function that builds a keras.Model; got {text!r}"
    )


def model_family(text):
    """``(family, model)`` of --model: a family name, or an imported builder."""
    from skmnist.models._registry import FAMILIES, USER_NETWORK, load_builder

    if text in FAMILIES:
        return FAMILIES[text], text
    return USER_NETWORK, load_builder(text)
