"""Tests for the shared argument parsing (`modelmaker.commands.args`): every parameter key is a
--key=value / --key value flag, the platform's layer sits between the file and the command line,
and the note about ignored arguments."""

import json

import pytest

from modelmaker import platforms
from modelmaker.commands import args as args_lib, train
from modelmaker.errors import ParamsError

SAGEMAKER = platforms.recognise({"SM_MODEL_DIR": "/ml/model", "SM_CHANNEL_TRAINING": "/ml/data",
                                 "SM_OUTPUT_DATA_DIR": "/ml/output/data",
                                 "SM_HPS": json.dumps({"learning_rate": 0.2, "epochs": "3"})})


@pytest.fixture
def project(tmp_path):
    (tmp_path / "parameters.json").write_text(json.dumps(
        {"learning_rate": 0.1, "batch_size": 32, "hidden": [8], "params": "a key that is a flag"}))
    return str(tmp_path)


@pytest.mark.parametrize("given", [["--learning_rate=0.05", "--batch_size=16"],
                                   ["--learning_rate", "0.05", "--batch_size", "16"]])
def test_every_key_of_the_parameters_file_is_a_flag(project, given):
    args, params, ignored = train.parse(["--user_module", "m", *given, "--hidden=[4, 2]"], cwd=project)
    assert (params["learning_rate"], params["batch_size"], params["hidden"]) == (0.05, 16, [4, 2])
    assert params.sources["batch_size"] == "the command line" and ignored == []
    assert params["params"] == "a key that is a flag", "a key named like a flag stays a --set key"


def test_reserved_keys_take_both_spellings_too(project):
    _, params, _ = train.parse(["--user_module", "m", "--train_max_steps", "7", "--eval_steps=null"], cwd=project)
    assert (params["train_max_steps"], params["eval_steps"]) == (7, None)


def test_precedence_command_line_platform_file_defaults(project):
    args, params, _ = train.parse(["--user_module", "m", "--epochs=5"], cwd=project, platform=SAGEMAKER)
    assert params["learning_rate"] == 0.2 and params.sources["learning_rate"] == "SageMaker SM_HPS"
    assert params["epochs"] == 5 and params.sources["epochs"] == "the command line"
    assert params["batch_size"] == 32 and params["train_max_steps"] == 10000
    assert args.data_url == "/ml/data" and args.sources["data_url"] == "SageMaker SM_CHANNEL_TRAINING"
    assert args.train_url == "/ml/output/data/model_dir"
    args, _, _ = train.parse(["--user_module", "m", "--data_url", "d", "--model_dir", "o"], cwd=project,
                             platform=SAGEMAKER)
    assert (args.data_url, args.train_url, args.sources["train_url"]) == ("d", "o", "the command line")
    args, _, _ = train.parse(["--user_module", "m"], cwd=project)
    assert (args.data_url, args.train_url) == (None, "output")


def test_a_near_miss_of_a_file_key_is_refused(project):
    with pytest.raises(ParamsError, match="did you mean --learning_rate"):
        train.parse(["--user_module", "m", "--learning_rat=0.05"], cwd=project)


def test_unknown_flags_are_ignored_with_a_note_naming_set_and_the_nearest_key(project):
    _, params, ignored = train.parse(["--user_module", "m", "--platform_flag", "x", "--learningrate_decay=1"],
                                     cwd=project)
    assert ignored == ["--platform_flag", "x", "--learningrate_decay=1"]
    note = args_lib.ignored_note(ignored, params)
    assert note.startswith("ignoring arguments modelmaker does not use: --platform_flag x --learningrate_decay=1")
    assert "--set platform_flag=VALUE" in note and "the nearest known key is learning_rate" in note
    assert args_lib.ignored_note(["stray"], params) == "ignoring arguments modelmaker does not use: stray"
