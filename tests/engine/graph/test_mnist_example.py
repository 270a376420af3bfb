"""The MNIST example (the seed's TF1 code: tf.layers, feature columns, tf.estimator names), unchanged, on
the graph engine of this stack: trains, evaluates, exports (two heads) and serves from the export."""

import functools
import importlib.util
import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from modelmaker import estimator
from modelmaker.engine import graph
from tests.conftest import MNIST_10K, REPO

EXAMPLE = os.path.join(REPO, "examples", "mnist")
PARAMS = {"batch_size": 64, "learning_rate": 0.001}


def _example():
    estimator.install()
    sys.path.insert(0, EXAMPLE)  # the example imports its mnist_data module, as modelmaker's loader allows
    try:
        spec = importlib.util.spec_from_file_location("engine_mnist_example", os.path.join(EXAMPLE, "mnist.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(EXAMPLE)
    return module


@pytest.mark.skipif(not os.path.isdir(MNIST_10K), reason=f"no MNIST subset at {MNIST_10K}")
def test_mnist_example_trains_exports_and_serves(tmp_path):
    mnist = _example()
    model_dir = str(tmp_path / "model")
    settings = graph.RunSettings(save_checkpoints_steps=150, log_step_count_steps=None, tf_random_seed=1)
    train_input = functools.partial(mnist.train_input_fn, MNIST_10K)
    eval_input = functools.partial(mnist.eval_input_fn, MNIST_10K)
    assert graph.train(mnist.model_fn, train_input, model_dir=model_dir, params=PARAMS, settings=settings,
                       max_steps=300) == 300
    result = graph.evaluate(mnist.model_fn, eval_input, model_dir=model_dir, params=PARAMS, settings=settings)
    assert result["global_step"] == 300 and result["accuracy"] > 0.85, result
    export_dir = graph.export_saved_model(
        mnist.model_fn, lambda: mnist.serving_input_receiver_fn()(),  # the seed returns the receiver *function*
        model_dir=model_dir, export_dir_base=str(tmp_path / "export"), params=PARAMS)
    loaded = tf.saved_model.load(export_dir)
    assert sorted(loaded.signatures) == ["predict_images", "serving_default"]
    images, labels = mnist._arrays(MNIST_10K, "test")
    served = loaded.signatures["serving_default"](images=tf.constant(images["images"][:200]))
    accuracy = np.mean(served["class_id"].numpy()[:, 0] == labels[:200])
    assert accuracy > 0.8, accuracy
