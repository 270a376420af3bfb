"""Provides TF Serving's JSON -> numpy conversion for predict requests.

The rules and error texts follow tensorflow_serving/util/json_tensor.cc (see
../shared/docs/anchors/serving_storage.md §1): row (`instances`) and columnar (`inputs`)
requests, `{"b64": ...}` strings, strict per-dtype value checks and dense nesting.
Every malformed value is a `BadRequest` (HTTP 400); `response.py` writes the answers.
"""

import base64
import binascii
import itertools
import json

import numpy as np
import orjson

from modelmaker.serving.errors import BadRequest, Unimplemented

_MAX_RANK = 32  # numpy's limit; deeper nesting is a malformed request, not a crash
_F32_MAX = float(np.finfo(np.float32).max)

# tf dtype name -> TF Serving's DataTypeString, used in its error texts.
_TYPE_NAMES = {"float32": "float", "float64": "double", "string": "string", "bool": "bool"}
# integer dtype -> the JSON integers it accepts (narrow types are range-checked, where TF
# Serving would wrap silently).
_INT_RANGES = {
    "int8": (-2**7, 2**7 - 1), "int16": (-2**15, 2**15 - 1), "int32": (-2**31, 2**31 - 1),
    "uint8": (0, 2**8 - 1), "int64": (-2**63, 2**63 - 1), "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
}
# float dtype -> largest JSON integer it holds exactly (TF Serving's IsLosslessDecimal).
_FLOAT_MAX_INT = {"float32": 2**24 - 1, "float64": 2**53 - 1}


def parse(body):
    """The request object of a JSON body.

    TF Serving's parser accepts the tokens NaN, Infinity and -Infinity; orjson does not,
    so such bodies are parsed again by the standard library.

    Raises:
      BadRequest: empty body, invalid JSON, or a top level that is not an object.
    """
    if not body:
        raise BadRequest("JSON Parse error: The document is empty")
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        doc = _parse_lenient(body, e)
    if not isinstance(doc, dict):
        raise BadRequest(f"JSON Value: {describe(doc)} Is not object")
    return doc


def _parse_lenient(body, error):
    if b"NaN" in body or b"Infinity" in body:
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            pass
    raise BadRequest(f"JSON Parse error: {error.msg} at offset: {error.pos}")


def describe(value, limit=200):
    """A JSON value as text for an error message, cut to `limit` characters."""
    try:
        text = orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def type_name(dtype):
    """TF Serving's name for a tf.DType in messages ("float", "int32", "string")."""
    return _TYPE_NAMES.get(dtype.name, dtype.name)


def signature_key(doc):
    """The request's `signature_name` ("" when absent).

    Raises:
      BadRequest: signature_name is not a string.
    """
    key = doc.get("signature_name", "")
    if not isinstance(key, str):
        raise BadRequest(f"JSON Value: {describe(doc)} not formatted correctly. "
                         "'signature_name' key must be a string value.")
    return key


def predict_inputs(doc, specs):
    """The input arrays of a predict request and whether it used the row format.

    Args:
      doc: the parsed request object.
      specs: the signature's inputs, alias -> TensorSpec.

    Returns:
      (alias -> np.ndarray, row) where row is True for `instances`, False for `inputs`.

    Raises:
      BadRequest: the request does not follow the format or the signature.
    """
    if "instances" in doc and "inputs" in doc:
        raise BadRequest(f"JSON Value: {describe(doc)} Not formatted correctly expecting only "
                         "one of 'inputs' or 'instances' keys to exist ")
    if "instances" in doc:
        instances = doc["instances"]
        if not isinstance(instances, list):
            raise BadRequest(f"JSON Value: {describe(doc)} Excepting 'instances' to be an list/array")
        if not instances:
            raise BadRequest(f"JSON Value: {describe(doc)} No values in 'instances' array")
        return _rows(instances, specs), True
    if "inputs" in doc:
        return _columns(doc["inputs"], specs), False
    raise BadRequest("Missing 'inputs' or 'instances' key")


def is_b64(value):
    """Whether `value` is a `{"b64": "<string>"}` object (a value, not named inputs)."""
    return type(value) is dict and len(value) == 1 and type(value.get("b64")) is str


def _is_named(value):
    return type(value) is dict and not is_b64(value)


def _rows(instances, specs):
    if not _is_named(instances[0]) and len(specs) > 1:
        raise BadRequest("instances is a plain list, but expecting list of objects as multiple "
                         "input tensors required as per tensorinfo_map")
    named = _is_named(instances[0])
    columns = {alias: [] for alias in specs}  # alias -> [(leaves, shape, kinds)] per instance
    for index, item in enumerate(instances):
        if named != _is_named(item):
            got = "list" if named else "object"
            raise BadRequest(f"Expecting {'object' if named else 'value/list'} but got {got} "
                             f"at item {index} of input list")
        if not named:
            item = {next(iter(specs)): item}
        elif set(item) != set(specs):
            unknown = sorted(set(item) - set(specs))
            detail = (f"key: {unknown[0]} of 'instances' list. Error: JSON object: does not have "
                      f"named input: {unknown[0]}") if unknown else (
                      f"of 'instances' list. JSON object: {describe(item)} keys must be equal "
                      f"to: {','.join(sorted(specs))}")
            raise BadRequest(f"Failed to process element: {index} {detail}")
        for alias, value in item.items():
            columns[alias].append(_dense(value, f"Failed to process element: {index} of "
                                            "'instances' list. Error: "))
    return {alias: _stack(alias, items, specs[alias].dtype) for alias, items in columns.items()}


def _stack(alias, items, dtype):
    shape = items[0][1]
    for index, (_, other, _) in enumerate(items):
        if other != shape:
            want, got = int(np.prod(shape)), int(np.prod(other))
            detail = (f"Expecting tensor size: {want} but got: {got}" if want != got else
                      f"Expecting shape {_shape_text(shape)} but got: {_shape_text(other)}")
            raise BadRequest(f"Failed to process element: {index} key: {alias} of 'instances' "
                             f"list. Error: {detail}")
    if len(items) == 1:
        return convert(items[0][0], (1,) + shape, dtype, items[0][2])
    leaves = list(itertools.chain.from_iterable(leaves for leaves, _, _ in items))
    return convert(leaves, (len(items),) + shape, dtype, set().union(*(k for _, _, k in items)))


def _shape_text(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _columns(inputs, specs):
    if not _is_named(inputs):
        if len(specs) > 1:
            raise BadRequest("inputs is a plain value/list, but expecting an object as multiple "
                             "input tensors required as per tensorinfo_map")
        alias = next(iter(specs))
        return {alias: to_array(inputs, specs[alias].dtype)}
    arrays = {}
    for alias, spec in specs.items():
        if alias not in inputs:
            raise BadRequest(f"Missing named input: {alias} in 'inputs' object.")
        arrays[alias] = to_array(inputs[alias], spec.dtype)
    return arrays


def to_array(value, dtype):
    """One dense JSON value (a scalar or nested lists) as an array of `dtype`.

    Raises:
      BadRequest: the nesting is not rectangular or a value does not fit `dtype`.
      Unimplemented: `dtype` has no JSON form (TF Serving answers 501 too).
    """
    leaves, shape, kinds = _dense(value)
    return convert(leaves, shape, dtype, kinds)


def _dense(value, context=""):
    """(leaves, shape, kinds) of a rectangular nesting of lists: the flat values, the shape
    (following the first elements) and the set of the values' Python types."""
    shape, probe = [], value
    while type(probe) is list:
        shape.append(len(probe))
        probe = probe[0] if probe else None
    items = [value]
    for level, size in enumerate(shape):
        # set(map(...)) checks a whole level in C; the loop below only names the culprit.
        if set(map(type, items)) != {list} or set(map(len, items)) != {size}:
            _raise_not_dense(items, level, shape, context)
        items = items[0] if len(items) == 1 else list(itertools.chain.from_iterable(items))
    kinds = set(map(type, items))
    if list in kinds:
        raise BadRequest(f"{context}Encountered list at unexpected level: {len(shape)} "
                         f"expected < {len(shape)}")
    return items, tuple(shape), kinds


def _raise_not_dense(items, level, shape, context):
    for item in items:
        if type(item) is not list:
            raise BadRequest(f"{context}JSON Value: {describe(item)} found at incorrect "
                             f"level: {level + 1} in the JSON DOM. Expected at level: {len(shape)}")
        if len(item) != shape[level]:
            raise BadRequest(f"{context}Encountered list at unexpected size: {len(item)} at "
                             f"level: {level} expected size: {shape[level]}")


def convert(leaves, shape, dtype, kinds=None):
    """A flat list of JSON scalars as an array of `dtype` and `shape`, checked as TF Serving does.

    `kinds` is the set of the leaves' Python types when the caller knows it already.
    """
    kinds = set(map(type, leaves)) if kinds is None else kinds
    if len(shape) > _MAX_RANK:
        raise BadRequest(f"JSON value nests lists {len(shape)} deep (the batch included); at "
                         f"most {_MAX_RANK} levels are supported")
    name = dtype.name
    if name in _FLOAT_MAX_INT:
        array = _floats(leaves, dtype, kinds)
    elif name in _INT_RANGES:
        array = _ints(leaves, dtype, kinds)
    elif name == "bool":
        _check_kinds(leaves, kinds, {bool}, dtype)
        array = np.array(leaves, dtype=bool)
    elif name == "string":
        array = np.empty(len(leaves), dtype=object)
        array[:] = [to_bytes(v) for v in leaves]
    else:
        sample = describe(leaves[0]) if leaves else "[]"
        raise Unimplemented(f"Conversion of JSON Value: {sample} to type: {name}")
    return array.reshape(shape)


def _check_kinds(leaves, kinds, allowed, dtype):
    if not kinds <= allowed:
        bad = next(v for v in leaves if type(v) not in allowed)
        raise type_error(bad, dtype)


def type_error(value, dtype):
    """TF Serving's error for a JSON value of the wrong kind."""
    return BadRequest(f"JSON Value: {describe(value)} Type: {json_type(value)} is not of "
                      f"expected type: {type_name(dtype)}")


def json_type(value):
    """The JSON kind of a parsed value, named as in TF Serving's messages ("Number", "Null")."""
    if value is None:
        return "Null"
    if type(value) is bool:
        return "True" if value else "False"
    return {dict: "Object", list: "Array", str: "String"}.get(type(value), "Number")


def _floats(leaves, dtype, kinds):
    name = dtype.name
    _check_kinds(leaves, kinds, {int, float}, dtype)
    target = "float" if name == "float32" else "double"
    if int in kinds:
        limit = _FLOAT_MAX_INT[name]
        for v in leaves:
            if type(v) is int and not -limit <= v <= limit:
                raise BadRequest(f"Cannot convert JSON value: {v} to {target} without loss "
                                 "of precision.")
    array = np.array(leaves, dtype=np.float64)
    if name == "float32" and array.size:
        finite = np.isfinite(array)
        too_big = finite & (np.abs(array) > _F32_MAX)
        if too_big.any():
            raise BadRequest(f"Cannot convert JSON value: {array[too_big][0]!r} to float without "
                             "loss of precision.")
        return array.astype(np.float32)
    return array


def _ints(leaves, dtype, kinds):
    _check_kinds(leaves, kinds, {int}, dtype)
    low, high = _INT_RANGES[dtype.name]
    if leaves and (min(leaves) < low or max(leaves) > high):
        raise type_error(next(v for v in leaves if not low <= v <= high), dtype)
    return np.array(leaves, dtype=dtype.as_numpy_dtype)


def to_bytes(value):
    """A JSON string (as UTF-8) or `{"b64": ...}` object (decoded) as bytes.

    Raises:
      BadRequest: any other value, an object that is not exactly {"b64": "<string>"}, or
        bad base64.
    """
    if type(value) is str:
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest(f"JSON Value: {describe(value)} is not valid UTF-8 (a lone "
                             "surrogate escape); send binary data as {\"b64\": ...}") from None
    if type(value) is dict:
        if not is_b64(value):
            raise BadRequest(f"JSON Value: {describe(value)} not formatted correctly for base64 data")
        return b64decode(value["b64"])
    raise BadRequest(f"JSON Value: {describe(value)} Type: {json_type(value)} is not of "
                     "expected type: string")


def b64decode(text):
    """Standard-alphabet base64, padding optional (as absl::Base64Unescape).

    Raises:
      BadRequest: TF Serving's "Unable to base64 decode", with the likely cause.
    """
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        hint = (" (it uses the URL-safe alphabet '-'/'_'; encode with base64.b64encode)"
                if "-" in text or "_" in text else "")
        raise BadRequest(f"Unable to base64 decode{hint}") from None
