"""The graph engine's exports: several heads, a parsing receiver with an alternative, assets, receiver forms."""

import os

import numpy as np
import pytest
import tensorflow as tf

from modelmaker.engine import graph
from modelmaker.estimator import export as mm_export
from tests.engine.graph.conftest import User

SETTINGS = graph.RunSettings(save_checkpoints_steps=20, log_step_count_steps=None, tf_random_seed=3)
VOCABULARY = ["none", "one", "both"]


@pytest.fixture(scope="module")
def heads(tmp_path_factory):
    """The heads module trained 20 steps from a one-shot-iterator (features, labels) input, then exported."""
    root = tmp_path_factory.mktemp("heads")
    vocabulary = root / "classes.txt"
    vocabulary.write_text("\n".join(VOCABULARY) + "\n")
    user, params, model_dir = User("heads"), {"vocabulary": str(vocabulary)}, str(root / "model")
    assert graph.train(user.model_fn, user.train_input_fn, model_dir=model_dir, params=params,
                       settings=SETTINGS, max_steps=20) == 20
    export_dir = graph.export_saved_model(user.model_fn, user.serving_input_receiver_fn, model_dir=model_dir,
                                          export_dir_base=str(root / "export"), params=params)
    return user, params, model_dir, export_dir


def _examples(x):
    return [tf.train.Example(features=tf.train.Features(feature={
        "x": tf.train.Feature(float_list=tf.train.FloatList(value=row))})).SerializeToString() for row in x]


def test_signature_keys_methods_and_assets(heads):
    *_, export_dir = heads
    with tf.compat.v1.Session(graph=tf.Graph()) as session:
        meta = tf.compat.v1.saved_model.load(session, ["serve"], export_dir)
    methods = {key: sig.method_name for key, sig in meta.signature_def.items()}
    # Classify and Regress need one string input: the raw alternative gets only the Predict head.
    assert methods == {"serving_default": "tensorflow/serving/predict", "classify": "tensorflow/serving/classify",
                       "regress": "tensorflow/serving/regress", "raw:serving_default": "tensorflow/serving/predict"}
    raw = meta.signature_def["raw:serving_default"].inputs["x"]
    assert raw.dtype == tf.float32.as_datatype_enum
    assert os.listdir(os.path.join(export_dir, "assets")) == ["classes.txt"]


def test_classify_regress_and_raw_signatures_agree(heads):
    *_, export_dir = heads
    x = np.random.RandomState(5).randn(3, 4).astype("float32")
    loaded = tf.saved_model.load(export_dir)
    classified = loaded.signatures["classify"](inputs=tf.constant(_examples(x)))
    assert [[c.decode() for c in row] for row in classified["classes"].numpy()] == [VOCABULARY] * 3
    served = loaded.signatures["serving_default"](examples=tf.constant(_examples(x)))
    raw = loaded.signatures["raw:serving_default"](x=tf.constant(x))
    np.testing.assert_allclose(classified["scores"].numpy(), served["probabilities"].numpy(), atol=1e-6)
    np.testing.assert_allclose(raw["probabilities"].numpy(), served["probabilities"].numpy(), atol=1e-6)
    regressed = loaded.signatures["regress"](inputs=tf.constant(_examples(x)))["outputs"].numpy()
    np.testing.assert_allclose(regressed.ravel(), served["score"].numpy(), atol=1e-6)


def test_evaluate_gives_every_metric(heads):
    user, params, model_dir, _ = heads
    result = graph.evaluate(user.model_fn, user.eval_input_fn, model_dir=model_dir, params=params)
    assert sorted(result) == ["accuracy", "global_step", "loss", "rmse"] and result["global_step"] == 20


@pytest.mark.parametrize("form", ["raw_builder", "parsing_builder", "tensor_receiver"])
def test_receiver_forms(form, tmp_path):
    """The stock receiver builders and a TensorServingInputReceiver, on the tiny module."""
    user = User("tiny")
    model_dir = str(tmp_path / "model")
    graph.train(user.model_fn, user.train_input_fn, model_dir=model_dir, params={}, settings=SETTINGS, max_steps=2)
    receiver_fn = {
        "raw_builder": lambda: mm_export.build_raw_serving_input_receiver_fn(
            {"x": tf.compat.v1.placeholder(tf.float32, [None, 4])})(),
        "parsing_builder": mm_export.build_parsing_serving_input_receiver_fn(
            {"x": tf.io.FixedLenFeature([4], tf.float32)}),
        "tensor_receiver": lambda: _tensor_receiver(),
    }[form]
    export_dir = graph.export_saved_model(user.model_fn, receiver_fn, model_dir=model_dir,
                                          export_dir_base=str(tmp_path / "export"))
    signature = tf.saved_model.load(export_dir).signatures["serving_default"]
    x = np.ones((2, 4), "float32")
    feed = {"parsing_builder": {"examples": tf.constant(_examples(x))}}.get(form, {
        "raw_builder": {"x": tf.constant(x)}, "tensor_receiver": {"input": tf.constant(x)}}.get(form))
    assert signature(**feed)["probabilities"].shape == (2, 3)


def _tensor_receiver():
    x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
    return mm_export.TensorServingInputReceiver(x, x)
