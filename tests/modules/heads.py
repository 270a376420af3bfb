"""A TF2-namespace module with feature columns, a parsing receiver with a raw-feature alternative, and
three export heads (Predict, Classify with string classes from a vocabulary asset, Regress).

    python -m modelmaker.train --user_module tests/modules/heads.py --train_url /tmp/heads

params: `vocabulary` (a text file with one class name per line, 3 lines: it becomes a SavedModel asset).
"""

import numpy as np
import tensorflow as tf

FEATURES = {"x": tf.io.FixedLenFeature([4], tf.float32)}
COLUMNS = [tf.feature_column.numeric_column("x", shape=[4])]


def _data(n, seed):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 4).astype("float32")
    return {"x": x}, ((x[:, 0] > 0).astype("int32") + (x[:, 1] > 0).astype("int32"))


def model_fn(features, labels, mode, params):
    net = tf.compat.v1.feature_column.input_layer(features, COLUMNS)
    logits = tf.compat.v1.layers.dense(net, 3, name="logits")
    score = tf.squeeze(tf.compat.v1.layers.dense(net, 1, name="score"), axis=1)
    probabilities = tf.nn.softmax(logits)
    if mode == tf.estimator.ModeKeys.PREDICT:
        names = tf.compat.v1.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            params["vocabulary"], tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER,
            tf.string, tf.lookup.TextFileIndex.WHOLE_LINE), default_value="?")
        ids = tf.tile(tf.range(3, dtype=tf.int64)[tf.newaxis, :], [tf.shape(logits)[0], 1])
        classes = names.lookup(ids, name="class_names")  # [batch, 3]: each score's class name
        predictions = {"probabilities": probabilities, "score": score}
        return tf.estimator.EstimatorSpec(mode, predictions=predictions, export_outputs={
            "serving_default": tf.estimator.export.PredictOutput(predictions),
            "classify": tf.estimator.export.ClassificationOutput(scores=probabilities, classes=classes),
            "regress": tf.estimator.export.RegressionOutput(value=score)})
    loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits) + \
        tf.compat.v1.losses.mean_squared_error(tf.cast(labels, tf.float32), score)
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={
            "accuracy": tf.compat.v1.metrics.accuracy(labels, tf.argmax(logits, axis=1)),
            "rmse": tf.compat.v1.metrics.root_mean_squared_error(tf.cast(labels, tf.float32), score)})
    train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(
        loss, global_step=tf.compat.v1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def train_input_fn(path, params):
    """A (features, labels) tuple from a one-shot iterator, not a Dataset."""
    features, labels = _data(256, 0)
    dataset = tf.data.Dataset.from_tensor_slices((features, labels)).repeat().batch(16)
    return tf.compat.v1.data.make_one_shot_iterator(dataset).get_next()


def eval_input_fn(path, params):
    features, labels = _data(48, 1)
    return tf.data.Dataset.from_tensor_slices((features, labels)).batch(16)


def serving_input_receiver_fn():
    examples = tf.compat.v1.placeholder(tf.string, [None], name="input_example_tensor")
    features = tf.io.parse_example(examples, FEATURES)
    return tf.estimator.export.ServingInputReceiver(
        features, {"examples": examples}, receiver_tensors_alternatives={"raw": {"x": features["x"]}})
