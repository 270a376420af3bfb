"""Shared test fixtures: a clean environment, the tiny user module, a CLI runner, a module writer;
the skips of the `estimator` marker on TensorFlow without tf.estimator."""

import os
import subprocess
import sys
import textwrap

import pytest

from modelmaker import platforms
from modelmaker.storage import urls

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = os.path.join(REPO, "tests", "modules", "tiny.py")
MNIST_10K = os.path.join(REPO, "..", "shared", "data", "mnist-10k")

# Small, fast settings for a real training run: checkpoints every 5 steps, evaluate at once.
FAST = {"train_max_steps": 10, "save_checkpoints_steps": 5, "eval_steps": 2,
        "eval_throttle_secs": 0, "log_step_count_steps": 5}


# Variables of the caller's shell that change what modelmaker, TensorFlow or botocore do:
# the cluster, TensorFlow's C++ log level and devices, storage endpoints and credentials
# (AWS_* and each scheme's own, see modelmaker/storage/urls.py), and MODELMAKER_*.
# A training platform's variables (SM_*, AIP_*, MA_*, CLUSTER_SPEC: modelmaker/platforms.py) too.
CALLER_NAMES = ("TF_CONFIG", "TF_CPP_MIN_LOG_LEVEL", "TF_CPP_MAX_VLOG_LEVEL", "TF_CPP_VMODULE",
                "CUDA_VISIBLE_DEVICES") + platforms.NAMES
CALLER_PREFIXES = ("AWS_", "MODELMAKER_") + platforms.PREFIXES + tuple(
    f"{scheme.prefix}_" for scheme in urls.SCHEMES.values() if scheme.prefix)


def caller_variables(environ):
    """The names in `environ` that tests must not inherit from the caller's shell."""
    return sorted(n for n in environ if n in CALLER_NAMES or n.startswith(CALLER_PREFIXES))


# Once at start-up, before any test module imports TensorFlow (it reads its C++ log level
# and devices at import); the fixture below keeps every test, and every subprocess started
# with os.environ (run_cli), on this clean start whatever an earlier test left behind.
for _name in caller_variables(os.environ):
    del os.environ[_name]


ESTIMATOR_REASON = "needs tensorflow-estimator (TensorFlow <= 2.15), which does not import here"


def pytest_collection_modifyitems(config, items):
    """On TensorFlow without tf.estimator, skips the tests marked `estimator`, with the reason."""
    marked = [item for item in items if item.get_closest_marker("estimator")]
    if not marked:
        return
    from modelmaker.estimator import has_real_estimator  # imports TensorFlow: after the clean start above
    if has_real_estimator():
        return
    for item in marked:
        item.add_marker(pytest.mark.skip(reason=ESTIMATOR_REASON))


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Every test starts without the caller's TF_CONFIG, TF_CPP_*, CUDA_VISIBLE_DEVICES,
    storage and MODELMAKER_* variables; a test sets the ones it needs with monkeypatch."""
    for name in caller_variables(os.environ):
        monkeypatch.delenv(name)


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
