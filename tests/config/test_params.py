"""Tests for modelmaker.config: the defaults table, merge order, validation, files."""

import json
import os

import pytest

from modelmaker import config as p
from modelmaker.errors import ParamsError
from tests.conftest import REPO


def resolve(*dicts):
    return p.resolve([p.Layer(f"layer{i}", d) for i, d in enumerate(dicts)])


def test_defaults_are_the_seed_values():
    r = resolve()
    assert r["save_checkpoints_steps"] is None
    assert r["save_checkpoints_secs"] == 600
    assert r["keep_checkpoint_max"] == 5
    assert r["log_step_count_steps"] == 100
    assert r["train_max_steps"] == 10000
    assert r["eval_steps"] == 100
    assert r["eval_start_delay_secs"] == 120
    assert r["eval_throttle_secs"] == 600


def test_merge_order_later_layers_win_and_sources_are_tracked():
    r = resolve({"train_max_steps": 5, "batch_size": 8}, {"train_max_steps": 7})
    assert r["train_max_steps"] == 7 and r["batch_size"] == 8
    assert r.sources["train_max_steps"] == "layer1" and r.sources["batch_size"] == "layer0"
    assert r.sources["eval_steps"] == "defaults"


def test_custom_keys_pass_through_with_all_merged_keys():
    r = resolve({"hidden": [64, 32], "lr": 0.1})
    d = r.as_dict()
    assert d["hidden"] == [64, 32] and d["train_max_steps"] == 10000
    d["hidden"].append(1)
    assert r["hidden"] == [64, 32], "as_dict must hand out a copy"
    assert r.custom == {"hidden": [64, 32], "lr": 0.1}


def test_result_is_frozen():
    r = resolve()
    with pytest.raises(TypeError):
        r.values["train_max_steps"] = 1


def test_nested_values_are_frozen_too():
    r = resolve({"best_export": {"metric": "accuracy", "mode": "max"}, "class_names": ["a"],
                 "layers": {"sizes": [8]}})
    for change in (lambda: r["best_export"].update(mode="min"), lambda: r["class_names"].append("b"),
                   lambda: r["layers"]["sizes"].append(4)):
        with pytest.raises(TypeError, match="frozen"):
            change()
    assert r["best_export"] == {"metric": "accuracy", "mode": "max"} and isinstance(r["best_export"], dict)
    copy = r.as_dict()
    copy["layers"]["sizes"].append(4)
    assert r["layers"]["sizes"] == [8] and type(copy["layers"]["sizes"]) is list


def test_steps_cadence_turns_default_seconds_off():
    r = resolve({"save_checkpoints_steps": 50})
    assert r["save_checkpoints_steps"] == 50 and r["save_checkpoints_secs"] is None


@pytest.mark.parametrize("values, words", [
    ({"save_checkpoints_steps": 5, "save_checkpoints_secs": 5}, "exclusive"),
    ({"save_checkpoints_secs": None}, "both null"),
    ({"train_max_steps": "abc"}, "must be a whole number"),
    ({"train_max_steps": 0}, "must be positive"),
    ({"eval_steps": -3}, "must be positive"),
    ({"eval_throttle_secs": -1}, "must be >= 0"),
    ({"train_max_steps": True}, "must be a whole number"),
    ({"eval_start_delay_secs": None}, "must not be null"),
    ({"export_name": 3}, "must be a str"),
])
def test_bad_values_are_refused_naming_key_value_and_source(values, words):
    with pytest.raises(ParamsError) as e:
        resolve(values)
    assert words in str(e.value)
    assert "layer0" in str(e.value)


@pytest.mark.parametrize("typo, meant", [
    ("train_max_step", "train_max_steps"), ("eval_step", "eval_steps"),
    ("keep_checkpoints_max", "keep_checkpoint_max"), ("Train_Max_Steps", "train_max_steps"),
    ("save_checkpoint_steps", "save_checkpoints_steps"),
])
def test_near_miss_of_a_reserved_key_says_did_you_mean(typo, meant):
    with pytest.raises(ParamsError, match=f"did you mean `{meant}`"):
        resolve({typo: 1})


def test_unrelated_custom_keys_are_not_near_misses():
    resolve({"batch_size": 1, "learning_rate": 0.1, "steps": 3, "eval_batch": 2})


def test_keep_checkpoint_max_zero_and_null_keep_all():
    assert resolve({"keep_checkpoint_max": 0})["keep_checkpoint_max"] == 0
    assert resolve({"keep_checkpoint_max": None})["keep_checkpoint_max"] is None


def test_integral_float_becomes_int():
    assert resolve({"train_max_steps": 1000.0})["train_max_steps"] == 1000


def test_json_file_errors_give_line_and_column(tmp_path):
    path = tmp_path / "parameters.json"
    path.write_text('{\n  "train_max_steps": 10,\n  "eval_steps": ,\n}')
    with pytest.raises(ParamsError, match=r"line 3, column 17"):
        p.load_file(str(path))


def test_yaml_file_is_read(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("train_max_steps: 20\nhidden: [4, 2]\neval_steps: null\n")
    data = p.load_file(str(path))
    assert data == {"train_max_steps": 20, "hidden": [4, 2], "eval_steps": None}


def test_yaml_errors_give_line(tmp_path):
    path = tmp_path / "params.yml"
    path.write_text("a: [1, 2\nb: 3\n")
    with pytest.raises(ParamsError, match="not valid YAML at line"):
        p.load_file(str(path))


def test_file_must_hold_a_mapping(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("[1, 2]")
    with pytest.raises(ParamsError, match="must hold a JSON object"):
        p.load_file(str(path))


def test_missing_file_is_a_params_error(tmp_path):
    with pytest.raises(ParamsError, match="cannot read"):
        p.load_file(str(tmp_path / "nope.json"))


@pytest.mark.parametrize("text, value", [
    ("1000", 1000), ("0.5", 0.5), ("null", None), ("None", None), ("[1, 2]", [1, 2]),
    ("abc", "abc"), ("true", True), ("", ""),
])
def test_command_line_values_parse_as_yaml(text, value):
    assert p.parse_value(text) == value


def test_assignment_needs_an_equals_sign():
    assert p.parse_assignment("a=1") == ("a", 1)
    with pytest.raises(ParamsError, match="key=value"):
        p.parse_assignment("train_max_steps")


def test_changes_lists_differences():
    assert p.changes({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == ["b: 2 -> 3", "c: '<unset>' -> 4"]


def test_parameters_json_example_equals_the_table():
    with open(os.path.join(REPO, "parameters.json.example")) as f:
        assert json.load(f) == p.example()


def test_readme_documents_every_reserved_key():
    with open(os.path.join(REPO, "README.md")) as f:
        readme = f.read()
    missing = [k for k in p.DEFAULTS if f"`{k}`" not in readme]
    assert not missing, f"README.md does not document: {missing}"


def test_replace_revalidates():
    r = resolve()
    assert r.replace("test", train_max_steps=3)["train_max_steps"] == 3
    with pytest.raises(ParamsError):
        r.replace("test", train_max_steps=-1)
