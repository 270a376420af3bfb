"""Provides the checkpoint hook of a one-process run: a light graph for TensorBoard, and no
extra Session.run a step.

Estimator's CheckpointSaverHook serializes the whole training graph twice into the event
file (as a graph and as a meta graph), and `FileWriterCache` does it again for the training
and the evaluation folder the first time each is used. An input_fn that keeps its data in
memory (`Dataset.from_tensor_slices` on NumPy arrays, as the MNIST example does) holds that
data in the graph as constants: 25 MB for 8,000 MNIST images, so these copies cost seconds
of a short job. Here the writers are opened on an empty graph, and the training graph is
written once, with its large constants emptied (dtype and shape kept): all TensorBoard's
graph view needs. The base hook also runs the session a second time after every step, to
read the global step; here it is read only when a save may be due. Checkpoints, their
cadence and the saving listeners (train_and_evaluate's evaluations) are Estimator's own.
"""

import os
import time

import tensorflow as tf

from modelmaker import layout

LARGE_NODE_BYTES = 64 * 1024  # a NodeDef this big holds data, not structure: emptied
_NODE_FIELD = 1               # GraphDef.node
_VARINT, _LENGTH = 0, 2       # the protobuf wire types GraphDef's fields use


def with_checkpoint_hook(spec, config):
    """`spec` with a `CheckpointSaverHook` first among its chief hooks, where Estimator would
    add its own: one process, a checkpoint cadence, and no saver hook from the user's model_fn.

    Estimator then uses this hook instead of creating one (and hands it the listeners).
    """
    hooks = tuple(spec.training_hooks) + tuple(spec.training_chief_hooks)
    if (config.cluster_spec.as_dict() or config.train_distribute is not None
            or not (config.save_checkpoints_steps or config.save_checkpoints_secs)
            or any(isinstance(h, tf.compat.v1.train.CheckpointSaverHook) for h in hooks)):
        return spec
    hook = CheckpointSaverHook(config.model_dir, save_steps=config.save_checkpoints_steps,
                               save_secs=config.save_checkpoints_secs, scaffold=spec.scaffold,
                               save_graph_def=False)
    return spec._replace(training_chief_hooks=(hook,) + tuple(spec.training_chief_hooks))


class CheckpointSaverHook(tf.compat.v1.train.CheckpointSaverHook):
    """Estimator's checkpoint hook, writing one light graph instead of two full copies, and
    reading the global step only when a save may be due."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The base class runs the session once more after *every* step to read the real
        # global step, in case one run did many steps (TPU loops). Here one run is one step:
        # the step fetched with the run tells when a save is due, and the real step is read
        # only then (a train_op that advances several steps at once saves one run later).
        self._set_steps_per_run(1)

    def begin(self):
        # The first chief-only hook begins before any other hook opens a writer.
        open_writers(self._checkpoint_dir)
        super().begin()

    def after_create_session(self, session, coord):
        # As the base class, minus graph.pbtxt and the full graph and meta graph events.
        global_step = session.run(self._global_step_tensor)
        graph_def = light_graph_bytes(graph_bytes(session.graph))
        self._summary_writer.add_event(tf.compat.v1.Event(wall_time=time.time(),
                                                          graph_def=graph_def))
        self._save(session, global_step)
        self._timer.update_last_triggered_step(global_step)


def open_writers(model_dir, eval_name=None):
    """Opens the cached event writers of training and evaluation on an empty graph.

    `FileWriterCache` writes the default graph when it opens a writer; opened here first,
    that graph is empty. Writers already open are left as they are.

    Args:
      model_dir: the Estimator's model directory, exactly as in its RunConfig.
      eval_name: the EvalSpec's name (None: evaluation writes to `<model_dir>/eval`).
    """
    eval_dir = layout.eval_dir(model_dir, eval_name)
    with tf.Graph().as_default():
        for folder in (model_dir, eval_dir):
            tf.compat.v1.summary.FileWriterCache.get(folder)


def graph_bytes(graph):
    """The serialized GraphDef of `graph`, straight from TensorFlow's C API when it can.

    `Graph.as_graph_def()` parses those bytes into Python objects: a second per hundred
    nodes or so with the pure-Python protobuf this stack may run on.
    """
    try:
        from tensorflow.python.client import pywrap_tf_session
        from tensorflow.python.framework import c_api_util
        with c_api_util.tf_buffer() as buf, graph._c_graph.get() as c_graph:
            pywrap_tf_session.TF_GraphToGraphDef(c_graph, buf)
            return bytes(pywrap_tf_session.TF_GetBuffer(buf))
    except (ImportError, AttributeError):  # internals moved: the public, slower way
        return graph.as_graph_def().SerializeToString()


def light_graph_bytes(data, *, limit=LARGE_NODE_BYTES):
    """Serialized GraphDef `data` with every node over `limit` bytes replaced by a copy whose
    large constant values are emptied; all other fields are copied without being parsed.

    Raises:
      ValueError: `data` is not a serialized GraphDef.
    """
    out, pos = [], 0
    while pos < len(data):
        start = pos
        key, pos = _read_varint(data, pos)
        if key & 7 == _VARINT:
            _, pos = _read_varint(data, pos)
        elif key & 7 == _LENGTH:
            size, body = _read_varint(data, pos)
            pos = body + size
            if key >> 3 == _NODE_FIELD and size > limit:
                node = tf.compat.v1.NodeDef.FromString(data[body:pos])
                small = empty_large_constant(node, limit=limit).SerializeToString()
                out.append(_varint(key) + _varint(len(small)) + small)
                continue
        else:
            raise ValueError(f"not a serialized GraphDef: wire type {key & 7} at byte {start}")
        out.append(data[start:pos])
    return b"".join(out)


def empty_large_constant(node, *, limit=LARGE_NODE_BYTES):
    """Clears the value of Const `node` (in place) when it holds over `limit` bytes; returns it."""
    if node.op == "Const" and "value" in node.attr:
        tensor = node.attr["value"].tensor
        if len(tensor.tensor_content) > limit or sum(map(len, tensor.string_val)) > limit:
            tensor.ClearField("tensor_content")
            tensor.ClearField("string_val")
    return node


def _read_varint(data, pos):
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _varint(value):
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)
