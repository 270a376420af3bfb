"""Provides the JSON bodies the server answers with, in TF Serving's shapes.

Predict responses (`predictions` for row requests, `outputs` for columnar ones), model
status (GetModelStatusResponse) and metadata (GetModelMetadataResponse), and errors.
Floats are written in their shortest form (float32 `0.1` stays `0.1`); non-finite values
are written bare as `NaN`, `Infinity` and `-Infinity`, as TF Serving writes them.
"""

import base64
import inspect
import json

import numpy as np
import orjson

from modelmaker.serving.errors import BadRequest

_NUMPY = orjson.OPT_SERIALIZE_NUMPY


def predict_response(outputs, row):
    """The JSON body of a predict response.

    Args:
      outputs: alias -> np.ndarray, the signature's outputs.
      row: True for `{"predictions": [...]}` (row request), False for `{"outputs": ...}`.

    Raises:
      BadRequest: row format with an output that has no batch dimension or a different one.
    """
    names = sorted(outputs)
    values = {name: _jsonable(name, outputs[name]) for name in names}
    finite = all(_all_finite(a) for a in outputs.values())
    if not row:
        return dumps({"outputs": values[names[0]] if len(names) == 1 else values}, finite)
    batch = None
    for name in names:
        if outputs[name].ndim == 0:
            raise BadRequest(f"Tensor name: {name} has no shape information ")
        size = outputs[name].shape[0]
        if batch is not None and size != batch:
            raise BadRequest(f"Tensor name: {name} has inconsistent batch size: {size} "
                             f"expecting: {batch}")
        batch = size
    if len(names) == 1:
        return dumps({"predictions": values[names[0]]}, finite)
    return dumps({"predictions": [{name: values[name][i] for name in names}
                                  for i in range(batch)]}, finite)


def _jsonable(name, array):
    """Numeric arrays stay numpy (orjson writes them); strings become str or {"b64": ...}."""
    if isinstance(array, bytes):
        return _text(array, name.endswith("_bytes"))
    if not isinstance(array, np.ndarray) or array.dtype != object:
        return array
    as_b64 = name.endswith("_bytes")
    flat = [_text(v, as_b64) for v in array.ravel()]
    if array.ndim == 0:
        return flat[0]
    holder = np.empty(len(flat), dtype=object)
    holder[:] = flat
    return holder.reshape(array.shape).tolist()


def prediction(outputs):
    """One instance's outputs {name: value} in JSON-ready form (strings decoded, `*_bytes` as b64)."""
    return {name: _jsonable(name, value) for name, value in outputs.items()}


def _text(value, as_b64):
    if not as_b64:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            pass  # not text: send it as base64 so the response stays valid JSON
    return {"b64": base64.b64encode(value).decode("ascii")}


def dumps(payload, finite=None):
    """JSON bytes; non-finite floats are written NaN / Infinity / -Infinity as TF Serving does.

    Args:
      payload: dicts, lists, numbers, strings and numpy values.
      finite: whether every float in `payload` is known to be finite (None: look).
    """
    try:
        if finite if finite is not None else _all_finite(payload):
            return orjson.dumps(payload, option=_NUMPY)
    except TypeError:
        pass
    return json.dumps(_plain(payload), allow_nan=True, separators=(",", ":")).encode()


def _all_finite(value):
    if isinstance(value, np.ndarray):
        return value.dtype.kind != "f" or bool(np.isfinite(value).all())
    if isinstance(value, dict):
        return all(_all_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_all_finite(v) for v in value)
    if isinstance(value, (float, np.floating)):
        return bool(np.isfinite(value))
    return True


def _plain(value):
    """Python values for the standard json module; float32 keeps its shortest decimal form."""
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype == np.float32:
            value = np.array([float(str(v)) for v in np.ravel(value)]).reshape(np.shape(value))
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def error_body(message):
    """The JSON body of an error: `{"error": message}`."""
    return orjson.dumps({"error": message.encode("utf-8", "replace").decode("utf-8")})


def status_body(states):
    """GET /v1/models/NAME[/versions/N]: TF Serving's GetModelStatusResponse as JSON.

    Args:
      states: the `VersionState`s to report, newest first.
    """
    return orjson.dumps({"model_version_status": [
        {"version": str(s.version), "state": s.state,
         "status": {"error_code": "UNKNOWN" if s.error else "OK", "error_message": s.error or ""}}
        for s in states]})


def metadata_body(name, version, signature_defs):
    """GET /v1/models/NAME[/versions/N]/metadata: TF Serving's GetModelMetadataResponse.

    Printed like TF Serving: proto field names, default values included, int64 as strings,
    and the signatures under the doubled key metadata.signature_def.signature_def.
    """
    signatures = {key: _with_defaults(proto) for key, proto in sorted(signature_defs.items())}
    return orjson.dumps({
        "model_spec": {"name": name, "signature_name": "", "version": str(version)},
        "metadata": {"signature_def": {"signature_def": signatures}},
    })


def _with_defaults(proto):
    """`proto` as a dict with proto field names and its default values printed too. protobuf 5.26
    renamed the option: `including_default_value_fields` (protobuf 3.20, TensorFlow 2.15's) is
    `always_print_fields_with_no_presence` since then (TensorFlow 2.21 comes with protobuf 7)."""
    from google.protobuf import json_format
    options = inspect.signature(json_format.MessageToDict).parameters
    name = ("always_print_fields_with_no_presence" if "always_print_fields_with_no_presence" in options
            else "including_default_value_fields")
    return json_format.MessageToDict(proto, preserving_proto_field_name=True, **{name: True})
