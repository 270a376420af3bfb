"""The benchmark's plumbing: figures from fake results, the readiness wait against a loopback
server, and one `bench/run.py --quick` run checking the JSON line's keys and types.
Nothing here is timed: the figures of a quick run are meaningless and never asserted on."""

import http.server
import importlib.util
import json
import os
import subprocess
import sys
import threading

import pytest

pytestmark = pytest.mark.slow  # every test here starts processes

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MNIST_10K = os.path.join(REPO, "..", "shared", "data", "mnist-10k")
BENCH = os.path.join(REPO, "bench")


def _load(name):
    # bench/ is not a package; unique module names keep `report` free for tests/report.
    spec = importlib.util.spec_from_file_location(f"bench_{name}", os.path.join(BENCH, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


latency = _load("latency")
report = _load("report")


def _job(wall, rate=None, accuracy=0.97, startup=5.0):
    return {"wall_s": wall, "steps_per_s": rate, "accuracy": accuracy, "startup_s": startup,
            "import_tf_s": 3.0}


def test_percentile_and_median():
    values = sorted(float(v) for v in range(1, 101))
    assert report.percentile(values, 50) == 50.0
    assert report.percentile(values, 99) == 99.0
    assert report.percentile([], 50) is None
    assert report.median([3.0, None, 1.0, 2.0]) == 2.0
    assert report.median([None]) is None


def test_figures_pair_repeats_and_leave_unmeasured_null():
    runs = {"modelmaker": [_job(10.0, 800.0), _job(12.0, 700.0)],
            "estimator": [_job(14.0, 800.0), _job(15.0, 750.0)],
            "keras": [_job(11.0), _job(12.0)]}
    figs = report.figures(runs)
    assert set(report.KEYS) <= set(figs)
    assert figs["train_overhead_ratio"] == pytest.approx((1.0 + 700 / 750) / 2, abs=1e-4)
    assert figs["e2e_vs_keras"] == pytest.approx((1.1 + 1.0) / 2, abs=1e-4)
    assert figs["serve_p50_ms"] is None and figs["inprocess_p50_ms"] is None
    assert figs["targets_met"] == {"train_overhead_ratio": False, "e2e_vs_keras": True,
                                   "serve_p50_ms": None, "accuracy": True,
                                   "grpc_over_rest_p50": None, "cnn_batching_speedup": None,
                                   "batched_mixups": None}
    assert "train_overhead_ratio" in report.table(figs)


def test_figures_read_serving_latencies():
    serve = {"available": True, "http_ms": [0.5, 0.6, 0.7, 2.0], "inprocess_ms": [0.2, 0.3],
             "import_tf_s": 3.0}
    figs = report.figures({"modelmaker": [_job(10.0, 800.0)], "serve": serve})
    assert (figs["serve_p50_ms"], figs["serve_p99_ms"], figs["inprocess_p50_ms"]) == (0.6, 2.0, 0.2)
    assert figs["targets_met"]["serve_p50_ms"] is True


def test_figures_read_grpc_and_batching_loads():
    def load(rps, mixups=0):
        return {"rps": rps, "requests": int(rps * 5), "errors": 0, "mixups": mixups}
    grpc = {"available": True, "grpc_ms": [0.4, 0.5, 0.6], "rest_ms": [0.8, 1.0, 1.2],
            "cnn_inprocess_ms": 1.5, "mlp_unbatched": load(2000), "mlp_batched": load(2500),
            "cnn_unbatched": load(400), "cnn_batched": load(1600, mixups=1)}
    figs = report.figures({"modelmaker": [_job(10.0, 800.0)], "grpc": grpc})
    assert (figs["grpc_p50_ms"], figs["rest_p50_ms"], figs["grpc_over_rest_p50"]) == (0.5, 1.0, 0.5)
    assert (figs["cnn_batching_speedup"], figs["mlp_batching_speedup"]) == (4.0, 1.25)
    assert figs["targets_met"]["cnn_batching_speedup"] is True
    assert figs["batched_mixups"] == 1 and figs["targets_met"]["batched_mixups"] is False
    assert "cnn_rps_batched" in report.table(figs)


def test_wait_ready_finds_the_model_name(tmp_path):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/v1/models/default" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with open(tmp_path / "log", "w+") as log:
            name = latency._wait_ready(fake, server.server_address[1], ["model", "default"], log)
        assert name == "default"
    finally:
        fake.kill()
        fake.wait()
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(not os.path.isdir(MNIST_10K), reason="needs ../shared/data/mnist-10k")
def test_quick_run_prints_the_json_line_last(tmp_path):
    proc = subprocess.run([sys.executable, os.path.join(BENCH, "run.py"), "--quick",
                           "--data", MNIST_10K, "--workdir", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=900,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-3000:]
    lines = proc.stdout.strip().splitlines()
    figs = json.loads(lines[-1])
    assert "train_overhead_ratio" in proc.stdout.split(lines[-1])[0]  # the table came first
    for key in ("train_overhead_ratio", "e2e_vs_keras", "startup_s", "import_tf_s", "accuracy"):
        assert isinstance(figs[key], float) and figs[key] > 0, key
    for key in ("serve_p50_ms", "serve_p99_ms", "inprocess_p50_ms"):
        assert figs[key] is None or isinstance(figs[key], float), key
    if latency.serving_available():
        assert figs["serve_p50_ms"] > 0 and figs["inprocess_p50_ms"] > 0
    assert figs["quick"] is True and figs["repeats"] == 1
    assert set(figs["targets_met"]) == set(report.TARGETS)
