"""A user's network on skmnist's engine against Keras's ``Model.fit`` and scikeras.

The gallery's residual CNN (``examples/plot_own_network.py``), trained in the same
process on the same MNIST images by three trainers with the same batch size and
optimizer: :class:`skmnist.KerasImageClassifier`, ``keras.Model.fit`` and scikeras's
``KerasClassifier``. Every epoch is timed by a Keras callback (the same callback
in all three); the steady epoch is the median of the epochs after the first (which
traces and builds). Prints the steady epochs, their ratios and each trainer's test
accuracy, and writes JSON to ``benchmarks/results/own_network.json``.

    python benchmarks/bench_own_network.py [--subset 10000] [--epochs 4]

Wall times depend on what else the machine runs: compare ratios from one run.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def residual_cnn():
    """The gallery's builder, read from the example (one definition)."""
    source = (ROOT / "examples" / "plot_own_network.py").read_text()
    start = source.index("import keras")
    end = source.index("mnist = skmnist.load_mnist()")
    namespace = {}
    exec(compile(source[start:end], "plot_own_network.py", "exec"), namespace)  # noqa: S102
    return namespace["residual_cnn"]


def epoch_timer():
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    return EpochTimer()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--output", default=str(ROOT / "benchmarks" / "results" / "own_network.json")
    )
    args = parser.parse_args(argv)

    import keras
    from scikeras.wrappers import KerasClassifier

    import skmnist

    build = residual_cnn()
    mnist = skmnist.load_mnist()
    X = (mnist.X_train[: args.subset] / 255).astype(np.float32)[..., None]
    y = mnist.y_train[: args.subset]
    X_test = (mnist.X_test / 255).astype(np.float32)[..., None]
    y_test = mnist.y_test
    meta = {"X_shape_": X.shape, "n_classes_": 10}
    common = dict(epochs=args.epochs, batch_size=args.batch_size)
    results = {}

    timer = epoch_timer()
    ours = skmnist.KerasImageClassifier(
        build, learning_rate=0.01, random_state=0, callbacks=[timer], **common
    ).fit(X, y)
    results["skmnist"] = (timer.seconds, ours.score(X_test, y_test))

    timer = epoch_timer()
    model = build(meta, seed=0)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(X, y, callbacks=[timer], verbose=0, **common)
    accuracy = float((model.predict(X_test, verbose=0).argmax(1) == y_test).mean())
    results["keras Model.fit"] = (timer.seconds, accuracy)

    def scikeras_build(meta):
        return build(meta, seed=0)

    timer = epoch_timer()
    wrapped = KerasClassifier(
        scikeras_build,
        loss="sparse_categorical_crossentropy",
        optimizer="adam",
        optimizer__learning_rate=0.01,
        callbacks=[timer],
        verbose=0,
        random_state=0,
        **common,
    ).fit(X, y)
    accuracy = float((wrapped.predict(X_test) == y_test).mean())
    results["scikeras KerasClassifier"] = (timer.seconds, accuracy)

    base = statistics.median(results["skmnist"][0][1:])
    report = {}
    print(f"{args.subset} images, {args.epochs} epochs of batches of {args.batch_size}")
    for name, (seconds, accuracy) in results.items():
        steady = statistics.median(seconds[1:])
        report[name] = {
            "epoch_seconds": seconds,
            "steady_epoch": steady,
            "ratio_to_skmnist": steady / base,
            "test_accuracy": accuracy,
        }
        print(
            f"{name:26s} steady epoch {steady:6.2f} s  ({steady / base:4.2f}x skmnist)"
            f"  first {seconds[0]:6.2f} s  test accuracy {accuracy:.4f}"
        )
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
