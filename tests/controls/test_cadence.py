"""Evaluation cadence stated in plain words at start-up, and the eval_every_steps shortcut."""

import json

import pytest

import modelmaker
from modelmaker.controls import cadence, tuning
from modelmaker import config as p
from tests.controls.events import summaries


def describe(values, **kwargs):
    return cadence.describe(p.resolve([p.Layer("test", values)]), **kwargs)


@pytest.mark.parametrize("values, text", [
    ({"save_checkpoints_steps": 1000},
     "evaluating every 1,000 steps (checkpoint cadence), at least 600 s apart, and at the end"),
    ({}, "evaluating every 600 s (checkpoint cadence), at least 600 s apart, and at the end"),
    ({"eval_every_steps": 250}, "evaluating every 250 steps (eval_every_steps), and at the end"),
    ({"save_checkpoints_steps": 5000, "train_max_steps": 3000},
     "evaluating once, at the end (checkpoints every 5,000 steps; train_max_steps is 3,000)"),
])
def test_describe_states_the_cadence(values, text):
    assert describe(values) == text


def test_describe_for_a_separate_evaluator():
    assert describe({"save_checkpoints_steps": 100}, evaluator_task=True) == (
        "evaluating in the evaluator task: the newest checkpoint (saved every 100 steps), first "
        "after 120 s, then at most every 600 s; checkpoints saved in between are not evaluated")


def test_a_run_states_its_cadence_and_eval_every_steps_evaluates_every_n_steps(tiny, tmp_path, capfd):
    out = tmp_path / "out"
    modelmaker.fit(tiny, {"train_max_steps": 10, "eval_every_steps": 5, "eval_steps": 1,
                          "tuning_metric": "accuracy"}, train_url=str(out))
    assert "evaluating every 5 steps (eval_every_steps), and at the end" in capfd.readouterr().err
    saved = json.loads((out / "params.json").read_text())
    assert (saved["save_checkpoints_steps"], saved["save_checkpoints_secs"], saved["eval_throttle_secs"]) == (5, None, 0)
    # the tuning summary shows which steps were evaluated
    assert [step for step, _ in summaries(out / "eval", tuning.TAG)] == [5, 10]

