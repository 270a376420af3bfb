"""Provides what `tf.keras.layers` in a model_fn need in a TF1 graph: per-graph layer names, and a
one-line error for moving statistics that training would never update.

Keras 2 (TensorFlow 2.15's tf.keras, tf-keras) numbers unnamed layers per graph: `dense`, `dense_1`,
... start again in every graph, so training, evaluation and export build the same variable names and
each restores the checkpoint the one before wrote. Keras 3 (tf.keras on TensorFlow >= 2.16) numbers
them once per process: the evaluation graph would look for `dense_1/kernel` in a checkpoint that has
`dense/kernel`. `new_graph()` starts Keras 3's numbering again the first time a graph builds model_fn.

A Keras BatchNormalization layer (Keras 3, and Keras 2 outside a Keras model) called with
`training=True` in a graph builds the assignments of its moving mean and variance, but nothing runs
them: they are not in UPDATE_OPS nor under train_op, so evaluation and the export would normalize
with the initial statistics. `check_training()` turns that into a one-line error naming the fix.
"""

import sys
import weakref

from modelmaker.errors import UserModuleError

_NAMED = weakref.WeakSet()  # the graphs Keras 3's layer numbering was started again for
_ASSIGNS = {"AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp", "Assign", "AssignAdd", "AssignSub"}
_MOVING = ("/moving_mean", "/moving_variance")


def new_graph():
    """Before model_fn builds in the current graph: restarts Keras 3's layer numbering the first time
    this graph is seen (Keras 2 numbers per graph by itself). Returns the graph's op count, for
    `check_training`."""
    import tensorflow as tf
    graph = tf.compat.v1.get_default_graph()
    naming = sys.modules.get("keras.src.utils.naming")  # Keras 3, once anything imported it
    if graph not in _NAMED and hasattr(naming, "reset_uids"):
        naming.reset_uids()
    _NAMED.add(graph)
    return len(graph.get_operations())


def check_training(spec, since, origin):
    """Raises UserModuleError when the training graph model_fn built (ops after the first `since`)
    assigns moving statistics that neither UPDATE_OPS nor spec.train_op / spec.loss run."""
    import tensorflow as tf
    v1 = tf.compat.v1
    graph = v1.get_default_graph()
    variables = graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES) + graph.get_collection(
        v1.GraphKeys.LOCAL_VARIABLES)
    known = {v.initializer for v in variables} | {getattr(u, "op", u) for u in graph.get_collection(
        v1.GraphKeys.UPDATE_OPS)}
    candidates = [op for op in graph.get_operations()[since:]
                  if op.type in _ASSIGNS and op.inputs and op not in known
                  and op.inputs[0].op.name.endswith(_MOVING)]
    if not candidates:
        return
    ran = _ancestors([spec.train_op, spec.loss])
    unrun = sorted({op.inputs[0].op.name for op in candidates if op not in ran})
    if unrun:
        raise UserModuleError(
            f"`model_fn` in {origin} builds a BatchNormalization whose moving statistics training never "
            f"updates ({', '.join(unrun)}): a tf.keras.layers.BatchNormalization called in model_fn's graph "
            "updates them only inside a Keras model; use tf.compat.v1.layers.batch_normalization(x, "
            "training=...) and run tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS) with "
            "train_op (tf.group(train_op, *update_ops)).")


def _ancestors(roots):
    """Every op that running `roots` (tensors or ops) runs: data and control inputs, transitively."""
    seen, todo = set(), [getattr(root, "op", root) for root in roots if root is not None]
    while todo:
        op = todo.pop()
        if op not in seen:
            seen.add(op)
            todo.extend(tensor.op for tensor in op.inputs)
            todo.extend(op.control_inputs)
    return seen
