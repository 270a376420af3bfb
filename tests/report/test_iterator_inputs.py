"""(features, labels) tensors from an iterator advance every run and end with their data:
`check`, `train --report` and `evaluate` read them to the end, as the evaluation does;
constant tensors stay one batch. The decision comes from the graph, not the Python type."""

import json

import numpy as np
import pytest

from tests.conftest import flags, run_cli
from tests.commands.test_check import rows

EVAL_SAMPLES, BATCH = 297, 100

ITERATOR_MODULE = '''
import os

import numpy as np
import tensorflow as tf


def _data(path, split):
    arrays = np.load(os.path.join(path, "data.npz"))
    return {"x": arrays[f"{split}_x"]}, arrays[f"{split}_y"]


def model_fn(features, labels, mode, params):
    x = features["x"] if isinstance(features, dict) else features
    logits = tf.keras.layers.Dense(3, name="logits")(x)
    classes = tf.argmax(logits, axis=1)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"class_id": classes,
                                                             "probabilities": tf.nn.softmax(logits)})
    loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={
            "accuracy": tf.compat.v1.metrics.accuracy(labels, classes)})
    train_op = tf.compat.v1.train.GradientDescentOptimizer(0.5).minimize(
        loss, global_step=tf.compat.v1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def train_input_fn(path, params):
    ds = tf.data.Dataset.from_tensor_slices(_data(path, "train")).repeat().batch(32)
    return tf.compat.v1.data.make_one_shot_iterator(ds).get_next()


def eval_input_fn(path, params):
    ds = tf.data.Dataset.from_tensor_slices(_data(path, "eval")).batch(100)
    features, labels = tf.compat.v1.data.make_one_shot_iterator(ds).get_next()
    return {"x": features["x"] * 1.0}, labels  # ops between the iterator and the tensors


def serving_input_receiver_fn():
    x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
    return tf.estimator.export.ServingInputReceiver({"x": x}, {"x": x})
'''

CONSTANT_EVAL = '''
def eval_input_fn(path, params):
    features, labels = _data(path, "eval")
    return {"x": features["x"][:40]}, labels[:40]
'''

FAST = {"train_max_steps": 30, "save_checkpoints_steps": 30, "eval_steps": None,
        "eval_throttle_secs": 3600, "log_step_count_steps": 100}


def _write_data(folder):
    rng = np.random.RandomState(0)
    arrays = {}
    for split, n in (("train", 512), ("eval", EVAL_SAMPLES)):
        x = rng.randn(n, 4).astype("float32")
        arrays[f"{split}_x"] = x
        arrays[f"{split}_y"] = ((x[:, 0] > 0).astype("int32") + (x[:, 1] > 0).astype("int32"))
    folder.mkdir()
    np.savez(folder / "data.npz", **arrays)


@pytest.fixture
def project(tmp_path, write_module):
    _write_data(tmp_path / "data")
    return tmp_path, write_module(ITERATOR_MODULE, name="itermod")


@pytest.mark.slow
def test_iterator_inputs_are_read_to_their_end_by_check_and_the_report(project):
    tmp_path, module = project
    data = ["--user_module", module, "--data_url", str(tmp_path / "data")]
    checked = run_cli(["check", *data, *flags(FAST)], module="modelmaker.cli", cwd=str(tmp_path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    shown = rows(checked.stdout)["input functions"][0][1]
    assert shown.startswith("train: repeats forever ((features, labels) from an iterator), features")
    assert "; eval: 3 batches ((features, labels) from an iterator), features" in shown

    out = tmp_path / "out"
    trained = run_cli(["train", *data, "--train_url", str(out), "--report", *flags(FAST)],
                      module="modelmaker.cli", cwd=str(tmp_path))
    assert trained.returncode == 0, trained.stderr
    evaluation = json.loads((out / "result.json").read_text())["metrics"]
    results = json.loads((out / "analysis" / "eval" / "model_analysis_results.json").read_text())
    assert results["num_samples"] == EVAL_SAMPLES
    assert results["overall"]["accuracy"] == pytest.approx(evaluation["accuracy"], abs=1e-6)
    print(f"\nFIGURE report {results['num_samples']} samples, accuracy {results['overall']['accuracy']:.6f}; "
          f"evaluation accuracy {evaluation['accuracy']:.6f} at step {evaluation['global_step']}")


@pytest.mark.slow
def test_the_report_covers_the_eval_steps_batches_the_evaluation_covers(project):
    tmp_path, module = project
    data = ["--user_module", module, "--data_url", str(tmp_path / "data")]
    out = tmp_path / "out"
    trained = run_cli(["train", *data, "--train_url", str(out), "--report", *flags(dict(FAST, eval_steps=2))],
                      module="modelmaker.cli", cwd=str(tmp_path))
    assert trained.returncode == 0, trained.stderr
    evaluation = json.loads((out / "result.json").read_text())["metrics"]
    results = json.loads((out / "analysis" / "eval" / "model_analysis_results.json").read_text())
    assert results["num_samples"] == 2 * BATCH  # of 297: the evaluation read 2 batches
    assert results["overall"]["accuracy"] == pytest.approx(evaluation["accuracy"], abs=1e-6)


@pytest.mark.slow
def test_constant_tensors_stay_one_batch(project):
    tmp_path, module = project
    with open(module, "a") as f:
        f.write(CONSTANT_EVAL)
    data = ["--user_module", module, "--data_url", str(tmp_path / "data")]
    refused = run_cli(["check", *data, *flags(FAST)], module="modelmaker.cli", cwd=str(tmp_path))
    assert refused.returncode == 2
    assert "eval: (features, labels) tensors, the same every step" in (
        rows(refused.stdout)["input functions"][0][1])
    out = tmp_path / "out"
    trained = run_cli(["train", *data, "--train_url", str(out), "--report", *flags(dict(FAST, eval_steps=1))],
                      module="modelmaker.cli", cwd=str(tmp_path))
    assert trained.returncode == 0, trained.stderr
    results = json.loads((out / "analysis" / "eval" / "model_analysis_results.json").read_text())
    assert results["num_samples"] == 40, "constant tensors are one batch, read once"
