"""Provides Predict's messages in protobuf's wire format, read and written without protobuf.

TensorFlow 2.15's stack pins protobuf 3.20, whose Python runtime takes ~0.15 ms to parse a
one-image PredictRequest and ~0.3 ms to build and serialize even a 10-float
PredictResponse; going through it would make gRPC slower than REST. `predict_response`
writes the answer directly: values in the typed fields (`float_val`, packed), as TF
Serving's AsProtoField does. `predict_request` reads the request, turning each input whose
values are in `tensor_content` straight into a numpy array, and leaves anything else
(typed `*_val` fields, unknown wire types) to protobuf. The field numbers are those of
tensorflow_serving/apis/predict.proto and tensor.proto, checked against the package's own
classes by tests/serving/test_wire.py.
"""

import types

import numpy as np
from tensorflow.core.framework import tensor_pb2, types_pb2
from tensorflow_serving.apis import model_pb2, predict_pb2

from modelmaker.serving import tensors

# numpy dtype -> (DataType, TensorProto field number, how the values are written)
_FIELDS = {
    np.dtype("float32"): (types_pb2.DT_FLOAT, 5, "<f4"),
    np.dtype("float64"): (types_pb2.DT_DOUBLE, 6, "<f8"),
    np.dtype("int32"): (types_pb2.DT_INT32, 7, "varint"),
    np.dtype("int16"): (types_pb2.DT_INT16, 7, "varint"),
    np.dtype("int8"): (types_pb2.DT_INT8, 7, "varint"),
    np.dtype("uint8"): (types_pb2.DT_UINT8, 7, "varint"),
    np.dtype("uint16"): (types_pb2.DT_UINT16, 7, "varint"),
    np.dtype("int64"): (types_pb2.DT_INT64, 10, "varint"),
    np.dtype("bool"): (types_pb2.DT_BOOL, 11, "varint"),
    np.dtype("uint32"): (types_pb2.DT_UINT32, 16, "varint"),
    np.dtype("uint64"): (types_pb2.DT_UINT64, 17, "varint"),
}


def predict_response(name, version, signature_name, outputs):
    """The serialized PredictResponse answering `outputs` ({alias: np.ndarray}, in order)."""
    spec = (_bytes_field(1, name.encode()) + _field(2, _key(1, 0) + _varint(version))
            + _bytes_field(3, signature_name.encode()))
    entries = [_field(1, _bytes_field(1, alias.encode()) + _field(2, tensor(array)))
               for alias, array in outputs.items()]
    return b"".join(entries) + _field(2, spec)


def tensor(array):
    """A serialized TensorProto of `array`, values in their typed field."""
    array = np.asarray(array)
    shape = _field(2, b"".join(_field(2, _key(1, 0) + _varint(d)) for d in array.shape))
    if array.dtype == object or array.dtype.kind == "S":
        values = b"".join(_field(8, v if isinstance(v, bytes) else str(v).encode())
                          for v in array.ravel())
        return _key(1, 0) + _varint(types_pb2.DT_STRING) + shape + values
    found = _FIELDS.get(array.dtype)
    if found is None:  # half, complex, bfloat16, unicode...: protobuf's own conversion
        return tensors.to_proto(array).SerializeToString()
    dtype, number, kind = found
    if kind == "varint":
        payload = b"".join(map(_varint, array.ravel().tolist()))
    else:
        payload = array.astype(kind, copy=False).tobytes()
    return _key(1, 0) + _varint(dtype) + shape + (_field(number, payload) if payload else b"")


def _key(number, wire_type):
    return _varint(number << 3 | wire_type)


def _field(number, payload):
    return _key(number, 2) + _varint(len(payload)) + payload


def _bytes_field(number, payload):
    return _field(number, payload) if payload else b""


def _varint(value):
    value = int(value)
    if value < 0:
        value += 1 << 64  # two's complement, ten bytes: how protobuf writes negative ints
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def predict_request(data):
    """A parsed PredictRequest: `.model_spec`, `.inputs` {alias: TensorProto-like},
    `.output_filter`. Inputs carried in tensor_content are light objects that
    `tensors.to_array` reads like a TensorProto; anything unusual is parsed by protobuf."""
    try:
        spec, inputs, output_filter = model_pb2.ModelSpec(), {}, []
        for number, value in _fields(data):
            if number == 1:
                spec = model_pb2.ModelSpec.FromString(bytes(value))
            elif number == 2:
                alias, tensor_bytes = "", b""
                for entry_number, entry_value in _fields(value):
                    if entry_number == 1:
                        alias = bytes(entry_value).decode("utf-8")
                    elif entry_number == 2:
                        tensor_bytes = entry_value
                inputs[alias] = _tensor(bytes(tensor_bytes))
            elif number == 3:
                output_filter.append(bytes(value).decode("utf-8"))
        return types.SimpleNamespace(model_spec=spec, inputs=inputs, output_filter=output_filter)
    except (_Unusual, IndexError, ValueError, TypeError):
        return predict_pb2.PredictRequest.FromString(data)


class _Unusual(Exception):
    """A wire type or layout the fast reader leaves to protobuf."""


def _tensor(data):
    """A TensorProto-like view of a tensor with its values in tensor_content, else a TensorProto."""
    dtype, dims, unknown_rank, content = 0, [], False, b""
    for number, value in _fields(data):
        if number == 1:
            dtype = value
        elif number == 2:
            for shape_number, shape_value in _fields(value):
                if shape_number == 2:
                    size = dict(_fields(shape_value)).get(1, 0)
                    dims.append(types.SimpleNamespace(size=size - (1 << 64) if size >> 63 else size))
                elif shape_number == 3:
                    unknown_rank = bool(shape_value)
        elif number == 4:
            content = bytes(value)
        elif number != 3:  # values in typed fields: protobuf knows them all
            return tensor_pb2.TensorProto.FromString(data)
    if not content or dtype == types_pb2.DT_STRING:
        return tensor_pb2.TensorProto.FromString(data)
    return types.SimpleNamespace(dtype=dtype, tensor_content=content, tensor_shape=types.SimpleNamespace(
        dim=dims, unknown_rank=unknown_rank))


def _fields(data):
    """(field number, value) of each field: ints for varints, memoryviews for the rest."""
    view, pos, end = memoryview(data), 0, len(data)
    while pos < end:
        key, pos = _read_varint(view, pos)
        wire_type = key & 7
        if wire_type == 0:
            value, pos = _read_varint(view, pos)
        elif wire_type == 2:
            size, pos = _read_varint(view, pos)
            if pos + size > end:
                raise _Unusual()
            value, pos = view[pos:pos + size], pos + size
        elif wire_type in (1, 5):
            size = 8 if wire_type == 1 else 4
            if pos + size > end:
                raise _Unusual()
            value, pos = view[pos:pos + size], pos + size
        else:
            raise _Unusual()
        yield key >> 3, value


def _read_varint(view, pos):
    result = shift = 0
    while True:
        byte = view[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise _Unusual()
