"""Speed, memory and start-up of skmnist against its references, side by side.

    python benchmarks/run.py [--quick] [--repeats N] [--only {all,mlp,cnn}]
                             [--cnn-subset N]
                             [--output benchmarks/results/latest.json]

Measures the goals of issue 6 in one run, so that every ratio compares figures taken
under the same machine load:

1. training: steady epoch time of the skmnist classifier, the reference notebook's
   plain Keras code (float64 ``x / 255.0``, ``model.fit(..., batch_size=128)``) and
   scikit-learn's ``MLPClassifier((256, 128))`` on float32 input, one epoch of each
   in turn (round robin), so that load changes hit all three alike;
2. prediction: the fitted skmnist pipeline and a plain scikeras ``KerasClassifier``
   with the same network behind the same flattener, on 1 and on 10,000 images;
3. memory: peak resident memory (VmHWM) of a full default pipeline fit, and of the
   notebook's code, each in a fresh subprocess; those runs also give the test
   accuracy and the end-to-end fit time. A third subprocess traces NumPy's
   allocations (tracemalloc) through a one-epoch fit: a float64 copy of the
   training set alone would be 376 MB;
4. start-up: ``python -c "import skmnist"`` and ``skmnist --help`` in subprocesses;
5. many fits: 20 fits of the pipeline in one process (subprocess), time and RSS of
   each;
6. the convolutional network (issue 11): steady epoch time of
   ``KerasCNNClassifier`` against the same network (Keras's "simple MNIST convnet")
   trained by Keras's own ``Model.fit``, round robin; one-image ``predict`` of the
   CNN pipeline; and, in a subprocess, a full default ``make_mnist_pipeline(
   model="cnn")`` fit: its time and test accuracy. ``--only cnn`` runs these rows
   alone, ``--only mlp`` everything else; ``--cnn-subset N`` trains the CNN rows on
   the first N images (a smoke test; the accuracy and fit-time targets then do not
   apply).

Data come from ``skmnist.load_mnist()`` (set SKMNIST_DATA_HOME). Figures are medians
with min and max over the repeats. Timings on a shared 2-core machine are noisy:
read the ratios, and the load average printed with them.
"""

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

HERE = Path(__file__).resolve().parent
N_PREDICT = 10_000


# --- helpers ----------------------------------------------------------------------
def summary(values):
    values = [float(v) for v in values]
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
        "values": values,
    }


def run_python(code, timeout=900):
    """Run code in a fresh interpreter; it prints one JSON line last."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"subprocess failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def wall_time(argv, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return summary(times)


def machine():
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import keras
    import scikeras
    import sklearn
    import tensorflow as tf
    from threadpoolctl import threadpool_info

    blas = [
        f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}"
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "gpu": [d.name for d in tf.config.list_physical_devices("GPU")] or "none",
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "scikit-learn": sklearn.__version__,
        "scikeras": scikeras.__version__,
        "numpy": np.__version__,
        "blas": blas,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
    }


def reference_network():
    """The notebook's model, exactly: Dense 256 relu, Dropout .2, Dense 128, softmax."""
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


# --- 1. training ------------------------------------------------------------------
def bench_training(data, rounds):
    import keras
    from sklearn.neural_network import MLPClassifier

    from skmnist import ImageFlattener, KerasMLPClassifier

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.last = time.perf_counter() - self.start

    X = ImageFlattener().fit_transform(data.X_train)  # float32
    y = data.y_train
    classes = np.unique(y)
    x_notebook = data.X_train.reshape(len(y), -1) / 255.0  # the notebook's float64

    notebook, notebook_timer = reference_network(), EpochTimer()
    ours_timer = EpochTimer()
    ours = KerasMLPClassifier(random_state=0, callbacks=[ours_timer])
    mlp = MLPClassifier((256, 128), batch_size=128, random_state=0)

    def notebook_epoch():
        notebook.fit(
            x_notebook,
            y,
            epochs=1,
            batch_size=128,
            verbose=0,
            callbacks=[notebook_timer],
        )
        return notebook_timer.last

    def ours_epoch():
        ours.partial_fit(X, y, classes=classes)
        return ours_timer.last

    def mlp_epoch():
        start = time.perf_counter()
        mlp.partial_fit(X, y, classes=classes)
        return time.perf_counter() - start

    contenders = {
        "skmnist": ours_epoch,
        "notebook_keras": notebook_epoch,
        "mlp": mlp_epoch,
    }
    times = {name: [] for name in contenders}
    for r in range(rounds):
        for name, epoch in contenders.items():
            times[name].append(epoch())
        print(
            f"  epoch {r + 1}/{rounds}: "
            + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()),
            flush=True,
        )
    # the first epoch traces graphs (Keras) or allocates (sklearn): steady = the rest
    result = {name: summary(t[1:]) for name, t in times.items()}
    result["first_epoch"] = {name: t[0] for name, t in times.items()}
    return result, ours


# --- 2. prediction ----------------------------------------------------------------
def bench_prediction(data, fitted, repeats, quick):
    import keras
    from scikeras.wrappers import KerasClassifier
    from sklearn.pipeline import Pipeline

    from skmnist import ImageFlattener

    flattener = ImageFlattener().fit(data.X_train[:10])
    ours = Pipeline([("flatten", flattener), ("classifier", fitted)])

    def build():
        return reference_network()

    scikeras = Pipeline(
        [
            ("flatten", ImageFlattener()),
            (
                "classifier",
                KerasClassifier(
                    model=build, epochs=1, batch_size=128, verbose=0, random_state=0
                ),
            ),
        ]
    )
    scikeras.fit(data.X_train[:6000], data.y_train[:6000])
    keras.utils.disable_interactive_logging()

    one, many = data.X_test[:1], data.X_test[:N_PREDICT]
    np.testing.assert_array_equal(
        ours.predict(many[:100]), fitted.predict(flattener.transform(many[:100]))
    )
    n_one = 50 if quick else 200
    n_one_scikeras = 5 if quick else 20

    def time_calls(fn, x, n):
        fn(x)  # warm-up (traces on first use)
        out = []
        for _ in range(n):
            start = time.perf_counter()
            fn(x)
            out.append(time.perf_counter() - start)
        return out

    result = {}
    for name, pipe, n in (
        ("skmnist", ours, n_one),
        ("scikeras", scikeras, n_one_scikeras),
    ):
        result[f"{name}_predict_one"] = summary(time_calls(pipe.predict, one, n))
        result[f"{name}_predict_proba_one"] = summary(
            time_calls(pipe.predict_proba, one, n)
        )
    # where one image's time goes in skmnist
    flat_one = flattener.transform(one)
    result["skmnist_flatten_one"] = summary(time_calls(flattener.transform, one, n_one))
    result["skmnist_classifier_proba_one"] = summary(
        time_calls(fitted.predict_proba, flat_one, n_one)
    )
    network = fitted._network()
    result["skmnist_compiled_call_one"] = summary(
        time_calls(network.predict, flat_one, n_one)
    )
    # 10,000 images: interleaved repeats
    batch = {"skmnist": [], "scikeras": [], "skmnist_proba": [], "scikeras_proba": []}
    ours.predict(many), scikeras.predict(many)
    for _ in range(repeats):
        for name, pipe in (("skmnist", ours), ("scikeras", scikeras)):
            start = time.perf_counter()
            pipe.predict(many)
            batch[name].append(time.perf_counter() - start)
            start = time.perf_counter()
            pipe.predict_proba(many)
            batch[f"{name}_proba"].append(time.perf_counter() - start)
    for name, values in batch.items():
        key = name.replace("_proba", "")
        suffix = "predict_proba" if name.endswith("_proba") else "predict"
        result[f"{key}_{suffix}_{N_PREDICT}"] = summary(values)
    return result


# --- 3. memory, accuracy, end-to-end fit ------------------------------------------
PEAK = """
def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""

MEMORY_SKMNIST = (
    PEAK
    + """
import json, time
import skmnist
data = skmnist.load_mnist()
start = time.perf_counter()
pipe = skmnist.make_mnist_pipeline(random_state=0, epochs={epochs}).fit(
    data.X_train, data.y_train)
fit = time.perf_counter() - start
peak = peak_mb()
print(json.dumps({{"peak_mb": peak, "fit_s": fit,
    "accuracy": pipe.score(data.X_test, data.y_test)}}))
"""
)

MEMORY_NOTEBOOK = (
    PEAK
    + """
import json, sys, time
sys.path.insert(0, {here!r})
from run import reference_network
import skmnist
data = skmnist.load_mnist()
x_train = data.X_train.reshape(60000, 784)
x_test = data.X_test.reshape(10000, 784)
start = time.perf_counter()
model = reference_network()
model.fit(x_train / 255.0, data.y_train, epochs={epochs}, batch_size=128, verbose=0)
fit = time.perf_counter() - start
peak = peak_mb()
accuracy = model.evaluate(x_test / 255.0, data.y_test, verbose=0)[1]
print(json.dumps({{"peak_mb": peak, "fit_s": fit, "accuracy": accuracy}}))
"""
)

NUMPY_PEAK = """
import json, tracemalloc
import skmnist
data = skmnist.load_mnist()
pipe = skmnist.make_mnist_pipeline(random_state=0, epochs=1, early_stopping={es})
import tensorflow  # imported before tracing starts: its own start-up is not data
tracemalloc.start()
base = tracemalloc.get_traced_memory()[0]
pipe.fit(data.X_train, data.y_train)
peak = tracemalloc.get_traced_memory()[1] - base
print(json.dumps({{"numpy_peak_mb": peak / 2**20}}))
"""


def bench_memory(epochs):
    result = {
        "skmnist": run_python(MEMORY_SKMNIST.format(epochs=epochs)),
        "notebook_keras": run_python(
            MEMORY_NOTEBOOK.format(epochs=epochs, here=str(HERE))
        ),
    }
    for es in (False, True):
        key = "numpy_peak" + ("_early_stopping" if es else "")
        result[key] = run_python(NUMPY_PEAK.format(es=es))["numpy_peak_mb"]
    result["float64_dataset_mb"] = 60000 * 784 * 8 / 2**20
    result["float32_dataset_mb"] = 60000 * 784 * 4 / 2**20
    return result


# --- 5. many fits -----------------------------------------------------------------
MANY_FITS = """
import gc, json, time
import skmnist
data = skmnist.load_mnist()
X, y = data.X_train[:{n}], data.y_train[:{n}]
def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
times, cpu, rss, objects = [], [], [], []
for i in range({fits}):
    start, start_cpu = time.perf_counter(), time.process_time()
    pipe = skmnist.make_mnist_pipeline(random_state=i, epochs={epochs}).fit(X, y)
    pipe.predict(X[:10])
    times.append(time.perf_counter() - start)
    cpu.append(time.process_time() - start_cpu)
    del pipe
    gc.collect()
    rss.append(rss_mb())
    objects.append(len(gc.get_objects()))
print(json.dumps({{"fit_s": times, "cpu_s": cpu, "rss_mb": rss,
                  "gc_objects": objects}}))
"""


def bench_many_fits(fits, n, epochs):
    return run_python(MANY_FITS.format(fits=fits, n=n, epochs=epochs))


# --- 6. the convolutional network (issue 11) -------------------------------------
def reference_cnn():
    """Keras's "simple MNIST convnet" example, layer for layer, as Keras writes it.

    Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, relu) -> MaxPooling2D(2)
    -> Flatten -> Dropout(0.5) -> Dense(10, softmax): 34,826 parameters, the
    network behind the default :class:`skmnist.KerasCNNClassifier`.
    """
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            keras.layers.MaxPooling2D(pool_size=(2, 2)),
            keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            keras.layers.MaxPooling2D(pool_size=(2, 2)),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def bench_cnn_training(data, rounds, n_train):
    """Round robin: one epoch of the CNN classifier, one of Keras's ``Model.fit``."""
    import keras

    from skmnist import KerasCNNClassifier
    from skmnist.preprocessing import ImageReshaper

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.last = time.perf_counter() - self.start

    X = ImageReshaper().fit_transform(data.X_train[:n_train])  # float32 (n, 28, 28, 1)
    y = data.y_train[:n_train]
    classes = np.unique(data.y_train)
    # Keras's example: x.astype("float32") / 255, then a trailing channel axis
    x_keras = np.expand_dims(data.X_train[:n_train].astype("float32") / 255, -1)

    keras_model, keras_timer = reference_cnn(), EpochTimer()
    ours_timer = EpochTimer()
    ours = KerasCNNClassifier(random_state=0, callbacks=[ours_timer])

    def keras_epoch():
        keras_model.fit(
            x_keras, y, epochs=1, batch_size=128, verbose=0, callbacks=[keras_timer]
        )
        return keras_timer.last

    def ours_epoch():
        ours.partial_fit(X, y, classes=classes)
        return ours_timer.last

    contenders = {"skmnist_cnn": ours_epoch, "keras_fit_cnn": keras_epoch}
    times = {name: [] for name in contenders}
    for r in range(rounds):
        for name, epoch in contenders.items():
            times[name].append(epoch())
        print(
            f"  CNN epoch {r + 1}/{rounds}: "
            + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()),
            flush=True,
        )
    result = {name: summary(t[1:]) for name, t in times.items()}
    result["first_epoch"] = {name: t[0] for name, t in times.items()}
    result["n_train"] = len(y)
    result["parameters"] = {
        "skmnist_cnn": ours.model_.count_params(),
        "keras_fit_cnn": keras_model.count_params(),
    }
    return result, ours


def bench_cnn_prediction(data, fitted, quick):
    from sklearn.pipeline import Pipeline

    from skmnist.preprocessing import ImageReshaper

    pipe = Pipeline(
        [("reshape", ImageReshaper().fit(data.X_train[:10])), ("classifier", fitted)]
    )
    one = data.X_test[:1]
    n = 50 if quick else 200
    result = {}
    for name, fn in (("predict", pipe.predict), ("predict_proba", pipe.predict_proba)):
        fn(one)  # warm-up: traces the prediction function
        times = []
        for _ in range(n):
            start = time.perf_counter()
            fn(one)
            times.append(time.perf_counter() - start)
        result[f"skmnist_cnn_{name}_one"] = summary(times)
    return result


CNN_FIT = (
    PEAK
    + """
import json, time
import skmnist
data = skmnist.load_mnist()
X, y = data.X_train[:{n_train}], data.y_train[:{n_train}]
start = time.perf_counter()
pipe = skmnist.make_mnist_pipeline(model="cnn", random_state=0, epochs={epochs})
pipe.fit(X, y)
fit = time.perf_counter() - start
print(json.dumps({{"fit_s": fit, "peak_mb": peak_mb(), "epochs": {epochs},
    "n_iter": int(pipe[-1].n_iter_), "n_train": len(y),
    "accuracy": pipe.score(data.X_test, data.y_test)}}))
"""
)


def bench_cnn(data, repeats, quick, n_train, epochs):
    print(
        f"CNN training: {repeats + 1} epochs of each on {n_train} images, "
        "round robin ...",
        flush=True,
    )
    result = {}
    result["training"], fitted = bench_cnn_training(data, repeats + 1, n_train)
    print("CNN prediction ...", flush=True)
    result["prediction"] = bench_cnn_prediction(data, fitted, quick)
    del fitted
    gc.collect()
    print(
        f"CNN accuracy: a full default fit of {epochs} epochs in a subprocess ...",
        flush=True,
    )
    result["fit"] = run_python(
        CNN_FIT.format(n_train=n_train, epochs=epochs), timeout=1800
    )
    return result


def cnn_goals(results):
    c = results["cnn"]
    t, p, f = c["training"], c["prediction"], c["fit"]
    full = f["n_train"] == 60000 and f["epochs"] == 10
    rows = []

    def row(goal, figure, ratio, target, met):
        rows.append(
            {
                "goal": goal,
                "figure": figure,
                "ratio": ratio,
                "target": target,
                "met": met,
            }
        )

    r = t["skmnist_cnn"]["median"] / t["keras_fit_cnn"]["median"]
    row(
        f"6 CNN epoch vs Keras Model.fit ({t['n_train']} images)",
        f"{fmt(t['skmnist_cnn'])} vs {fmt(t['keras_fit_cnn'])}",
        r,
        "<= 0.8x",
        r <= 0.8,
    )
    label = "" if full else f" ({f['n_train']} images, {f['epochs']} epochs)"
    row(
        "6 CNN test accuracy" + label,
        f"{f['accuracy']:.4f}",
        f["accuracy"],
        ">= 0.991" + ("" if full else " (full run only)"),
        f["accuracy"] >= 0.991,
    )
    row(
        "6 CNN full default fit" + label,
        f"{f['fit_s']:.1f} s (peak RSS {f['peak_mb']:.0f} MB)",
        f["fit_s"] / 240,
        "< 240 s",
        f["fit_s"] < 240,
    )
    for kind in ("predict", "predict_proba"):
        one = p[f"skmnist_cnn_{kind}_one"]
        row(
            f"6 CNN {kind}, 1 image",
            fmt(one, 1e3, "ms"),
            one["median"] / 2e-3,
            "< 2 ms",
            one["median"] < 2e-3,
        )
    return rows


# --- report -----------------------------------------------------------------------
def fmt(s, scale=1.0, unit="s", digits=3):
    return (
        f"{s['median'] * scale:.{digits}f} {unit} "
        f"[{s['min'] * scale:.{digits}f}-{s['max'] * scale:.{digits}f}]"
    )


def goals(results):
    t, p, m = results["training"], results["prediction"], results["memory"]
    s, mf = results["startup"], results["many_fits"]
    ours = t["skmnist"]["median"]
    rows = []

    def row(goal, figure, ratio, target, met):
        rows.append(
            {
                "goal": goal,
                "figure": figure,
                "ratio": ratio,
                "target": target,
                "met": met,
            }
        )

    r = ours / t["notebook_keras"]["median"]
    row(
        "1 epoch vs notebook Keras",
        f"{fmt(t['skmnist'])} vs {fmt(t['notebook_keras'])}",
        r,
        "<= 0.6x",
        r <= 0.6,
    )
    r = ours / t["mlp"]["median"]
    row(
        "1 epoch vs MLPClassifier",
        f"{fmt(t['skmnist'])} vs {fmt(t['mlp'])}",
        r,
        "<= 1.0x",
        r <= 1.0,
    )
    acc, ref_acc = m["skmnist"]["accuracy"], m["notebook_keras"]["accuracy"]
    if results["quick"]:  # 2 epochs: only the comparison with the notebook means much
        row(
            "1 test accuracy (2 epochs)",
            f"{acc:.4f} vs notebook {ref_acc:.4f}",
            acc - ref_acc,
            ">= notebook - 0.005",
            acc >= ref_acc - 0.005,
        )
    else:
        row(
            "1 test accuracy",
            f"{acc:.4f} vs notebook {ref_acc:.4f}",
            acc - ref_acc,
            ">= 0.978",
            acc >= 0.978,
        )
    for kind in ("predict", "predict_proba"):
        one = p[f"skmnist_{kind}_one"]
        row(
            f"2 {kind}, 1 image",
            f"{fmt(one, 1e3, 'ms')}",
            one["median"] / p[f"scikeras_{kind}_one"]["median"],
            "< 1 ms",
            one["median"] < 1e-3,
        )
    for kind in ("predict", "predict_proba"):
        ours_n, theirs = (
            p[f"skmnist_{kind}_{N_PREDICT}"],
            p[f"scikeras_{kind}_{N_PREDICT}"],
        )
        r = ours_n["median"] / theirs["median"]
        row(
            f"2 {kind}, {N_PREDICT} images",
            f"{fmt(ours_n, 1e3, 'ms', 1)} vs scikeras {fmt(theirs, 1e3, 'ms', 1)}",
            r,
            "<= 0.2x",
            r <= 0.2,
        )
    peak = m["skmnist"]["peak_mb"]
    row(
        "3 peak RSS, full fit",
        f"{peak:.0f} MB vs notebook {m['notebook_keras']['peak_mb']:.0f} MB",
        peak / m["notebook_keras"]["peak_mb"],
        "<= 1300 MB",
        peak <= 1300,
    )
    # The float32 X (180 MiB) lives through the pipeline's fit; a float64 copy of
    # the data would add 359 MiB on top of it, so the peak would reach 539 MiB.
    numpy_peak = max(m["numpy_peak"], m["numpy_peak_early_stopping"])
    limit = m["float32_dataset_mb"] + m["float64_dataset_mb"]
    row(
        "3 NumPy peak in fit (no float64 copy)",
        f"{numpy_peak:.0f} MiB (float32 X "
        f"{m['float32_dataset_mb']:.0f} + a float64 copy {m['float64_dataset_mb']:.0f}"
        f" = {limit:.0f})",
        numpy_peak / limit,
        "< 1.0x",
        numpy_peak < limit,
    )
    for key, label in (("import", "import skmnist"), ("help", "skmnist --help")):
        row(
            f"4 {label}",
            fmt(s[key]),
            s[key]["median"] / 0.5,
            "< 0.5 s",
            s[key]["median"] < 0.5,
        )
    times, cpu, rss = mf["fit_s"], mf["cpu_s"], mf["rss_mb"]
    # Single wall times swing with the machine's load (other processes): judge on
    # the process's CPU time, medians of the 2nd-4th fits against the last three.
    r3 = statistics.median(cpu[-3:]) / statistics.median(cpu[1:4])
    row(
        f"5 fit {len(times)} vs fit 2, time",
        f"wall {times[-1]:.2f} s vs "
        f"{times[1]:.2f} s; CPU {cpu[-1]:.2f} s vs {cpu[1]:.2f} s "
        f"(CPU, last 3 / 2nd-4th: {r3:.2f}x)",
        r3,
        "<= 1.1x",
        r3 <= 1.1,
    )
    row(
        f"5 fit {len(times)} vs fit 2, RSS",
        f"{rss[-1]:.0f} MB vs {rss[1]:.0f} MB",
        rss[-1] - rss[1],
        "no growth (<= +20 MB)",
        rss[-1] - rss[1] <= 20,
    )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke test, ~2 min")
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="repeats of each timing (default 10, quick 3)",
    )
    parser.add_argument(
        "--only",
        choices=("all", "mlp", "cnn"),
        default="all",
        help="run only the dense network's rows (1-5) or only the CNN's (6)",
    )
    parser.add_argument(
        "--cnn-subset",
        type=int,
        default=60000,
        metavar="N",
        help="train the CNN rows on the first N training images (smoke tests)",
    )
    parser.add_argument("--output", default=str(HERE / "results" / "latest.json"))
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 10)

    import skmnist

    started = time.time()
    results = {
        "quick": args.quick,
        "repeats": repeats,
        "only": args.only,
        "load_average_start": os.getloadavg(),
    }
    data = skmnist.load_mnist()
    results["machine"] = machine()
    if args.only != "cnn":
        run_dense(results, data, args.quick, repeats)
    if args.only != "mlp":
        results["cnn"] = bench_cnn(
            data, repeats, args.quick, args.cnn_subset, 2 if args.quick else 10
        )
    results["load_average_end"] = os.getloadavg()
    results["seconds"] = time.time() - started
    results["goals"] = (goals(results) if args.only != "cnn" else []) + (
        cnn_goals(results) if args.only != "mlp" else []
    )

    print(
        f"\nmachine: {results['machine']['cpu']}, {results['machine']['cores']} cores, "
        f"load average {results['load_average_start'][0]:.1f} -> "
        f"{results['load_average_end'][0]:.1f}; medians [min-max]"
        + ("; QUICK run: few repeats, 2-epoch accuracy" if args.quick else "")
    )
    width = max(len(r["goal"]) for r in results["goals"])
    for r in results["goals"]:
        print(
            f"{r['goal']:<{width}}  {'met ' if r['met'] else 'NOT '} "
            f"{r['ratio']:7.3f}  ({r['target']})  {r['figure']}"
        )
    if args.only != "cnn":
        print_dense_details(results)
    if args.only != "mlp":
        c = results["cnn"]
        print(
            "CNN: parameters {}; first (tracing) epoch skmnist {:.1f} s, Keras "
            "{:.1f} s; full fit {:.1f} s for {} epochs".format(
                c["training"]["parameters"],
                c["training"]["first_epoch"]["skmnist_cnn"],
                c["training"]["first_epoch"]["keras_fit_cnn"],
                c["fit"]["fit_s"],
                c["fit"]["n_iter"],
            )
        )
    print(f"total {results['seconds']:.0f} s")
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=str))
    print(f"wrote {out}")
    return 0 if all(r["met"] for r in results["goals"]) else 1


def run_dense(results, data, quick, repeats):
    """Rows 1-5: the dense network against its references."""
    print("start-up ...", flush=True)
    script = shutil.which("skmnist", path=str(Path(sys.executable).parent))
    help_cmd = (
        [script, "--help"] if script else [sys.executable, "-m", "skmnist", "--help"]
    )
    results["startup"] = {
        "import": wall_time([sys.executable, "-c", "import skmnist"], max(repeats, 5)),
        "help": wall_time(help_cmd, max(repeats, 5)),
    }
    if not quick:
        results["startup"]["import_tensorflow"] = wall_time(
            [sys.executable, "-c", "import tensorflow"], 1
        )
    print(f"training: {repeats + 1} epochs of each, round robin ...", flush=True)
    results["training"], fitted = bench_training(data, repeats + 1)
    print("prediction ...", flush=True)
    results["prediction"] = bench_prediction(data, fitted, repeats, quick)
    del fitted
    gc.collect()
    epochs = 2 if quick else 10
    print(
        f"memory and accuracy: full fits of {epochs} epochs in subprocesses ...",
        flush=True,
    )
    results["memory"] = bench_memory(epochs)
    fits = 6 if quick else 20
    print(f"many fits: {fits} fits in one subprocess ...", flush=True)
    results["many_fits"] = bench_many_fits(fits, 3000 if quick else 10000, 2)


def print_dense_details(results):
    p = results["prediction"]
    print(
        "one image, skmnist: flatten {}, classifier {}, compiled call {}".format(
            fmt(p["skmnist_flatten_one"], 1e3, "ms"),
            fmt(p["skmnist_classifier_proba_one"], 1e3, "ms"),
            fmt(p["skmnist_compiled_call_one"], 1e3, "ms"),
        )
    )
    print(
        f"scikeras one image: predict {fmt(p['scikeras_predict_one'], 1e3, 'ms', 1)}, "
        f"predict_proba {fmt(p['scikeras_predict_proba_one'], 1e3, 'ms', 1)}"
    )
    mem = results["memory"]
    print(
        f"full fit end to end: skmnist {mem['skmnist']['fit_s']:.1f} s, notebook "
        f"{mem['notebook_keras']['fit_s']:.1f} s"
    )
    many = results["many_fits"]
    for label, key, digits in (
        ("seconds", "fit_s", 2),
        ("CPU s", "cpu_s", 2),
        ("RSS MB", "rss_mb", 0),
    ):
        values = " ".join(f"{v:.{digits}f}" for v in many[key])
        print(f"many fits, {label + ':':9s} {values}")


if __name__ == "__main__":
    sys.exit(main())
