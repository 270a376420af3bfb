"""Every usual spelling of a number is a number, wherever parameters are read (issue 16, item 2);
a custom parameter that changes kind between sources is refused in one line."""

import json

import pytest

from modelmaker.commands import check, train
from modelmaker import config as p
from modelmaker.errors import ParamsError
from tests.conftest import TINY

SPELLINGS = {"1e-3": 0.001, "1E5": 100000.0, ".5": 0.5, "5.": 5.0, "-2e+3": -2000.0,
             "1.5e3": 1500.0, "+1e2": 100.0}


def test_train_reads_every_spelling_of_a_number_as_a_number(tmp_path, capfd):
    # The tiny module feeds learning_rate to its optimizer: as text it died in TensorFlow
    # ("Cast string to float is not supported").
    (tmp_path / "parameters.yaml").write_text(
        "learning_rate: 1e-3\nspellings: [" + ", ".join(SPELLINGS) + "]\n")
    out = tmp_path / "out"
    code = train.main(["--user_module", TINY, "--train_url", str(out),
                       "--params", str(tmp_path / "parameters.yaml"), "--set", "momentum=1E5",
                       "--train_max_steps=1e1", "--save_checkpoints_steps=5.", "--eval_steps=2",
                       "--eval_throttle_secs=0", "--log_step_count_steps=5"])
    assert code == 0, capfd.readouterr().err
    saved = json.loads((out / "params.json").read_text())
    assert saved["learning_rate"] == 0.001 and saved["momentum"] == 100000.0
    assert saved["spellings"] == list(SPELLINGS.values())
    assert saved["train_max_steps"] == 10 and saved["save_checkpoints_steps"] == 5
    assert json.loads((out / "result.json").read_text())["global_step"] == 10


@pytest.mark.parametrize("text", sorted(SPELLINGS))
def test_set_values_are_numbers(text):
    assert p.parse_assignment(f"learning_rate={text}") == ("learning_rate", SPELLINGS[text])


@pytest.mark.parametrize("text", ["abc", "1e", "e5", "1.2.3", "0x1g", '"1e-3"'])
def test_text_stays_text(text):
    assert isinstance(p.parse_value(text), str)


def test_a_custom_key_that_turns_from_number_to_text_is_one_line_naming_both(tmp_path, capsys):
    (tmp_path / "parameters.json").write_text('{"learning_rate": 0.01}')
    code = check.main(["--user_module", TINY, "--params", str(tmp_path / "parameters.json"),
                       "--set", "learning_rate=fast"])
    out = capsys.readouterr().out
    assert code == 2
    row = next(line for line in out.splitlines() if line.startswith("parameters"))
    assert "fail" in row
    for words in ("`learning_rate`", "'fast'", "the command line", "0.01", "parameters.json"):
        assert words in row


def test_the_training_runs_params_count_as_a_source_for_evaluate():
    saved = p.Layer("output/params.json", {"hidden": [64, 32]})
    with pytest.raises(ParamsError, match=r"`hidden` is a string \('64'\) in --set but a list"):
        p.resolve([saved, p.Layer("--set", {"hidden": "64"})])
    assert p.resolve([saved, p.Layer("--set", {"hidden": None})])["hidden"] is None
    assert p.resolve([p.Layer("a", {"rate": 1}), p.Layer("b", {"rate": 0.5})])["rate"] == 0.5


def test_a_json_number_without_digits_around_the_dot_says_how_to_write_it(tmp_path, capsys):
    (tmp_path / "parameters.json").write_text('{"learning_rate": .5}')
    assert check.main(["--user_module", TINY, "--params", str(tmp_path / "parameters.json")]) == 2
    assert "JSON numbers need digits on both sides of the dot (0.5, 5.0)" in capsys.readouterr().out
