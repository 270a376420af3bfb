"""The training-control parameters: dict fields checked one by one, and eval_every_steps."""

import pytest

from modelmaker import config as p
from modelmaker.errors import ParamsError


def resolve(values, source="parameters.json"):
    return p.resolve([p.Layer(source, values)])


def test_dict_parameters_are_completed_with_their_field_defaults():
    r = resolve({"best_export": {"metric": "accuracy", "mode": "max"},
                 "early_stopping": {"metric": "loss", "mode": "min", "min_delta": 1}})
    assert r["best_export"] == {"metric": "accuracy", "mode": "max"}
    assert r["early_stopping"] == {"metric": "loss", "mode": "min", "patience": 3, "min_delta": 1.0}


@pytest.mark.parametrize("value, message", [
    ({"metric": "accuracy"}, r"`best_export` .* in parameters.json needs the field `mode`: max when"),
    ({"metric": "accuracy", "mod": "max"}, r"unknown field `mod`: did you mean `mode`\? its fields are metric, mode"),
    ({"metric": "accuracy", "mode": "up"}, r"`best_export.mode` \('up'\) in parameters.json must be one of: min, max"),
    ({"metric": "", "mode": "max"}, r"`best_export.metric` .* must not be empty"),
    ("accuracy", r"`best_export` \('accuracy'\) .* must be a dict with the fields metric, mode, got str"),
])
def test_best_export_fields_are_checked(value, message):
    with pytest.raises(ParamsError, match=message):
        resolve({"best_export": value})


def test_early_stopping_fields_are_checked():
    with pytest.raises(ParamsError, match=r"`early_stopping.patience` \(0\) .* must be positive"):
        resolve({"early_stopping": {"metric": "loss", "mode": "min", "patience": 0}})
    with pytest.raises(ParamsError, match=r"`early_stopping.min_delta` \('x'\) .* must be a finite number"):
        resolve({"early_stopping": {"metric": "loss", "mode": "min", "min_delta": "x"}})


def test_eval_every_steps_sets_the_checkpoint_cadence_and_throttle():
    r = resolve({"eval_every_steps": 50})
    assert (r["save_checkpoints_steps"], r["save_checkpoints_secs"], r["eval_throttle_secs"]) == (50, None, 0)
    assert r.sources["eval_throttle_secs"] == "eval_every_steps in parameters.json"
    assert r.replace("test", train_max_steps=3)["save_checkpoints_steps"] == 50, "replace keeps it valid"
    assert resolve({"eval_every_steps": 50, "save_checkpoints_steps": 50})["save_checkpoints_steps"] == 50


def test_eval_every_steps_refuses_a_contradicting_cadence():
    with pytest.raises(ParamsError, match=r"`eval_every_steps` \(50, from parameters.json\) sets "
                                          r"`eval_throttle_secs` to 0, but `eval_throttle_secs` is 60"):
        resolve({"eval_every_steps": 50, "eval_throttle_secs": 60})
    with pytest.raises(ParamsError, match="sets `save_checkpoints_secs` to null"):
        resolve({"eval_every_steps": 50, "save_checkpoints_secs": 100})
