"""Tests for modelmaker.user.module: importing and checking the four-function contract."""

import os

import pytest

from modelmaker import train
from modelmaker.user import module as user_module
from modelmaker.errors import UserModuleError

GOOD = """
def model_fn(features, labels, mode, params): pass
def train_input_fn(path, params): pass
def eval_input_fn(path, params): pass
def serving_input_receiver_fn(): pass
"""


def test_loads_a_path(write_module):
    user = user_module.load(write_module(GOOD))
    assert user.model_fn_args == ("features", "labels", "mode", "params")
    assert user.optional("preprocess") is None


def test_loads_a_dotted_name_from_cwd(tmp_path):
    pkg = tmp_path / "proj" / "trainer"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "task.py").write_text(GOOD)
    user = user_module.load("trainer.task", cwd=str(tmp_path / "proj"))
    assert user.origin == "trainer.task"


def test_loads_a_package_folder(tmp_path):
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(GOOD)
    user = user_module.load(str(pkg))
    assert callable(user.model_fn)


def test_module_object_is_accepted(write_module):
    import importlib.util
    spec = importlib.util.spec_from_file_location("objmod", write_module(GOOD, "objmod"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert user_module.load(mod).module is mod


@pytest.mark.parametrize("missing", user_module.REQUIRED)
def test_each_missing_function_is_named(write_module, missing):
    source = "\n".join(line for line in GOOD.splitlines() if f"def {missing}(" not in line)
    with pytest.raises(UserModuleError, match=f"does not define `{missing}`"):
        user_module.load(write_module(source, f"no_{missing}"))


def test_all_missing_functions_listed_at_once(write_module):
    with pytest.raises(UserModuleError) as e:
        user_module.load(write_module("x = 1\n", "empty"))
    for name in user_module.REQUIRED:
        assert f"`{name}`" in str(e.value)


@pytest.mark.parametrize("args", ["features, labels, mode", "features, labels, mode, params, config",
                                  "features, labels", "features, mode, config", "features"])
def test_model_fn_may_take_any_estimator_argument_set(write_module, args):
    source = GOOD.replace("def model_fn(features, labels, mode, params)", f"def model_fn({args})")
    user = user_module.load(write_module(source, "args_" + args.replace(", ", "_")))
    assert user.model_fn_args == tuple(a.strip() for a in args.split(","))


@pytest.mark.parametrize("args, words", [("x, y, mode", "unsupported argument(s) x, y"),
                                          ("labels, mode", "no `features` argument"),
                                          ("features, labels, mode, hparams", "hparams")])
def test_model_fn_with_unsupported_arguments(write_module, args, words):
    source = GOOD.replace("def model_fn(features, labels, mode, params)", f"def model_fn({args})")
    with pytest.raises(UserModuleError, match=words.replace("(", r"\(").replace(")", r"\)")):
        user_module.load(write_module(source, "badargs"))


def test_input_fn_arity(write_module):
    source = GOOD.replace("def train_input_fn(path, params)", "def train_input_fn(params)")
    with pytest.raises(UserModuleError, match=r"train_input_fn\(path, params\)"):
        user_module.load(write_module(source, "badinput"))


def test_serving_fn_must_take_no_arguments(write_module):
    source = GOOD.replace("def serving_input_receiver_fn()", "def serving_input_receiver_fn(x)")
    with pytest.raises(UserModuleError, match=r"serving_input_receiver_fn\(\)"):
        user_module.load(write_module(source, "badserving"))


def test_module_not_found(tmp_path):
    with pytest.raises(UserModuleError, match="`nosuchmodule` not found"):
        user_module.load("nosuchmodule", cwd=str(tmp_path))


def test_missing_file(tmp_path):
    with pytest.raises(UserModuleError, match="not found"):
        user_module.load(str(tmp_path / "nope.py"))


def test_import_error_inside_the_module_shows_the_users_line(write_module):
    path = write_module("import os\nx = 1\nraise_here = 1 / 0\n", "broken")
    with pytest.raises(UserModuleError) as e:
        user_module.load(path)
    text = str(e.value)
    assert f"{path}:3" in text and "ZeroDivisionError" in text and "your code" in text


def test_missing_dependency_of_the_module_is_the_users_error(write_module):
    path = write_module("import not_a_real_package_xyz\n", "needsdep")
    with pytest.raises(UserModuleError, match="No module named 'not_a_real_package_xyz'"):
        user_module.load(path)


def test_module_can_import_its_siblings(tmp_path):
    (tmp_path / "helper_sib.py").write_text("VALUE = 3\n")
    (tmp_path / "withsib.py").write_text("import helper_sib\n" + GOOD)
    assert user_module.load(os.path.join(tmp_path, "withsib.py")).module.helper_sib.VALUE == 3


def test_bad_spec_type():
    with pytest.raises(UserModuleError):
        user_module.load(42)


@pytest.mark.parametrize("source, error", [
    # On TensorFlow without tf.estimator, `tf.estimator` is modelmaker.estimator, which raises this.
    ("from modelmaker import estimator as est\nclassifier = est.DNNClassifier(hidden_units=[8])\n",
     "AttributeError: tf.estimator.DNNClassifier is not available: "),
    ("import json\nsettings = json.loads('{')\n", "JSONDecodeError: Expecting property name"),
])
def test_a_failing_call_at_import_is_shown_at_the_users_line(write_module, tmp_path, capfd, source, error):
    path = write_module(source, "calls_at_import")
    code = train.main(["--user_module", path, "--train_url", str(tmp_path / "out")])
    err = capfd.readouterr().err
    assert code == 2, err
    assert f"failed at {path}:2 (`{source.splitlines()[1]}`)" in err, err
    assert error in err and ".. " not in err, err
