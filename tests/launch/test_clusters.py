"""Real clusters on 127.0.0.1: parameter servers with an evaluator, multi-worker mirrored (with an
evaluator; a resume), and mirrored over two logical CPUs (one process; a chief with an evaluator).
Each asserts the final global step under the step rule (train_max_steps counts every replica's steps),
the export, and that no process is left."""

import io
import json
import os
import re
import signal
import subprocess
import sys
import textwrap

import pytest

from modelmaker.commands import launch
from tests.conftest import REPO, flags
from tests.launch.test_launch import alive, started_pids

pytestmark = pytest.mark.slow  # every test here starts a cluster of processes

TOTAL = 40  # train_max_steps: replica steps over the whole cluster
QUICK = {"train_max_steps": TOTAL, "save_checkpoints_steps": 10, "eval_steps": 2,
         "eval_throttle_secs": 0, "eval_start_delay_secs": 0, "worker_max_delay_secs": 0,
         "log_step_count_steps": 10, "cluster_idle_timeout_secs": 120}


def launch_local(shape, tiny, out_dir, *, grace=30, argv_tail=(), **extra):
    """Runs `modelmaker launch --local SHAPE` in this process; returns (exit code, output).
    Tasks still running `grace` seconds after the chief succeeded are stopped (the output says so);
    `argv_tail` ends the train arguments (e.g. `--set` of a module's own parameters)."""
    out = io.StringIO()
    argv = ["--local", shape, "--grace", str(grace), "--timeout", "200", "--",
            "--user_module", tiny, "--train_url", str(out_dir), *flags(dict(QUICK, **extra)),
            *argv_tail]
    try:
        code = launch.main(argv, environ=dict(os.environ, PYTHONPATH=REPO), out=out)
    finally:
        for pid in started_pids(out.getvalue()):
            if alive(pid):
                os.killpg(pid, signal.SIGKILL)
    return code, out.getvalue()


def check_outputs(out_dir, output):
    result = json.loads((out_dir / "result.json").read_text())
    assert os.path.isfile(os.path.join(result["export_dir"], "saved_model.pb"))
    assert "accuracy" in result["metrics"], "the chief ran the final evaluation"
    assert not any(alive(pid) for pid in started_pids(output))
    return result


ENGINES = ["modelmaker", pytest.param("estimator", marks=pytest.mark.estimator)]


@pytest.mark.parametrize("engine", ENGINES)
def test_parameter_servers_worker_and_evaluator(tiny, tmp_path, engine):
    out_dir = tmp_path / "ps"
    code, output = launch_local("worker=1,ps=1,evaluator=1", tiny, out_dir, engine=engine)
    assert code == 0, output
    result = check_outputs(out_dir, output)
    # Asynchronous: one global step per trainer batch. A trainer reads the step before its batch
    # and stops after it, so each of the two trainers (chief, worker) may run one batch past
    # the limit the other reached: at most TOTAL + 2 (CI saw 42 once under load).
    assert TOTAL <= result["global_step"] <= TOTAL + 2, output
    assert "[chief/0] distribute parameter_server" in output
    assert re.search(rf"^\[worker/0\] distribute parameter_server .* \| engine {engine}$", output, re.M), output
    if engine == "modelmaker":  # the worker joined in time (it polls for the chief every second, not 30 s)
        trained = re.search(r"^\[worker/0\] worker/0 ran (\d+) training steps", output, re.M)
        assert trained and int(trained.group(1)) > 0, output
    assert "[ps/0] ps 0 stopping: the chief is done (finished" in output, output
    assert "[evaluator/0] evaluation at step" in output
    assert "[evaluator/0] evaluator stopping:" in output
    assert "[launch] all tasks finished" in output, "ps and evaluator ended on their own"
    for marker in ("modelmaker_done.json", "modelmaker_done.worker_0.json"):  # chief, worker
        assert json.loads((out_dir / marker).read_text())["reason"] == "finished"


@pytest.mark.parametrize("engine", ENGINES)
def test_multi_worker_mirrored_with_evaluator(tiny, tmp_path, engine):
    out_dir = tmp_path / "mwms"
    code, output = launch_local("worker=1,evaluator=1", tiny, out_dir, engine=engine)
    assert code == 0, output
    result = check_outputs(out_dir, output)
    # Synchronous over 2 replicas: each global step is one batch on each worker.
    assert result["global_step"] == TOTAL // 2, output
    for task in ("chief/0", "worker/0"):
        assert re.search(rf"^\[{task}\] distribute multi_worker_mirrored .* \| engine {engine}$", output, re.M), output
        assert f"[{task}] train | step {TOTAL // 2}/{TOTAL // 2} |" in output, output
    assert "[evaluator/0] evaluation at step" in output
    assert "[evaluator/0] evaluator stopping:" in output, output  # the chief is done, or it evaluated max_steps
    assert "[launch] all tasks finished" in output, "the worker and the evaluator ended on their own"
    for marker in ("modelmaker_done.json", "modelmaker_done.worker_0.json"):  # chief, worker
        assert json.loads((out_dir / marker).read_text())["reason"] == "finished"
    # The worker writes nothing into model_dir (Estimator's scratch tmp_worker_0/ is removed).
    assert not (out_dir / "tmp_worker_0").exists()
    if engine == "modelmaker":
        assert len(list(out_dir.glob("events.out.tfevents.*"))) == 1, sorted(os.listdir(out_dir))


def test_multi_worker_mirrored_resumes_on_every_trainer(tiny, tmp_path):
    """A rerun restores the newest checkpoint on the chief and on the worker (which, holding its own copy
    of the variables, must start from the same values or wait for an initial broadcast that never comes)."""
    out_dir = tmp_path / "mwms"
    assert launch_local("worker=1", tiny, out_dir)[0] == 0
    code, output = launch_local("worker=1", tiny, out_dir, train_max_steps=TOTAL + 20)
    assert code == 0, output
    assert f"[chief/0] resuming from step {TOTAL // 2}" in output, output
    assert f"[worker/0] train | step {TOTAL // 2 + 10}/{TOTAL // 2 + 10} |" in output, output
    assert check_outputs(out_dir, output)["global_step"] == TOTAL // 2 + 10


MIRRORED = textwrap.dedent("""
    import sys, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import modelmaker
    params = dict(distribute="mirrored", train_max_steps=%d, save_checkpoints_steps=10,
                  eval_steps=2, eval_throttle_secs=0, log_step_count_steps=10, engine=sys.argv[3])
    modelmaker.fit(sys.argv[1], params, train_url=sys.argv[2])
""" % TOTAL)


@pytest.mark.parametrize("engine", ENGINES)
def test_mirrored_on_two_logical_cpus(tiny, tmp_path, engine):
    out_dir = tmp_path / "mirrored"
    proc = subprocess.run([sys.executable, "-c", MIRRORED, tiny, str(out_dir), engine], capture_output=True,
                          text=True, timeout=200, env=dict(os.environ, PYTHONPATH=REPO),
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    result = json.loads((out_dir / "result.json").read_text())
    assert result["global_step"] == TOTAL // 2, "two replicas per step"
    assert f"max_steps 20 = ceil(train_max_steps 40 / 2 replica(s)) | engine {engine}\n" in proc.stderr
    assert os.path.isfile(os.path.join(result["export_dir"], "saved_model.pb"))


TWO_CPUS = os.path.join(REPO, "tests", "modules", "two_cpus.py")  # the tiny module on two logical CPUs


def test_mirrored_on_two_logical_cpus_with_evaluator(tmp_path):
    """modelmaker's engine only: Estimator's distribute coordinator fails on a MirroredStrategy over CPUs in
    a TF_CONFIG cluster (`assert not _is_device_list_single_worker(devices)` in its multi-worker configure)."""
    engine = "modelmaker"
    out_dir = tmp_path / "mirrored"
    code, output = launch_local("evaluator=1", TWO_CPUS, out_dir, distribute="mirrored", engine=engine)
    assert code == 0, output
    result = check_outputs(out_dir, output)
    assert result["global_step"] == TOTAL // 2, "two replicas per step"
    assert (f"[chief/0] distribute mirrored (MirroredStrategy: one replica per local GPU (per logical CPU when "
            f"there is no GPU)) | chief/0 | max_steps 20 = ceil(train_max_steps 40 / 2 replica(s)) | engine {engine}"
            in output), output
    assert "[evaluator/0] evaluator stopping:" in output, output  # the chief is done, or it evaluated max_steps
    assert "[launch] all tasks finished" in output, "the evaluator ended on its own"
