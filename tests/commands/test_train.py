"""Tests for the training command line: `python -m modelmaker.train` and `modelmaker train`."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from modelmaker.commands import train
from modelmaker.errors import ParamsError
from tests.conftest import FAST, flags, run_cli


@pytest.mark.slow
def test_cli_trains_exports_and_records(tiny, tmp_path):
    out = tmp_path / "out"
    (tmp_path / "parameters.json").write_text(json.dumps({"train_max_steps": 4, "lr_custom": 1,
                                                          "learning_rate": 0.1, "batch_size": 32}))
    proc = run_cli(["--user_module", tiny, "--train_url", str(out), "--save_checkpoints_steps=5",
                    "--eval_steps=2", "--eval_throttle_secs=0", "--set", "train_max_steps=6",
                    "--learning_rate=0.05", "--batch_size", "16", "--platform_flag", "x"], cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    result = json.loads((out / "result.json").read_text())
    assert result["global_step"] == 6, "--set beats ./parameters.json"
    params = json.loads((out / "params.json").read_text())
    assert params["lr_custom"] == 1, "./parameters.json is read when no --params is given"
    assert (params["learning_rate"], params["batch_size"]) == (0.05, 16), "ModelArts' --key=value, --key value"
    assert os.path.isfile(os.path.join(result["export_dir"], "saved_model.pb"))
    assert "ignoring arguments modelmaker does not use: --platform_flag x (" in proc.stderr
    assert "--set platform_flag=VALUE" in proc.stderr
    assert "evaluation at step 6" in proc.stderr and "accuracy" in proc.stderr
    assert "cuDNN" not in proc.stderr and "deprecated" not in proc.stderr, "TF noise is quiet by default"


@pytest.mark.slow
def test_tensorflow_start_up_lines_stay_quiet_when_the_shell_exports_a_lower_log_level(tiny, tmp_path):
    proc = run_cli(["--user_module", tiny, "--train_url", str(tmp_path / "out"), "--train_max_steps=1",
                    "--eval_steps=1"], env={"TF_CPP_MIN_LOG_LEVEL": "2"})
    assert proc.returncode == 0, proc.stderr
    assert "Unable to register" not in proc.stderr and " E external/" not in proc.stderr, proc.stderr


@pytest.mark.slow
def test_cli_aliases_and_progress_lines(tiny, tmp_path):
    out = tmp_path / "out"
    proc = run_cli(["--user_module", tiny, "--model_dir", str(out), "--data_dir", str(tmp_path),
                    *flags(FAST)])
    assert proc.returncode == 0, proc.stderr
    assert "train | step 5/10 |" in proc.stderr and "steps/s | loss" in proc.stderr and "ETA" in proc.stderr


@pytest.mark.parametrize("args, words", [
    (["--train_url_", "x"], "did you mean --train_url"),
    (["--train-max-steps=5"], "did you mean --train_max_steps"),
    (["--set", "train_max_step=5"], "did you mean `train_max_steps`"),
    (["--train_max_steps=abc"], "must be a whole number"),
    (["--set", "nonsense"], "key=value"),
])
def test_parse_errors(tiny, args, words):
    with pytest.raises(ParamsError, match=words):
        train.parse(["--user_module", tiny, *args], cwd="/")


@pytest.mark.slow
def test_user_mistake_prints_one_line_and_exits_2(tmp_path):
    proc = run_cli(["--user_module", "no_such_module_here", "--train_url", str(tmp_path / "o")],
                   cwd=str(tmp_path))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.startswith("modelmaker: error:")]
    assert len(lines) == 1 and "not found" in lines[0]


@pytest.mark.slow
def test_bug_keeps_its_traceback_and_exits_1(tiny, write_module, tmp_path):
    # An exception raised inside modelmaker itself (here its progress line, called with arguments
    # it does not take) is a bug; an error in the user's code exits 2 (tests/fault/test_user_code_errors.py).
    path = write_module(open(tiny).read() + "\nimport modelmaker.engine.hooks.progress as _p\n"
                        "_p.progress_line = _p.format_seconds  # simulates a bug in modelmaker\n", "bug")
    proc = run_cli(["--user_module", path, "--train_url", str(tmp_path / "o"), *flags(FAST)])
    assert proc.returncode == 1 and "Traceback" in proc.stderr, proc.stderr
    assert "unexpected keyword argument" in proc.stderr and "modelmaker: error" not in proc.stderr


@pytest.mark.slow
def test_help_explains_flags():
    proc = run_cli(["--help"])
    assert proc.returncode == 0
    for flag in ("--user_module", "--data_url", "--train_url", "--params", "--set", "--train_max_steps"):
        assert flag in proc.stdout


@pytest.mark.slow
def test_console_script_runs_train(tiny, tmp_path):
    exe = shutil.which("modelmaker", path=os.path.dirname(sys.executable))
    if exe is None:
        pytest.skip("the modelmaker console script is not installed in this environment")
    out = tmp_path / "o"
    proc = subprocess.run([exe, "train", "--user_module", tiny, "--train_url", str(out), *flags(FAST)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (out / "result.json").exists()


def test_an_evaluation_prints_progress_lines(tiny, tmp_path, monkeypatch, capfd):
    from modelmaker.engine.hooks import progress
    monkeypatch.setattr(progress, "EVAL_PROGRESS_SECS", 0.0)  # a line after every batch
    out = tmp_path / "out"
    assert train.main(["--user_module", tiny, "--train_url", str(out),
                       *flags(dict(FAST, eval_steps=3, eval_throttle_secs=3600))]) == 0
    err = capfd.readouterr().err
    for batch in (1, 2, 3):
        assert f"eval | batch {batch}/3 | " in err, err
    assert " batches/s | ETA " in err
