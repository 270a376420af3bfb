"""The Makefile's choices, checked with dry runs (`make -n`) in a copy of it: which Python makes .venv, the
PYTHON= override, the one-line error when no Python runs, the compatibility stack's venv and suite, and that
a built venv is not rebuilt. Nothing is installed: stand-in interpreters on PATH answer the Makefile's probes."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO

MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="needs GNU make on PATH")

COPIED = ["Makefile", "setup.py"] + sorted(n for n in os.listdir(REPO) if n.startswith("requirements"))
# What the caller's make or shell could pass down and change the Makefile's choices.
MAKE_VARIABLES = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "PYTHON", "PYTHON_COMPAT")
BROKEN = '#!/bin/sh\necho "pyenv: $(basename "$0"): command not found" >&2\nexit 127\n'  # a pyenv shim


def python(*version):
    """A stand-in interpreter of `version` for the Makefile's probes (`python -c CODE`): this Python, with
    sys.version_info replaced, runs CODE (whatever Python runs the suite)."""
    return (f"#!{sys.executable}\nimport sys\nsys.version_info = {version!r}\n"
            "exec(sys.argv[sys.argv.index('-c') + 1])\n")


WORKS = python(3, 12, 0)


@pytest.fixture
def checkout(tmp_path):
    """A folder holding the Makefile and what its stamps depend on, and a bin/ for stand-in pythons."""
    for name in COPIED:
        shutil.copy(os.path.join(REPO, name), tmp_path / name)
    (tmp_path / "bin").mkdir()
    return tmp_path


def _pythons(checkout, **scripts):
    """Writes bin/<name> for each name=script (python3_13="..." -> bin/python3.13)."""
    for name, script in scripts.items():
        path = checkout / "bin" / name.replace("_", ".")
        path.write_text(script)
        path.chmod(0o755)


def _make(checkout, *args):
    env = {k: v for k, v in os.environ.items() if k not in MAKE_VARIABLES}
    env["PATH"] = f"{checkout / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run([MAKE, "--no-print-directory", *args], cwd=str(checkout), env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def _ok(done):
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.splitlines()


def test_the_newest_python_that_runs_makes_the_default_venv(checkout):
    _pythons(checkout, python3_13=python(3, 13, 0), python3_12=python(3, 12, 1), python3_11=python(3, 11, 7))
    assert "python3.13 -m venv .venv" in _ok(_make(checkout, "-n", "venv"))
    _pythons(checkout, python3_13=BROKEN)  # a pyenv shim of a version that is not installed
    lines = _ok(_make(checkout, "-n", "test"))
    assert "python3.12 -m venv .venv" in lines
    assert ".venv/bin/python -m pip install --quiet -e '.[test,current]'" in lines
    assert lines[-1] == ".venv/bin/python -m pytest -q tests"


def test_python_on_the_command_line_wins(checkout):
    _pythons(checkout, python3_13=WORKS, mine=WORKS)
    mine = str(checkout / "bin" / "mine")
    assert f"{mine} -m venv .venv" in _ok(_make(checkout, "-n", "demo", f"PYTHON={mine}"))


def test_no_python_that_runs_is_a_clear_error_before_anything_is_made(checkout):
    _pythons(checkout, python3_13=BROKEN, python3_12=BROKEN, python3_11=BROKEN)
    done = _make(checkout, "demo")
    assert done.returncode == 2 and done.stdout == ""
    assert ("no Python 3.11, 3.12 or 3.13 runs here (tried python3.13 python3.12 python3.11 on PATH). The default "
            "stack (current TensorFlow) needs one of them: install it, or run: make PYTHON=/path/to/python3.12 "
            "demo.") in done.stderr, done.stderr
    assert not (checkout / ".venv").exists()
    _pythons(checkout, old=python(3, 10, 14))
    done = _make(checkout, "venv", f"PYTHON={checkout / 'bin' / 'old'}")
    assert done.returncode == 2 and f"(PYTHON={checkout / 'bin' / 'old'} does not start or is not " \
                                   "Python 3.11-3.13)" in done.stderr, done.stderr


def test_compat_runs_the_suite_on_the_tf2_15_venv_of_python3_11(checkout):
    _pythons(checkout, python3_13=BROKEN, python3_11=python(3, 11, 9))
    lines = _ok(_make(checkout, "-n", "test-compat"))
    assert "python3.11 -m venv .venv-tf2.15" in lines
    assert ".venv-tf2.15/bin/python -m pip install --quiet -e '.[test,estimator]'" in lines
    assert lines[-1] == ".venv-tf2.15/bin/python -m pytest -q tests"
    assert not any(".venv/" in line for line in lines), "the compatibility suite needs no default venv"
    _pythons(checkout, python3_11=python(3, 12, 0))  # a python3.11 that is not 3.11
    done = _make(checkout, "-n", "test-compat")
    assert done.returncode == 2 and ("python3.11 does not start or is not Python 3.11. The compatibility stack "
                                     "(TensorFlow 2.15 + tensorflow-estimator) needs Python 3.11") in done.stderr


def _built(checkout, venv):
    """Lays out `venv` as a finished `make` would have left it."""
    (checkout / venv / "bin").mkdir(parents=True)
    (checkout / venv / "bin" / "python").write_text(WORKS)
    (checkout / venv / ".modelmaker-installed").write_text("")


def test_a_built_venv_is_reused_until_setup_or_requirements_change(checkout):
    _built(checkout, ".venv")
    assert _ok(_make(checkout, "-n", "test")) == [".venv/bin/python -m pytest -q tests"]
    later = os.stat(checkout / ".venv" / ".modelmaker-installed").st_mtime + 10
    os.utime(checkout / "requirements-current.txt", (later, later))  # edited after the venv was made
    lines = _ok(_make(checkout, "-n", "test"))
    assert ".venv/bin/python -m pip install --quiet -e '.[test,current]'" in lines
    assert not any("-m venv" in line for line in lines), "the venv itself is kept"


def test_bench_adds_the_tf2_15_figures_when_that_venv_exists(checkout):
    _built(checkout, ".venv")
    assert _ok(_make(checkout, "-n", "bench")) == [".venv/bin/python bench/run.py"]
    _built(checkout, ".venv-tf2.15")
    assert _ok(_make(checkout, "-n", "bench")) == [
        ".venv/bin/python bench/run.py --compat_python .venv-tf2.15/bin/python"]
