"""Prediction through ONNX (onnxruntime) against the TensorFlow path, side by side.

    python benchmarks/bench_onnx.py [--quick] [--repeats N] [--cnn]
                                    [--output benchmarks/results/onnx.json]

Measures the targets of issue 14 in one run, so that every ratio compares figures
taken under the same machine load:

1. ``skmnist predict MODEL a.png b.png c.png`` wall time in new processes, with the
   exported ``.onnx`` file (target <= 0.5 s) and with the joblib model;
2. one image, ``predict_proba``: :class:`skmnist.onnx.OnnxClassifier` against the
   fitted Keras pipeline (its compiled call), after a warm-up;
3. 10,000 images, ``predict_proba``: the same two, in rounds of blocks, and the
   matrix-product floor: NumPy matmuls of the same weights on the already-scaled
   float32 batch (no bias, activation or softmax). Target: ONNX within 1.5x of it.
   The ONNX rows and the floor run in a fresh process that never imports
   TensorFlow (as a deployment would; TensorFlow's idle threads would slow them),
   the TensorFlow rows here, one after the other;
4. parity on the full MNIST test set: the largest probability difference and the
   number of identical predicted classes.

The model is the reference MLP (``make_mnist_pipeline(random_state=0)``, 10 epochs
on the 60,000 training images; ``--quick``: one epoch on 6,000, which changes no
timing). ``--cnn`` adds rows 2-4 for the default CNN (no matmul floor). Data come
from ``skmnist.load_mnist()`` (set SKMNIST_DATA_HOME). Figures are medians with min
and max; on a shared machine read the ratios and the load average printed with them.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

HERE = Path(__file__).resolve().parent
N_PREDICT = 10_000


def summary(values):
    values = [float(v) for v in values]
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def time_calls(fn, x, n):
    fn(x)  # warm-up (traces the network, allocates the session's buffers)
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn(x)
        out.append(time.perf_counter() - start)
    return summary(out)


def cli_wall_time(model, images, repeats):
    argv = [sys.executable, "-m", "skmnist", "predict", str(model), *map(str, images)]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, env=env)
        times.append(time.perf_counter() - start)
    return summary(times)


# Run in a fresh interpreter that never imports TensorFlow, as a deployment would:
# TensorFlow's idle threads in this process would otherwise slow whichever engine
# runs next. Prints one JSON line.
WITHOUT_TENSORFLOW = """
import json, statistics, sys, time
import numpy as np
from skmnist.onnx import OnnxClassifier

onnx_path, arrays = sys.argv[1:3]
repeats, n_one = map(int, sys.argv[3:5])
data = np.load(arrays)
many, one = data["images"], data["images"][:1]
kernels = [data[k] for k in sorted(k for k in data.files if k.startswith("kernel"))]
scaled = data["scaled"] if "scaled" in data.files else None
clf = OnnxClassifier(onnx_path)

def floor(_):  # the dense network's matmuls alone, on the already-scaled batch
    X = scaled
    for kernel in kernels:
        X = X @ kernel
    return X

def summary(v):
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}

def time_calls(fn, x, n):
    fn(x)
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn(x)
        out.append(time.perf_counter() - start)
    return out

rows = {"onnx": clf.predict_proba}
if scaled is not None:
    rows["matmul_floor"] = floor
batch = {key: [] for key in rows}
# rounds of blocks: a warm-up and 10 timed calls of each engine in turn, so that
# load changes hit every row alike. Blocks of 10, not fewer: OpenBLAS's threads keep
# spinning for a while after the floor's matmuls and slow onnxruntime's next calls
# (blocks of 3 measured ONNX at ~30 ms against ~22 ms alone on 2 cores)
for _ in range(repeats):
    for key, fn in rows.items():
        batch[key] += time_calls(fn, many, 10)
result = {f"{key}_predict_proba_{len(many)}": summary(v) for key, v in batch.items()}
result["onnx_predict_proba_one"] = summary(time_calls(clf.predict_proba, one, n_one))
print(json.dumps(result))
"""


def without_tensorflow(onnx_path, pipe, images, folder, repeats, n_one, floor):
    arrays = {"images": images}
    if floor:
        arrays["scaled"] = pipe[0].transform(images)
        dense = [
            layer for layer in pipe[-1].model_.layers if type(layer).__name__ == "Dense"
        ]
        for i, layer in enumerate(dense):
            arrays[f"kernel{i}"] = layer.get_weights()[0].astype(np.float32)
    path = folder / "arrays.npz"
    np.savez(path, **arrays)
    argv = [sys.executable, "-c", WITHOUT_TENSORFLOW, str(onnx_path), str(path)]
    out = subprocess.run(
        [*argv, str(repeats), str(n_one)], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"subprocess failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def parity(pipe, clf, data):
    X = data.X_test
    keras_proba, onnx_proba = pipe.predict_proba(X), clf.predict_proba(X)
    return {
        "max_abs_proba_diff": float(np.abs(keras_proba - onnx_proba).max()),
        "same_class": int((pipe.predict(X) == clf.predict(X)).sum()),
        "n": len(X),
        "accuracy_keras": float(pipe.score(X, data.y_test)),
        "accuracy_onnx": clf.score(X, data.y_test),
    }


def bench_family(name, pipe, folder, data, repeats, quick, floor):
    """TensorFlow rows here; ONNX rows (and the floor) in a TensorFlow-free process."""
    from skmnist.onnx import OnnxClassifier, export_onnx

    path = export_onnx(pipe, folder / f"{name}.onnx")
    one, many = data.X_test[:1], data.X_test[:N_PREDICT]
    n_one = 50 if quick else 300
    result = {"onnx_bytes": path.stat().st_size}
    result.update(without_tensorflow(path, pipe, many, folder, repeats, n_one, floor))
    result["tensorflow_predict_proba_one"] = time_calls(pipe.predict_proba, one, n_one)
    values = []
    for _ in range(repeats):  # the same blocks as in the subprocess
        pipe.predict_proba(many)
        for _ in range(3):
            start = time.perf_counter()
            pipe.predict_proba(many)
            values.append(time.perf_counter() - start)
    result[f"tensorflow_predict_proba_{N_PREDICT}"] = summary(values)
    result["parity"] = parity(pipe, OnnxClassifier(path), data)
    return result, path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke test")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--cnn", action="store_true", help="add the CNN rows")
    parser.add_argument("--output", default=str(HERE / "results" / "onnx.json"))
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 10)

    from PIL import Image

    import skmnist
    from skmnist.persistence import save_model

    data = skmnist.load_mnist()
    n_train, epochs = (6000, 1) if args.quick else (len(data.X_train), None)
    fit_params = {} if epochs is None else {"epochs": epochs}
    results = {"load_before": os.getloadavg(), "quick": args.quick}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pipe = skmnist.make_mnist_pipeline(random_state=0, **fit_params)
        pipe.fit(data.X_train[:n_train], data.y_train[:n_train])
        mlp, onnx_path = bench_family(
            "mlp", pipe, folder, data, repeats, args.quick, floor=True
        )
        results["mlp"] = mlp
        joblib_path = save_model(pipe, folder / "mlp.joblib")
        images = []
        for i in range(3):
            images.append(folder / f"digit{i}.png")
            Image.fromarray(data.X_test[i]).save(images[-1])
        cli_repeats = 3 if args.quick else 5
        results["cli_predict_3_images_onnx"] = cli_wall_time(
            onnx_path, images, cli_repeats
        )
        results["cli_predict_3_images_joblib"] = cli_wall_time(
            joblib_path, images, cli_repeats
        )
        if args.cnn:
            cnn = skmnist.make_mnist_pipeline(model="cnn", random_state=0, **fit_params)
            cnn.fit(data.X_train[:n_train], data.y_train[:n_train])
            results["cnn"], _ = bench_family(
                "cnn", cnn, folder, data, repeats, args.quick, floor=False
            )
    results["load_after"] = os.getloadavg()
    report(results)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.output}")


def report(results):
    def ms(row):
        return f"{row['median'] * 1e3:8.2f} ms (min {row['min'] * 1e3:.2f})"

    print(
        f"load average before {results['load_before'][0]:.2f}, "
        f"after {results['load_after'][0]:.2f}"
        + ("  [--quick: smoke run]" if results["quick"] else "")
    )
    onnx_cli = results["cli_predict_3_images_onnx"]["median"]
    joblib_cli = results["cli_predict_3_images_joblib"]["median"]
    print(
        f"skmnist predict, 3 images:  onnx {onnx_cli:.3f} s  joblib {joblib_cli:.3f} s"
        f"  target onnx <= 0.5 s: {'MET' if onnx_cli <= 0.5 else 'missed'}"
    )
    for family in ("mlp", "cnn"):
        rows = results.get(family)
        if rows is None:
            continue
        print(f"\n{family}:")
        for what in ("one", str(N_PREDICT)):
            for engine in ("onnx", "tensorflow", "matmul_floor"):
                row = rows.get(f"{engine}_predict_proba_{what}")
                if row is not None:
                    print(f"  predict_proba {what:>5}  {engine:<12} {ms(row)}")
        floor = rows.get(f"matmul_floor_predict_proba_{N_PREDICT}")
        if floor is not None:
            ratio = rows[f"onnx_predict_proba_{N_PREDICT}"]["median"] / floor["median"]
            print(
                f"  onnx / matmul floor at {N_PREDICT:,}: {ratio:.2f}x  "
                f"target <= 1.5x: {'MET' if ratio <= 1.5 else 'missed'}"
            )
        p = rows["parity"]
        print(
            f"  parity on {p['n']:,} test images: max |proba diff| "
            f"{p['max_abs_proba_diff']:.2e}, same class {p['same_class']:,}/{p['n']:,}"
            f", accuracy keras {p['accuracy_keras']:.4f} onnx {p['accuracy_onnx']:.4f}"
        )


if __name__ == "__main__":
    main()
