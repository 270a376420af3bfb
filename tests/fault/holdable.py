"""The tiny classifier of tests/modules/tiny.py, with switches the fault tests need.

    python -m modelmaker.train --user_module tests/fault/holdable.py --train_url /tmp/h \\
        --set hold_file=/tmp/hold --set hold_after=25 --set nan_from_step=8

Custom parameters (all optional):
  hold_file, hold_after: after `hold_after` training batches the input waits while the file
    `hold_file` exists, so a test can kill or signal the process at a known point of training
    without sleeping, then remove the file to let it go on.
  nan_from_step: from this training step on (as progress lines count), the loss is NaN.
  eval_hold_file, eval_hold_after: the same for the evaluation input, which then yields
    `eval_batches` batches (default 4); reaching the hold it writes `<eval_hold_file>.reached`.
"""

import os
import time

import numpy as np
import tensorflow as tf


def _data(n, seed):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 4).astype("float32")
    return x, ((x[:, 0] > 0).astype("int32") + (x[:, 1] > 0).astype("int32"))


def model_fn(features, labels, mode, params):
    x = features["x"] if isinstance(features, dict) else features
    logits = tf.keras.layers.Dense(3, name="logits")(x)
    classes = tf.argmax(logits, axis=1)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={
            "class_id": classes, "probabilities": tf.nn.softmax(logits)})
    loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
    step = tf.compat.v1.train.get_or_create_global_step()
    if params.get("nan_from_step"):
        # The run that performs step N reads global_step N - 1.
        loss = tf.where(step >= params["nan_from_step"] - 1, tf.constant(float("nan")), loss)
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={
            "accuracy": tf.compat.v1.metrics.accuracy(labels, classes)})
    train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def _batches(hold_file, hold_after):
    x, y = _data(256, 0)
    for i in range(10 ** 9):
        while hold_file and i >= hold_after and os.path.exists(hold_file):
            time.sleep(0.01)
        j = (i * 16) % 256
        yield {"x": x[j:j + 16]}, y[j:j + 16]


def train_input_fn(path, params):
    hold_file, hold_after = params.get("hold_file"), params.get("hold_after", 0)
    return tf.data.Dataset.from_generator(
        lambda: _batches(hold_file, hold_after),
        output_signature=({"x": tf.TensorSpec([None, 4], tf.float32)}, tf.TensorSpec([None], tf.int32)))


def _eval_batches(hold_file, hold_after, batches):
    x, y = _data(64, 1)
    for i in range(batches):
        if i == hold_after and os.path.exists(hold_file):
            open(hold_file + ".reached", "w").close()
        while i >= hold_after and os.path.exists(hold_file):
            time.sleep(0.01)
        j = (i * 16) % 64
        yield {"x": x[j:j + 16]}, y[j:j + 16]


def eval_input_fn(path, params):
    x, y = _data(64, 1)
    if not params.get("eval_hold_file"):
        return tf.data.Dataset.from_tensor_slices(({"x": x}, y)).batch(16)
    hold = (params["eval_hold_file"], params.get("eval_hold_after", 0), params.get("eval_batches", 4))
    return tf.data.Dataset.from_generator(
        lambda: _eval_batches(*hold),
        output_signature=({"x": tf.TensorSpec([None, 4], tf.float32)}, tf.TensorSpec([None], tf.int32)))


def serving_input_receiver_fn():
    x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
    return tf.estimator.export.ServingInputReceiver({"x": x}, {"x": x})
