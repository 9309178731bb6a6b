"""Test accuracy of the default pipeline on each form in which users hold MNIST pixels.

Issue 10, part 2: ``make_mnist_pipeline(random_state=0)`` (the reference MLP, 10
epochs) is trained on the full MNIST training set in each input form and scored on
the test set in the same form; then the contradicting cases (fitted on one scale,
asked to predict another) are run and what they say is printed.

    python benchmarks/bench_input_forms.py [--epochs 10] [--forms uint8,x255-float32]
        [--output benchmarks/results/input_forms.json]

Needs MNIST through :func:`skmnist.load_mnist` (data home, Keras cache or download).
Each fit takes about 15-60 s on 2 cores. Accuracy only: nothing here is timed.
"""

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def _minmax_forms(X_train, X_test, *, clip):
    from sklearn.preprocessing import MinMaxScaler

    scaler = MinMaxScaler(clip=clip)
    train = scaler.fit_transform(X_train.reshape(len(X_train), -1))
    return train, scaler.transform(X_test.reshape(len(X_test), -1))


def _dataframe(X):
    import pandas as pd

    flat = X.reshape(len(X), -1).astype(np.float64)
    # openml's mnist_784 comes as float64 columns pixel1 ... pixel784
    return pd.DataFrame(flat, columns=[f"pixel{i}" for i in range(1, 785)])


# name -> (description, function of (X_train, X_test) returning the two forms)
FORMS = {
    "uint8": ("uint8 (n, 28, 28), as loaded", lambda a, b: (a, b)),
    "float64-255": (
        "float64 0-255 (n, 784), as fetch_openml's arrays",
        lambda a, b: (
            a.reshape(len(a), -1).astype(np.float64),
            b.reshape(len(b), -1).astype(np.float64),
        ),
    ),
    "dataframe-255": (
        "float64 0-255 DataFrame, 784 columns (openml's frame)",
        lambda a, b: (_dataframe(a), _dataframe(b)),
    ),
    "x255-float32": (
        "X / 255, float32",
        lambda a, b: (a.astype(np.float32) / 255, b.astype(np.float32) / 255),
    ),
    "x255-float64": ("X / 255, float64", lambda a, b: (a / 255.0, b / 255.0)),
    "minmax": (
        "MinMaxScaler().fit_transform(X.reshape(n, -1)); test: clip=True",
        lambda a, b: _minmax_forms(a, b, clip=True),
    ),
    "int64": (
        "int64 0-255, X.astype(int)",
        lambda a, b: (a.astype(int), b.astype(int)),
    ),
    "uint16": (
        "uint16 16-bit, X * 257",
        lambda a, b: (a.astype(np.uint16) * 257, b.astype(np.uint16) * 257),
    ),
    "uint16-8bit": (
        "uint16 holding 0-255, X.astype(np.uint16)",
        lambda a, b: (a.astype(np.uint16), b.astype(np.uint16)),
    ),
    "binarized": (
        "0/1 binarized uint8, (X > 127).astype(np.uint8)",
        lambda a, b: ((a > 127).astype(np.uint8), (b > 127).astype(np.uint8)),
    ),
}
DEFAULT_FORMS = list(FORMS)


def _predict_says(pipe, X, y):
    """Accuracy (or the error) and the warnings of ``pipe.score(X, y)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            accuracy, error = pipe.score(X, y), None
        except ValueError as exc:
            accuracy, error = None, f"ValueError: {exc}"
    said = [f"{w.category.__name__}: {w.message}" for w in caught]
    return accuracy, error, said


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--forms", default=",".join(DEFAULT_FORMS))
    parser.add_argument(
        "--train-size", type=int, default=None, help="first N training images only"
    )
    parser.add_argument(
        "--output", type=Path, default=Path("benchmarks/results/input_forms.json")
    )
    args = parser.parse_args(argv)
    forms = [name.strip() for name in args.forms.split(",") if name.strip()]
    unknown = set(forms) - set(FORMS)
    if unknown:
        parser.error(f"unknown forms {sorted(unknown)}; choose from {list(FORMS)}")

    import skmnist

    data = skmnist.load_mnist()
    if args.train_size:  # a quick dry run
        data.X_train = data.X_train[: args.train_size]
        data.y_train = data.y_train[: args.train_size]
    y_train, y_test = data.y_train, data.y_test
    results, fitted = {"epochs": args.epochs, "forms": {}, "contradictions": {}}, {}
    size = f"{len(y_train)} training images" if args.train_size else "full MNIST"
    print(f"make_mnist_pipeline(random_state=0, epochs={args.epochs}), {size}")
    print(f"{'form':<15} {'scale_':>8} {'accuracy':>9} {'fit s':>7}  description")
    for name in forms:
        description, make = FORMS[name]
        X_train, X_test = make(data.X_train, data.X_test)
        pipe = skmnist.make_mnist_pipeline(epochs=args.epochs, random_state=0)
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pipe.fit(X_train, y_train)
        fit_seconds = time.perf_counter() - start
        accuracy, error, said = _predict_says(pipe, X_test, y_test)
        scale = pipe[0].scale_
        shown = f"{accuracy:.4f}" if accuracy is not None else "error"
        print(f"{name:<15} {scale:>8g} {shown:>9} {fit_seconds:>7.1f}  {description}")
        for line in [f"{w.category.__name__}: {w.message}" for w in caught] + said:
            if "Pixel" in line:
                print(f"{'':<15} says: {line}")
        if error:
            print(f"{'':<15} says: {error}")
        results["forms"][name] = {
            "description": description,
            "scale_": scale,
            "test_accuracy": accuracy,
            "error": error,
            "warnings": said,
            "fit_seconds": round(fit_seconds, 1),
        }
        fitted[name] = pipe
        sys.stdout.flush()

    cases = [
        ("uint8", "x255-float32", "fitted on uint8, predict on X / 255 (float32)"),
        ("x255-float32", "uint8", "fitted on X / 255, predict on uint8"),
        ("uint8", "float64-255", "fitted on uint8, predict on float64 0-255 (agrees)"),
    ]
    if "minmax" in fitted:
        forms_no_clip = _minmax_forms(data.X_train, data.X_test, clip=False)
        FORMS["minmax-noclip"] = ("", lambda a, b: forms_no_clip)
        cases.append(
            ("minmax", "minmax-noclip", "MinMaxScaler without clip (test pixels > 1)")
        )
    print("\ncontradicting cases")
    for fit_form, test_form, description in cases:
        if fit_form not in fitted:
            continue
        _, X_test = FORMS[test_form][1](data.X_train, data.X_test)
        accuracy, error, said = _predict_says(fitted[fit_form], X_test, y_test)
        shown = f"{accuracy:.4f}" if accuracy is not None else "error"
        print(f"- {description}: accuracy {shown}")
        for line in said + ([error] if error else []):
            print(f"    says: {line}")
        results["contradictions"][description] = {
            "test_accuracy": accuracy,
            "error": error,
            "warnings": said,
        }

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2))
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
