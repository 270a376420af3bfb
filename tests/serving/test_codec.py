"""The JSON <-> numpy rules of TF Serving's json_tensor.cc: formats, dtypes, texts, responses."""

import base64
import json

import numpy as np
import pytest
import tensorflow as tf

from modelmaker.serving import codec, response
from modelmaker.serving.errors import BadRequest, Unimplemented
from modelmaker.serving.model import TensorSpec


def specs(**dtypes):
    return {name: TensorSpec(alias=name, tensor_name=f"{name}:0", dtype=dtype, shape=None)
            for name, dtype in dtypes.items()}


ONE = specs(x=tf.float32)
TWO = specs(a=tf.float32, b=tf.int32)


def inputs(doc, signature=ONE):
    return codec.predict_inputs(doc, signature)


def test_row_format_one_input_prepends_the_batch_dimension():
    arrays, row = inputs({"instances": [[1, 2.5], [3, 4]]})
    assert row and arrays["x"].dtype == np.float32
    np.testing.assert_array_equal(arrays["x"], [[1, 2.5], [3, 4]])


def test_row_format_named_inputs_and_columnar_with_own_batch_sizes():
    arrays, row = inputs({"instances": [{"a": [1, 2], "b": 3}, {"a": [4, 5], "b": 6}]}, TWO)
    assert row and arrays["a"].shape == (2, 2) and arrays["b"].tolist() == [3, 6]
    arrays, row = inputs({"inputs": {"a": [[1, 2]], "b": [3, 4, 5], "extra": "ignored"}}, TWO)
    assert not row and arrays["a"].shape == (1, 2) and arrays["b"].shape == (3,)
    arrays, _ = inputs({"inputs": 7})
    assert arrays["x"].shape == () and arrays["x"] == 7


def test_b64_values_are_values_not_named_inputs():
    text = specs(t=tf.string)
    data = b"\x00\xffbinary"
    arrays, _ = inputs({"instances": [{"b64": base64.b64encode(data).decode()}, "plain"]}, text)
    assert arrays["t"].tolist() == [data, b"plain"]
    arrays, _ = inputs({"inputs": {"b64": base64.b64encode(data).decode().rstrip("=")}}, text)
    assert arrays["t"].item() == data  # padding is optional


@pytest.mark.parametrize("doc, message", [
    ({}, "Missing 'inputs' or 'instances' key"),
    ({"instances": [], "inputs": []}, "expecting only one of 'inputs' or 'instances' keys"),
    ({"instances": {}}, "Excepting 'instances' to be an list/array"),
    ({"instances": []}, "No values in 'instances' array"),
    ({"instances": [[1], [1, 2]]}, "Expecting tensor size: 1 but got: 2"),
    ({"instances": [[[1, 2]], [[1], [2]]]}, "Expecting shape [1,2] but got: [2,1]"),
    ({"instances": [[1, [2]]]}, "Encountered list at unexpected level"),
    ({"instances": [[[1], 2]]}, "found at incorrect level: 2"),
    ({"instances": [[[1, 2], [3]]]}, "Encountered list at unexpected size: 1 at level: 1"),
    ({"instances": [["a"]]}, 'JSON Value: "a" Type: String is not of expected type: float'),
    ({"instances": [[True]]}, "Type: True is not of expected type: float"),
    ({"instances": [[None]]}, "Type: Null is not of expected type: float"),
    ({"instances": [[16777216]]}, "Cannot convert JSON value: 16777216 to float without loss"),
    ({"instances": [[1e39]]}, "to float without loss of precision"),
    ({"instances": [{"x": 1}, [1]]}, "Expecting object but got list at item 1"),
    ({"instances": [[1], {"x": 1}]}, "Expecting value/list but got object at item 1"),
    ({"instances": [{"y": 1}]}, "does not have named input: y"),
    ({"instances": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
     "at most 32 levels"),
])
def test_malformed_requests_get_tf_serving_texts(doc, message):
    with pytest.raises(BadRequest) as raised:
        inputs(doc)
    assert message in str(raised.value)
    assert raised.value.http_status == 400


@pytest.mark.parametrize("doc, message", [
    ({"instances": [[1, 2]]}, "instances is a plain list, but expecting list of objects"),
    ({"instances": [{"a": [1]}]}, "keys must be equal to: a,b"),
    ({"inputs": [1]}, "inputs is a plain value/list, but expecting an object"),
    ({"inputs": {"a": [1]}}, "Missing named input: b in 'inputs' object."),
    ({"inputs": {"a": [1], "b": [1.5]}}, "Type: Number is not of expected type: int32"),
    ({"inputs": {"a": [1], "b": [2**31]}}, "is not of expected type: int32"),
])
def test_named_input_errors(doc, message):
    with pytest.raises(BadRequest, match=message.replace("[", r"\[")):
        inputs(doc, TWO)


@pytest.mark.parametrize("dtype, good, bad", [
    (tf.float64, [1, 2.5, 2**53 - 1], [2**53]),
    (tf.int8, [-128, 127], [128]),
    (tf.uint8, [0, 255], [-1]),
    (tf.int64, [-2**63, 2**63 - 1], [2**63]),
    (tf.uint64, [0, 2**64 - 1], [-1]),
    (tf.bool, [True, False], [1]),
    (tf.string, ["a", {"b64": "YQ=="}], [1]),
])
def test_dtype_rules(dtype, good, bad):
    assert codec.to_array(good, dtype).shape == (len(good),)
    with pytest.raises(BadRequest):
        codec.to_array(bad, dtype)


def test_strings_reject_bad_base64_and_non_b64_objects():
    with pytest.raises(BadRequest, match="Unable to base64 decode.*URL-safe"):
        codec.to_array([{"b64": "_-8"}], tf.string)
    with pytest.raises(BadRequest, match="not formatted correctly for base64 data"):
        codec.to_array([{"b64": "YQ==", "more": 1}], tf.string)


def test_types_json_cannot_carry_are_unimplemented():
    with pytest.raises(Unimplemented) as raised:
        codec.to_array([1.0], tf.float16)
    assert raised.value.http_status == 501


def test_parse_accepts_nan_and_infinity_like_rapidjson():
    doc = codec.parse(b'{"instances": [[NaN, Infinity, -Infinity]]}')
    arrays, _ = inputs(doc)
    assert np.isnan(arrays["x"][0, 0]) and np.isposinf(arrays["x"][0, 1])


@pytest.mark.parametrize("body, message", [
    (b"", "JSON Parse error: The document is empty"),
    (b"{", "JSON Parse error:"),
    (b"[1]", "JSON Value: [1] Is not object"),
    (b"\xff\xfe", "JSON Parse error:"),
    (b'{"signature_name": 1}', None),
])
def test_parse_errors(body, message):
    if message is None:
        with pytest.raises(BadRequest, match="'signature_name' key must be a string value"):
            codec.signature_key(codec.parse(body))
        return
    with pytest.raises(BadRequest, match=message.replace("[", r"\[")):
        codec.parse(body)


def test_row_response_one_output_is_bare_and_several_are_objects():
    one = json.loads(response.predict_response({"y": np.array([[0.1, 3.0]], np.float32)}, True))
    assert one == {"predictions": [[0.1, 3.0]]}  # float32 0.1 is written as 0.1
    several = json.loads(response.predict_response(
        {"k": np.array([1, 2], np.int64), "s": np.array([b"a", b"b"], dtype=object)}, True))
    assert several == {"predictions": [{"k": 1, "s": "a"}, {"k": 2, "s": "b"}]}


def test_columnar_response_and_bytes_outputs_as_b64():
    body = response.predict_response({"v_bytes": np.array([b"\xff"], dtype=object),
                                      "t": np.array(b"\xfe", dtype=object)}, False)
    assert json.loads(body) == {"outputs": {"v_bytes": [{"b64": "/w=="}], "t": {"b64": "/g=="}}}


def test_non_finite_floats_are_written_bare():
    body = response.predict_response({"y": np.array([np.nan, np.inf, -np.inf, 0.1], np.float32)},
                                     True)
    assert body == b'{"predictions":[NaN,Infinity,-Infinity,0.1]}'


@pytest.mark.parametrize("outputs, message", [
    ({"m": np.float32(1.0) * np.ones(())}, "Tensor name: m has no shape information"),
    ({"a": np.zeros(2), "b": np.zeros(3)}, "Tensor name: b has inconsistent batch size: 3 expecting: 2"),
])
def test_row_response_needs_one_batch_dimension(outputs, message):
    with pytest.raises(BadRequest, match=message):
        response.predict_response(outputs, True)
