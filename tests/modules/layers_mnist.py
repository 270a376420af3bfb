"""An MNIST-like classifier in TF1 style (`tensorflow.compat.v1`, `tf.layers`, `tf.estimator` names), as the
seed tutorial writes it, on small made-up 12x12 images of 4 classes (each class a bright quadrant).

    python -m modelmaker.train --user_module tests/modules/layers_mnist.py --train_url /tmp/layers_mnist

conv2d + batch_normalization (UPDATE_OPS) + max_pooling2d + flatten + dense + dropout; evaluation with a
tf.metrics pair and a Keras Metric object of the same accuracy; export heads `serving_default` and `scores`.
"""

import numpy as np
import tensorflow.compat.v1 as tf

SIDE, CLASSES = 12, 4


def images(n, seed):
    """(images [n, 12, 12] float32 in [0, 1], labels [n] int32): noise plus the labelled quadrant lit."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, CLASSES, n).astype(np.int32)
    x = rng.uniform(0.0, 0.4, (n, SIDE, SIDE)).astype(np.float32)
    half = SIDE // 2
    for i, label in enumerate(labels):
        row, col = divmod(int(label), 2)
        x[i, row * half:(row + 1) * half, col * half:(col + 1) * half] += 0.6
    return x, labels


def model_fn(features, labels, mode, params):
    training = mode == tf.estimator.ModeKeys.TRAIN
    net = tf.reshape(features["images"], [-1, SIDE, SIDE, 1])
    net = tf.layers.conv2d(net, 4, 3, padding="same", activation=tf.nn.relu)
    net = tf.layers.batch_normalization(net, training=training)
    net = tf.layers.max_pooling2d(net, 2, 2)
    net = tf.layers.dropout(tf.layers.dense(tf.layers.flatten(net), 16, activation=tf.nn.relu),
                            rate=0.1, training=training)
    logits = tf.layers.dense(net, CLASSES)
    class_id = tf.argmax(logits, axis=1)
    probabilities = tf.nn.softmax(logits)
    if mode == tf.estimator.ModeKeys.PREDICT:
        predictions = {"class_id": class_id, "probabilities": probabilities}
        return tf.estimator.EstimatorSpec(mode, predictions=predictions, export_outputs={
            tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY: tf.estimator.export.PredictOutput(predictions),
            "scores": tf.estimator.export.PredictOutput({"scores": probabilities})})
    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    if mode == tf.estimator.ModeKeys.EVAL:
        keras_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name="keras_accuracy")
        keras_accuracy.update_state(labels, probabilities)
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={
            "accuracy": tf.metrics.accuracy(labels=labels, predictions=class_id),
            "keras_accuracy": keras_accuracy})
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train_op = tf.train.AdamOptimizer(params.get("learning_rate", 0.01)).minimize(
            loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def train_input_fn(path, params):
    x, y = images(512, 0)
    return tf.data.Dataset.from_tensor_slices(({"images": x}, y)).shuffle(512, seed=1).repeat().batch(32)


def eval_input_fn(path, params):
    x, y = images(100, 1)  # 100 = 3 full batches of 32 and one of 4
    return tf.data.Dataset.from_tensor_slices(({"images": x}, y)).batch(32)


def serving_input_receiver_fn():
    images_in = tf.placeholder(tf.float32, [None, SIDE, SIDE], name="images")
    return tf.estimator.export.ServingInputReceiver({"images": images_in}, {"images": images_in})
