"""Shared test fixtures: the tiny user module, a CLI runner, and a module writer."""

import os
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = os.path.join(REPO, "tests", "modules", "tiny.py")
MNIST_10K = os.path.join(REPO, "..", "shared", "data", "mnist-10k")

# Small, fast settings for a real training run: checkpoints every 5 steps, evaluate at once.
FAST = {"train_max_steps": 10, "save_checkpoints_steps": 5, "eval_steps": 2,
        "eval_throttle_secs": 0, "log_step_count_steps": 5}


@pytest.fixture
def tiny():
    """Path of the tiny user module (4 features -> 3 classes)."""
    return TINY


@pytest.fixture
def write_module(tmp_path):
    """Writes a user module from source text and returns its path."""
    def write(source, name="usermod"):
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        return str(path)
    return write


def run_cli(args, *, cwd=None, module="modelmaker.train", env=None, timeout=300):
    """Runs `python -m <module> args` and returns the CompletedProcess (text output)."""
    full_env = dict(os.environ, PYTHONPATH=REPO, **(env or {}))
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def flags(values):
    """--key=value flags for a dict of parameters."""
    return [f"--{k}={'null' if v is None else v}" for k, v in values.items()]
