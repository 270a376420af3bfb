"""wire.predict_response writes what protobuf would: parsed back with the package's own
PredictResponse, it equals the message built field by field (tensors.to_proto)."""

import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp
from tensorflow_serving.apis import predict_pb2

from modelmaker.serving import tensors, wire

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
    assert got == want
