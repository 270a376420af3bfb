"""The graph engine honours what the EstimatorSpec brings: hooks, scaffold, NaN detection, validation."""

import importlib.util

import numpy as np
import pytest
import tensorflow as tf

from modelmaker import estimator
from modelmaker.engine import graph

SETTINGS = graph.RunSettings(save_checkpoints_steps=5, log_step_count_steps=None)

MODULE = """
import numpy as np
import tensorflow as tf

RUNS = {}


class Count(tf.estimator.SessionRunHook):
    def __init__(self, name):
        self.name = name

    def after_run(self, run_context, run_values):
        RUNS[self.name] = RUNS.get(self.name, 0) + 1


def model_fn(features, labels, mode, params):
    w = tf.compat.v1.get_variable("w", [4, 1], initializer=tf.compat.v1.zeros_initializer())
    y = tf.squeeze(tf.matmul(features["x"], w), 1) * params.get("scale", 1.0)
    loss = tf.reduce_mean(tf.square(y - labels))
    scaffold = tf.compat.v1.train.Scaffold(
        init_fn=lambda scaffold, session: RUNS.__setitem__("init_fn", RUNS.get("init_fn", 0) + 1))
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(mode, loss=loss, evaluation_hooks=[Count("eval")], scaffold=scaffold)
    train_op = tf.compat.v1.train.GradientDescentOptimizer(params.get("lr", 0.01)).minimize(
        loss, global_step=tf.compat.v1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, training_hooks=[Count("train")],
                                      training_chief_hooks=[Count("chief")], scaffold=scaffold)


def input_fn(params):
    x = np.ones((8, 4), "float32")
    return tf.data.Dataset.from_tensor_slices(({"x": x}, np.ones(8, "float32"))).repeat().batch(4)


def finite_input_fn(params):
    x = np.ones((8, 4), "float32")
    return tf.data.Dataset.from_tensor_slices(({"x": x}, np.ones(8, "float32"))).batch(4)
"""


@pytest.fixture
def module(write_module):
    estimator.install()
    spec = importlib.util.spec_from_file_location("spec_hooks", write_module(MODULE, "spec_hooks"))
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def test_spec_hooks_and_scaffold_run(module, tmp_path):
    assert graph.train(module.model_fn, module.input_fn, model_dir=str(tmp_path), params={}, settings=SETTINGS,
                       steps=6) == 6
    assert module.RUNS == {"train": 6, "chief": 6, "init_fn": 1}
    graph.evaluate(module.model_fn, module.finite_input_fn, model_dir=str(tmp_path), params={}, settings=SETTINGS)
    assert module.RUNS["eval"] == 2  # until the input ends; the checkpoint is restored, not initialized
    assert module.RUNS["init_fn"] == 1


def test_training_stops_on_nan_loss(module, tmp_path):
    with pytest.raises(tf.compat.v1.train.NanLossDuringTrainingError):
        graph.train(module.model_fn, module.input_fn, model_dir=str(tmp_path), params={"lr": 1e30, "scale": 1e30},
                    settings=SETTINGS, max_steps=50)


def test_input_that_ends_ends_training(module, tmp_path):
    assert graph.train(module.model_fn, module.finite_input_fn, model_dir=str(tmp_path), params={},
                       settings=SETTINGS) == 2


def test_model_fn_must_return_a_spec(tmp_path):
    def model_fn(features, labels, mode):
        return {"loss": features}
    with pytest.raises(ValueError, match="must return a tf.estimator.EstimatorSpec"):
        graph.train(model_fn, lambda: (tf.ones([2, 4]), tf.ones([2])), model_dir=str(tmp_path), max_steps=1)


def test_labels_for_a_model_fn_without_labels(tmp_path):
    def model_fn(features, mode):
        raise AssertionError("not reached")
    with pytest.raises(ValueError, match="takes no `labels`"):
        graph.train(model_fn, lambda: (tf.ones([2, 4]), tf.ones([2])), model_dir=str(tmp_path), max_steps=1)


def test_modelmaker_estimator_objects_on_every_stack(tmp_path):
    """A model_fn written against modelmaker.estimator itself (no tf.estimator), here even on TF 2.15."""
    from modelmaker.estimator import EstimatorSpec, ModeKeys, export

    def model_fn(features, labels, mode):
        value = tf.squeeze(tf.compat.v1.layers.dense(features, 1, name="value"), 1)
        if mode == ModeKeys.PREDICT:
            return EstimatorSpec(mode, predictions={"value": value},
                                 export_outputs={"value": export.PredictOutput({"value": value})})
        loss = tf.compat.v1.losses.mean_squared_error(labels, value)
        train_op = tf.compat.v1.train.AdamOptimizer(0.1).minimize(
            loss, global_step=tf.compat.v1.train.get_global_step())
        return EstimatorSpec(mode, loss=loss, train_op=train_op,
                             eval_metric_ops={"mse": tf.compat.v1.metrics.mean_squared_error(labels, value)})

    def input_fn():
        x = np.linspace(-1, 1, 32, dtype="float32").reshape(8, 4)
        return tf.data.Dataset.from_tensor_slices((x, x.sum(axis=1))).batch(8).repeat(100)

    def receiver_fn():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        return export.TensorServingInputReceiver(x, {"x": x})

    model_dir = str(tmp_path / "model")
    settings = graph.RunSettings(save_checkpoints_steps=50, log_step_count_steps=None, tf_random_seed=1)
    assert graph.train(model_fn, input_fn, model_dir=model_dir, settings=settings) == 100  # 100 batches
    assert graph.evaluate(model_fn, input_fn, model_dir=model_dir, steps=1)["mse"] < 0.05
    export_dir = graph.export_saved_model(model_fn, receiver_fn, model_dir=model_dir,
                                          export_dir_base=str(tmp_path / "export"))
    # One head not named serving_default becomes the default too, as in tf.estimator.
    assert sorted(tf.saved_model.load(export_dir).signatures) == ["serving_default", "value"]
