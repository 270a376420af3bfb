"""Parameter-server training on modelmaker's engine when a worker starts late: the chief of a short job
waits for it before its first step (without that, the chief finished before the worker joined and the
worker ran no step). Real processes on 127.0.0.1 with TF_CONFIG, on every stack."""

import json
import os
import re
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO, TINY, flags

pytestmark = pytest.mark.slow  # starts processes

QUICK = {"distribute": "parameter_server", "train_max_steps": 40, "save_checkpoints_steps": 20, "eval_steps": 2,
         "eval_throttle_secs": 0, "log_step_count_steps": 10, "cluster_idle_timeout_secs": 120}


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def start(kind, cluster, out, log):
    env = dict(os.environ, PYTHONPATH=REPO, TF_CONFIG=json.dumps({"cluster": cluster,
                                                                  "task": {"type": kind, "index": 0}}))
    return subprocess.Popen([sys.executable, "-m", "modelmaker.train", "--user_module", TINY, "--train_url", out,
                             *flags(QUICK)], env=env, stdout=subprocess.DEVNULL, stderr=open(log, "w"),
                            stdin=subprocess.DEVNULL, cwd=REPO)


def wait_for(path, text, process, deadline):
    while text not in open(path).read():
        assert process.poll() is None and time.monotonic() < deadline, open(path).read()
        time.sleep(0.2)


def test_the_chief_waits_for_a_late_worker_before_its_first_step(tmp_path):
    chief_port, worker_port, ps_port = free_ports(3)
    cluster = {"chief": [f"127.0.0.1:{chief_port}"], "worker": [f"127.0.0.1:{worker_port}"],
               "ps": [f"127.0.0.1:{ps_port}"]}
    out, logs = str(tmp_path / "out"), {k: str(tmp_path / f"{k}.log") for k in ("chief", "worker", "ps")}
    processes = {k: start(k, cluster, out, logs[k]) for k in ("ps", "chief")}
    try:
        wait_for(logs["chief"], "waiting up to 120s for worker_0 to join before the first step", processes["chief"],
                 time.monotonic() + 240)
        processes["worker"] = start("worker", cluster, out, logs["worker"])
        codes = {k: p.wait(timeout=240) for k, p in processes.items()}
    finally:
        for p in processes.values():
            if p.poll() is None:
                p.kill()
    text = {k: open(path).read() for k, path in logs.items()}
    assert codes == {"ps": 0, "chief": 0, "worker": 0}, text
    trained = re.search(r"^worker/0 ran (\d+) training steps", text["worker"], re.M)
    assert trained and int(trained.group(1)) > 0, text["worker"]
    result = json.load(open(os.path.join(out, "result.json")))
    # Asynchronous: each of the two trainers may run one batch past the step the other reached (as in
    # tests/launch/test_clusters.py; 42 seen under load).
    assert 40 <= result["global_step"] <= 42 and os.path.isfile(os.path.join(result["export_dir"], "saved_model.pb"))
    assert "ps 0 stopping: the chief is done (finished" in text["ps"], text["ps"]
