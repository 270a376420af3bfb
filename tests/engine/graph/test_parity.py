"""Parity with tf.estimator.Estimator (TensorFlow 2.15): the same user module trained once per engine.

Compared: the final global step; checkpoint variable names, shapes and dtypes; for one checkpoint (the
Estimator's), both exports' signature keys, methods, input and output names, dtypes and shapes, their
predictions (within 1e-5), and both evaluations' metrics (within 1e-6).
"""

import os

import numpy as np
import pytest
import tensorflow as tf

from modelmaker.engine import graph
from tests.engine.graph.conftest import User

pytestmark = pytest.mark.estimator  # the reference engine exists only on TensorFlow <= 2.15
STEPS, SEED = 20, 11


def _examples(x):
    return [tf.train.Example(features=tf.train.Features(feature={
        "x": tf.train.Feature(float_list=tf.train.FloatList(value=row))})).SerializeToString() for row in x]


CASES = {
    # module: (params, the serving feed of a few examples)
    "layers_mnist": (lambda tmp: {}, lambda user: {"images": user.module.images(6, 2)[0]}),
    "heads": (lambda tmp: {"vocabulary": _vocabulary(tmp)},
              lambda user: {"examples": _examples(np.random.RandomState(2).randn(6, 4).astype("float32"))}),
    "tiny": (lambda tmp: {}, lambda user: {"x": np.random.RandomState(2).randn(6, 4).astype("float32")}),
    "regression": (lambda tmp: {}, lambda user: {"x": np.random.RandomState(2).randn(6, 3).astype("float32")}),
}


def _vocabulary(tmp):
    path = tmp / "classes.txt"
    path.write_text("none\none\nboth\n")
    return str(path)


@pytest.fixture(scope="module", params=sorted(CASES))
def both(request, tmp_path_factory):
    """(user, params, estimator, Estimator's model_dir, engine's model_dir, feed, tmp) after STEPS steps each."""
    tmp = tmp_path_factory.mktemp(request.param)
    user, (params_of, feed_of) = User(request.param), CASES[request.param]
    params = params_of(tmp)
    config = tf.estimator.RunConfig(model_dir=str(tmp / "estimator"), tf_random_seed=SEED,
                                    save_checkpoints_steps=10, log_step_count_steps=None)
    estimator = tf.estimator.Estimator(user.model_fn, config=config, params=params)
    estimator.train(user.train_input_fn, max_steps=STEPS)
    settings = graph.RunSettings(save_checkpoints_steps=10, log_step_count_steps=None, tf_random_seed=SEED)
    graph.train(user.model_fn, user.train_input_fn, model_dir=str(tmp / "engine"), params=params,
                settings=settings, max_steps=STEPS)
    return user, params, estimator, str(tmp / "estimator"), str(tmp / "engine"), feed_of(user), tmp


def _variables(model_dir):
    reader = tf.train.load_checkpoint(model_dir)
    shapes, dtypes = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
    return {name: (shapes[name], dtypes[name].name) for name in shapes}


def test_same_step_and_checkpoint_variables(both):
    _, _, _, estimator_dir, engine_dir, _, _ = both
    assert graph.latest_step(engine_dir) == graph.latest_step(estimator_dir) == STEPS
    assert _variables(engine_dir) == _variables(estimator_dir)


def _signatures(export_dir):
    with tf.compat.v1.Session(graph=tf.Graph()) as session:
        meta = tf.compat.v1.saved_model.load(session, ["serve"], export_dir)
    return {key: (sig.method_name, {k: (v.dtype, str(v.tensor_shape), v.name) for k, v in sig.inputs.items()},
                  {k: (v.dtype, str(v.tensor_shape), v.name) for k, v in sig.outputs.items()})
            for key, sig in meta.signature_def.items()}


def _serve(export_dir, key, feed):
    signature = tf.saved_model.load(export_dir).signatures[key]
    return {k: v.numpy() for k, v in signature(**{k: tf.constant(v) for k, v in feed.items()}).items()}


def test_exports_of_one_checkpoint_match(both):
    user, params, estimator, estimator_dir, _, feed, tmp = both
    checkpoint = tf.train.latest_checkpoint(estimator_dir)
    theirs = estimator.export_saved_model(str(tmp / "export_estimator"), user.serving_input_receiver_fn,
                                          checkpoint_path=checkpoint).decode()
    ours = graph.export_saved_model(user.model_fn, user.serving_input_receiver_fn, model_dir=estimator_dir,
                                    export_dir_base=str(tmp / "export_engine"), params=params,
                                    checkpoint_path=checkpoint)
    assert _signatures(ours) == _signatures(theirs)
    assert sorted(os.listdir(ours)) == sorted(os.listdir(theirs))
    expected, got = _serve(theirs, "serving_default", feed), _serve(ours, "serving_default", feed)
    assert sorted(got) == sorted(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], atol=1e-5, err_msg=key)


def test_evaluations_of_one_checkpoint_match(both):
    user, params, estimator, estimator_dir, _, _, _ = both
    checkpoint = tf.train.latest_checkpoint(estimator_dir)
    theirs = estimator.evaluate(user.eval_input_fn, checkpoint_path=checkpoint)
    ours = graph.evaluate(user.model_fn, user.eval_input_fn, model_dir=estimator_dir, params=params,
                          checkpoint_path=checkpoint)
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        assert abs(float(ours[key]) - float(theirs[key])) <= 1e-6, (key, ours[key], theirs[key])
