"""Classifies the rows of a CSV file: numeric columns in, one label column out.

    python -m modelmaker.train --user_module mymodel                      # the sample data in ./data
    python -m modelmaker.train --user_module mymodel --data_url my_data/  # your own train.csv + eval.csv

modelmaker calls the four functions below; everything else (checkpoints, evaluation,
export, resuming) is done for you. Search this file for `CHANGE` to find the places to
adapt to your own CSV. Parameters (batch size, learning rate, steps...) are in
parameters.json; every key there reaches these functions as `params`.
"""

import os

import tensorflow as tf

# CHANGE: the numeric columns of your CSV the model reads (other columns are ignored).
FEATURES = ["length_cm", "width_cm", "redness"]
# CHANGE: the column that holds the answer, and every value it takes.
LABEL = "fruit"
CLASSES = ["apple", "lemon", "orange"]
# CHANGE: the file names expected inside --data_url (or inside ./data when it is not given).
TRAIN_FILE, EVAL_FILE = "train.csv", "eval.csv"

SAMPLE_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def model_fn(features, labels, mode, params):
    """Builds the network for one mode and returns a tf.estimator.EstimatorSpec.

    Args:
      features: dict column name -> float32 tensor [batch], as made by the input functions
        or by serving_input_receiver_fn.
      labels: int32 class indices [batch] (None when predicting).
      mode: tf.estimator.ModeKeys.TRAIN, EVAL or PREDICT.
      params: every key of parameters.json (and of --set on the command line).
    """
    # CHANGE: the network. Columns on very different scales train better once scaled.
    x = tf.stack([tf.cast(features[name], tf.float32) for name in FEATURES], axis=1)
    for units in params["hidden_units"]:
        x = tf.keras.layers.Dense(units, activation="relu")(x)
    logits = tf.keras.layers.Dense(len(CLASSES), name="logits")(x)

    class_id = tf.argmax(logits, axis=1)
    predictions = {
        "class_id": class_id,
        "class_name": tf.gather(tf.constant(CLASSES), class_id),
        "probabilities": tf.nn.softmax(logits),
    }
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions=predictions)

    loss = tf.reduce_mean(
        tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
    if mode == tf.estimator.ModeKeys.EVAL:
        metrics = {"accuracy": tf.compat.v1.metrics.accuracy(labels, class_id)}
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops=metrics)

    optimizer = tf.compat.v1.train.AdamOptimizer(params["learning_rate"])
    train_op = optimizer.minimize(loss, global_step=tf.compat.v1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def train_input_fn(path, params):
    """Shuffled, repeated batches of (features, labels) from <path>/train.csv.

    Args:
      path: --data_url, or None when it is not given (then the sample data in ./data).
      params: every key of parameters.json.
    """
    return _csv_dataset(_data_file(path, TRAIN_FILE), params["batch_size"], training=True)


def eval_input_fn(path, params):
    """One pass over <path>/eval.csv in file order."""
    return _csv_dataset(_data_file(path, EVAL_FILE), params["batch_size"], training=False)


def serving_input_receiver_fn():
    """What the exported model accepts: one float per FEATURES column, per example.

    TensorFlow Serving then takes {"instances": [{"length_cm": 7.1, "width_cm": 7.3, ...}]}.
    """
    inputs = {name: tf.compat.v1.placeholder(tf.float32, [None], name=name) for name in FEATURES}
    return tf.estimator.export.ServingInputReceiver(inputs, inputs)


def _data_file(path, name):
    folder = SAMPLE_DATA if path is None else path
    file = os.path.join(folder, name)
    if not tf.io.gfile.exists(file):
        raise FileNotFoundError(f"{file} not found: --data_url must be a folder holding "
                                f"{TRAIN_FILE} and {EVAL_FILE} (see README.md)")
    return file


def _csv_dataset(file, batch_size, training):
    # make_csv_dataset streams the file (CSVs larger than memory work too) and infers each
    # column's type from its first rows.
    dataset = tf.data.experimental.make_csv_dataset(
        file, batch_size, label_name=LABEL, select_columns=FEATURES + [LABEL],
        num_epochs=None if training else 1, shuffle=training, shuffle_seed=0)
    dataset = dataset.map(_label_to_index)
    dataset.class_names = CLASSES  # the evaluation report shows these names instead of 0, 1, 2
    return dataset


def _label_to_index(features, label):
    if label.dtype != tf.string:  # numeric labels (0, 1, ...) match CLASSES = ["0", "1", ...]
        label = tf.strings.as_string(label)
    matches = tf.equal(tf.expand_dims(label, -1), tf.constant(CLASSES))
    known = tf.debugging.Assert(tf.reduce_all(tf.reduce_any(matches, axis=-1)),
                                [f"a value of column {LABEL!r} is not in CLASSES {CLASSES}:", label])
    with tf.control_dependencies([known]):
        return features, tf.argmax(tf.cast(matches, tf.int32), axis=-1, output_type=tf.int32)
