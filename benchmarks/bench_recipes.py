"""Accuracy per minute: each recipe's test accuracy against its wall-clock fit time.

Every row is a full fit of a pipeline on the official training set (60,000
images), scored on the official test set, once per seed (``--seeds``, default
0 1 2); the fit time is the wall time of ``pipeline.fit``, graph tracing
included. The rows, in one run:

- **baselines**: the reference MLP and the default CNN (both at their defaults);
- **presets** (:data:`skmnist.models.PRESETS`): ``cnn-fast`` (time to 99%),
  ``cnn-strong`` and ``cnn-strong-bf16`` (MNIST and Fashion-MNIST) and
  ``mlp-strong`` (the dense
  network's recipe: 1024 x 1024 units with augmentation and the one-cycle
  schedule, 30 epochs);
- **ingredients alone**: the default CNN with one recipe ingredient switched on
  (augmentation, the one-cycle schedule, label smoothing, batch normalisation,
  weight decay, bfloat16), so each one's gain and cost can be read against the
  default CNN's row;
- **Keras side by side**: the ``cnn-strong`` network and recipe trained by
  Keras's own ``Model.fit``, with Keras's preprocessing layers for the
  transforms the preset uses (``RandomTranslation``; ``RandomRotation`` and
  ``RandomZoom`` when it rotates or zooms), against skmnist's engine: the
  steady epoch of each, taking turns (``--rounds``), and the ratio (issue
  20's goal: skmnist's augmented epoch <= 0.8x Keras's).

Prints a table (mean, spread and each seed), the goals of issue 20 met or not,
and writes JSON to ``benchmarks/results/recipes.json`` and the picture of
accuracy against minutes to ``benchmarks/results/recipes.png`` (the performance
page shows a copy). ``--only LABEL ...`` runs some rows; ``--quick`` trains
every row for one epoch on 6,000 images (a smoke test, about 2 minutes).

    python benchmarks/bench_recipes.py [--seeds 0 1 2] [--only ...] [--quick]

The full run takes about 90 minutes on 2 cores. Wall times depend on what else
the machine runs: the load average is recorded with every fit.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

# the ingredients alone, each on the default CNN (10 epochs, batch 128, Adam 1e-3)
AUGMENTATION = {"shift_range": 2.0, "rotation_range": 10.0, "zoom_range": 0.1}

ROWS = [
    # label, group, model (family or preset), extra parameters, dataset
    ("reference MLP", "baseline", "mlp", {}, "mnist"),
    ("default CNN", "baseline", "cnn", {}, "mnist"),
    ("cnn-fast", "preset", "cnn-fast", {}, "mnist"),
    ("cnn-strong", "preset", "cnn-strong", {}, "mnist"),
    ("mlp-strong", "preset", "mlp-strong", {}, "mnist"),
    ("cnn-strong, Fashion-MNIST", "preset", "cnn-strong", {}, "fashion-mnist"),
    ("cnn-strong-bf16", "preset", "cnn-strong-bf16", {}, "mnist"),
    (
        "cnn-strong-bf16, Fashion-MNIST",
        "preset",
        "cnn-strong-bf16",
        {},
        "fashion-mnist",
    ),
    ("default CNN, Fashion-MNIST", "baseline", "cnn", {}, "fashion-mnist"),
    ("CNN + augmentation", "ingredient", "cnn", AUGMENTATION, "mnist"),
    (
        "CNN + one-cycle (lr 3e-3)",
        "ingredient",
        "cnn",
        {"learning_rate_schedule": "one-cycle", "learning_rate": 0.003},
        "mnist",
    ),
    (
        "CNN + label smoothing 0.1",
        "ingredient",
        "cnn",
        {"label_smoothing": 0.1},
        "mnist",
    ),
    (
        "CNN + batch normalisation",
        "ingredient",
        "cnn",
        {"batch_normalization": True},
        "mnist",
    ),
    (
        "CNN + weight decay (AdamW 1e-4)",
        "ingredient",
        "cnn",
        {"optimizer": "adamw", "weight_decay": 1e-4},
        "mnist",
    ),
    (
        "CNN + bfloat16",
        "ingredient",
        "cnn",
        {"dtype_policy": "mixed_bfloat16"},
        "mnist",
    ),
    (
        "cnn-strong + bfloat16",
        "ingredient",
        "cnn-strong",
        {"dtype_policy": "mixed_bfloat16"},
        "mnist",
    ),
]

GOALS = [
    # (what, row label, accuracy at least, minutes at most)
    ("part 3: >= 99.5% MNIST in <= 5 min", "cnn-strong", 0.995, 5.0),
    ("part 3 stretch: >= 99.6% MNIST in <= 10 min", "cnn-strong", 0.996, 10.0),
    (
        "part 3: >= 93.0% Fashion-MNIST, same recipe",
        "cnn-strong, Fashion-MNIST",
        0.930,
        5.0,
    ),
    ("part 3 (bfloat16): >= 99.5% MNIST in <= 5 min", "cnn-strong-bf16", 0.995, 5.0),
    (
        "part 3 (bfloat16): >= 93.0% Fashion-MNIST, same recipe",
        "cnn-strong-bf16, Fashion-MNIST",
        0.930,
        5.0,
    ),
    ("part 3: dense, >= 99.0% in <= 10 min", "mlp-strong", 0.990, 10.0),
    ("part 4: >= 99.0% in <= 20 s", "cnn-fast", 0.990, 20 / 60),
    ("part 4 stretch: >= 99.0% in <= 15 s", "cnn-fast", 0.990, 15 / 60),
]


def load(dataset, quick):
    import skmnist

    data = (skmnist.load_mnist if dataset == "mnist" else skmnist.load_fashion_mnist)()
    X, y = data.X_train, data.y_train
    if quick:
        X, y = X[:6000], y[:6000]
    return X, y, data.X_test, data.y_test


def fit_row(model, params, dataset, seed, quick, cache):
    from skmnist import make_mnist_pipeline

    if dataset not in cache:
        cache[dataset] = load(dataset, quick)
    X, y, X_test, y_test = cache[dataset]
    pipe = make_mnist_pipeline(model=model, random_state=seed, **params)
    if quick:
        pipe.set_params(classifier__epochs=1)
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    pipe.fit(X, y)
    seconds = time.perf_counter() - start
    clf = pipe[-1]
    return {
        "seed": seed,
        "accuracy": float(pipe.score(X_test, y_test)),
        "fit_s": seconds,
        "epochs": int(clf.n_iter_),
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }


def summarise(runs):
    acc = [r["accuracy"] for r in runs]
    sec = [r["fit_s"] for r in runs]
    return {
        "accuracy_mean": statistics.fmean(acc),
        "accuracy_std": statistics.pstdev(acc),
        "accuracy_min": min(acc),
        "accuracy_max": max(acc),
        "fit_s_mean": statistics.fmean(sec),
        "fit_s_min": min(sec),
        "fit_s_max": max(sec),
    }


# --- Keras's Model.fit with preprocessing layers, side by side -------------------
def keras_recipe_model(seed):
    """The cnn-strong network behind Keras's augmentation layers, compiled as
    cnn-strong trains (Adam, one-cycle over the same steps, label smoothing)."""
    import keras

    from skmnist._network import make_schedule
    from skmnist.models._registry import PRESETS
    from skmnist.models.cnn import build_cnn

    p = PRESETS["cnn-strong"].estimator_params()
    # every architecture parameter of the preset, at build_cnn's defaults otherwise
    arch = ("filters", "kernel_size", "padding", "dense_units", "dropout")
    arch += ("batch_normalization",)
    net = build_cnn(
        (28, 28, 1), 10, seed=seed, **{name: p[name] for name in arch if name in p}
    )
    # the preset's augmentation, one Keras layer per transform it uses
    shift = p.get("shift_range", 0) / 28
    layers = []
    if shift:
        layers.append(
            keras.layers.RandomTranslation(
                shift, shift, fill_mode="constant", seed=seed
            )
        )
    if p.get("rotation_range", 0):
        layers.append(
            keras.layers.RandomRotation(
                p["rotation_range"] / 360, fill_mode="constant", seed=seed + 1
            )
        )
    if p.get("zoom_range", 0):
        layers.append(
            keras.layers.RandomZoom(
                p["zoom_range"], fill_mode="constant", seed=seed + 2
            )
        )
    augment = keras.Sequential(layers, name="augment")
    inputs = keras.Input((28, 28, 1))
    model = keras.Model(inputs, net(augment(inputs)))
    batch = p.get("batch_size", 128)
    steps = p["epochs"] * -(-60000 // batch)
    model.compile(
        optimizer=keras.optimizers.Adam(
            make_schedule(p["learning_rate_schedule"], p["learning_rate"], steps)
        ),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=p["label_smoothing"]),
        metrics=["accuracy"],
    )
    return model, batch


def bench_keras_epochs(rounds, epochs, quick, cache):
    """Steady augmented epochs of skmnist's engine and of Keras's Model.fit."""
    import keras
    from bench_own_network import epoch_timer  # the same timer (this folder)

    from skmnist import make_mnist_pipeline

    if "mnist" not in cache:
        cache["mnist"] = load("mnist", quick)
    X, y, _, _ = cache["mnist"]
    x_keras = (X.astype(np.float32) / 255.0)[..., None]
    y_onehot = keras.utils.to_categorical(y, 10)
    times = {"skmnist": [], "keras": []}
    for r in range(rounds):
        timer = epoch_timer()
        pipe = make_mnist_pipeline(
            model="cnn-strong", random_state=r, epochs=epochs, callbacks=[timer]
        )
        pipe.fit(X, y)
        times["skmnist"].extend(timer.seconds[1:])  # the first traces
        timer = epoch_timer()
        model, batch = keras_recipe_model(r)
        model.fit(
            x_keras,
            y_onehot,
            batch_size=batch,
            epochs=epochs,
            callbacks=[timer],
            verbose=0,
        )
        times["keras"].extend(timer.seconds[1:])
    ours = statistics.median(times["skmnist"])
    theirs = statistics.median(times["keras"])
    return {
        "epochs_per_round": epochs,
        "rounds": rounds,
        "skmnist_epochs_s": times["skmnist"],
        "keras_epochs_s": times["keras"],
        "skmnist_steady_epoch_s": ours,
        "keras_steady_epoch_s": theirs,
        "ratio": ours / theirs,
    }


# --- report --------------------------------------------------------------------------
def machine():
    import keras
    import sklearn
    import tensorflow as tf

    flags = set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                flags = set(line.split(":")[1].split())
                break
    except OSError:
        pass
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "bf16_units": sorted(flags & {"avx512_bf16", "amx_bf16"}),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "scikit-learn": sklearn.__version__,
    }


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    markers = {"baseline": "s", "preset": "*", "ingredient": "o"}
    for row in results["rows"]:
        if row["dataset"] != "mnist":
            continue
        s = row["summary"]
        minutes = s["fit_s_mean"] / 60
        ax.errorbar(
            minutes,
            100 * s["accuracy_mean"],
            yerr=[
                [100 * (s["accuracy_mean"] - s["accuracy_min"])],
                [100 * (s["accuracy_max"] - s["accuracy_mean"])],
            ],
            xerr=[
                [(s["fit_s_mean"] - s["fit_s_min"]) / 60],
                [(s["fit_s_max"] - s["fit_s_mean"]) / 60],
            ],
            fmt=markers[row["group"]],
            markersize=12 if row["group"] == "preset" else 7,
            capsize=2,
            label=row["label"],
        )
    ax.set_xscale("log")
    ax.set_xlabel("wall-clock fit time (minutes, log scale)")
    ax.set_ylabel("MNIST test accuracy (%)")
    ax.set_title(
        f"Accuracy per minute on {results['machine']['cores']} CPU cores "
        f"(mean of {len(results['seeds'])} seeds, bars: min-max)"
    )
    ax.axhline(99.0, color="grey", linewidth=0.5)
    ax.axhline(99.5, color="grey", linewidth=0.5)
    ax.legend(fontsize="small", loc="lower right")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def print_table(results):
    print(f"\n{'row':34} {'dataset':14} {'accuracy (mean ± sd) [min-max]':36} fit time")
    for row in results["rows"]:
        s = row["summary"]
        print(
            f"{row['label']:34} {row['dataset']:14} "
            f"{100 * s['accuracy_mean']:6.2f}% ± {100 * s['accuracy_std']:.2f} "
            f"[{100 * s['accuracy_min']:.2f}-{100 * s['accuracy_max']:.2f}]"
            f"{'':8} {s['fit_s_mean']:6.1f} s "
            f"[{s['fit_s_min']:.1f}-{s['fit_s_max']:.1f}]"
        )
    keras_side = results.get("keras_side_by_side")
    if keras_side:
        print(
            f"\naugmented epoch of cnn-strong: skmnist "
            f"{keras_side['skmnist_steady_epoch_s']:.2f} s, Keras Model.fit "
            f"{keras_side['keras_steady_epoch_s']:.2f} s, ratio "
            f"{keras_side['ratio']:.2f}x (goal <= 0.8x)"
        )
    by_label = {row["label"]: row["summary"] for row in results["rows"]}
    print()
    if results["quick"]:
        print("--quick: a smoke test; the goals are judged on full runs only")
        return
    for what, label, accuracy, minutes in GOALS:
        s = by_label.get(label)
        if s is None:
            continue
        met = s["accuracy_mean"] >= accuracy and s["fit_s_mean"] <= 60 * minutes
        print(
            f"{'MET   ' if met else 'NOT MET'} {what}: {label} "
            f"{100 * s['accuracy_mean']:.2f}% in {s['fit_s_mean']:.1f} s"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--only", nargs="+", metavar="LABEL", help="rows to run (default: all)"
    )
    parser.add_argument("--no-keras", action="store_true", help="skip the Keras rows")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="smoke test")
    parser.add_argument("--output", default=str(HERE / "results" / "recipes.json"))
    args = parser.parse_args(argv)

    rows = [r for r in ROWS if args.only is None or r[0] in args.only]
    unknown = set(args.only or ()) - {r[0] for r in ROWS}
    if unknown:
        parser.error(f"unknown rows {sorted(unknown)}; rows: {[r[0] for r in ROWS]}")
    results = {
        "machine": machine(),
        "seeds": args.seeds,
        "quick": args.quick,
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "rows": [],
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    cache = {}
    for label, group, model, params, dataset in rows:
        runs = []
        for seed in args.seeds:
            run = fit_row(model, params, dataset, seed, args.quick, cache)
            runs.append(run)
            print(
                f"{label} [{dataset}] seed {seed}: {100 * run['accuracy']:.2f}% in "
                f"{run['fit_s']:.1f} s ({run['epochs']} epochs, load "
                f"{run['load_before']:.1f}-{run['load_after']:.1f})",
                flush=True,
            )
        results["rows"].append(
            {
                "label": label,
                "group": group,
                "model": model,
                "params": params,
                "dataset": dataset,
                "runs": runs,
                "summary": summarise(runs),
            }
        )
        output.write_text(json.dumps(results, indent=1))  # keep what is done
    # the Keras comparison times cnn-strong's epoch: with every row, or with its row
    if not args.no_keras and (args.only is None or "cnn-strong" in args.only):
        results["keras_side_by_side"] = bench_keras_epochs(
            args.rounds, 2 if args.quick else 3, args.quick, cache
        )
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    output.write_text(json.dumps(results, indent=1))
    print_table(results)
    picture = output.with_suffix(".png")
    plot(results, picture)
    print(f"\nwrote {output} and {picture}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
