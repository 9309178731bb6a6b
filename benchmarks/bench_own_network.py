"""A user's network on skmnist's engine against Keras's ``Model.fit`` and scikeras.

The gallery's residual CNN (``examples/plot_own_network.py``), trained in the same
process on the same MNIST images by three trainers with the same batch size and
optimizer: :class:`skmnist.KerasImageClassifier`, ``keras.Model.fit`` and scikeras's
``KerasClassifier``. Every epoch is timed by a Keras callback (the same callback
in all three); the trainers take turns, ``--rounds`` times, and the steady epoch is
the median of every epoch but each run's first (which traces and builds). Prints
the steady epochs, their ratios and each trainer's test accuracy, and writes JSON
to ``benchmarks/results/own_network.json``.

    python benchmarks/bench_own_network.py [--subset 10000] [--epochs 4] [--rounds 3]

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
    parser.add_argument("--rounds", type=int, default=3)
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

    def ours():
        timer = epoch_timer()
        clf = skmnist.KerasImageClassifier(
            build, learning_rate=0.01, random_state=0, callbacks=[timer], **common
        ).fit(X, y)
        return timer.seconds, clf.score(X_test, y_test)

    def keras_fit():
        timer = epoch_timer()
        model = build(meta, seed=0)
        model.compile(
            optimizer=keras.optimizers.Adam(0.01),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        model.fit(X, y, callbacks=[timer], verbose=0, **common)
        predicted = model.predict(X_test, verbose=0).argmax(1)
        return timer.seconds, float((predicted == y_test).mean())

    def scikeras_build(meta):
        return build(meta, seed=0)

    def scikeras_fit():
        timer = epoch_timer()
        clf = KerasClassifier(
            scikeras_build,
            loss="sparse_categorical_crossentropy",
            optimizer="adam",
            optimizer__learning_rate=0.01,
            callbacks=[timer],
            verbose=0,
            random_state=0,
            **common,
        ).fit(X, y)
        return timer.seconds, float((clf.predict(X_test) == y_test).mean())

    trainers = {
        "skmnist": ours,
        "keras Model.fit": keras_fit,
        "scikeras KerasClassifier": scikeras_fit,
    }
    # round robin: a busy spell of the machine hits every trainer alike
    results = {name: ([], []) for name in trainers}
    for _ in range(args.rounds):
        for name, train in trainers.items():
            seconds, accuracy = train()
            results[name][0].append(seconds)
            results[name][1].append(accuracy)

    def steady(runs):  # every epoch but each run's first (tracing, building)
        return statistics.median(t for seconds in runs for t in seconds[1:])

    base = steady(results["skmnist"][0])
    report = {}
    print(
        f"{args.subset} images, {args.rounds} rounds of {args.epochs} epochs of "
        f"batches of {args.batch_size}"
    )
    for name, (runs, accuracies) in results.items():
        epoch = steady(runs)
        report[name] = {
            "epoch_seconds": runs,
            "steady_epoch": epoch,
            "ratio_to_skmnist": epoch / base,
            "test_accuracy": accuracies,
        }
        print(
            f"{name:26s} steady epoch {epoch:6.2f} s  ({epoch / base:4.2f}x skmnist)"
            f"  test accuracy {statistics.median(accuracies):.4f}"
        )
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
