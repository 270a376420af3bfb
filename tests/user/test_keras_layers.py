"""A model_fn that builds with `tf.keras.layers` trains, evaluates and exports through
`python -m modelmaker.train`, on TensorFlow 2.15 (Keras 2) and on current TensorFlow (Keras 3)."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO, flags, run_cli

KERAS_LAYERS = os.path.join(REPO, "tests", "modules", "keras_layers.py")


@pytest.mark.slow
def test_a_model_fn_built_with_tf_keras_layers_trains_evaluates_and_exports(tmp_path):
    out = tmp_path / "out"
    steps = {"train_max_steps": 150, "save_checkpoints_steps": 100, "eval_steps": None,
             "eval_throttle_secs": 0, "log_step_count_steps": 50}
    proc = run_cli(["--user_module", KERAS_LAYERS, "--train_url", str(out), *flags(steps)])
    assert proc.returncode == 0, proc.stderr
    result = json.loads((out / "result.json").read_text())
    assert result["global_step"] == 150
    metrics = result["metrics"]
    # The evaluation restored the trained layers in a fresh graph: well above the majority class (1/2 here).
    assert metrics["accuracy"] > 0.65, metrics
    assert abs(metrics["keras_accuracy"] - metrics["accuracy"]) < 1e-6, "the Keras Metric object agrees"
    # The export restored them too: its predictions match the evaluation's accuracy on the same data.
    check = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {os.path.dirname(KERAS_LAYERS)!r})
        import numpy as np, tensorflow as tf, keras_layers
        features, labels = keras_layers._data(128, 1)
        serve = tf.saved_model.load({result["export_dir"]!r}).signatures["serving_default"]
        out = serve(x=tf.constant(features["x"]))
        print(out["probabilities"].shape, float(np.mean(out["class_id"].numpy() == labels)))
    """)
    proc = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    shape, accuracy = proc.stdout.strip().rsplit(" ", 1)
    assert shape == "(128, 3)" and abs(float(accuracy) - metrics["accuracy"]) < 1e-6, proc.stdout


BATCH_NORM = """
    import numpy as np
    import tensorflow as tf

    def model_fn(features, labels, mode, params):
        training = mode == tf.estimator.ModeKeys.TRAIN
        hidden = {layer}
        logits = tf.keras.layers.Dense(3)(hidden)
        if mode == tf.estimator.ModeKeys.PREDICT:
            return tf.estimator.EstimatorSpec(mode, predictions={{"logits": logits}})
        loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
        if mode == tf.estimator.ModeKeys.EVAL:
            return tf.estimator.EstimatorSpec(mode, loss=loss)
        train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(
            loss, global_step=tf.compat.v1.train.get_global_step())
        update_ops = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=tf.group(train_op, *update_ops))

    def train_input_fn(path, params):
        x = np.random.RandomState(0).randn(64, 4).astype("float32") + 3
        return tf.data.Dataset.from_tensor_slices(({{"x": x}}, (x[:, 0] > 3).astype("int32"))).repeat().batch(16)

    eval_input_fn = train_input_fn

    def serving_input_receiver_fn():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        return tf.estimator.export.ServingInputReceiver({{"x": x}}, {{"x": x}})
"""


@pytest.mark.slow
def test_keras_batch_normalization_whose_statistics_never_update_is_a_one_line_error(write_module, tmp_path):
    keras = write_module(BATCH_NORM.format(
        layer='tf.keras.layers.BatchNormalization()(features["x"], training=training)'), name="keras_bn")
    proc = run_cli(["--user_module", keras, "--train_url", str(tmp_path / "keras"), "--train_max_steps=2"])
    assert proc.returncode == 2, proc.stderr
    error = [line for line in proc.stderr.splitlines() if line.startswith("modelmaker: error:")]
    assert len(error) == 1 and "moving statistics training never updates" in error[0], proc.stderr
    assert "batch_normalization/moving_mean" in error[0] and "tf.compat.v1.layers.batch_normalization" in error[0]
    # The alternative it names trains, and its moving mean moves from 0 towards the data's mean, 3
    # (momentum 0.99: 3 * (1 - 0.99 ** 20) = 0.55 after 20 steps).
    v1 = write_module(BATCH_NORM.format(
        layer='tf.compat.v1.layers.batch_normalization(features["x"], training=training)'), name="v1_bn")
    out = tmp_path / "v1"
    proc = run_cli(["--user_module", v1, "--train_url", str(out), "--train_max_steps=20", "--eval_steps=1"])
    assert proc.returncode == 0, proc.stderr
    check = (f"import tensorflow as tf; r = tf.train.load_checkpoint({str(out)!r}); "
             "print(r.get_tensor('batch_normalization/moving_mean').mean())")
    proc = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and float(proc.stdout) > 0.4, proc.stdout + proc.stderr
