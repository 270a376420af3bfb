"""A TF1-style regression module: input functions that return a (features, labels) tuple from a one-shot
iterator, a mean-squared-error loss, RMSE and MAE metrics, and a regression export head.

    python -m modelmaker.train --user_module tests/modules/regression.py --train_url /tmp/regression
"""

import numpy as np
import tensorflow.compat.v1 as tf

WEIGHTS = np.array([1.5, -2.0, 0.5], "float32")


def _data(n, seed):
    x = np.random.RandomState(seed).randn(n, 3).astype("float32")
    return {"x": x}, (x @ WEIGHTS + 0.3).reshape(-1, 1).astype("float32")


def model_fn(features, labels, mode, params):
    hidden = tf.layers.dense(features["x"], 8, activation=tf.nn.relu)
    value = tf.layers.dense(hidden, 1)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"value": value}, export_outputs={
            "serving_default": tf.estimator.export.PredictOutput({"value": value}),
            "regress": tf.estimator.export.RegressionOutput(value=value)})
    loss = tf.losses.mean_squared_error(labels, value)
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={
            "rmse": tf.metrics.root_mean_squared_error(labels, value),
            "mae": tf.metrics.mean_absolute_error(labels, value)})
    train_op = tf.train.AdamOptimizer(params.get("learning_rate", 0.05)).minimize(
        loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def _tuple(n, seed, repeat):
    dataset = tf.data.Dataset.from_tensor_slices(_data(n, seed))
    dataset = dataset.repeat() if repeat else dataset
    return tf.data.make_one_shot_iterator(dataset.batch(16)).get_next()  # a (features, labels) tuple


def train_input_fn(path, params):
    return _tuple(256, 0, repeat=True)


def eval_input_fn(path, params):
    return _tuple(64, 1, repeat=False)


def serving_input_receiver_fn():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    return tf.estimator.export.ServingInputReceiver({"x": x}, {"x": x})
