"""The benchmark's plumbing: figures from fake results, which interpreter runs each stack, the
readiness wait against a loopback server, and `bench/run.py --quick` runs checking the JSON line's
keys and types (the one-process figures where tf.estimator imports; the current-TensorFlow figures
with this interpreter as --current_python, on either stack; the mirrored and parameter_server
figures of this interpreter's stack, the other stack's listed as skipped). Nothing here is timed:
the figures of a quick run are meaningless and never asserted on, only that they are measured
(positive numbers)."""

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
sys.path.insert(0, BENCH)  # report's own imports (engine_figures, figure_stats)


def _load(name):
    # bench/ is not a package; unique module names keep `report` free for tests/report.
    spec = importlib.util.spec_from_file_location(f"bench_{name}", os.path.join(BENCH, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


latency = _load("latency")
report = _load("report")
run = _load("run")
stacks = _load("stacks")
cluster_figures = _load("cluster_figures")
COMPAT = stacks.here()[1]  # this interpreter has tensorflow-estimator: the bench's compat stack


def _job(wall, rate=None, accuracy=0.97, startup=5.0, **more):
    return {"wall_s": wall, "steps_per_s": rate, "accuracy": accuracy, "startup_s": startup,
            "import_tf_s": 3.0, **more}


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
    met = {k: v for k, v in figs["targets_met"].items() if v is not None}
    assert met == {"train_overhead_ratio": False, "e2e_vs_keras": True, "accuracy": True}
    assert set(figs["targets_met"]) == set(report.TARGETS)
    assert "train_overhead_ratio" in report.table(figs)


def test_engine_figures_pair_repeats_and_charge_fixed_cost_against_import():
    def run(process, rate, rss, size, train=None, imp=3.0):
        return _job(process - 5, rate, process_s=process, peak_rss_mb=rss, train_url_bytes=size,
                    train_s=train, import_tf_s=imp)
    runs = {"modelmaker": [run(20.0, 900.0, 800.0, 6), run(22.0, 800.0, 820.0, 6)],
            "engine_estimator": [run(26.0, 900.0, 900.0, 9), run(22.0, 1000.0, 900.0, 9)],
            "bare": [run(10.0, 1000.0, 700.0, 0), run(10.0, 1000.0, 700.0, 0)],
            "keras": [run(30.0, None, 600.0, 3), run(30.0, None, 800.0, 3)],
            "modelmaker_fixed": [run(8.0, None, 1, 1, train=2.0, imp=4.0),
                                 run(9.0, None, 1, 1, train=2.0, imp=4.0)],
            "current_modelmaker": [run(20.0, 500.0, 700.0, 5, train=10.0)],
            "current_keras": [run(25.0, None, 700.0, 2)]}
    figs = report.figures(runs)
    assert figs["engine_e2e_speedup"] == pytest.approx((1.3 + 1.0) / 2, abs=1e-4)
    assert figs["engine_steps_ratio"] == pytest.approx((1.0 + 0.8) / 2, abs=1e-4)
    assert figs["floor_ratio"] == pytest.approx(0.85, abs=1e-4)
    assert figs["fixed_cost_s"] == pytest.approx(6.5)      # process minus training time
    assert figs["fixed_cost_excess_s"] == pytest.approx(1.0)  # minus (import 4.0 + 1.5)
    assert figs["fixed_cost_budget_s"] == pytest.approx(5.5)
    assert figs["rss_vs_keras"] == pytest.approx((800 / 600 + 820 / 800) / 2, abs=1e-4)
    assert (figs["train_url_bytes"], figs["keras_train_url_bytes"]) == (6, 3)
    assert figs["current_e2e_vs_keras"] == pytest.approx(1.25)
    assert figs["current_fixed_cost_s"] == pytest.approx(10.0)
    assert figs["estimator_peak_rss_mb"] is None and figs["current_floor_ratio"] is None
    assert figs["targets_met"]["engine_e2e_speedup"] is False  # 1.15 < 1.2
    assert figs["targets_met"]["fixed_cost_excess_s"] is False
    assert figs["targets_met"]["current_e2e_vs_keras"] is True
    assert "floor_ratio" in report.table(figs)


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


def test_cluster_rate_counts_every_trainer_after_its_first_step():
    def trainer(done, first, last):
        return {"steps_done": done, "first_step_time": first, "last_step_start_time": last}
    # One process: the steps between its first step's end and its last step's start.
    assert cluster_figures.cluster_rate([trainer(102, 10.0, 11.0)]) == (100.0, 1.0)
    # Two trainers of one cluster: their steps over the span from the first to the last of them;
    # a trainer that ran two steps or fewer (joined at the end) adds neither steps nor time.
    rate, span = cluster_figures.cluster_rate(
        [trainer(152, 10.0, 12.0), trainer(52, 11.0, 12.5), trainer(2, 40.0, 40.1), {"steps_done": 0}])
    assert (rate, span) == (200 / 2.5, 2.5)
    assert cluster_figures.cluster_rate([trainer(1, 1.0, 1.0), {}]) == (None, None)


def test_cluster_figures_pair_repeats_per_case():
    def job(rate, accuracy=0.97, **more):
        return {"steps_per_s": rate, "accuracy": accuracy, **more}
    runs = {"mirrored": [job(300.0, replica_steps_per_s=600.0), job(400.0, replica_steps_per_s=800.0)],
            "engine_estimator_mirrored": [job(300.0), job(500.0)],
            "current_mirrored": [job(150.0), job(300.0)],
            "ps": [job(250.0, worker_share=0.5, worker_join_s=0.5)],
            "engine_estimator_ps": [job(200.0, worker_share=0.0, worker_join_s=None)]}
    figs = report.figures(runs)
    assert set(cluster_figures.KEYS) <= set(figs)
    assert figs["mirrored_steps_per_s"] == 350.0 and figs["mirrored_replica_steps_per_s"] == 700.0
    assert figs["mirrored_engine_ratio"] == pytest.approx((1.0 + 0.8) / 2)
    assert figs["mirrored_current_ratio"] == pytest.approx((0.5 + 0.75) / 2)
    assert (figs["ps_engine_ratio"], figs["ps_worker_share"], figs["ps_worker_join_s"]) == (1.25, 0.5, 0.5)
    assert figs["engine_estimator_ps_worker_share"] == 0.0
    assert figs["engine_estimator_ps_worker_join_s"] is None  # the worker ran no step
    assert figs["current_ps_steps_per_s"] is None and figs["ps_current_ratio"] is None
    assert "engine_estimator_mirrored_replica_steps_per_s" in report.table(figs)


@pytest.mark.parametrize("this, compat, current", [
    (("2.15.1", True), "/tf2.15/python", "/bench/python"),    # run by TF 2.15: itself is compat
    (("2.21.0", False), "/bench/python", "/current/python"),  # run by current TF: itself is current
])
def test_each_stack_gets_this_interpreter_or_the_flag(this, compat, current):
    found = stacks.interpreters(compat_python=None, current_python=None, this=this,
                                executable="/bench/python")
    mine, other = ("compat", "current") if this[1] else ("current", "compat")
    assert found[mine] == ("/bench/python", None)
    assert found[other][0] is None
    assert f"--{other}_python" in found[other][1] and f"TensorFlow {this[0]}" in found[other][1]
    flags = stacks.interpreters(compat_python=compat, current_python=current, this=this,
                                executable="/bench/python")
    assert flags == {"compat": (compat, None), "current": (current, None)}


def _fake_python(tmp_path, tensorflow, estimator):
    """An executable that answers bench/stacks.py's probe as an interpreter with that stack would."""
    path = tmp_path / "python"
    answer = json.dumps({"tensorflow": tensorflow, "estimator": estimator})
    path.write_text(f"#!/bin/sh\necho '{answer}'\n")
    path.chmod(0o755)
    return str(path)


def test_stacks_probe_reads_an_interpreter_without_importing_tensorflow(tmp_path):
    assert stacks.probe(sys.executable) == stacks.here()
    assert stacks.probe(_fake_python(tmp_path, "2.15.1", True)) == ("2.15.1", True)


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


def _quick_run(tmp_path, *flags):
    """The JSON line (last line) and the text before it of a `bench/run.py --quick` run."""
    proc = subprocess.run([sys.executable, os.path.join(BENCH, "run.py"), "--quick",
                           "--data", MNIST_10K, "--workdir", str(tmp_path), *flags],
                          cwd=REPO, capture_output=True, text=True, timeout=1200,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-3000:]
    lines = proc.stdout.strip().splitlines()
    return json.loads(lines[-1]), proc.stdout.split(lines[-1])[0]


def _positive(figs, keys):
    for key in keys:
        assert isinstance(figs[key], (int, float)) and figs[key] > 0, (key, figs[key])


ENGINE_KEYS = ("engine_e2e_speedup", "engine_steps_ratio", "modelmaker_process_s",
               "engine_estimator_process_s", "floor_ratio", "bare_steps_per_s", "fixed_cost_s",
               "engine_estimator_fixed_cost_s", "fixed_cost_budget_s", "peak_rss_mb",
               "keras_peak_rss_mb", "estimator_peak_rss_mb", "rss_vs_keras", "train_url_bytes",
               "keras_train_url_bytes", "estimator_train_url_bytes")
CURRENT_KEYS = ("current_e2e_vs_keras", "current_accuracy", "current_keras_accuracy",
                "current_modelmaker_process_s", "current_keras_process_s", "current_fixed_cost_s",
                "current_import_tf_s", "current_floor_ratio", "current_bare_steps_per_s",
                "current_peak_rss_mb", "current_keras_peak_rss_mb", "current_rss_vs_keras",
                "current_train_url_bytes", "current_keras_train_url_bytes")


@pytest.mark.skipif(not os.path.isdir(MNIST_10K), reason="needs ../shared/data/mnist-10k")
@pytest.mark.skipif(not COMPAT, reason="the Estimator sides need tf.estimator (TF <= 2.15)")
def test_quick_run_prints_the_json_line_last(tmp_path):
    # All the one-process figures of this stack (mirrored, ps and current: the tests below).
    one_process = [f for f in run.FIGURES if f not in ("mirrored", "ps", "current", "current_floor")]
    figs, before = _quick_run(tmp_path, *(f"--only={f}" for f in one_process))
    assert "train_overhead_ratio" in before  # the table came first
    _positive(figs, ("train_overhead_ratio", "e2e_vs_keras", "startup_s", "import_tf_s",
                     "accuracy", *ENGINE_KEYS))
    assert isinstance(figs["fixed_cost_excess_s"], float)  # either sign
    assert figs["current_e2e_vs_keras"] is None  # not asked for
    assert figs["skipped"] == {} and figs["pythons"] == {"compat": sys.executable, "current": None}
    assert figs["tf_version"] and len(figs["load_avg"]) == 2
    for key in ("serve_p50_ms", "serve_p99_ms", "inprocess_p50_ms"):
        assert figs[key] is None or isinstance(figs[key], float), key
    if latency.serving_available():
        assert figs["serve_p50_ms"] > 0 and figs["inprocess_p50_ms"] > 0
    assert figs["quick"] is True and figs["repeats"] == 1
    assert set(figs["targets_met"]) == set(report.TARGETS)


@pytest.mark.skipif(not os.path.isdir(MNIST_10K), reason="needs ../shared/data/mnist-10k")
def test_quick_current_figures_with_this_interpreter(tmp_path):
    figs, _ = _quick_run(tmp_path, "--only", "current", "--only", "current_floor",
                         "--current_python", sys.executable)
    _positive(figs, CURRENT_KEYS)
    assert figs["current_tf_version"] and figs["engine_e2e_speedup"] is None


DISTRIBUTED_KEYS = {
    "compat": ("mirrored_steps_per_s", "mirrored_replica_steps_per_s", "mirrored_accuracy",
               "engine_estimator_mirrored_steps_per_s", "engine_estimator_mirrored_accuracy",
               "mirrored_engine_ratio", "ps_steps_per_s", "ps_accuracy",
               "engine_estimator_ps_steps_per_s", "engine_estimator_ps_accuracy", "ps_engine_ratio"),
    "current": ("current_mirrored_steps_per_s", "current_mirrored_replica_steps_per_s",
                "current_mirrored_accuracy", "current_ps_steps_per_s", "current_ps_accuracy"),
}


@pytest.mark.skipif(not os.path.isdir(MNIST_10K), reason="needs ../shared/data/mnist-10k")
def test_quick_distributed_figures_of_this_stack_and_the_other_skipped(tmp_path):
    mine, other = ("compat", "current") if COMPAT else ("current", "compat")
    figs, before = _quick_run(tmp_path, "--only", "mirrored", "--only", "ps",
                              "--raw", str(tmp_path / "raw.json"))
    _positive(figs, DISTRIBUTED_KEYS[mine])
    assert all(figs[key] is None for key in DISTRIBUTED_KEYS[other])
    assert figs["mirrored_current_ratio"] is None and figs["ps_current_ratio"] is None
    skipped = {s for s in run.SIDES if (s.startswith("current_") == (other == "current"))
               and s.endswith(("mirrored", "ps"))}
    assert set(figs["skipped"]) == skipped
    assert all(f"--{other}_python was not given" in why for why in figs["skipped"].values())
    assert f"bench: skipped {sorted(skipped)[0]}: no {other} interpreter" in before
    raw = json.loads((tmp_path / "raw.json").read_text())
    for side, results in raw.items():
        if side.endswith("mirrored"):  # train_max_steps counts replica steps: 30 over 2 replicas
            assert [r["global_step"] for r in results] == [15], side
        else:  # asynchronous: a global step per trainer batch, each trainer may overshoot by one
            assert all(30 <= r["global_step"] <= 32 for r in results), side
            assert sum(results[0]["steps_done"].values()) >= 30, side  # chief's and worker's


def test_a_figure_without_its_interpreter_is_refused():
    figure, flag = ("current", "--current_python") if COMPAT else ("engine", "--compat_python")
    proc = subprocess.run([sys.executable, os.path.join(BENCH, "run.py"), "--only", figure,
                           "--data", REPO], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and f"--only {figure} needs {flag}" in proc.stderr, proc.stderr


def test_compat_python_must_have_the_estimator_package(tmp_path):
    python = _fake_python(tmp_path, "2.21.0", False)
    proc = subprocess.run([sys.executable, os.path.join(BENCH, "run.py"), "--only", "ps",
                           "--compat_python", python, "--data", REPO], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr
    assert f"--compat_python {python} has TensorFlow 2.21.0 without tensorflow-estimator" in proc.stderr
