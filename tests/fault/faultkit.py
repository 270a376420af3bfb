"""Helpers for the fault-tolerance tests: a holdable training command, waiting for a
checkpoint by polling the `checkpoint` file, and loading an export."""

import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
HOLDABLE = os.path.join(HERE, "holdable.py")
DEADLINE_SECS = 600  # a bound for loaded CI machines, never a timing assertion

# Checkpoints every 10 steps; intermediate evaluations throttled away (only the final one runs).
STEPS = {"train_max_steps": 40, "save_checkpoints_steps": 10, "eval_steps": 2,
         "eval_throttle_secs": 3600, "log_step_count_steps": 10}


def train_command(train_url, *, hold_file=None, hold_after=15, **params):
    """argv of `python -m modelmaker.train` on the holdable module; the same list reruns it.

    `params` override STEPS or set the module's custom parameters (e.g. nan_from_step).
    """
    values = dict(STEPS, **params)
    if hold_file:
        values.update(hold_file=hold_file, hold_after=hold_after)
    argv = [sys.executable, "-m", "modelmaker.train", "--user_module", HOLDABLE,
            "--train_url", str(train_url)]
    for key, value in values.items():
        argv += ["--set", f"{key}={value}"]
    return argv


def environment(**extra):
    return dict(os.environ, PYTHONPATH=REPO, **extra)


def start(argv, log_path, **env):
    """Starts a training process writing its output to `log_path`; SIGINT is reset to its
    default so that Python turns it into KeyboardInterrupt even under a background shell."""
    log = open(log_path, "w")
    return subprocess.Popen(argv, env=environment(**env), stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def run(argv, **env):
    """Runs a training command to its end; returns the CompletedProcess (text output)."""
    return subprocess.run(argv, env=environment(**env), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=DEADLINE_SECS)


def checkpoint_step(train_url):
    """The step of the newest checkpoint named in `<train_url>/checkpoint`, or None."""
    try:
        with open(os.path.join(train_url, "checkpoint")) as f:
            text = f.read()
    except OSError:
        return None
    match = re.search(r'^model_checkpoint_path: "model\.ckpt-(\d+)"', text, re.M)
    return int(match.group(1)) if match else None


def wait_for_checkpoint(train_url, proc, *, after_step=0):
    """Polls until a checkpoint past `after_step` exists; fails if the process ends first."""
    deadline = time.monotonic() + DEADLINE_SECS
    while time.monotonic() < deadline:
        step = checkpoint_step(train_url)
        if step is not None and step > after_step:
            return step
        if proc.poll() is not None:
            raise AssertionError(f"training ended (code {proc.returncode}) before a checkpoint")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"no checkpoint past step {after_step} within {DEADLINE_SECS}s")


def wait_for(condition, proc, *, what):
    """Polls until `condition()` holds; fails if the process ends first."""
    deadline = time.monotonic() + DEADLINE_SECS
    while time.monotonic() < deadline:
        if condition():
            return
        if proc.poll() is not None:
            raise AssertionError(f"training ended (code {proc.returncode}) before {what}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"no {what} within {DEADLINE_SECS}s")


def result(train_url):
    with open(os.path.join(train_url, "result.json")) as f:
        return json.load(f)


def predict(export_dir, x):
    """Loads a SavedModel with a v1 session and returns its serving_default outputs for x."""
    import tensorflow as tf
    with tf.compat.v1.Session(graph=tf.Graph()) as sess:
        meta = tf.compat.v1.saved_model.load(sess, ["serve"], export_dir)
        sig = meta.signature_def["serving_default"]
        return sess.run({k: v.name for k, v in sig.outputs.items()}, {sig.inputs["x"].name: x})
