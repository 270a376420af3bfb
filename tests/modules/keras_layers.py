"""A model_fn built with `tf.keras.layers` (Keras 3 on current TensorFlow, Keras 2 on 2.15): unnamed
Conv2D, MaxPooling2D, Flatten, Dense and Dropout layers, a v1 metric and a Keras Metric object;
16 features (a 4x4 image) -> 3 classes, data made in memory.

    python -m modelmaker.train --user_module tests/modules/keras_layers.py --train_url /tmp/keras-layers
"""

import numpy as np
import tensorflow as tf


def _data(n, seed):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 16).astype("float32")
    y = (x[:, :8].sum(axis=1) > 0).astype("int32") + (x[:, 8:].sum(axis=1) > 0).astype("int32")
    return {"x": x}, y


def model_fn(features, labels, mode, params):
    training = mode == tf.estimator.ModeKeys.TRAIN
    image = tf.reshape(features["x"], [-1, 4, 4, 1])
    hidden = tf.keras.layers.Conv2D(4, 3, padding="same", activation="relu")(image)
    hidden = tf.keras.layers.MaxPooling2D(2)(hidden)
    hidden = tf.keras.layers.Flatten()(hidden)
    hidden = tf.keras.layers.Dense(16, activation="relu")(hidden)
    hidden = tf.keras.layers.Dropout(0.1)(hidden, training=training)
    logits = tf.keras.layers.Dense(3)(hidden)
    classes = tf.argmax(logits, axis=1)
    predictions = {"class_id": classes, "probabilities": tf.nn.softmax(logits)}
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions=predictions)
    loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
    if mode == tf.estimator.ModeKeys.EVAL:
        keras_accuracy = tf.keras.metrics.SparseCategoricalAccuracy()
        keras_accuracy.update_state(labels, logits)
        metrics = {"accuracy": tf.compat.v1.metrics.accuracy(labels, classes), "keras_accuracy": keras_accuracy}
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops=metrics)
    optimizer = tf.compat.v1.train.AdamOptimizer(params.get("learning_rate", 0.01))
    train_op = optimizer.minimize(loss, global_step=tf.compat.v1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def train_input_fn(path, params):
    features, labels = _data(512, 0)
    return tf.data.Dataset.from_tensor_slices((features, labels)).shuffle(512, seed=0).repeat().batch(32)


def eval_input_fn(path, params):
    features, labels = _data(128, 1)
    return tf.data.Dataset.from_tensor_slices((features, labels)).batch(32)


def serving_input_receiver_fn():
    x = tf.compat.v1.placeholder(tf.float32, [None, 16], name="x")
    return tf.estimator.export.ServingInputReceiver({"x": x}, {"x": x})
