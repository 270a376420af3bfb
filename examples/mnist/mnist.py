"""The ModelMaker MNIST example: the seed's model, written in TF1 style (tensorflow.compat.v1).

    python -m modelmaker.train --user_module examples/mnist/mnist.py \
        --data_url ../shared/data/mnist-10k --train_url output/mnist \
        --params examples/mnist/parameters.json

Two dense(128, relu) + dropout(0.2) layers, Adam, softmax cross-entropy; predictions
`class_id`, `probabilities`, `logits`; export heads `serving_default` and `predict_images`
(-> `scores`). Reaches eval accuracy >= 0.95 within 3,000 steps on the 8k/2k MNIST subset
(about 30 s on 2 CPU cores). `--data_url` is a folder with the four IDX files (`.gz` or
not); without a usable one, MNIST is downloaded with tensorflow-datasets.
"""

import numpy as np
import tensorflow.compat.v1 as tf

import mnist_data
from modelmaker.errors import DataError


def model_fn(features, labels, mode, params):
    feature_columns = [tf.feature_column.numeric_column(key="images", shape=[28, 28])]
    net = tf.feature_column.input_layer(features, feature_columns)
    for _ in range(2):
        net = tf.layers.dropout(tf.layers.dense(net, 128, activation=tf.nn.relu),
                                rate=0.2, training=(mode == tf.estimator.ModeKeys.TRAIN))
    logits = tf.layers.dense(net, 10, activation=None)
    class_id = tf.argmax(logits, axis=1)
    probabilities = tf.nn.softmax(logits)

    if mode == tf.estimator.ModeKeys.PREDICT:
        predictions = {"class_id": class_id[:, tf.newaxis], "probabilities": probabilities,
                       "logits": logits}
        export_outputs = {
            tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY:
                tf.estimator.export.PredictOutput(predictions),
            "predict_images": tf.estimator.export.PredictOutput({"scores": probabilities}),
        }
        return tf.estimator.EstimatorSpec(mode, predictions=predictions, export_outputs=export_outputs)

    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    if mode == tf.estimator.ModeKeys.EVAL:
        accuracy = tf.metrics.accuracy(labels=labels, predictions=class_id)
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={"accuracy": accuracy})

    optimizer = tf.train.AdamOptimizer(learning_rate=params["learning_rate"])
    train_op = optimizer.minimize(loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def _arrays(path, split):
    if path and mnist_data.has_split(path, split):
        images, labels = mnist_data.load_split(path, split)
    else:
        try:
            images, labels = mnist_data.download_split(split)
        except RuntimeError as e:
            where = f"--data_url {path!r} has no MNIST IDX files" if path else "no --data_url was given"
            raise DataError(f"{where} and {e}. Put train-images-idx3-ubyte(.gz), "
                            "train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz) and "
                            "t10k-labels-idx1-ubyte(.gz) in a folder and pass it as --data_url.") from None
    return {"images": (images / 255.0).astype(np.float32)}, labels.astype(np.int32)


def train_input_fn(path, params):
    features, labels = _arrays(path, "train")
    dataset = tf.data.Dataset.from_tensor_slices((features, labels))
    dataset = dataset.shuffle(buffer_size=10000).repeat().batch(params["batch_size"])
    return dataset.prefetch(tf.data.AUTOTUNE)


def eval_input_fn(path, params):
    features, labels = _arrays(path, "test")
    dataset = tf.data.Dataset.from_tensor_slices((features, labels)).batch(params["batch_size"])
    return dataset.prefetch(tf.data.AUTOTUNE)


def serving_input_receiver_fn():
    # The seed's form: return the receiver *function* built from raw placeholders.
    images = tf.placeholder(tf.float32, [None, 28, 28], name="images")
    return tf.estimator.export.build_raw_serving_input_receiver_fn({"images": images})


# Serving hooks, used by `modelmaker predict --input two.png` and the server's raw endpoint
# (POST /modelmaker/v1/models/<name>:predict with the image as the body); see docs/serving.md.

def preprocess(raw, filename):
    """One digit image (PNG, JPEG, GIF or BMP bytes) -> {"images": float32 [28, 28] in 0..1}.

    Made to look like MNIST: one gray channel, a light digit on a dark background (a dark
    digit on a light page is inverted). A 28x28 image is used as it is; any other size is
    cropped to the digit, scaled into a 20x20 box and centered by its center of mass,
    as MNIST digits are.
    """
    image = tf.io.decode_image(raw, channels=1, expand_animations=False)
    pixels = image.numpy()[:, :, 0].astype(np.float32) / 255.0
    if pixels.mean() > 0.5:
        pixels = 1.0 - pixels
    if pixels.shape != (28, 28):
        pixels = _center_digit(pixels)
    return {"images": pixels}


def _center_digit(pixels):
    ink = np.argwhere(pixels > 0.2)
    if len(ink):
        (top, left), (bottom, right) = ink.min(axis=0), ink.max(axis=0) + 1
        pixels = pixels[top:bottom, left:right]
    height, width = pixels.shape
    scale = 20.0 / max(height, width)
    size = [max(1, round(height * scale)), max(1, round(width * scale))]
    digit = tf.image.resize(pixels[:, :, np.newaxis], size).numpy()[:, :, 0]
    digit = np.clip(digit, 0.0, 1.0)
    # Like MNIST, put the digit's center of mass at the center of the 28x28 field.
    rows, cols = np.indices(digit.shape)
    mass = max(float(digit.sum()), 1e-6)
    y = int(np.clip(round(14 - (rows * digit).sum() / mass), 0, 28 - size[0]))
    x = int(np.clip(round(14 - (cols * digit).sum() / mass), 0, 28 - size[1]))
    canvas = np.zeros((28, 28), np.float32)
    canvas[y:y + size[0], x:x + size[1]] = digit
    return canvas


def postprocess(prediction):
    """The outputs for one image -> the digit (an int)."""
    return int(np.asarray(prediction["class_id"]).reshape(-1)[0])
