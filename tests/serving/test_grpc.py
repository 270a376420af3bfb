"""TF Serving's gRPC API, driven with the real `tensorflow_serving.apis` stubs, on TF Serving's
own test model half_plus_two (rebuilt) and its checks from tensorflow_model_server_test.py;
the REST answers TF Serving gives on the same model; gRPC status codes of bad requests."""

import os

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import classification_pb2, get_model_metadata_pb2
from tensorflow_serving.apis import get_model_status_pb2, model_service_pb2_grpc, predict_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc, regression_pb2

from modelmaker.serving import config

from . import savedmodels
from .harness import Client, full_server

TIMEOUT = 30


@pytest.fixture(scope="module")
def hp2(tmp_path_factory):
    """half_plus_two as version 123 (TF Serving's testdata number), served on REST and gRPC."""
    base = tmp_path_factory.mktemp("hp2") / "half_plus_two"
    savedmodels.half_plus_two(str(base / "00000123"))
    with full_server([config.ModelSpec(name="default", base_path=str(base))]) as (url, target, _):
        channel = grpc.insecure_channel(target)
        yield url, prediction_service_pb2_grpc.PredictionServiceStub(channel), \
            model_service_pb2_grpc.ModelServiceStub(channel)
        channel.close()


def _predict_request(name="default", values=(2.0,), shape=(1,), dtype=types_pb2.DT_FLOAT):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = name
    request.inputs["x"].dtype = dtype
    request.inputs["x"].float_val.extend(values)
    for size in shape:
        request.inputs["x"].tensor_shape.dim.add().size = size
    return request


def test_predict_answers_as_tf_serving_with_output_filter(hp2):
    _, stub, _ = hp2
    request = _predict_request()
    request.output_filter.append("y")
    result = stub.Predict(request, TIMEOUT)
    assert result.outputs["y"].dtype == types_pb2.DT_FLOAT
    assert list(result.outputs["y"].float_val) == [3.0]
    spec = result.model_spec
    assert (spec.name, spec.signature_name, spec.version.value) == ("default", "serving_default", 123)


def test_predict_feeds_tensors_as_sent_like_tf_serving(hp2):
    url, stub, _ = hp2
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "default"
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.array([2.0, 3.0, 4.0], np.float32)))
    result = stub.Predict(request, TIMEOUT)
    assert tf.make_ndarray(result.outputs["y"]).tolist() == [3.0, 3.5, 4.0]
    # The example: x is declared [-1, 1], yet TF Serving runs [2, 3, 4].
    status, body, _ = Client(url).post("/v1/models/default:predict",
                                       {"instances": [2.0, 3.0, 4.0]})
    assert (status, body) == (200, {"predictions": [3.0, 3.5, 4.0]})
    status, body, _ = Client(url).post("/v1/models/default:predict",
                                       {"inputs": {"x": [[1.0], [2.0]]}})
    assert (status, body) == (200, {"outputs": [[2.5], [3.0]]})


def test_classify_and_regress_as_tf_servings_tests(hp2):
    _, stub, _ = hp2
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = "default"
    request.model_spec.signature_name = "classify_x_to_y"
    request.input.example_list.examples.add().features.feature["x"].float_list.value.append(2.0)
    result = stub.Classify(request, TIMEOUT)
    assert len(result.result.classifications) == 1
    assert [c.score for c in result.result.classifications[0].classes] == [3.0]
    assert (result.model_spec.signature_name, result.model_spec.version.value) == \
        ("classify_x_to_y", 123)

    request = regression_pb2.RegressionRequest()
    request.model_spec.name = "default"
    request.model_spec.signature_name = "regress_x_to_y"
    lists = request.input.example_list_with_context
    lists.context.features.feature["x"].float_list.value.append(9.0)  # each example overrides
    for x in (2.0, 4.0):
        lists.examples.add().features.feature["x"].float_list.value.append(x)
    result = stub.Regress(request, TIMEOUT)
    assert [r.value for r in result.result.regressions] == [3.0, 4.0]


def test_metadata_and_status(hp2):
    _, stub, model_stub = hp2
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    request.model_spec.name = "default"
    request.metadata_field.append("signature_def")
    result = stub.GetModelMetadata(request, TIMEOUT)
    signatures = get_model_metadata_pb2.SignatureDefMap()
    assert result.metadata["signature_def"].Unpack(signatures)
    assert sorted(signatures.signature_def) == ["classify_x_to_y", "regress_x_to_y",
                                                "serving_default"]
    assert signatures.signature_def["serving_default"].inputs["x"].name == "x:0"
    assert result.model_spec.version.value == 123

    status = get_model_status_pb2.GetModelStatusRequest()
    status.model_spec.name = "default"
    result = model_stub.GetModelStatus(status, TIMEOUT)
    assert len(result.model_version_status) == 1
    version = result.model_version_status[0]
    assert (version.version, version.state, version.status.error_code) == \
        (123, get_model_status_pb2.ModelVersionStatus.AVAILABLE, 0)


def _metadata(name="default", fields=("signature_def",)):
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    request.model_spec.name = name
    request.metadata_field.extend(fields)
    return request


def _with(request, **changes):
    for key, value in changes.items():
        if key == "version":
            request.model_spec.version.value = value
        elif key == "signature":
            request.model_spec.signature_name = value
        elif key == "output":
            request.output_filter.extend(value)
        elif key == "rename":
            request.inputs["z"].CopyFrom(request.inputs.pop("x"))
    return request


def _classify(signature):
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = "default"
    request.model_spec.signature_name = signature
    request.input.example_list.examples.add().features.feature["x"].float_list.value.append(1.0)
    return request


@pytest.mark.parametrize("method, request_, code, text", [
    ("Predict", _predict_request("nope"), "NOT_FOUND", "Servable not found for request: Latest(nope)"),
    ("Predict", _with(_predict_request(), version=7), "NOT_FOUND", "Specific(default, 7)"),
    ("Predict", _with(_predict_request(), signature="nope"), "FAILED_PRECONDITION",
     'Serving signature key "nope" not found.'),
    ("Predict", _with(_predict_request(), rename=True), "INVALID_ARGUMENT",
     "input size does not match signature: 1!=1 len({z}) != len({x}). Sent extra: {z}. "
     "Missing but required: {x}."),
    ("Predict", _with(_predict_request(), output=["y", "y"]), "INVALID_ARGUMENT",
     "duplicate output tensor alias: y"),
    ("Predict", _with(_predict_request(), output=["q"]), "INVALID_ARGUMENT",
     "output tensor alias not found in signature: q Outputs expected to be in the set {y}."),
    ("Predict", _predict_request(dtype=types_pb2.DT_DOUBLE), "INVALID_ARGUMENT", "double"),
    ("Predict", _predict_request(values=(1.0, 2.0, 3.0), shape=(2,)), "INVALID_ARGUMENT",
     "tensor parsing error: x"),
    ("Predict", _predict_request(values=(1.0,), shape=(2**40,)), "INVALID_ARGUMENT",
     "tensor parsing error: x"),
    ("Classify", _classify("serving_default"), "INVALID_ARGUMENT",
     "Expected classify signature method_name to be tensorflow/serving/classify"),
    ("Classify", _classify("nope"), "INVALID_ARGUMENT", "No signature was found with the name: nope"),
    ("Regress", regression_pb2.RegressionRequest(model_spec={"name": "default"}),
     "INVALID_ARGUMENT", "Expected regress signature"),
    ("GetModelMetadata", _metadata(fields=()), "INVALID_ARGUMENT",
     "must specify at least one metadata_field"),
    ("GetModelMetadata", _metadata(fields=("nope",)), "INVALID_ARGUMENT",
     "Metadata field nope is not supported"),
    ("GetModelMetadata", _metadata(name="nope"), "NOT_FOUND", "Servable not found"),
])
def test_bad_requests_get_tf_servings_status_codes(hp2, method, request_, code, text):
    _, stub, _ = hp2
    with pytest.raises(grpc.RpcError) as raised:
        getattr(stub, method)(request_, TIMEOUT)
    assert raised.value.code() == grpc.StatusCode[code] and text in raised.value.details()


def test_status_of_unknown_model_or_version_is_not_found(hp2):
    _, _, model_stub = hp2
    for name, version, text in (("nope", None, "Could not find any versions of model nope"),
                                ("default", 5, "Could not find version 5 of model default")):
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = name
        if version is not None:
            request.model_spec.version.value = version
        with pytest.raises(grpc.RpcError) as raised:
            model_stub.GetModelStatus(request, TIMEOUT)
        assert raised.value.code() == grpc.StatusCode.NOT_FOUND and text in raised.value.details()
