"""A model_fn that builds with `tf.keras.layers` trains, evaluates and exports through
`python -m modelmaker.train`, on TensorFlow 2.15 (Keras 2) and on current TensorFlow (Keras 3)."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO, flags, run_cli

KERAS_LAYERS = os.path.join(REPO, "tests", "modules", "keras_layers.py")


@pytest.mark.slow
def test_a_model_fn_built_with_tf_keras_layers_trains_evaluates_and_exports(tmp_path):
    out = tmp_path / "out"
    steps = {"train_max_steps": 150, "save_checkpoints_steps": 100, "eval_steps": None,
             "eval_throttle_secs": 0, "log_step_count_steps": 50}
    proc = run_cli(["--user_module", KERAS_LAYERS, "--train_url", str(out), *flags(steps)])
    assert proc.returncode == 0, proc.stderr
    result = json.loads((out / "result.json").read_text())
    assert result["global_step"] == 150
    metrics = result["metrics"]
    # The evaluation restored the trained layers in a fresh graph: well above the majority class (1/2 here).
    assert metrics["accuracy"] > 0.65, metrics
    assert abs(metrics["keras_accuracy"] - metrics["accuracy"]) < 1e-6, "the Keras Metric object agrees"
    # The export restored them too: its predictions match the evaluation's accuracy on the same data.
    check = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {os.path.dirname(KERAS_LAYERS)!r})
        import numpy as np, tensorflow as tf, keras_layers
        features, labels = keras_layers._data(128, 1)
        serve = tf.saved_model.load({result["export_dir"]!r}).signatures["serving_default"]
        out = serve(x=tf.constant(features["x"]))
        print(out["probabilities"].shape, float(np.mean(out["class_id"].numpy() == labels)))
    """)
    proc = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    shape, accuracy = proc.stdout.strip().rsplit(" ", 1)
    assert shape == "(128, 3)" and abs(float(accuracy) - metrics["accuracy"]) < 1e-6, proc.stdout
