"""GraphEngine through the public entry points: the default engine of `python -m modelmaker.train` and
`fit()`, its evaluation cadence (the same as Estimator's), the `config` a model_fn gets, and the
`engine` parameter's choices and errors. The controls, resume, warm start, NaN and report suites
(tests/controls, tests/fault, tests/report, tests/engine/test_warm_start.py) run on it as the default."""

import importlib.util
import json
import os
import re

import pytest

import modelmaker
from modelmaker import api, engine
from modelmaker.errors import ParamsError
from tests.conftest import FAST, TINY, flags, run_cli


def evaluations(text):
    return re.findall(r"^evaluation at step (\d+)$", text, re.M)


def test_train_evaluates_each_checkpoint_exports_and_resumes(tmp_path):
    out = str(tmp_path / "out")
    first = run_cli(["--user_module", TINY, "--train_url", out, *flags(FAST)])
    assert first.returncode == 0, first.stderr
    assert re.search(r"^distribute none .* \| engine modelmaker$", first.stderr, re.M), first.stderr
    assert evaluations(first.stderr) == ["5", "10"], first.stderr
    assert len(re.findall(r"^  accuracy  \d", first.stderr, re.M)) == 2, first.stderr
    result = json.load(open(os.path.join(out, "result.json")))
    assert result["global_step"] == 10 and result["export_dir"] == os.path.join(out, "export", "model", "1")
    assert os.path.exists(os.path.join(result["export_dir"], "saved_model.pb"))
    resumed = run_cli(["--user_module", TINY, "--train_url", out, *flags(dict(FAST, train_max_steps=15))])
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from step 10" in resumed.stderr, resumed.stderr
    # The save that starts a run is not evaluated (step 10 was); the one at 15 is.
    assert evaluations(resumed.stderr) == ["15"], resumed.stderr
    assert json.load(open(os.path.join(out, "result.json")))["global_step"] == 15


@pytest.mark.parametrize("name", ["modelmaker", pytest.param("estimator", marks=pytest.mark.estimator)])
def test_throttle_skips_evaluations_and_the_end_is_evaluated_as_under_estimator(name, tmp_path):
    params = dict(FAST, train_max_steps=6, save_checkpoints_steps=2, eval_throttle_secs=3600,
                  log_step_count_steps=None, engine=name)
    proc = run_cli(["--user_module", TINY, "--train_url", str(tmp_path / "out"), *flags(params)])
    assert proc.returncode == 0, proc.stderr
    assert f"| engine {name}" in proc.stderr, proc.stderr
    # Step 2: the first save after the start; 4: within the throttle; 6: the end.
    assert evaluations(proc.stderr) == ["2", "6"], proc.stderr


CONFIG_MODULE = '''
import tensorflow as tf
from tests.modules.tiny import eval_input_fn, serving_input_receiver_fn, train_input_fn
from tests.modules import tiny

SEEN = {}
NAMES = ("model_dir", "is_chief", "task_type", "task_id", "num_ps_replicas", "num_worker_replicas",
         "save_checkpoints_steps", "save_checkpoints_secs", "tf_random_seed", "keep_checkpoint_max",
         "train_distribute")


def model_fn(features, labels, mode, params, config):
    SEEN[mode] = {name: getattr(config, name) for name in NAMES}
    SEEN[mode]["cluster_spec"] = config.cluster_spec.as_dict()
    return tiny.model_fn(features, labels, mode, params)
'''


def _import(path):
    spec = importlib.util.spec_from_file_location("config_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def config_module(write_module):
    return _import(write_module(CONFIG_MODULE, name="config_module"))


def _seen_config(module, tmp_path, name):
    out = str(tmp_path / name)
    modelmaker.fit(module, dict(FAST, engine=name, random_seed=3, keep_checkpoint_max=4), train_url=out)
    return out, module.SEEN


def test_model_fn_config_is_a_one_process_run_config(config_module, tmp_path):
    out, seen = _seen_config(config_module, tmp_path, "modelmaker")
    assert sorted(seen) == ["eval", "infer", "train"]
    assert seen["train"] == {
        "model_dir": out, "is_chief": True, "task_type": "worker", "task_id": 0, "num_ps_replicas": 0,
        "num_worker_replicas": 1, "save_checkpoints_steps": 5, "save_checkpoints_secs": None, "tf_random_seed": 3,
        "keep_checkpoint_max": 4, "train_distribute": None, "cluster_spec": {}}
    assert seen["eval"] == seen["infer"] == seen["train"]


@pytest.mark.estimator
def test_model_fn_config_answers_as_estimators_run_config(write_module, tmp_path):
    engines = [_seen_config(_import(write_module(CONFIG_MODULE, name=f"config_{name}")), tmp_path, name)
               for name in ("modelmaker", "estimator")]
    (graph_dir, graph), (estimator_dir, estimator) = engines
    estimator_train = dict(estimator["train"], model_dir=graph_dir)
    assert graph["train"] == estimator_train


def test_engine_estimator_without_real_estimator_is_a_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setattr("modelmaker.engine.estimator.real.has_real_estimator", lambda: False)
    with pytest.raises(ParamsError) as error:
        modelmaker.fit(TINY, dict(FAST, engine="estimator"), train_url=str(tmp_path / "out"))
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("`engine` is 'estimator' (from fit(params=...)), but tensorflow-estimator does "
                              "not import with TensorFlow "), message
    assert "Set engine to 'modelmaker' (the default)" in message, message
    assert not os.path.exists(tmp_path / "out" / "params.json"), "refused before anything is written"


@pytest.mark.parametrize("name", ["modelmaker", pytest.param("estimator", marks=pytest.mark.estimator)])
def test_the_engine_parameter_chooses_for_every_plan(name):
    assert engine.choose(api.to_run_params({"engine": name})) == name
    assert engine.choose(api.to_run_params({})) == "modelmaker"
