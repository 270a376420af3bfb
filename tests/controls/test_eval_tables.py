"""Every evaluation on screen: one table per evaluation as it happens, the TensorBoard command
after the run, and a cluster's evaluator saying when it evaluated fewer checkpoints than were
saved."""

import json
import re

import pytest

from modelmaker import train
from tests.conftest import TINY

FAST = ["--save_checkpoints_steps=2", "--eval_steps=1", "--log_step_count_steps=100"]


def test_a_run_with_three_evaluations_prints_three_tables(tmp_path, capfd):
    out = tmp_path / "out"
    capfd.readouterr()
    assert train.main(["--user_module", TINY, "--train_url", str(out), "--train_max_steps=6",
                       "--eval_throttle_secs=0", *FAST]) == 0
    err = capfd.readouterr().err
    assert re.findall(r"^evaluation at step (\d+)$", err, re.M) == ["2", "4", "6"], err
    assert len(re.findall(r"^  accuracy  \d", err, re.M)) == 3, err
    assert err.rstrip().endswith(f"TensorBoard: tensorboard --logdir {out}"), err


def test_the_evaluator_says_when_it_evaluated_fewer_checkpoints(tmp_path, capfd, monkeypatch):
    out = tmp_path / "out"
    assert train.main(["--user_module", TINY, "--train_url", str(out), "--train_max_steps=6",
                       "--eval_throttle_secs=3600", *FAST]) == 0
    capfd.readouterr()
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"chief": ["127.0.0.1:2222"]},
                                                "task": {"type": "evaluator", "index": 0}}))
    assert train.main(["--user_module", TINY, "--train_url", str(out), "--train_max_steps=6",
                       "--eval_throttle_secs=5", "--eval_start_delay_secs=0", *FAST]) == 0
    err = capfd.readouterr().err
    assert re.findall(r"^evaluation at step (\d+)$", err, re.M) == ["6"], err
    assert ("the evaluator evaluated 1 of the 3 checkpoints saved (every 2 steps): it takes the newest "
            "one and skips those saved while it waited or evaluated; lower eval_throttle_secs (5 s) "
            "to evaluate more of them.") in err, err
