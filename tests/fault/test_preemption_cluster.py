"""SIGTERM on a worker of synchronous training (multi_worker_mirrored, chief + worker on
127.0.0.1): the worker speaks as a worker (it saves no checkpoint), and the chief is not left
waiting in the all-reduce: both stop after the same step, the chief saves it, both exit 143."""

import json
import os
import signal
import subprocess

import pytest

from tests.fault import faultkit
from modelmaker.launch.local import free_ports

STOP_SECS = 120  # a bound for loaded machines: past it the task is taken as hung


def _start_cluster(tmp_path, argv):
    """{kind: Popen} of a chief and a worker running `argv`, logging to tmp_path/<kind>.log."""
    ports = free_ports(2)
    cluster = {"chief": [f"127.0.0.1:{ports[0]}"], "worker": [f"127.0.0.1:{ports[1]}"]}
    return {kind: faultkit.start(argv, tmp_path / f"{kind}.log", TF_CONFIG=json.dumps(
        {"cluster": cluster, "task": {"type": kind, "index": 0}})) for kind in cluster}


def _exit_code(proc):
    """The exit code of `proc`, or None when it still runs STOP_SECS from now."""
    try:
        return proc.wait(timeout=STOP_SECS)
    except subprocess.TimeoutExpired:
        return None


@pytest.mark.slow
def test_sigterm_on_a_synchronous_worker_stops_both_tasks_after_one_step_saved_by_the_chief(tmp_path):
    out, hold = tmp_path / "out", tmp_path / "hold"
    hold.touch()  # both tasks wait in their input after 15 batches
    argv = faultkit.train_command(out, hold_file=hold, train_max_steps=100000, distribute="multi_worker_mirrored",
                                  worker_max_delay_secs=0)
    procs = _start_cluster(tmp_path, argv)
    try:
        faultkit.wait_for_checkpoint(out, procs["chief"])
        procs["worker"].send_signal(signal.SIGTERM)
        hold.unlink()
        worker_code, chief_code = _exit_code(procs["worker"]), _exit_code(procs["chief"])
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    worker_log, chief_log = ((tmp_path / f"{kind}.log").read_text() for kind in ("worker", "chief"))
    step = faultkit.checkpoint_step(out)
    assert worker_code == 143, worker_log
    assert ("modelmaker: received SIGTERM: stopped at step "
            f"{step} (this task saves no checkpoints; the chief does)") in worker_log, worker_log
    assert "saving a checkpoint" not in worker_log, "the worker saved nothing"
    assert chief_code is not None, f"the chief still waits in the all-reduce {STOP_SECS}s later"
    assert chief_code == 143, chief_log
    assert (f"modelmaker: worker/0 received SIGTERM: checkpoint saved at step {step}; rerun the same "
            "command to continue") in chief_log, chief_log
    assert not os.path.isdir(out / "export") and not (out / "result.json").exists()
