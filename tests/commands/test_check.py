"""`modelmaker check`: the pass/fail table, the combined-meaning rules, and no writes to train_url."""

import json
import re

import pytest

from modelmaker.commands import check
from modelmaker.config import combinations
from modelmaker import config as p
from tests.conftest import TINY, run_cli


def rows(out):
    """{check name: [(result, detail), ...]} from the printed table."""
    found = {}
    for line in out.splitlines():
        cells = re.split(r"\s{2,}", line.strip(), maxsplit=2)
        if len(cells) >= 2 and cells[1] in ("pass", "warn", "fail", "skip", "info"):
            found.setdefault(cells[0], []).append((cells[1], cells[2] if len(cells) > 2 else ""))
    return found


@pytest.mark.slow
def test_check_passes_a_good_module_without_touching_train_url(tmp_path):
    train_url = tmp_path / "never"
    done = run_cli(["check", "--user_module", TINY, "--train_url", str(train_url),
                    "--eval_every_steps=100", "--train_max_steps=1000", "--keep_checkpoint_max=20",
                    "--set", "best_export={metric: accuracy, mode: max}"],
                   module="modelmaker.cli", cwd=str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    table = rows(done.stdout)
    for name in ("parameters", "user module", "training setup", "input functions", "train steps",
                 "eval step", "export", "metric names"):
        assert table[name][0][0] == "pass", (name, done.stdout)
    assert ("train: repeats forever, features {x: float32 [None, 4]}, labels int32 [None]; "
            "eval: 4 batches, features {x: float32 [None, 4]}, labels int32 [None]") in table["input functions"][0][1]
    assert "serving_default: x -> class_id, probabilities" in table["export"][0][1]
    assert table["evaluation cadence"] == [("info", "evaluating every 100 steps (eval_every_steps), and at the end")]
    assert "passed (0 warnings)" in done.stdout
    assert not train_url.exists() and not (tmp_path / "output").exists()


def test_check_reports_failures_and_what_the_parameters_mean_together(capsys, monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"chief": ["h:1"], "worker": ["h:2"]},
                                                "task": {"type": "chief", "index": 0}}))
    code = check.main(["--user_module", TINY, "--train_max_steps=null", "--tuning_metric=acc"])
    out = capsys.readouterr().out
    assert code == 2 and "FAILED" in out
    table = rows(out)
    assert table["TF_CONFIG"] == [("pass", "cluster: chief, worker")]
    assert table["metric names"][0][0] == "fail" and "names the metric `acc`" in table["metric names"][0][1]
    assert table["export"][0][0] == "pass", "a wrong metric name does not hide the other stages"
    meanings = table["combined meaning"]
    assert ("fail", "train_max_steps is null and train_input_fn repeats forever: training never ends, "
                    "so no final evaluation or export happens. Set train_max_steps, or let the "
                    "training input end.") in meanings
    assert any(level == "warn" and "no evaluator task" in text and "tuning_metric" in text
               for level, text in meanings)


@pytest.mark.parametrize("tf_config, words", [
    ({"cluster": {"chief": ["h:1", "h:2"]}, "task": {"type": "chief", "index": 0}}, "2 chiefs"),
    ({"cluster": {"chief": ["h:1"], "master": ["h:2"]}, "task": {"type": "chief", "index": 0}},
     "both `chief` and `master`"),
    ({"cluster": {"worker": ["h:1"]}, "task": {"type": "worker", "index": 0}}, "has no chief"),
])
def test_check_refuses_the_tf_config_train_refuses(tf_config, words, capsys, monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps(tf_config))
    assert check.main(["--user_module", TINY]) == 2
    table = rows(capsys.readouterr().out)
    assert table["TF_CONFIG"][0][0] == "fail" and words in table["TF_CONFIG"][0][1]
    assert table["user module"] == [("skip", "an earlier check failed")]


def test_check_stops_at_bad_parameters_before_loading_anything(capsys):
    assert check.main(["--user_module", TINY, "--set", "early_stopping={metric: loss}"]) == 2
    table = rows(capsys.readouterr().out)
    assert table["parameters"][0][0] == "fail" and "needs the field `mode`" in table["parameters"][0][1]
    assert "user module" not in table


def test_check_reads_the_platform_and_names_a_malformed_hyperparameter_variable(capsys, monkeypatch):
    monkeypatch.setenv("SM_HPS", '{"early_stopping": "{metric: loss}"}')
    assert check.main(["--user_module", TINY]) == 2
    table = rows(capsys.readouterr().out)
    assert "needs the field `mode`" in table["parameters"][0][1] and "SageMaker SM_HPS" in table["parameters"][0][1]
    monkeypatch.setenv("SM_HPS", "{not json")
    assert check.main(["--user_module", TINY]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("modelmaker: error: SM_HPS is not valid JSON")


def findings(values, **facts):
    params = p.resolve([p.Layer("test", values)])
    return combinations.findings(params, combinations.Facts(**facts))


def test_rule_throttle_longer_than_the_whole_run():
    [found] = findings({"train_max_steps": 1000, "save_checkpoints_steps": 100}, step_secs=0.01)
    assert found.level == "warn" and found.text.startswith(
        "eval_throttle_secs (600 s) is longer than the whole run (~10.0 s: 1,000 steps at ~10.0 ms/step)")


def test_rule_checkpoints_deleted_before_the_evaluator_reads_them():
    [found] = findings({"keep_checkpoint_max": 2, "save_checkpoints_steps": 10, "eval_throttle_secs": 0},
                       step_secs=0.01, eval_secs=3.0, has_evaluator=True)
    assert "keep_checkpoint_max (2) x a checkpoint every ~100.0 ms keeps ~200.0 ms" in found.text
    assert "Set keep_checkpoint_max to 31 or more" in found.text
    assert findings({"keep_checkpoint_max": 2, "save_checkpoints_steps": 10, "eval_throttle_secs": 0},
                    step_secs=0.01, eval_secs=3.0) == [], "one process evaluates between saves: no race"


def test_rule_endless_evaluation_and_too_few_evaluations():
    [found] = findings({"eval_steps": None}, eval_endless=True)
    assert found.level == "fail" and found.text.startswith("eval_steps is null and eval_input_fn repeats forever")
    [found] = findings({"train_max_steps": 100, "eval_every_steps": 50,
                        "early_stopping": {"metric": "loss", "mode": "min", "patience": 2}})
    assert found.text.startswith("early_stopping needs at least 3 evaluations (patience 2 + 1) to stop "
                                 "training, but this run has about 2.")


@pytest.mark.parametrize("values, step_secs", [({"train_max_steps": 1000, "eval_every_steps": 100}, 0.01),
                                               ({}, 0.1)])
def test_sensible_parameters_give_no_findings(values, step_secs):
    assert findings(values, step_secs=step_secs, eval_secs=1.0, train_endless=True, eval_endless=False) == []
