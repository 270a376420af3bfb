"""Every template, as `modelmaker init` writes it, trains a few steps, exports, and serves."""

import importlib.util
import json
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from modelmaker import api, config as params_lib, scaffold

SHRINK = {"train_max_steps": 4, "save_checkpoints_steps": 4, "log_step_count_steps": 2}
# One serving request per template, in the shape its serving_input_receiver_fn accepts.
REQUESTS = {
    "csv-classifier": lambda: {"length_cm": tf.constant([8.8, 7.0]), "width_cm": tf.constant([5.6, 7.4]),
                               "redness": tf.constant([0.08, 0.7])},
    "image-classifier": lambda: {"images": tf.zeros([2, 28, 28, 1])},
}


def _import(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_template_has_a_serving_request():
    assert set(REQUESTS) == set(scaffold.TEMPLATES)


@pytest.mark.parametrize("template", list(scaffold.TEMPLATES))
def test_template_trains_exports_and_serves_on_its_sample_data(tmp_path, template):
    project = tmp_path / "proj"
    scaffold.create(project, template=template)
    file = str(project / "parameters.json")
    run_params = params_lib.resolve([params_lib.Layer(file, params_lib.load_file(file)),
                                     params_lib.Layer("the test", SHRINK)])
    result = api.fit(str(project / "mymodel.py"), run_params, train_url=str(tmp_path / "out"))

    assert result.global_step == SHRINK["train_max_steps"] and "accuracy" in result.metrics
    served = tf.saved_model.load(result.export_dir).signatures["serving_default"](**REQUESTS[template]())
    module = _import(str(project / "mymodel.py"), f"template_{template.replace('-', '_')}")
    assert {name.decode() for name in served["class_name"].numpy()} <= set(module.CLASSES)
    np.testing.assert_allclose(served["probabilities"].numpy().sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("template", list(scaffold.TEMPLATES))
def test_template_input_functions_read_a_data_url_and_explain_a_wrong_one(tmp_path, template):
    project = tmp_path / "proj"
    scaffold.create(project, template=template)
    elsewhere = tmp_path / "uploaded"
    shutil.copytree(project / "data", elsewhere)
    module = _import(str(project / "mymodel.py"), f"template_{template.replace('-', '_')}_data")
    params = json.load(open(project / "parameters.json"))

    for fn in (module.train_input_fn, module.eval_input_fn):
        features, labels = next(iter(fn(str(elsewhere), params)))
        assert 0 < labels.shape[0] <= params["batch_size"]
        assert set(labels.numpy()) <= set(range(len(module.CLASSES)))
    with pytest.raises(FileNotFoundError, match="--data_url must be a folder"):
        module.train_input_fn(str(tmp_path / "missing"), params)
