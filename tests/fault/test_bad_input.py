"""The bad-input table: every user mistake exits 2 with one line that names the culprit and
the fix, and no traceback (README "Troubleshooting" lists the same cases).

The cases run in-process through `modelmaker.train.main` (the command line's own code path)
to spare a TensorFlow import per case; tests/test_train.py and test_nan_loss.py check the
same contract on real processes.
"""

import json
import os
import shutil

import pytest

from tests.fault import faultkit
from modelmaker.commands import train

TINY = open(os.path.join(faultkit.REPO, "tests", "modules", "tiny.py")).read()
FAST = ["--train_max_steps=4", "--save_checkpoints_steps=2", "--eval_steps=1",
        "--eval_throttle_secs=3600", "--log_step_count_steps=100"]


def variant(old, new):
    """tiny.py with `old` replaced by `new` (which must occur)."""
    assert old in TINY, old
    return TINY.replace(old, new)


def without(name):
    """tiny.py without the function `name`."""
    head, tail = TINY.split(f"def {name}(")
    rest = tail.split("\ndef ", 1)
    return head + ("def " + rest[1] if len(rest) > 1 else "")


TRAIN_SPEC = "return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)"
EVAL_SPEC = 'return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={"accuracy": acc})'
PREDICT_SPEC = "return tf.estimator.EstimatorSpec(mode, predictions=predictions)"
LOGITS = 'logits = tf.keras.layers.Dense(3, name="logits")(x)'

# case: (module source or None for tiny.py, extra argv, parameters.json text or None, words).
# In argv and words, {out} is the train_url, {mod} the module path, {tmp} the test's folder.
CASES = {
    "module not found": (None, ["--user_module", "no_such_module_xyz"], None,
                         ["`no_such_module_xyz` not found", "--user_module path/to/"]),
    "import error inside the module": ("import os\nx = 1\nundefined_name + 1\n", [], None,
                                       ["{mod}:3", "NameError", "This error is in your code"]),
    **{f"missing {name}": (without(name), [], None,
                           [f"does not define `{name}`", "must define all four"])
       for name in ("model_fn", "train_input_fn", "eval_input_fn", "serving_input_receiver_fn")},
    "model_fn arguments": (variant("def model_fn(features, labels, mode, params)",
                                   "def model_fn(features, labels, mode, hparams)"), [], None,
                           ["takes (features, labels, mode, hparams)", "unsupported argument(s) hparams",
                            "model_fn may take features, labels, mode[, params][, config]"]),
    "input_fn returns a list": (variant("return tf.data.Dataset.from_tensor_slices((features, labels))"
                                        ".repeat().batch(16)", "return [1, 2, 3]"), [], None,
                                ["`train_input_fn` in {mod} returned list [1, 2, 3]",
                                 "must return a tf.data.Dataset or a (features, labels) tuple"]),
    "input_fn returns a [features, labels] list": (
        variant("return tf.data.Dataset.from_tensor_slices((features, labels)).repeat().batch(16)",
                'return [features["x"], labels]'), [], None,
        ["`train_input_fn` in {mod} returned a list [features, labels] (ndarray (256, 4) float32, "
         "ndarray (256,) int32), which would train as one batch of every sample",
         "return a tf.data.Dataset: tf.data.Dataset.from_tensor_slices((features, labels)).batch(32)"]),
    "evaluation that never ends": (
        variant("return tf.data.Dataset.from_tensor_slices((features, labels)).batch(16)",
                "return tf.data.Dataset.from_tensor_slices((features, labels)).repeat().batch(16)"),
        ["--eval_steps=null"], None,
        # `modelmaker check`'s own words, before anything is trained
        ["eval_steps is null and eval_input_fn repeats forever: every evaluation would run forever. "
         "Set eval_steps, or let the evaluation input end."]),
    "model_fn returns a dict": (variant(TRAIN_SPEC, "return {'loss': loss}"), [], None,
                                ["returned dict in mode train", "must return a tf.estimator.EstimatorSpec"]),
    "spec without loss": (variant(TRAIN_SPEC, "return tf.estimator.EstimatorSpec(mode, train_op=train_op)"),
                          [], None, ["without `loss` in mode train at {mod}:", "needs loss, train_op"]),
    "spec without train_op": (variant(TRAIN_SPEC, "return tf.estimator.EstimatorSpec(mode, loss=loss)"),
                              [], None, ["without `train_op` in mode train at {mod}:", "needs loss, train_op"]),
    "eval spec without loss": (variant(EVAL_SPEC, "return tf.estimator.EstimatorSpec(mode, "
                                                  "predictions=predictions)"),
                               [], None, ["without `loss` in mode eval at {mod}:", "mode eval needs loss"]),
    "spec without predictions": (variant(PREDICT_SPEC, "return tf.estimator.EstimatorSpec(mode, loss=tf.constant(1.))"),
                                 [], None, ["without `predictions` in mode infer at {mod}:",
                                            "mode infer needs predictions"]),
    "receiver of a wrong type": (variant("return tf.estimator.export.ServingInputReceiver({\"x\": x}, {\"x\": x})",
                                         "return {'x': x}"), [], None,
                                 ["`serving_input_receiver_fn` in {mod} returned dict",
                                  "must return a tf.estimator.export.ServingInputReceiver"]),
    "malformed parameters.json": (None, [], '{\n  "train_max_steps": 4,\n  "eval_steps" 1\n}\n',
                                  ["parameters.json is not valid JSON at line 3, column 16",
                                   "Fix the file"]),
    "wrong type": (None, [], '{"train_max_steps": "abc"}',
                   ["`train_max_steps` ('abc') in {tmp}/parameters.json must be a whole number",
                    'Example: "train_max_steps": 10000']),
    "custom key changes kind": (None, ["--set", "learning_rate=fast"], '{"learning_rate": 0.01}',
                                ["`learning_rate` is a string ('fast') in the command line but a number "
                                 "(0.01) in {tmp}/parameters.json", "Give a number in the command line"]),
    "negative": (None, ["--train_max_steps=-5"], None,
                 ["`train_max_steps` (-5) in the command line must be positive", "or null"]),
    "zero": (None, ["--save_checkpoints_steps=0"], None,
             ["`save_checkpoints_steps` (0) in the command line must be positive",
              "(or null to turn it off)"]),
    "both cadences set": (None, ["--save_checkpoints_secs=60"], None,
                          ["`save_checkpoints_steps` (2, from the command line) and "
                           "`save_checkpoints_secs` (60, from the command line) are both set",
                           "Set one of them to null"]),
    "both cadences off": (None, ["--save_checkpoints_steps=null", "--save_checkpoints_secs=null"], None,
                          ["are both null", 'Set e.g. "save_checkpoints_steps": 1000']),
    "near-miss key": (None, [], '{"train_max_step": 5}',
                      ["unknown parameter `train_max_step` in {tmp}/parameters.json: did you mean "
                       "`train_max_steps`?", "Rename it"]),
    "data_url does not exist": (None, ["--data_url", "{tmp}/no_data"], None,
                                ["--data_url '{tmp}/no_data' does not exist",
                                 "Point it at the folder that holds your dataset"]),
    # Root ignores permissions, so "not writable" is a path below a regular file.
    "train_url not writable": (None, ["--train_url", "{mod}/sub"], None,
                               ["--train_url '{mod}/sub' is not writable (Not a directory)",
                                "Choose a folder you can write to"]),
}


BEFORE_TRAINING = ("input_fn returns a [features, labels] list", "evaluation that never ends")


@pytest.mark.parametrize("case", CASES)
def test_bad_input_exits_2_with_one_line(case, tmp_path, monkeypatch, capfd):
    source, extra, params_text, words = CASES[case]
    module = tmp_path / "usermod.py"
    module.write_text(TINY if source is None else source)
    if params_text is not None:
        (tmp_path / "parameters.json").write_text(params_text)
    monkeypatch.chdir(tmp_path)
    fill = {"out": tmp_path / "out", "mod": module, "tmp": tmp_path}
    argv = ["--user_module", str(module), "--train_url", str(tmp_path / "out"), *FAST]
    argv += [arg.format(**fill) for arg in extra]
    _assert_user_error(argv, [w.format(**fill) for w in words], capfd)
    if case in BEFORE_TRAINING:
        assert not (tmp_path / "out" / "checkpoint").exists(), "refused before training"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A train_url holding checkpoints of tiny.py."""
    out = tmp_path_factory.mktemp("trained") / "out"
    module = out.parent / "tiny.py"
    module.write_text(TINY)
    assert train.main(["--user_module", str(module), "--train_url", str(out), *FAST]) == 0
    return out


@pytest.mark.parametrize("change, words", [
    (LOGITS.replace("(x)", "(tf.keras.layers.Dense(4, name='extra')(x))"),
     ["variable `extra/kernel` [4, 4] is not in the checkpoint"]),
    (LOGITS.replace("(x)", "(tf.concat([x, x], 1))"),
     ["variable `logits/kernel` is [8, 3] in the model but [4, 3] in the checkpoint"]),
], ids=["missing variable", "shape mismatch"])
def test_checkpoints_of_another_model_exit_2(change, words, trained, tmp_path, capfd):
    out = tmp_path / "out"
    shutil.copytree(trained, out)
    module = tmp_path / "changed.py"
    module.write_text(variant(LOGITS, change))
    argv = ["--user_module", str(module), "--train_url", str(out), *FAST]
    _assert_user_error(argv, [f"train_url {out} holds checkpoints of a different model", *words,
                              "Use a new --train_url, or delete that folder"], capfd)
    # Also when more steps are asked for (training would restore): the check runs first.
    _assert_user_error([*argv, "--train_max_steps=8"], words, capfd)


def _assert_user_error(argv, words, capfd):
    capfd.readouterr()
    code = train.main(argv)
    err = capfd.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("modelmaker: error:")]
    assert len(lines) == 1, err
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"


def test_the_readme_lists_every_case():
    readme = open(os.path.join(faultkit.REPO, "README.md")).read()
    section = readme.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    for case in CASES:
        assert case in section, f"README Troubleshooting lacks {case!r}"
    for case in ("missing variable", "shape mismatch", "NaN", "SIGTERM"):
        assert case in section


def test_the_json_case_is_really_malformed():
    with pytest.raises(json.JSONDecodeError):
        json.loads(CASES["malformed parameters.json"][2])
