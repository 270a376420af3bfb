"""`--install-requirements`: the right file is found, pip installs it offline, failures are clear."""

import os
import subprocess
import sys

import pytest

from modelmaker.user import requirements
from modelmaker.commands import train
from modelmaker.errors import RequirementsError

from tests.scaffold.venvs import bare_venv, clean_env, tiny_wheel

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _lines():
    seen = []
    return seen, seen.append


def test_the_file_beside_the_module_wins_over_the_current_folder(tmp_path):
    (tmp_path / "proj" / "trainer").mkdir(parents=True)
    (tmp_path / "proj" / "trainer" / "task.py").write_text("")
    (tmp_path / "requirements.txt").write_text("a\n")
    assert requirements.find("proj/trainer/task.py", str(tmp_path)) == str(tmp_path / "requirements.txt")
    (tmp_path / "proj" / "requirements.txt").write_text("b\n")
    # A package folder (KDL's trainer/) looks in itself, then in the project folder above it.
    assert requirements.find("proj/trainer", str(tmp_path)) == str(tmp_path / "proj" / "requirements.txt")
    assert requirements.candidate_dirs("proj.trainer.task", str(tmp_path)) == [
        str(tmp_path / "proj" / "trainer"), str(tmp_path)]
    assert requirements.find("mymodel", str(tmp_path / "proj")) == str(tmp_path / "proj" / "requirements.txt")


def test_listed_skips_comments_and_blank_lines(tmp_path):
    file = tmp_path / "requirements.txt"
    file.write_text("# header\n\nnumpy>=1  # why\n  \n--no-index\n")
    assert requirements.listed(str(file)) == ["numpy>=1", "--no-index"]


def test_nothing_to_install_runs_no_pip(tmp_path):
    seen, log = _lines()
    assert requirements.install_for("mymodel", requirements.AUTO, cwd=str(tmp_path), log=log) is None
    assert "no requirements.txt" in seen[0]
    (tmp_path / "requirements.txt").write_text("# only comments\n")
    requirements.install_for("mymodel", requirements.AUTO, cwd=str(tmp_path), python="/no/such/python",
                             log=log)
    assert "lists no packages" in seen[-1]


def test_an_explicit_missing_file_is_an_error(tmp_path):
    with pytest.raises(RequirementsError, match="no such file"):
        requirements.install_for("mymodel", "extra.txt", cwd=str(tmp_path))


@pytest.mark.slow
def test_installs_a_local_package_into_the_given_python(tmp_path):
    python = bare_venv(tmp_path / "venv")
    (tmp_path / "proj").mkdir()
    tiny_wheel(tmp_path / "proj")
    (tmp_path / "proj" / "requirements.txt").write_text(
        "--no-index\n./mm_reqtest_pkg-0.1-py3-none-any.whl  # a path relative to this file\n")
    seen, log = _lines()
    used = requirements.install_for("proj/mymodel.py", requirements.AUTO, cwd=str(tmp_path),
                                    python=python, log=log)
    assert used == str(tmp_path / "proj" / "requirements.txt") and "installed" in seen[-1]
    out = subprocess.run([python, "-c", "import mm_reqtest_pkg; print(mm_reqtest_pkg.VALUE)"],
                         capture_output=True, text=True, env=clean_env(), cwd=str(tmp_path))
    assert out.stdout.strip() == "42", out.stderr
    assert subprocess.run([sys.executable, "-c", "import mm_reqtest_pkg"], capture_output=True).returncode != 0


@pytest.mark.slow
def test_the_train_cli_installs_before_importing_the_user_module(tmp_path):
    python = bare_venv(tmp_path / "venv")
    tiny_wheel(tmp_path)
    (tmp_path / "requirements.txt").write_text("--no-index\n./mm_reqtest_pkg-0.1-py3-none-any.whl\n")
    # Imports the package it needs, then lacks model_fn: reaching that check proves the import worked.
    (tmp_path / "mymodel.py").write_text("import mm_reqtest_pkg\n")
    proc = subprocess.run([python, "-m", "modelmaker.train", "--user_module", "mymodel",
                           "--install-requirements"], cwd=str(tmp_path), capture_output=True, text=True,
                          env=dict(clean_env(), PYTHONPATH=REPO), timeout=300)
    assert proc.returncode == 2
    assert "Successfully installed mm-reqtest-pkg-0.1" in proc.stdout  # pip's own output is shown
    assert "does not define `model_fn`" in proc.stderr, proc.stderr


@pytest.mark.slow
def test_a_pip_failure_exits_2_with_pip_status_and_trains_nothing(tmp_path):
    (tmp_path / "requirements.txt").write_text("--no-index\nmodelmaker-test-no-such-package==1.0\n")
    proc = subprocess.run([sys.executable, "-m", "modelmaker.train", "--user_module", "mymodel",
                           "--install-requirements", "--train_url", str(tmp_path / "out")],
                          cwd=str(tmp_path), capture_output=True, text=True,
                          env=dict(clean_env(), PYTHONPATH=REPO), timeout=300)
    assert proc.returncode == 2
    assert "modelmaker-test-no-such-package" in proc.stdout + proc.stderr  # pip's own message
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("modelmaker: error: pip could not install") and "pip exit status 1" in last
    assert not (tmp_path / "out").exists()


def test_the_flag_takes_an_optional_file(tmp_path):
    def value(*flags):
        args, _, _ = train.parse(["--user_module", "m", *flags], cwd=str(tmp_path))
        return args.install_requirements
    assert value() is None
    assert value("--install-requirements") == requirements.AUTO
    assert value("--install_requirements", "x.txt") == "x.txt"
