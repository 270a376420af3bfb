"""Tiny SavedModels for the serving tests, written with the TF1 SavedModel builder in well
under a second each (no training): one input and two outputs, several inputs and outputs,
string inputs, and an Estimator-style parsing export with classify/regress signatures."""

import numpy as np
import tensorflow as tf

v1 = tf.compat.v1
sig = v1.saved_model.signature_def_utils
info = v1.saved_model.utils.build_tensor_info


def _save(path, build):
    """Builds a graph with `build()` -> {key: SignatureDef} and saves it under `path`."""
    with tf.Graph().as_default(), v1.Session() as session:
        signatures = build()
        session.run(v1.global_variables_initializer())
        builder = v1.saved_model.Builder(path)
        builder.add_meta_graph_and_variables(session, ["serve"], signature_def_map=signatures)
        builder.save()
    return path


def _predict(inputs, outputs):
    return sig.build_signature_def({k: info(t) for k, t in inputs.items()},
                                   {k: info(t) for k, t in outputs.items()},
                                   v1.saved_model.signature_constants.PREDICT_METHOD_NAME)


def linear(path, scale):
    """x float [-1, 2] -> y = x * scale (a variable), total = sum(y): tells versions apart."""
    def build():
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        w = v1.get_variable("scale", initializer=float(scale))
        y = x * w
        return {"serving_default": _predict({"x": x}, {"y": y, "total": tf.reduce_sum(y, 1)})}
    return _save(path, build)


def multi(path):
    """Inputs a float [-1, 3] and b int32 [-1]; outputs of four dtypes, bytes included.

    Signatures: serving_default (a, b -> sum, scaled, label, id_bytes), first (a -> sum_a),
    scalar (a -> mean, which has no batch dimension).
    """
    def build():
        a = v1.placeholder(tf.float32, [None, 3], name="a")
        b = v1.placeholder(tf.int32, [None], name="b")
        v1.get_variable("unused", initializer=1.0)
        total = tf.reduce_sum(a, 1) + tf.cast(b, tf.float32)
        text = tf.strings.as_string(b)
        return {
            "serving_default": _predict({"a": a, "b": b}, {
                "sum": total, "scaled": tf.cast(a * 2, tf.float64), "label": text,
                "id_bytes": tf.strings.join([tf.constant(b"\xff"), text])}),
            "first": _predict({"a": a}, {"sum_a": tf.reduce_sum(a, 1)}),
            "scalar": _predict({"a": a}, {"mean": tf.reduce_mean(a)}),
        }
    return _save(path, build)


def text(path):
    """text string [-1] -> length int32 [-1], echo_bytes (the same bytes, sent back as b64)."""
    def build():
        t = v1.placeholder(tf.string, [None], name="text")
        v1.get_variable("unused", initializer=1.0)
        return {"serving_default": _predict({"text": t}, {
            "length": tf.strings.length(t), "echo_bytes": tf.identity(t)})}
    return _save(path, build)


def parsing(path):
    """An Estimator-style parsing export: serialized tf.Example -> classify and regress.

    Features x float [2] and k int64 [1] (default 0). scores = softmax([s, -s]) with
    s = x0 + x1, classes ("pos", "neg"), value = x0 + 2 x1 + k.
    """
    def build():
        serialized = v1.placeholder(tf.string, [None], name="input_example_tensor")
        features = v1.parse_example(serialized, {
            "x": v1.FixedLenFeature([2], tf.float32),
            "k": v1.FixedLenFeature([1], tf.int64, default_value=[0])})
        x = features["x"] * v1.get_variable("one", initializer=1.0)
        s = x[:, 0] + x[:, 1]
        scores = tf.nn.softmax(tf.stack([s, -s], axis=1))
        classes = tf.tile(tf.constant([["pos", "neg"]]), [tf.shape(x)[0], 1])
        value = (x[:, 0] + 2 * x[:, 1] + tf.cast(features["k"][:, 0], tf.float32))[:, None]
        return {
            "serving_default": _predict({"examples": serialized},
                                        {"scores": scores, "value": value}),
            "classification": sig.classification_signature_def(serialized, classes, scores),
            "regression": sig.regression_signature_def(serialized, value),
        }
    return _save(path, build)


def eager_outputs(path, inputs, key="serving_default"):
    """The outputs of signature `key` run through TF2's own loader: an independent reference."""
    loaded = tf.saved_model.load(path)
    fn = loaded.signatures[key]
    result = fn(**{k: tf.constant(v) for k, v in inputs.items()})
    return {k: np.asarray(v) for k, v in result.items()}


def half_plus_two(path):
    """TF Serving's test model half_plus_two, rebuilt: y = 0.5 * x + 2.

    As in tensorflow/serving's testdata: serialized tf.Examples are parsed into x, declared
    [-1, 1]; serving_default feeds x directly, classify_x_to_y and regress_x_to_y feed
    examples (y is the score / the value).
    """
    def build():
        serialized = v1.placeholder(tf.string, [None], name="tf_example")
        parsed = v1.parse_example(serialized, {"x": v1.FixedLenFeature([1], tf.float32)})
        x = tf.identity(parsed["x"], name="x")
        y = tf.add(v1.get_variable("a", initializer=0.5) * x,
                   v1.get_variable("b", initializer=2.0), name="y")
        return {
            "serving_default": _predict({"x": x}, {"y": y}),
            "classify_x_to_y": sig.classification_signature_def(serialized, None, y),
            "regress_x_to_y": sig.regression_signature_def(serialized, y),
        }
    return _save(path, build)
