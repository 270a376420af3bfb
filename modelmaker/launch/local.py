"""Provides `run`: a real TF_CONFIG cluster on 127.0.0.1, one process per task, supervised.

Each task runs the same command with its own TF_CONFIG (free loopback ports). Every line a
task prints is echoed with its role in front (`[worker/0] ...`). The job fails fast: when
any task exits non-zero the others are stopped and that exit code is returned. When the
chief succeeds, the other tasks get `grace_secs` to finish (workers reach max_steps, the
evaluator and ps see the chief's done-marker); whatever is left is then stopped. Every
process is gone when `run` returns, whatever happened.
"""

import json
import os
import signal
import socket
import subprocess
import threading
import time

POLL_SECS = 0.2
STOP_SECS = 10  # SIGTERM -> SIGKILL


def free_ports(count, host="127.0.0.1"):
    """`count` distinct free TCP ports on `host` (all held open until all are picked)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((host, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_configs(shape, ports, host="127.0.0.1"):
    """{(kind, index): TF_CONFIG dict} for every task of `shape`, given ports for the cluster."""
    trainers = [(kind, i) for kind, i in shape.tasks() if kind != "evaluator"]
    address = dict(zip(trainers, (f"{host}:{port}" for port in ports)))
    cluster = shape.cluster(lambda kind, i: address[(kind, i)])
    return {(kind, i): {"cluster": cluster, "task": {"type": kind, "index": i}}
            for kind, i in shape.tasks()}


class _Task:
    """One running process and the thread that echoes its output."""

    def __init__(self, kind, index, command, env, out, lock):
        self.kind, self.name = kind, f"{kind}/{index}"
        self.proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True, text=True, errors="replace")
        self.stopped = False  # stopped by the launcher: its exit code is not a failure
        self._echo = threading.Thread(target=self._copy, args=(out, lock), daemon=True)
        self._echo.start()

    def _copy(self, out, lock):
        for line in self.proc.stdout:
            with lock:
                out.write(f"[{self.name}] {line.rstrip()}\n")
                out.flush()

    def stop(self):
        """SIGTERM to its process group, SIGKILL after STOP_SECS; waits until it is gone."""
        if self.proc.poll() is None:
            self.stopped = True
            _signal_group(self.proc, signal.SIGTERM)
            try:
                self.proc.wait(STOP_SECS)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc, signal.SIGKILL)
                self.proc.wait()
        _signal_group(self.proc, signal.SIGKILL)  # anything the task left behind
        self._echo.join(timeout=5)


def _signal_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run(shape, command, *, env, out, grace_secs=60, timeout_secs=None, host="127.0.0.1"):
    """Starts the cluster, supervises it and returns the job's exit code.

    Args:
      shape: the `Shape` to start.
      command: the argv every task runs (e.g. python -m modelmaker.train ...).
      env: the environment for the tasks (TF_CONFIG is added per task).
      out: a text stream for the prefixed log lines.
      grace_secs: how long the others may run on after the chief succeeded.
      timeout_secs: stop everything after this long (None: no limit).

    Returns:
      0 when the chief and every worker and evaluator succeeded; the exit code of the first
      task that failed; 124 on timeout; 130 when interrupted.
    """
    lock = threading.Lock()

    def say(line):
        with lock:
            out.write(f"[launch] {line}\n")
            out.flush()

    configs = tf_configs(shape, free_ports(1 + shape.worker + shape.ps, host), host)
    tasks = []
    previous = _interrupt_on_sigterm()
    try:
        for (kind, index), tf_config in configs.items():
            task_env = dict(env, TF_CONFIG=json.dumps(tf_config), PYTHONUNBUFFERED="1")
            tasks.append(_Task(kind, index, command, task_env, out, lock))
        say(f"started {shape} on {host}: " + ", ".join(f"{t.name} (pid {t.proc.pid})" for t in tasks))
        return _supervise(tasks, grace_secs=grace_secs, timeout_secs=timeout_secs, say=say)
    except KeyboardInterrupt:
        say("interrupted; stopping every task")
        return 130
    finally:
        for task in tasks:
            task.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt_on_sigterm():
    """Makes SIGTERM (a scheduler stopping the launcher) stop the tasks as Ctrl-C does.
    Returns the previous handler (None when not on the main thread, where Python refuses)."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, interrupt)


def _supervise(tasks, *, grace_secs, timeout_secs, say):
    """Polls the tasks until the job's outcome is known; returns the exit code."""
    started, chief_done = time.monotonic(), None
    chief = next(t for t in tasks if t.kind == "chief")
    while True:
        for task in tasks:
            code = task.proc.poll()
            if code not in (None, 0):
                say(f"{task.name} failed (exit code {code}); stopping the other tasks")
                return code if 0 < code < 256 else 1
        now = time.monotonic()
        if chief.proc.poll() == 0:
            if chief_done is None:
                chief_done = now
                say(f"chief finished; waiting up to {grace_secs}s for the other tasks")
            left = [t for t in tasks if t.proc.poll() is None]
            if not left:
                say("all tasks finished")
                return 0
            if now - chief_done >= grace_secs:
                say(f"stopping tasks still running {grace_secs}s after the chief finished: "
                    + ", ".join(t.name for t in left))
                return 0
        if timeout_secs is not None and now - started >= timeout_secs:
            say(f"timeout after {timeout_secs}s; stopping every task")
            return 124
        time.sleep(POLL_SECS)
