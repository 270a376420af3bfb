"""A tiny classifier that reads its data from files under `path` (train.csv, eval.csv).

    python -m modelmaker.train --user_module tests/storage/files_module.py \\
        --data_url s3://bucket/data --train_url s3://bucket/out
"""

import os

import numpy as np
import tensorflow as tf


def _read(path, name):
    table = np.loadtxt(os.path.join(path, name), delimiter=",", dtype="float32", ndmin=2)
    return {"x": table[:, :4]}, table[:, 4].astype("int32")


def model_fn(features, labels, mode, params):
    logits = tf.keras.layers.Dense(3, name="logits")(features["x"])
    classes = tf.argmax(logits, axis=1)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"class_id": classes})
    loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(
            mode, loss=loss, eval_metric_ops={"accuracy": tf.compat.v1.metrics.accuracy(labels, classes)})
    opt = tf.compat.v1.train.GradientDescentOptimizer(0.1)
    return tf.estimator.EstimatorSpec(
        mode, loss=loss, train_op=opt.minimize(loss, global_step=tf.compat.v1.train.get_global_step()))


def train_input_fn(path, params):
    return tf.data.Dataset.from_tensor_slices(_read(path, "train.csv")).repeat().batch(16)


def eval_input_fn(path, params):
    return tf.data.Dataset.from_tensor_slices(_read(path, "eval.csv")).batch(16)


def serving_input_receiver_fn():
    x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
    return tf.estimator.export.ServingInputReceiver({"x": x}, {"x": x})


def write_csv(folder, *, n_train=128, n_eval=32, seed=0):
    """Writes train.csv and eval.csv (4 features, then a label in 0..2) into `folder`."""
    rng = np.random.RandomState(seed)
    os.makedirs(folder, exist_ok=True)
    for name, n in (("train.csv", n_train), ("eval.csv", n_eval)):
        x = rng.randn(n, 4).astype("float32")
        y = (x[:, 0] > 0).astype("int32") + (x[:, 1] > 0).astype("int32")
        np.savetxt(os.path.join(folder, name), np.column_stack([x, y]), delimiter=",", fmt="%.5f")
