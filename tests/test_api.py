"""End-to-end tests of modelmaker.fit(): files produced, resume, the four receiver forms,
tuple and Dataset inputs, and a tensorflow.compat.v1-style module."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

import modelmaker
from modelmaker import engine
from modelmaker.user import module as user_module
from modelmaker.errors import DataError, UserModuleError
from tests.conftest import FAST


def load_and_predict(export_dir, feed):
    with tf.compat.v1.Session(graph=tf.Graph()) as sess:
        meta = tf.compat.v1.saved_model.load(sess, ["serve"], export_dir)
        sig = meta.signature_def["serving_default"]
        inputs = {sig.inputs[k].name: v for k, v in feed.items()}
        return sess.run({k: v.name for k, v in sig.outputs.items()}, inputs), meta


def test_fit_writes_checkpoint_params_result_and_a_loadable_savedmodel(tiny, tmp_path):
    out = tmp_path / "out"
    result = modelmaker.fit(tiny, dict(FAST, learning_rate=0.2), train_url=str(out))
    assert result.global_step == 10 and result.trained
    assert tf.train.latest_checkpoint(str(out)).endswith("model.ckpt-10")
    saved = json.loads((out / "params.json").read_text())
    assert saved["train_max_steps"] == 10 and saved["learning_rate"] == 0.2
    record = json.loads((out / "result.json").read_text())
    assert record == result.to_dict()
    assert set(record) >= {"global_step", "metrics", "export_dir", "wall_seconds", "params_file"}
    assert 0.0 <= record["metrics"]["accuracy"] <= 1.0 and "loss" in record["metrics"]
    assert result.export_dir == str(out / "export" / "model" / "1")
    out_values, _ = load_and_predict(result.export_dir, {"x": np.ones((2, 4), np.float32)})
    assert out_values["probabilities"].shape == (2, 3)
    assert list((out / "eval").glob("events.out.tfevents.*")), "eval TensorBoard events missing"
    assert list(out.glob("events.out.tfevents.*")), "train TensorBoard events missing"


def test_resume_continues_and_a_finished_run_trains_nothing(tiny, tmp_path, capfd):
    out = str(tmp_path / "out")
    modelmaker.fit(tiny, dict(FAST, train_max_steps=5), train_url=out)
    second = modelmaker.fit(tiny, dict(FAST, train_max_steps=10), train_url=out)
    err = capfd.readouterr().err
    assert "resuming from step 5" in err and second.global_step == 10
    assert "train_max_steps: 5 -> 10" in err, "a rerun with new parameters shows the change"
    third = modelmaker.fit(tiny, dict(FAST, train_max_steps=10), train_url=out)
    err = capfd.readouterr().err
    assert not third.trained and third.global_step == 10
    assert third.metrics["global_step"] == 10 and "accuracy" in third.metrics, "a rerun still evaluates"
    assert "nothing to train" in err
    assert third.export_dir == second.export_dir, "same checkpoint: the export is not duplicated"
    assert os.path.isfile(os.path.join(third.export_dir, "saved_model.pb"))


def test_train_max_steps_null_trains_until_input_ends_and_still_exports(write_module, tmp_path):
    path = write_module(open(os.path.join(os.path.dirname(__file__), "modules", "tiny.py")).read()
                        .replace(".repeat().batch(16)", ".batch(16)"), "finite")
    result = modelmaker.fit(path, dict(FAST, train_max_steps=None), train_url=str(tmp_path / "o"))
    assert result.global_step == 16  # 256 examples / 16
    assert os.path.isfile(os.path.join(result.export_dir, "saved_model.pb"))


TUPLE_INPUT = '''
def train_input_fn(path, params):
    features, labels = _data(64, 0)
    return {"x": tf.constant(features["x"])}, tf.constant(labels)
'''


def test_input_fn_may_return_a_features_labels_tuple(tiny, write_module, tmp_path):
    source = open(tiny).read().split("def train_input_fn")[0] + TUPLE_INPUT + \
        "def eval_input_fn" + open(tiny).read().split("def eval_input_fn")[1]
    result = modelmaker.fit(write_module(source, "tuplein"), FAST, train_url=str(tmp_path / "o"))
    assert result.global_step == 10


def test_input_fn_returning_something_else_is_a_user_error(tiny, write_module, tmp_path):
    source = open(tiny).read().replace(
        "return tf.data.Dataset.from_tensor_slices((features, labels)).repeat().batch(16)", "return [1, 2, 3]")
    with pytest.raises(UserModuleError, match="`train_input_fn` .* returned list"):
        modelmaker.fit(write_module(source, "badin"), FAST, train_url=str(tmp_path / "o"))


def test_model_fn_returning_a_dict_is_a_user_error(tiny, write_module, tmp_path):
    source = open(tiny).read().replace(
        "return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)", "return {'loss': loss}")
    with pytest.raises(UserModuleError, match="returned dict in mode train"):
        modelmaker.fit(write_module(source, "badspec"), FAST, train_url=str(tmp_path / "o"))


def test_missing_data_url_is_a_data_error(tiny, tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        modelmaker.fit(tiny, FAST, data_url=str(tmp_path / "nope"), train_url=str(tmp_path / "o"))


RECEIVERS = {
    "ServingInputReceiver": '''
def serving_input_receiver_fn():
    x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
    return tf.estimator.export.ServingInputReceiver({"x": x}, {"x": x})
''',
    "TensorServingInputReceiver": '''
def serving_input_receiver_fn():
    x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
    return tf.estimator.export.TensorServingInputReceiver(x, {"x": x})
''',
    "build_raw": '''
def serving_input_receiver_fn():
    return tf.estimator.export.build_raw_serving_input_receiver_fn(
        {"x": tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")})
''',
    "build_parsing": '''
def serving_input_receiver_fn():
    return tf.estimator.export.build_parsing_serving_input_receiver_fn(
        {"x": tf.io.FixedLenFeature([4], tf.float32)})
''',
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from tests.conftest import TINY
    out = str(tmp_path_factory.mktemp("trained"))
    modelmaker.fit(TINY, FAST, train_url=out)
    return out


@pytest.mark.parametrize("form", RECEIVERS)
def test_all_four_serving_receiver_forms_export(form, trained, tiny, write_module, tmp_path):
    source = open(tiny).read().split("def serving_input_receiver_fn")[0] + RECEIVERS[form]
    user = user_module.load(write_module(source, f"recv_{form}"))
    params = modelmaker.api.to_run_params(FAST)
    exporter = engine.build(user=user, params=params, model_dir=trained)
    path, _ = exporter.export(str(tmp_path / form), checkpoint=tf.train.latest_checkpoint(trained),
                              global_step=10)
    if form == "build_parsing":
        example = tf.train.Example(features=tf.train.Features(feature={
            "x": tf.train.Feature(float_list=tf.train.FloatList(value=[1, 2, 3, 4]))}))
        values, _ = load_and_predict(path, {"examples": np.array([example.SerializeToString()])})
    else:
        values, _ = load_and_predict(path, {"x": np.ones((1, 4), np.float32)})
    assert values["probabilities"].shape == (1, 3)


def test_serving_receiver_of_a_wrong_type_fails_before_training(tiny, write_module, tmp_path):
    source = open(tiny).read().split("def serving_input_receiver_fn")[0] + \
        "def serving_input_receiver_fn():\n    return {'x': 1}\n"
    out = tmp_path / "o"
    with pytest.raises(UserModuleError, match="`serving_input_receiver_fn` .* returned dict"):
        modelmaker.fit(write_module(source, "badrecv"), FAST, train_url=str(out))
    assert not list(out.glob("model.ckpt*")), "nothing may be trained when the receiver is wrong"


COMPAT_V1 = '''
import numpy as np
import tensorflow.compat.v1 as tf


def model_fn(features, labels, mode, params):
    columns = [tf.feature_column.numeric_column("x", shape=[4])]
    net = tf.feature_column.input_layer(features, columns)
    net = tf.layers.dense(net, 8, activation=tf.nn.relu)
    logits = tf.layers.dense(net, 3)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"class_id": tf.argmax(logits, 1)},
            export_outputs={"serving_default": tf.estimator.export.PredictOutput({"scores": logits}),
                            "predict_images": tf.estimator.export.PredictOutput({"logits": logits})})
    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={
            "accuracy": tf.metrics.accuracy(labels, tf.argmax(logits, 1))})
    train_op = tf.train.AdamOptimizer(0.01).minimize(loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def _ds(n):
    x = np.random.RandomState(0).randn(n, 4).astype("float32")
    return tf.data.Dataset.from_tensor_slices(({"x": x}, (x[:, 0] > 0).astype("int32")))


def train_input_fn(path, params):
    return _ds(64).repeat().batch(8)


def eval_input_fn(path, params):
    return _ds(16).batch(8)


def serving_input_receiver_fn():
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    return tf.estimator.export.build_raw_serving_input_receiver_fn({"x": x})
'''


def test_a_compat_v1_module_trains_and_exports_with_both_heads(write_module, tmp_path):
    result = modelmaker.fit(write_module(COMPAT_V1, "v1style"), FAST, train_url=str(tmp_path / "o"))
    _, meta = load_and_predict(result.export_dir, {"x": np.ones((1, 4), np.float32)})
    assert {"serving_default", "predict_images"} <= set(meta.signature_def)


def test_a_seeded_fit_leaves_no_deterministic_ops_behind(tiny, tmp_path):
    # Deterministic ops are process-wide, and with them every unseeded random op fails: a seeded
    # fit() used to leave them on, and the next unseeded fit() in the process died at its first
    # initializer ("Random ops require a seed to be set when determinism is enabled").
    from tensorflow.python.framework import config as tf_config
    modelmaker.fit(tiny, dict(FAST, random_seed=3), train_url=str(tmp_path / "seeded"))
    assert not tf_config.is_op_determinism_enabled()
    result = modelmaker.fit(tiny, dict(FAST, random_seed=None), train_url=str(tmp_path / "unseeded"))
    assert result.global_step == 10
