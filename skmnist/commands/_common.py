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


# --dataset names -> (description attribute in skmnist.datasets, shown name)
DATASETS = {"mnist": "MNIST", "fashion-mnist": "FASHION_MNIST"}
# share of a folder of images held out as its test set (stratified, seed 0)
FOLDER_TEST_SIZE = 0.2


def add_data_arguments(parser):
    """--dataset, --data-home, --base-url and --offline."""
    group = parser.add_argument_group("data")
    group.add_argument(
        "--dataset",
        default="mnist",
        metavar="NAME|PATH",
        help="mnist (default), fashion-mnist, any IDX dataset description as "
        "MODULE:NAME (an skmnist.datasets.IdxDataset), or a folder of images with "
        "one sub-folder per class (a stratified fifth held out as test set)",
    )
    group.add_argument(
        "--data-home",
        metavar="DIR",
        help="folder holding the dataset's files (default: $SKMNIST_DATA_HOME, "
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
    """Load the --dataset as the data arguments say.

    Returns a Bunch with ``X_train``, ``y_train``, ``X_test``, ``y_test``,
    ``target_names`` and ``name`` (for titles), whatever the source.
    """
    import os

    from skmnist.cli import CommandError

    dataset = getattr(args, "dataset", "mnist")
    if os.path.isdir(dataset):
        return _load_folder(dataset)
    description = _dataset_description(dataset, CommandError)
    from skmnist.datasets import load_idx_dataset

    data = load_idx_dataset(
        description,
        data_home=args.data_home,
        base_url=args.base_url,
        download_if_missing=not args.offline,
    )
    data.name = description.name
    return data


def _dataset_description(dataset, error):
    """The IdxDataset that --dataset names: a built-in name or MODULE:NAME."""
    import importlib

    from skmnist import datasets

    if dataset.lower() in DATASETS:
        return getattr(datasets, DATASETS[dataset.lower()])
    module, _, name = dataset.partition(":")
    if "/" in dataset or "\\" in dataset:  # a path, not a module
        raise error(
            f"--dataset {dataset!r}: no folder there; give a folder holding one "
            "sub-folder of images per class"
        )
    if not (module and name):
        raise error(
            f"--dataset {dataset!r} is neither a folder nor one of "
            f"{', '.join(DATASETS)}; give a folder of images (one sub-folder per "
            "class), a built-in name, or an IdxDataset description as MODULE:NAME"
        )
    try:
        description = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise error(f"--dataset {dataset!r}: cannot import it ({exc})") from None
    if not isinstance(description, datasets.IdxDataset):
        raise error(
            f"--dataset {dataset!r} is a {type(description).__name__}, not an "
            "skmnist.datasets.IdxDataset description"
        )
    return description


def _load_folder(path):
    """A folder of images, split into a training set and a stratified test fifth."""
    from pathlib import Path

    from sklearn.model_selection import train_test_split
    from sklearn.utils import Bunch

    from skmnist.cli import CommandError
    from skmnist.datasets import load_image_folder

    try:
        folder = load_image_folder(path)
        X_train, X_test, y_train, y_test = train_test_split(
            folder.images,
            folder.target,
            test_size=FOLDER_TEST_SIZE,
            stratify=folder.target,
            random_state=0,
        )
    except ValueError as exc:  # an empty class, an unreadable file, mixed sizes...
        raise CommandError(
            f"--dataset {path}: {exc} (a test fifth is held out of each class: "
            "each needs 2 images at least)"
            if "least populated class" in str(exc) or "test_size" in str(exc)
            else f"--dataset {path}: {exc}"
        ) from None
    return Bunch(
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        target_names=folder.target_names,
        DESCR=folder.DESCR,
        name=Path(path).resolve().name,
    )


def name_classes(model, data):
    """Attach the dataset's class names to a model fitted on it (see _class_names)."""
    from skmnist._class_names import attach_class_names, target_class_names

    return attach_class_names(
        model, target_class_names(model.classes_, data.target_names)
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


def print_test_scores(y_true, y_pred, *, report=False, classes=None, names=None):
    """Test accuracy (sklearn's accuracy_score), optionally the per-class report,
    then the confusion matrix, on stdout. `classes` (default: the labels seen)
    order the rows; `names`, one per class, name them when they say more than the
    labels do."""
    import numpy as np
    from sklearn.metrics import accuracy_score, classification_report, confusion_matrix

    print(
        f"test accuracy: {accuracy_score(y_true, y_pred):.4f} on {len(y_true):,} images"
    )
    labels = (
        np.unique(np.concatenate([np.asarray(y_true), np.asarray(y_pred)]))
        if classes is None
        else np.asarray(classes)
    )
    named = names is not None and [str(n) for n in names] != [str(v) for v in labels]
    if report:
        print()
        print(
            classification_report(
                y_true,
                y_pred,
                labels=labels,
                target_names=[str(n) for n in names] if named else None,
                digits=4,
            )
        )
    print("confusion matrix (rows: true class, columns: predicted):")
    print(format_confusion_matrix(confusion_matrix(y_true, y_pred, labels=labels)))
    if named:
        print("classes: " + ", ".join(f"{i} {n}" for i, n in enumerate(names)))


def print_scores_of(model, data, *, report=False):
    """:func:`print_test_scores` of `model` on ``data``'s test set, classes named."""
    from skmnist._class_names import class_names

    print_test_scores(
        data.y_test,
        model.predict(data.X_test),
        report=report,
        classes=model.classes_,
        names=class_names(model),
    )


def add_model_argument(parser, what):
    """--model: a family or preset of the registry, or MODULE:FUNCTION for one's own
    network."""
    from skmnist.models._registry import FAMILIES, PRESETS, USER_NETWORK

    listed = "; ".join(
        f"{name}, {entry.summary}" for name, entry in {**FAMILIES, **PRESETS}.items()
    ).replace("%", "%%")  # argparse formats the help with %
    names = [*FAMILIES, *PRESETS]
    argument = model_argument
    if what == "search":  # only a search can switch families
        names.append(AUTO_MODEL)
        listed += f"; {AUTO_MODEL}, {AUTO_SUMMARY}"
        argument = search_model_argument
    parser.add_argument(
        "--model",
        type=argument,
        default="mlp",
        metavar="|".join(names) + "|MODULE:FUNCTION",
        help=f"network to {what}: {listed}; or MODULE:FUNCTION, "
        f"{USER_NETWORK.summary} (default: %(default)s)",
    )


# --model auto (search only): every family and preset in one search
AUTO_MODEL = "auto"
AUTO_SUMMARY = "every family and preset in one search (skmnist.auto_search_space)"


def search_model_argument(text):
    """argparse type for search's --model: model_argument's, or 'auto'."""
    return text if text == AUTO_MODEL else model_argument(text)


def model_argument(text):
    """argparse type for --model: a family or preset name, or MODULE:FUNCTION
    (imported later)."""
    from skmnist.models._registry import FAMILIES, PRESETS

    module, sep, name = text.partition(":")
    if text in FAMILIES or text in PRESETS or (sep and module and name):
        return text
    raise argparse.ArgumentTypeError(
        f"expected one of {', '.join([*FAMILIES, *PRESETS])}, or MODULE:FUNCTION "
        f"naming a function that builds a keras.Model; got {text!r}"
    )


def model_family(text):
    """``(family, model)`` of --model: a family or preset name, or an imported
    builder."""
    from skmnist.models._registry import USER_NETWORK, get_family, load_builder

    if ":" not in text:
        return get_family(text), text
    return USER_NETWORK, load_builder(text)
