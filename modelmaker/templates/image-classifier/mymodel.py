"""Classifies images kept in one folder per class, with a small convolutional network.

    python -m modelmaker.train --user_module mymodel                      # the sample shapes in ./data
    python -m modelmaker.train --user_module mymodel --data_url my_data/  # your own images

Data layout (PNG, JPEG, GIF or BMP files; any size, they are resized):
    <data>/train/<class name>/*.png
    <data>/eval/<class name>/*.png

modelmaker calls the four functions below, and preprocess/postprocess, which turn an image
file into a class name for `modelmaker predict` and `serve`; everything else (checkpoints,
evaluation, export, resuming) is done for you. Search this file for `CHANGE` to find the
places to adapt to your own images. Parameters (batch size, learning rate, steps...) are in
parameters.json; every key there reaches these functions as `params`.
"""

import os

import tensorflow as tf

# CHANGE: your class names, i.e. the sub-folder names under train/ and eval/.
CLASSES = ["circle", "square", "triangle"]
# CHANGE: the size every image is resized to, and 1 (grayscale) or 3 (RGB) channels.
HEIGHT, WIDTH, CHANNELS = 28, 28, 1

SAMPLE_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp")


def model_fn(features, labels, mode, params):
    """Builds the network for one mode and returns a tf.estimator.EstimatorSpec.

    Args:
      features: {"images": float32 [batch, HEIGHT, WIDTH, CHANNELS] in 0..1, "file": each
        image's path below the split folder, e.g. b"circle/circle_003.png"}.
      labels: int32 class indices [batch] (None when predicting).
      mode: tf.estimator.ModeKeys.TRAIN, EVAL or PREDICT.
      params: every key of parameters.json (and of --set on the command line).
    """
    # CHANGE: the network.
    x = features["images"]
    for filters in params["conv_filters"]:
        x = tf.keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = tf.keras.layers.MaxPooling2D()(x)
    x = tf.keras.layers.Flatten()(x)
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
    """Shuffled, repeated batches of ({"images": ..., "file": ...}, labels) from <path>/train/.

    Args:
      path: --data_url, or None when it is not given (then the sample data in ./data).
      params: every key of parameters.json.
    """
    files, labels = _list_images(path, "train")
    dataset = tf.data.Dataset.from_tensor_slices((files, labels))
    dataset = dataset.shuffle(len(files), seed=0, reshuffle_each_iteration=True).repeat()
    return _named(dataset.map(_load, num_parallel_calls=tf.data.AUTOTUNE).batch(params["batch_size"]))


def eval_input_fn(path, params):
    """One pass over <path>/eval/ in file order."""
    files, labels = _list_images(path, "eval")
    dataset = tf.data.Dataset.from_tensor_slices((files, labels))
    return _named(dataset.map(_load, num_parallel_calls=tf.data.AUTOTUNE).batch(params["batch_size"]))


def _named(dataset):
    # The evaluation report (modelmaker evaluate, train --report) shows these names instead of
    # 0, 1, 2, as with tf.keras.utils.image_dataset_from_directory.
    dataset.class_names = CLASSES
    return dataset


def serving_input_receiver_fn():
    """What the exported model accepts: images as floats in 0..1, already resized.

    TensorFlow Serving then takes {"instances": [[[[0.0], [0.1], ...], ...]]}, one
    HEIGHT x WIDTH x CHANNELS array per image.
    """
    images = tf.compat.v1.placeholder(tf.float32, [None, HEIGHT, WIDTH, CHANNELS], name="images")
    return tf.estimator.export.ServingInputReceiver({"images": images}, {"images": images})


def preprocess(raw, filename):
    """One image file's bytes -> {"images": HEIGHT x WIDTH x CHANNELS floats in 0..1}, made as
    for training. `modelmaker predict --input shape.png` and the server's raw endpoint call it.
    """
    image = tf.io.decode_image(raw, channels=CHANNELS, expand_animations=False)
    return {"images": _scaled(image).numpy()}


def postprocess(prediction):
    """The outputs for one image -> its class name."""
    return CLASSES[int(prediction["class_id"])]


def _list_images(path, split):
    folder = os.path.join(SAMPLE_DATA if path is None else path, split)
    if not tf.io.gfile.isdir(folder):
        raise FileNotFoundError(f"{folder} not found: --data_url must be a folder holding "
                                "train/<class>/ and eval/<class>/ image folders (see README.md)")
    found = sorted(tf.io.gfile.listdir(folder))
    unknown = [name.rstrip("/") for name in found if name.rstrip("/") not in CLASSES]
    if unknown:
        raise ValueError(f"{folder} has folders {unknown} that are not in CLASSES {CLASSES}: "
                         "add them to CLASSES in mymodel.py, or move them out")
    files, labels = [], []
    for label, name in enumerate(CLASSES):
        pattern = os.path.join(folder, name, "*")
        images = [f for f in sorted(tf.io.gfile.glob(pattern)) if f.lower().endswith(IMAGE_EXTENSIONS)]
        files += images
        labels += [label] * len(images)
    if not files:
        raise FileNotFoundError(f"no images in {folder}/<class>/ for CLASSES {CLASSES}")
    return files, labels


def _load(file, label):
    image = tf.io.decode_image(tf.io.read_file(file), channels=CHANNELS, expand_animations=False)
    # "file" names each sample in the report (report_name_key in parameters.json): <class>/<file>.
    name = tf.strings.reduce_join(tf.strings.split(file, "/")[-2:], separator="/")
    return {"images": _scaled(image), "file": name}, label


def _scaled(image):
    return tf.image.resize(image, [HEIGHT, WIDTH]) / 255.0
