"""The SignatureDefs of an export: one per export output and receiver form, as Estimator names them.

Default receiver tensors give `<output key>`; each receiver_tensors_alternative gives
`<alternative>:<output key>`. A signature its output cannot build (Classify or Regress on non-string
inputs), or whose outputs need a placeholder it does not feed, is left out and logged.
"""

import tensorflow as tf

_v1 = tf.compat.v1
_FED_OPS = ("Placeholder", "PlaceholderV2", "PlaceholderWithDefault")


def _as_dict(tensors):
    return tensors if isinstance(tensors, dict) else {"input": tensors}


def _flat(tensors):
    return tf.nest.flatten(list(tensors), expand_composites=True)


def _unfed_placeholder(inputs, outputs):
    """The name of a placeholder that `outputs` need but `inputs` do not feed, or None."""
    fed = {t.ref() for t in inputs}
    seen, todo = set(), [t.op for t in outputs if t.ref() not in fed]
    while todo:
        op = todo.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        if op.type in _FED_OPS[:2]:
            return op.name
        todo.extend(t.op for t in op.inputs if t.ref() not in fed)
        todo.extend(op.control_inputs)
    return None


def _signature(export_output, receiver_tensors, graph):
    """(SignatureDef, None) or (None, why it is left out)."""
    try:
        signature = export_output.as_signature_def(receiver_tensors)
    except ValueError as error:
        return None, str(error)
    outputs = [graph.get_tensor_by_name(info.name) for info in signature.outputs.values() if info.name]
    unfed = _unfed_placeholder(_flat(receiver_tensors.values()), outputs)
    if unfed:
        return None, f"its outputs need placeholder {unfed!r}, which its inputs do not feed"
    if not _v1.saved_model.is_valid_signature(signature):
        return None, "not a valid serving signature"
    return signature, None


def build(receiver_tensors, export_outputs, alternatives=None):
    """{signature key: SignatureDef} for every export output under every receiver form."""
    graph = _v1.get_default_graph()
    forms = [("", _as_dict(receiver_tensors))]
    forms += [(f"{name}:", _as_dict(tensors)) for name, tensors in (alternatives or {}).items()]
    built = {}
    for prefix, tensors in forms:
        for key, export_output in export_outputs.items():
            signature, why = _signature(export_output, tensors, graph)
            if signature is None:
                _v1.logging.info(f"export: signature {prefix}{key} left out: {why}")
            else:
                built[f"{prefix}{key}"] = signature
    return built
