"""The built wheel works on its own: installed in a fresh venv on the stack the suite runs on (`make test`: the
default, current TensorFlow), its requirements met there, used from outside the repository."""

import os
import shutil
import subprocess
import sys

import pytest

from .venvs import bare_venv, clean_env

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# What setup.py reads (every requirements file: install_requires and the extras) and the package.
SOURCES = ("setup.py", "MANIFEST.in", "README.md", "modelmaker",
           *sorted(n for n in os.listdir(REPO) if n.startswith("requirements") and n.endswith(".txt")))


def _build_wheel(tmp_path):
    # Built from a copy, so the build leaves nothing in the repository (build/, egg-info).
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        path = os.path.join(REPO, name)
        if os.path.isdir(path):
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(path, src / name)
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "--disable-pip-version-check", "--quiet", "-w", str(dist), str(src)],
                   check=True, env=clean_env(), cwd=str(tmp_path))
    (wheel,) = dist.glob("modelmaker-*.whl")
    return wheel


def _run(args, cwd):
    proc = subprocess.run(args, cwd=str(cwd), env=clean_env(), capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.mark.slow
def test_wheel_installs_inits_and_trains_outside_the_repository(tmp_path):
    venv = tmp_path / "venv"
    python = bare_venv(venv, wheels=[_build_wheel(tmp_path)])
    work = tmp_path / "work"
    work.mkdir()

    where = _run([python, "-c", "import modelmaker; print(modelmaker.__file__)"], work).stdout.strip()
    assert where.startswith(str(venv)) and not where.startswith(REPO), where
    # The wheel's install_requires accept this stack's TensorFlow, tf-keras, serving API and TensorBoard.
    check = _run([sys.executable, "-m", "pip", "--python", python, "check", "--disable-pip-version-check"], work)
    assert check.stdout.strip() == "No broken requirements found.", check.stdout

    modelmaker = str(venv / "bin" / "modelmaker")
    assert "init" in _run([modelmaker, "--help"], work).stdout
    assert "image-classifier" in _run([modelmaker, "init", "--list"], work).stdout
    _run([modelmaker, "init", "myproject"], work)
    project = work / "myproject"
    assert (project / "data" / "train.csv").is_file()
    proc = _run([modelmaker, "train", "--user_module", "mymodel", "--install-requirements",
                 "--train_max_steps", "10", "--save_checkpoints_steps", "10"], project)

    assert "lists no packages; nothing to install" in proc.stderr
    versions = os.listdir(project / "output" / "export" / "model")
    assert versions == ["1"] and (project / "output" / "export" / "model" / "1" / "saved_model.pb").is_file()
