"""Errors in the user's own code are the user's: a few lines with their file:line, what
modelmaker was doing, the exception line and (for dtype and shape errors) what the input
gave model_fn; exit 2. `--verbose` adds the full traceback. A bug inside modelmaker still
raises with its traceback (exit 1). README "Errors" shows one such message.
"""

import os

import pytest

from modelmaker.commands import check
from modelmaker.engine.hooks import progress
from modelmaker import train
from tests.conftest import run_cli
from tests.fault import faultkit

TINY = open(os.path.join(faultkit.REPO, "tests", "modules", "tiny.py")).read()
FAST = ["--train_max_steps=4", "--save_checkpoints_steps=2", "--eval_steps=1",
        "--eval_throttle_secs=3600", "--log_step_count_steps=100"]
LOSS = "loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))"
TRAIN_DATA = "    features, labels = _data(256, 0)\n    return tf.data.Dataset.from_tensor_slices((features, labels))"


def variant(*changes):
    source = "import os\n" + TINY
    for old, new in changes:
        assert old in source, old
        source = source.replace(old, new)
    return source


# case: (module source, the text on the line the error must name, words of the message)
CASES = {
    "KeyError in model_fn": (
        variant(('params.get("learning_rate", 0.1)', 'params["learning_rte"]')), 'params["learning_rte"]',
        ["while building model_fn in mode train on train_input_fn", "KeyError: 'learning_rte'",
         "train_input_fn gives features {x: float32 [None, 4]}"]),
    "uint8 labels": (
        variant(('y = (x[:, 0] > 0).astype("int32") + (x[:, 1] > 0).astype("int32")',
                 'y = ((x[:, 0] > 0).astype("int32") + (x[:, 1] > 0).astype("int32")).astype("uint8")'),
                (LOSS, "loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits)")),
        "sparse_softmax_cross_entropy(labels, logits)",
        ["TypeError", "uint8", "train_input_fn gives labels uint8 [None]"]),
    "dataset without labels": (
        variant(("from_tensor_slices((features, labels)).repeat()", "from_tensor_slices(features).repeat()")),
        # ValueError on TensorFlow 2.15, AttributeError with Keras 3: the structure line is the help.
        LOSS, ["train_input_fn gives labels None: no labels"]),
    "serving key that does not match": (
        variant(('ServingInputReceiver({"x": x}, {"x": x})', 'ServingInputReceiver({"pixels": x}, {"pixels": x})')),
        'x = features["x"]', ["while building model_fn in mode infer on serving_input_receiver_fn",
                              "KeyError: 'x'", "serving_input_receiver_fn gives features {pixels: float32 [None, 4]}"]),
    "data in the wrong folder": (
        variant((TRAIN_DATA, "    files = tf.data.Dataset.list_files(os.path.join(path, 'train', '*.csv'))\n"
                             "    return files.map(lambda f: ({'x': tf.zeros([4])}, 0))")),
        "list_files(", ["while reading the first batch of train_input_fn from {data}",
                        "No files matched pattern: {data}/train/*.csv"]),
}


def _case(case, tmp_path):
    source, culprit, words = CASES[case]
    module = tmp_path / "usermod.py"
    module.write_text(source)
    line = next(i for i, text in enumerate(source.splitlines(), 1) if culprit in text)
    data = tmp_path / "data"
    data.mkdir()
    argv = ["--user_module", str(module), "--data_url", str(data)]
    return argv, [f"{module}:{line}", *(w.replace("{data}", str(data)) for w in words)]


def _error_block(err):
    """The lines from `modelmaker: error:` to the end."""
    lines = err.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("modelmaker: error:")]
    assert len(starts) == 1, err
    return lines[starts[0]:]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.slow
def test_train_shows_the_users_line_and_exits_2(case, tmp_path):
    argv, words = _case(case, tmp_path)
    proc = run_cli([*argv, "--train_url", str(tmp_path / "out"), *FAST])
    assert proc.returncode == 2, proc.stderr
    block = _error_block(proc.stderr)
    assert len(block) <= 10, proc.stderr
    assert "Traceback" not in proc.stderr and "site-packages" not in proc.stderr, proc.stderr
    text = "\n".join(block)
    for word in words:
        assert word in text, f"{word!r} not in\n{text}"


@pytest.mark.parametrize("case", CASES)
def test_check_keeps_the_users_line(case, tmp_path, capfd):
    argv, words = _case(case, tmp_path)
    capfd.readouterr()
    assert check.main(argv) == 2
    rows = [line for line in capfd.readouterr().out.splitlines() if "  fail  " in line]
    assert len(rows) == 1 and words[0] in rows[0], rows


@pytest.mark.slow
def test_verbose_keeps_the_full_traceback(tmp_path):
    argv, words = _case("uint8 labels", tmp_path)
    proc = run_cli([*argv, "--train_url", str(tmp_path / "out"), *FAST, "--verbose"])
    assert proc.returncode == 2, proc.stderr
    assert "Traceback (most recent call last)" in proc.stderr and "op_def_library.py" in proc.stderr
    assert words[0] in "\n".join(_error_block(proc.stderr))


def test_an_input_fn_that_raises_is_named(tmp_path, capfd):
    source = variant(("    features, labels = _data(256, 0)\n",
                      "    raise FileNotFoundError(f'{path}/train not found')\n"))
    module = tmp_path / "usermod.py"
    module.write_text(source)
    line = next(i for i, text in enumerate(source.splitlines(), 1) if "FileNotFoundError" in text)
    capfd.readouterr()
    code = train.main(["--user_module", str(module), "--train_url", str(tmp_path / "out"), *FAST])
    block = "\n".join(_error_block(capfd.readouterr().err))
    assert code == 2
    assert "while calling train_input_fn(path=None, params)" in block and f"{module}:{line}" in block
    assert "FileNotFoundError: None/train not found" in block


def test_a_bug_in_modelmaker_keeps_its_traceback(tmp_path, monkeypatch):
    # A call with the wrong arguments inside modelmaker's own progress hook: not the user's.
    monkeypatch.setattr(progress, "progress_line", progress.format_seconds)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        train.main(["--user_module", os.path.join(faultkit.REPO, "tests", "modules", "tiny.py"),
                    "--train_url", str(tmp_path / "out"), *FAST, "--log_step_count_steps=1"])


def test_the_readme_lists_every_case():
    readme = open(os.path.join(faultkit.REPO, "README.md")).read()
    section = readme.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    for case in CASES:
        assert f"| {case} |" in section, f"README Troubleshooting lacks {case!r}"


def test_the_image_template_with_data_in_the_wrong_folder(tmp_path, capfd):
    # The shipped templates are user modules too: their errors are the user's.
    module = os.path.join(faultkit.REPO, "modelmaker", "templates", "image-classifier", "mymodel.py")
    line = next(i for i, text in enumerate(open(module), 1) if "raise FileNotFoundError(f\"{folder} not found" in text)
    capfd.readouterr()
    code = train.main(["--user_module", module, "--data_url", str(tmp_path), "--train_url",
                       str(tmp_path / "out"), "--params", os.path.join(os.path.dirname(module),
                                                                       "parameters.json"), *FAST])
    block = _error_block(capfd.readouterr().err)
    assert code == 2 and len(block) <= 10, block
    text = "\n".join(block)
    assert f"while calling train_input_fn(path={str(tmp_path)!r}, params)" in text, text
    assert f"{module}:{line} in _list_images" in text and f"{tmp_path}/train not found" in text, text


def test_fit_raises_user_code_error(tmp_path):
    import modelmaker
    argv, words = _case("KeyError in model_fn", tmp_path)
    with pytest.raises(modelmaker.UserCodeError) as caught:
        modelmaker.fit(argv[1], {"train_max_steps": 2}, train_url=str(tmp_path / "out"))
    assert isinstance(caught.value.error, KeyError) and caught.value.summary.startswith("KeyError: 'learning_rte' at ")
    assert words[0] in caught.value.summary
