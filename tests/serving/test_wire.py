"""wire.py reads and writes what protobuf would: predict_response parsed back with the
package's own PredictResponse equals the message built field by field (tensors.to_proto),
and predict_request gives the same model spec, output filter and input arrays (or the
same error) as the package's PredictRequest."""

import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import message
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp
from tensorflow_serving.apis import predict_pb2

from modelmaker.serving import tensors, wire
from modelmaker.serving.errors import BadRequest

DTYPES = ["float32", "float64", "int32", "int16", "int8", "uint8", "uint16", "int64", "bool",
          "uint32", "uint64", "float16", "complex64"]
arrays = st.sampled_from(DTYPES).flatmap(lambda d: hnp.arrays(
    d, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)))
strings = st.lists(st.binary(max_size=5), max_size=4).map(
    lambda items: np.array(items + [b""], dtype=object))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.dictionaries(st.text(max_size=6), arrays | strings, max_size=3),
       st.integers(0, 2**62), st.text(max_size=8), st.text(max_size=8))
def test_predict_response_parses_to_the_message_protobuf_builds(outputs, version, name, key):
    want = predict_pb2.PredictResponse()
    want.model_spec.name = name
    want.model_spec.version.value = version
    want.model_spec.signature_name = key
    for alias, array in outputs.items():
        want.outputs[alias].CopyFrom(tensors.to_proto(array))
    got = predict_pb2.PredictResponse.FromString(wire.predict_response(name, version, key, outputs))
    # Compared as text: message == is False for a NaN value (NaN != NaN), and text shows every
    # other value exactly (the shortest repr that reads back as the same float).
    assert str(got) == str(want)


@st.composite
def predict_requests(draw):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = draw(st.text(max_size=5))
    if draw(st.booleans()):
        request.model_spec.version.value = draw(st.integers(-2**63, 2**63 - 1))
    request.model_spec.signature_name = draw(st.text(max_size=5))
    for alias in draw(st.lists(st.text(max_size=4), max_size=3)):
        array = draw(arrays)
        proto = (tf.make_tensor_proto(array) if draw(st.booleans()) and array.dtype != np.float16
                 else tensors.to_proto(array))
        if draw(st.booleans()):
            proto.tensor_shape.dim.add().size = draw(st.integers(-2, 3))
        request.inputs[alias].CopyFrom(proto)
    request.output_filter.extend(draw(st.lists(st.text(max_size=3), max_size=2)))
    return request


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(predict_requests())
def test_predict_request_reads_what_protobuf_reads(request):
    got = wire.predict_request(request.SerializeToString())
    assert got.model_spec == request.model_spec
    assert list(got.output_filter) == list(request.output_filter)
    assert sorted(got.inputs) == sorted(request.inputs)
    for alias, proto in request.inputs.items():
        want = _array_or_error(proto, alias)
        have = _array_or_error(got.inputs[alias], alias)
        assert type(want) is type(have)
        if isinstance(want, np.ndarray):
            assert want.dtype == have.dtype and want.shape == have.shape
            same = (want.tolist() == have.tolist() if want.dtype == object
                    else want.tobytes() == have.tobytes())
            assert same
        else:
            assert want == have


def test_broken_bytes_are_left_to_protobuf():
    with pytest.raises(message.DecodeError):
        wire.predict_request(b"\x12\xff\xff\x01")


def _array_or_error(proto, alias):
    try:
        return tensors.to_array(proto, alias)
    except BadRequest as e:
        return str(e)
