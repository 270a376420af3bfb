"""Provides TensorProto <-> numpy for the gRPC API, as TF Serving converts them.

Requests may carry values in `tensor_content` (what `tf.make_tensor_proto` writes) or in
the typed `*_val` fields, where fewer values than the shape holds repeat the last one
(Tensor::FromProto). Responses are written into the typed fields, as TF Serving's
default `AsProtoField` does, so clients that read `outputs["y"].float_val` work.
"""

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2

from modelmaker.serving.errors import BadRequest

# Larger tensors are refused before numpy allocates them: a 10-byte proto may declare
# a shape of 2^40 elements with one value to repeat.
MAX_TENSOR_BYTES = 2**31

# dtype enum -> the TensorProto field its values go in (TF's Tensor::AsProtoField).
_VALUE_FIELD = {
    types_pb2.DT_FLOAT: "float_val", types_pb2.DT_DOUBLE: "double_val",
    types_pb2.DT_INT32: "int_val", types_pb2.DT_INT16: "int_val", types_pb2.DT_INT8: "int_val",
    types_pb2.DT_UINT8: "int_val", types_pb2.DT_UINT16: "int_val",
    types_pb2.DT_INT64: "int64_val", types_pb2.DT_UINT32: "uint32_val",
    types_pb2.DT_UINT64: "uint64_val", types_pb2.DT_BOOL: "bool_val",
    types_pb2.DT_STRING: "string_val",
}


def to_array(proto, alias):
    """The numpy value of a request's TensorProto.

    Raises:
      BadRequest: the proto is not a valid tensor ("tensor parsing error: <alias>", as TF
        Serving says, with the reason).
    """
    try:
        dtype = tf.dtypes.as_dtype(proto.dtype)
        if proto.dtype == types_pb2.DT_INVALID or dtype.is_quantized or \
                proto.dtype in (types_pb2.DT_RESOURCE, types_pb2.DT_VARIANT):
            raise ValueError(f"dtype {types_pb2.DataType.Name(proto.dtype)} cannot be sent")
        shape = [d.size for d in proto.tensor_shape.dim]
        if proto.tensor_shape.unknown_rank or any(size < 0 for size in shape):
            raise ValueError(f"shape {shape or 'of unknown rank'} is not fully defined")
        size = int(np.prod(shape, dtype=np.float64))
        if size * max(dtype.size, 1) > MAX_TENSOR_BYTES:
            raise ValueError(f"shape {shape} is over {MAX_TENSOR_BYTES} bytes")
        if proto.tensor_content and dtype != tf.string:
            return np.frombuffer(proto.tensor_content, dtype.as_numpy_dtype).reshape(shape)
        return tf.make_ndarray(proto)
    except (ValueError, TypeError, OverflowError, KeyError, MemoryError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise BadRequest(f"tensor parsing error: {alias} ({reason})") from None


def to_proto(array):
    """A TensorProto holding `array` in its typed value field (TF Serving's AsProtoField)."""
    array = np.asarray(array)
    if array.dtype == object or array.dtype.kind in "SU":
        dtype = types_pb2.DT_STRING
    else:
        dtype = tf.dtypes.as_dtype(array.dtype).as_datatype_enum
    field = _VALUE_FIELD.get(dtype)
    if field is None:  # half, complex, bfloat16...: TensorFlow's own conversion
        return tf.make_tensor_proto(array)
    proto = tensor_pb2.TensorProto(dtype=dtype, tensor_shape=shape_proto(array.shape))
    flat = array.ravel()
    if dtype == types_pb2.DT_STRING:
        proto.string_val.extend(v if isinstance(v, bytes) else str(v).encode() for v in flat)
    else:
        getattr(proto, field).extend(flat.tolist())
    return proto


def shape_proto(shape):
    """A TensorShapeProto of a tuple of ints."""
    return tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=int(d)) for d in shape])
