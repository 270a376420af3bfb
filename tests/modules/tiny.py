"""A tiny classifier used by the tests: 4 features -> 3 classes, data made in memory.

    python -m modelmaker.train --user_module tests/modules/tiny.py --train_url /tmp/tiny
"""

import numpy as np
import tensorflow as tf


def _data(n, seed):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 4).astype("float32")
    y = (x[:, 0] > 0).astype("int32") + (x[:, 1] > 0).astype("int32")
    return {"x": x}, y


def model_fn(features, labels, mode, params):
    x = features["x"] if isinstance(features, dict) else features  # TensorServingInputReceiver
    logits = tf.keras.layers.Dense(3, name="logits")(x)
    classes = tf.argmax(logits, axis=1)
    predictions = {"class_id": classes, "probabilities": tf.nn.softmax(logits)}
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions=predictions)
    loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
    if mode == tf.estimator.ModeKeys.EVAL:
        acc = tf.compat.v1.metrics.accuracy(labels, classes)
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={"accuracy": acc})
    opt = tf.compat.v1.train.GradientDescentOptimizer(params.get("learning_rate", 0.1))
    train_op = opt.minimize(loss, global_step=tf.compat.v1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def train_input_fn(path, params):
    features, labels = _data(256, 0)
    return tf.data.Dataset.from_tensor_slices((features, labels)).repeat().batch(16)


def eval_input_fn(path, params):
    features, labels = _data(64, 1)
    return tf.data.Dataset.from_tensor_slices((features, labels)).batch(16)


def serving_input_receiver_fn():
    x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
    return tf.estimator.export.ServingInputReceiver({"x": x}, {"x": x})
