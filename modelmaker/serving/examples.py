"""Provides :classify and :regress: JSON examples -> serialized tf.Example -> TF Serving results.

Request: `{"signature_name"?, "context"?: {feature: value|list}, "examples": [{...}, ...]}`.
JSON integers and booleans become int64_list, decimals float_list, strings and
`{"b64": ...}` bytes_list; the rules and texts follow TF Serving's json_tensor.cc. With a
context, each example is serialized as context + example, so its own features win (TF
Serving's ExampleListWithContext). The signature must be a classify / regress signature
with one string input, as Estimator exports with a parsing serving receiver.
"""

import numpy as np
import orjson
from tensorflow.core.example import example_pb2

from modelmaker.serving import codec, model as model_lib
from modelmaker.serving.errors import BadRequest

_METHODS = {"classify": model_lib.CLASSIFY_METHOD, "regress": model_lib.REGRESS_METHOD}
_KINDS = ("int64_list", "float_list", "bytes_list")
_FLOAT32_MAX_INT = 2**24 - 1


def serialized_examples(doc, method):
    """The serialized tf.Examples of a classify/regress request, as a 1-D object array.

    Raises:
      BadRequest: the request does not follow TF Serving's format.
    """
    context = _example(doc["context"]).SerializeToString() if "context" in doc else b""
    if "examples" not in doc:
        raise BadRequest(f"JSON Value: {codec.describe(doc)} When method is {method}, key "
                         "'examples' is expected and was not found")
    items = doc["examples"]
    if not isinstance(items, list):
        raise BadRequest(f"JSON Value: {codec.describe(doc)} Expecting 'examples' value to be "
                         "an list/array")
    if not items:
        raise BadRequest(f"JSON Value: {codec.describe(doc)} 'examples' value is an empty array")
    out = np.empty(len(items), dtype=object)
    out[:] = [context + _example(item).SerializeToString() for item in items]
    return out


def _example(value):
    if type(value) is not dict:
        raise BadRequest(f"Example must be JSON object but got JSON {codec.json_type(value)}")
    example = example_pb2.Example()
    for name, content in value.items():
        kind, values = _feature(name, content if type(content) is list else [content])
        feature = example.features.feature[name]
        if kind:
            getattr(feature, kind).value.extend(values)  # kind is one of _KINDS
    return example


def _feature(name, values):
    """(kind, values) of one feature; kind is None for an empty list."""
    kind, out = None, []
    for value in values:
        this, converted = _feature_value(name, value)
        if kind is not None and this != kind:
            raise BadRequest(f"Unexpected element type in feature: {name} expecting type: "
                             f"{kind.split('_')[0]}")
        kind = this
        out.append(converted)
    return kind, out


def _feature_value(name, value):
    kind = type(value)
    if kind is bool:
        return "int64_list", int(value)
    if kind is int:
        if value >= 2**63:
            raise BadRequest(f"Feature: {name} has uint64 element. Only int64 is supported.")
        if value < -2**63:
            raise BadRequest(f"Cannot convert JSON value: {value} to int64 without loss of precision.")
        return "int64_list", value
    if kind is float:
        if np.isfinite(value) and abs(value) > float(np.finfo(np.float32).max):
            raise BadRequest(f"Cannot convert JSON value: {value!r} to float without loss of "
                             "precision.")
        return "float_list", value
    if kind is str or (kind is dict and codec.is_b64(value)):
        return "bytes_list", codec.to_bytes(value)
    raise BadRequest(f"Feature: {name} has element with unexpected JSON type: "
                     f"{codec.json_type(value)}")


def run(model, signature, doc, method, run=None):
    """Runs a classify or regress request on `model`; returns the JSON response body.

    Args:
      run: runs (model, signature, inputs) -> outputs (default: `model.run`).

    Raises:
      BadRequest: the signature is not a `method` signature, or the request is malformed.
      ServingError: TensorFlow rejected the examples.
    """
    check_signature(signature, method)
    found = results(model, signature, serialized_examples(doc, method), method, run)
    return orjson.dumps({"results": found}, option=orjson.OPT_SERIALIZE_NUMPY)


def check_signature(signature, method):
    """Raises BadRequest unless `signature` is a `method` signature fed serialized examples."""
    if signature.method_name != _METHODS[method]:
        raise BadRequest(f"Expected {method} signature method_name to be {_METHODS[method]}. "
                         f"Was: {signature.method_name}")
    if len(signature.inputs) != 1 or next(iter(signature.inputs.values())).dtype.name != "string":
        raise BadRequest("Expected one input Tensor of type string (serialized tf.Example)")


def results(model, signature, examples, method, run=None):
    """Per example: [[label, score], ...] (classify) or the value (regress).

    Args:
      examples: the serialized tf.Examples, a 1-D object array.
    """
    outputs = (run or (lambda m, s, i: m.run(s, i)))(
        model, signature, {next(iter(signature.inputs)): examples})
    if method == "classify":
        return _classes(outputs, len(examples))
    return _values(outputs, len(examples))


def _classes(outputs, batch):
    scores, classes = outputs.get("scores"), outputs.get("classes")
    if scores is None and classes is None:
        raise BadRequest("Expected classification signature outputs to contain at least one "
                         "of 'classes' or 'scores'")
    for name, tensor in (("scores", scores), ("classes", classes)):
        if tensor is not None and (tensor.ndim != 2 or tensor.shape[0] != batch):
            raise BadRequest(f"Expected Tensor shape: [{batch} num_classes] but got "
                             f"{list(tensor.shape)} for output '{name}'")
    width = (scores if scores is not None else classes).shape[1]
    return [[[_label(classes, i, j), float(scores[i, j]) if scores is not None else 0.0]
             for j in range(width)] for i in range(batch)]


def _label(classes, i, j):
    return "" if classes is None else classes[i, j].decode("utf-8", "replace")


def _values(outputs, batch):
    values = outputs.get("outputs")
    if values is None:
        raise BadRequest("Expected regression signature outputs to contain 'outputs'")
    if values.shape not in ((batch,), (batch, 1)):
        raise BadRequest("Expected output Tensor shape to be either [batch_size] or "
                         f"[batch_size, 1] but got {list(values.shape)}")
    return values.reshape(batch)
