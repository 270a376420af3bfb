"""modelmaker.engine.hooks.checkpoint: the light training graph in TensorBoard, no graph.pbtxt or .meta files,
and Estimator's checkpoints, listeners (evaluation) and resume unchanged."""

import glob
import os

import numpy as np
import pytest
import tensorflow as tf

import modelmaker
from modelmaker.engine.hooks import checkpoint as events

from tests.conftest import REPO

MODULES = os.path.join(REPO, "tests", "modules")

# tests/modules/tiny.py, holding its training data in the graph as a 400 KB constant (as the
# MNIST example does).
_MODULE = f"""
import sys
sys.path.insert(0, {MODULES!r})
import tensorflow as tf
from tiny import _data, eval_input_fn, model_fn, serving_input_receiver_fn

def train_input_fn(path, params):
    return tf.data.Dataset.from_tensor_slices(_data(25000, 0)).repeat().batch(16)
"""


def _graph_with_big_constant():
    graph = tf.Graph()
    with graph.as_default():
        data = tf.data.Dataset.from_tensor_slices(np.ones((1000, 100), np.float32))
        batch = tf.compat.v1.data.make_initializable_iterator(data.map(lambda v: v * 2)).get_next()
        tf.matmul(batch[tf.newaxis], tf.ones([100, 3]), name="small_matmul")
    return graph


def test_light_graph_bytes_empties_only_large_constants():
    graph = _graph_with_big_constant()
    full = graph.as_graph_def()
    light = tf.compat.v1.GraphDef.FromString(events.light_graph_bytes(events.graph_bytes(graph)))
    assert [n.name for n in light.node] == [n.name for n in full.node]
    assert light.library == full.library and light.versions == full.versions
    changed = [(a, b) for a, b in zip(full.node, light.node) if a != b]
    assert len(changed) == 1
    before, after = changed[0]
    assert len(before.attr["value"].tensor.tensor_content) == 400_000
    assert after.attr["value"].tensor.tensor_content == b""
    assert [d.size for d in after.attr["value"].tensor.tensor_shape.dim] == [1000, 100]


def test_light_graph_bytes_refuses_what_is_not_a_graph():
    with pytest.raises(ValueError, match="not a serialized GraphDef"):
        events.light_graph_bytes(b"\x0f\x00")


def _events(folder):
    out = []
    for path in glob.glob(os.path.join(folder, "events.out.tfevents.*")):
        out.extend(tf.compat.v1.train.summary_iterator(path))
    return out


def test_training_writes_a_light_graph_and_keeps_checkpoints_and_evaluation(tmp_path):
    module = tmp_path / "bigconst.py"
    module.write_text(_MODULE)
    out = str(tmp_path / "out")
    params = {"train_max_steps": 20, "save_checkpoints_steps": 10, "eval_steps": None,
              "eval_throttle_secs": 0, "log_step_count_steps": 5}
    result = modelmaker.fit(str(module), params, train_url=out)

    assert result.global_step == 20 and "accuracy" in result.metrics and result.export_dir
    assert not os.path.exists(os.path.join(out, "graph.pbtxt"))
    assert not glob.glob(os.path.join(out, "*.meta"))
    state = tf.train.get_checkpoint_state(out)
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == [
        "model.ckpt-0", "model.ckpt-10", "model.ckpt-20"]  # the cadence, reading the step lazily
    train_events = _events(out)
    graphs = [tf.compat.v1.GraphDef.FromString(e.graph_def) for e in train_events if e.graph_def]
    assert graphs and len(graphs[-1].node) > 20  # the training graph, not the empty one
    assert sum(os.path.getsize(p) for p in glob.glob(os.path.join(out, "events.*"))) < 200_000
    tags = {v.tag for e in train_events for v in e.summary.value}
    assert {"loss", "global_step/sec"} <= tags
    evaluated = {e.step for e in _events(os.path.join(out, "eval"))
                 for v in e.summary.value if v.tag == "accuracy"}
    assert evaluated == {10, 20}  # train_and_evaluate's listener, at each checkpoint

    again = modelmaker.fit(str(module), dict(params, train_max_steps=30), train_url=out)
    assert again.global_step == 30 and again.trained
