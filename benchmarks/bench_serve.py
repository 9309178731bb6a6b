"""Load test of ``skmnist serve``: requests per second and latency, on 127.0.0.1 only.

Starts ``skmnist serve MODEL --host 127.0.0.1 --port 0`` in a subprocess, then sends
a bounded number of ``POST /predict`` requests (2,000 by default) from a fixed number
of concurrent clients (16 by default, httpx's asyncio client), each body the kind the
page sends: a 280x280 PNG of a dark digit on white (MNIST test digits, enlarged), or
with ``--payload json`` the 28x28 array. Prints requests per second, latency
percentiles (p50, p90, p99, max), the errors (any answer but 200, or no answer) and
how many predictions match the digits' labels, then writes the figures to
``benchmarks/results/bench_serve-<time>.json``. Exits 1 if any request failed.

The client runs on the same machine as the server, so both share its cores: read the
figures with the load average printed beside them.

Usage::

    python benchmarks/bench_serve.py [--model mnist-pipeline.joblib]
        [--requests 2000] [--concurrency 16] [--payload png|json]

Without ``--model``, a small pipeline (64 hidden units, 3 epochs on 10,000 images)
is trained first; that needs the MNIST data (``SKMNIST_DATA_HOME``).
"""

import argparse
import asyncio
import io
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

RESULTS_DIR = Path(__file__).resolve().parent / "results"
HOST = "127.0.0.1"  # never anything else: this sends thousands of requests


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="saved model (default: train a small one)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--payload", choices=("png", "json"), default="png")
    parser.add_argument("--warmup", type=int, default=32, help="requests not counted")
    args = parser.parse_args(argv)
    if not 1 <= args.concurrency <= 256 or not 1 <= args.requests <= 100_000:
        parser.error("--concurrency must be 1-256 and --requests 1-100,000")
    return args


def train_small_model(path):
    from skmnist import load_mnist, make_mnist_pipeline, save_model

    mnist = load_mnist()
    pipe = make_mnist_pipeline(
        hidden_layer_sizes=(64,), epochs=3, early_stopping=True, random_state=0
    )
    pipe.fit(mnist.X_train[:10000], mnist.y_train[:10000])
    save_model(pipe, path)


def payloads(kind, n=200):
    """(body, headers, label) for ``n`` MNIST test digits, as the page sends them."""
    from PIL import Image

    from skmnist import load_mnist

    mnist = load_mnist()
    bodies = []
    for digit, label in zip(mnist.X_test[:n], mnist.y_test[:n], strict=True):
        if kind == "json":
            body = json.dumps(digit.tolist()).encode()
            bodies.append((body, {"content-type": "application/json"}, int(label)))
            continue
        image = Image.fromarray(255 - digit).resize(
            (280, 280), Image.Resampling.BILINEAR
        )
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        bodies.append((buffer.getvalue(), {"content-type": "image/png"}, int(label)))
    return bodies


class Server:
    """``skmnist serve`` in a subprocess; its URL once it listens."""

    def __init__(self, model):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "skmnist", "serve", model, "--host", HOST]
            + ["--port", "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log = []
        self.url = None
        ready = threading.Event()

        def drain():
            for line in self.process.stderr:
                self.log.append(line)
                match = re.search(r" on (http://127\.0\.0\.1:\d+/) ", line)
                if match:
                    self.url = match.group(1)
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(300) or self.url is None:
            self.stop()
            sys.exit("skmnist serve did not start:\n" + "".join(self.log))

    def cpu_seconds(self):
        """User + system CPU time of the server process so far (Linux)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().split()
        except OSError:
            return None
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


async def load(url, bodies, n_requests, concurrency):
    """Send ``n_requests`` from ``concurrency`` workers; per-request outcomes."""
    import httpx

    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency
    )
    outcomes = []
    counter = iter(range(n_requests))

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:

        async def worker():
            for i in counter:
                body, headers, label = bodies[i % len(bodies)]
                start = time.perf_counter()
                try:
                    response = await client.post(
                        "/predict", content=body, headers=headers
                    )
                    status = response.status_code
                    prediction = (
                        response.json().get("prediction") if status == 200 else None
                    )
                except httpx.HTTPError as exc:
                    status, prediction = f"{type(exc).__name__}", None
                outcomes.append(
                    (time.perf_counter() - start, status, prediction, label)
                )

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - start
    return outcomes, wall


def main(argv=None):
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            model = os.path.join(tmp, "small.joblib")
            print("training a small model (64 hidden units, 3 epochs)...", flush=True)
            train_small_model(model)
        bodies = payloads(args.payload)
        server = Server(model)
        try:
            asyncio.run(load(server.url, bodies, args.warmup, min(args.concurrency, 4)))
            load_before = os.getloadavg()
            cpu_before = server.cpu_seconds()
            outcomes, wall = asyncio.run(
                load(server.url, bodies, args.requests, args.concurrency)
            )
            cpu_after = server.cpu_seconds()
            load_after = os.getloadavg()
        finally:
            server.stop()
    results = summarize(args, outcomes, wall, load_before, load_after)
    if cpu_before is not None and cpu_after is not None:
        results["server_cpu_s"] = round(cpu_after - cpu_before, 2)
        results["server_cpu_ms_per_request"] = round(
            1000 * (cpu_after - cpu_before) / len(outcomes), 2
        )
    report(results)
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"bench_serve-{stamp}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {path}")
    return 1 if results["errors"] else 0


def summarize(args, outcomes, wall, load_before, load_after):
    latencies = np.array([o[0] for o in outcomes]) * 1000
    errors = {}
    for _, status, _, _ in outcomes:
        if status != 200:
            errors[str(status)] = errors.get(str(status), 0) + 1
    answered = [(p, label) for _, status, p, label in outcomes if status == 200]
    return {
        "requests": len(outcomes),
        "concurrency": args.concurrency,
        "payload": args.payload,
        "wall_s": round(wall, 3),
        "requests_per_s": round(len(outcomes) / wall, 1),
        "latency_ms": {
            name: round(float(np.percentile(latencies, q)), 2)
            for name, q in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))
        },
        "errors": sum(errors.values()),
        "errors_by_status": errors,
        "predictions_matching_labels": round(
            sum(p == label for p, label in answered) / max(len(answered), 1), 4
        ),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def report(results):
    latency = results["latency_ms"]
    print(
        f"{results['requests']:,} requests ({results['payload']}), concurrency "
        f"{results['concurrency']}, on {HOST}, {results['cpus']} CPUs\n"
        f"  throughput  {results['requests_per_s']:.1f} requests/s "
        f"({results['wall_s']:.1f} s)\n"
        f"  latency     p50 {latency['p50']:.1f} ms, p90 {latency['p90']:.1f} ms, "
        f"p99 {latency['p99']:.1f} ms, max {latency['max']:.1f} ms\n"
        f"  errors      {results['errors']} {results['errors_by_status'] or ''}\n"
        f"  labels      {100 * results['predictions_matching_labels']:.1f}% of the "
        "predictions match\n"
        f"  server CPU  {results.get('server_cpu_ms_per_request', '?')} ms a request\n"
        f"  load avg    {results['load_average_before']} before, "
        f"{results['load_average_after']} after"
    )


if __name__ == "__main__":
    sys.exit(main())
