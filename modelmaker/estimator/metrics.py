"""Checks `eval_metric_ops` and turns Keras Metric objects into (value, update_op) pairs.

Three kinds arrive: tf.compat.v1.metrics pairs; Keras 2 / tf-keras Metric objects, whose
`update_state` in a graph records its op in `.updates`; and Keras 3 Metric objects, whose
`update_state` returns nothing, so their update op is found as the assignments to their variables.
Metric variables go to LOCAL_VARIABLES (initialized per evaluation, never restored from a
checkpoint) and METRIC_VARIABLES, as tf.estimator puts them.
"""

import tensorflow as tf

_v1 = tf.compat.v1
_ASSIGN_OPS = ("AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp")


def is_keras_metric(value):
    """A Keras Metric object of any Keras (2, tf-keras, 3): it has update_state, result and variables."""
    return all(callable(getattr(value, name, None)) for name in ("update_state", "result", "reset_state")) \
        and hasattr(value, "variables")


def _graph_variable(variable):
    """The tf.Variable under a Keras 3 variable (which wraps one in `.value`), or the variable itself."""
    inner = getattr(variable, "value", None)
    return inner if isinstance(inner, tf.Variable) else variable


def _update_op(metric, name):
    """The op that updates `metric` with one batch."""
    updates = list(getattr(metric, "updates", None) or [])
    if not updates:
        variables = [_graph_variable(v) for v in metric.variables]
        handles = {v.handle.ref() for v in variables}
        initializers = {v.initializer.name for v in variables}
        updates = [op for op in _v1.get_default_graph().get_operations()
                   if op.type in _ASSIGN_OPS and op.inputs[0].ref() in handles and op.name not in initializers]
    if not updates:
        raise ValueError(f"Please call update_state(...) on the {name!r} metric (eval_metric_ops[{name!r}]) "
                         "inside model_fn before returning it.")
    return updates[0] if len(updates) == 1 else tf.group(*updates, name=f"{name}_update")


def _make_local(variables):
    """Moves metric variables out of GLOBAL_VARIABLES (a checkpoint does not hold them) into LOCAL/METRIC."""
    graph = _v1.get_default_graph()
    global_variables = graph.get_collection_ref(_v1.GraphKeys.GLOBAL_VARIABLES)
    global_variables[:] = [v for v in global_variables if all(v is not m for m in variables)]
    for key in (_v1.GraphKeys.LOCAL_VARIABLES, _v1.GraphKeys.METRIC_VARIABLES):
        present = graph.get_collection(key)
        for variable in variables:
            if all(variable is not p for p in present):
                graph.add_to_collection(key, variable)


def check(eval_metric_ops):
    """{name: (value, update_op)} from a dict of pairs and/or Keras Metric objects (None -> {}).

    Raises:
      TypeError: not a dict, or a value that is neither a Metric nor a 2-tuple.
      ValueError: a Metric never updated, or a tensor from another graph.
    """
    if eval_metric_ops is None:
        return {}
    if not isinstance(eval_metric_ops, dict):
        raise TypeError(f"eval_metric_ops must be a dict, given: {eval_metric_ops!r}")
    checked = {}
    for name, value in eval_metric_ops.items():
        if is_keras_metric(value):
            update = _update_op(value, name)
            _make_local([_graph_variable(v) for v in value.variables])
            value = (value.result(), update)
        elif not isinstance(value, tuple) or len(value) != 2:
            raise TypeError(f"Values of eval_metric_ops must be (metric_value, update_op) tuples or Keras Metric "
                            f"objects, given: {value!r} for key: {name!r}")
        for part in tf.nest.flatten(value):
            if not tf.executing_eagerly() and getattr(part, "graph", None) is not _v1.get_default_graph():
                raise ValueError(f"eval_metric_ops[{name!r}] ({getattr(part, 'name', part)}) must be from the "
                                 "default graph: build it inside model_fn.")
        checked[name] = value
    return checked
