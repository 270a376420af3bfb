"""No gRPC request kills the server or gets a code TF Serving would not answer: >= 2,000
generated Predict, Classify, Regress, GetModelMetadata and GetModelStatus requests (shapes,
dtypes, names, sizes, unknown models, versions and signatures), with batching on."""

import grpc
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from tensorflow.core.framework import tensor_pb2, types_pb2
from tensorflow_serving.apis import classification_pb2, get_model_metadata_pb2
from tensorflow_serving.apis import get_model_status_pb2, model_service_pb2_grpc, predict_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc, regression_pb2

from modelmaker.serving import config

from .harness import full_server

REQUESTS = 2_000
PER_EXAMPLE = 40
ALLOWED = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
           grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.UNIMPLEMENTED,
           grpc.StatusCode.OUT_OF_RANGE, grpc.StatusCode.RESOURCE_EXHAUSTED,
           grpc.StatusCode.UNAVAILABLE}
DTYPES = [types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE, types_pb2.DT_INT32, types_pb2.DT_INT64,
          types_pb2.DT_STRING, types_pb2.DT_BOOL, types_pb2.DT_HALF, types_pb2.DT_UINT8,
          types_pb2.DT_INVALID, types_pb2.DT_RESOURCE, types_pb2.DT_VARIANT, 999]
NAMES = st.sampled_from(["multi", "parsing", "text", "nope", "", "MULTI"])
SIGNATURES = st.sampled_from(["", "serving_default", "first", "scalar", "classification",
                              "regression", "nope"])
ALIASES = st.sampled_from(["a", "b", "x", "text", "examples", "sum", ""])


@st.composite
def tensors(draw):
    proto = tensor_pb2.TensorProto(dtype=draw(st.sampled_from(DTYPES)))
    shape = draw(st.lists(st.integers(-2, 4) | st.sampled_from([2**40, 2**62]), max_size=4))
    if draw(st.booleans()):
        for size in shape:
            proto.tensor_shape.dim.add().size = size
    proto.tensor_shape.unknown_rank = draw(st.booleans()) and draw(st.booleans())
    kind = draw(st.sampled_from(["float", "int", "string", "content", "bool", "none"]))
    count = draw(st.integers(0, 12))
    if kind == "float":
        proto.float_val.extend(draw(st.lists(st.floats(width=32), min_size=count,
                                             max_size=count)))
    elif kind == "int":
        proto.int_val.extend(draw(st.lists(st.integers(-2**31, 2**31 - 1), min_size=count,
                                           max_size=count)))
    elif kind == "string":
        proto.string_val.extend(draw(st.lists(st.binary(max_size=8), min_size=count,
                                              max_size=count)))
    elif kind == "bool":
        proto.bool_val.extend([True] * count)
    elif kind == "content":
        proto.tensor_content = draw(st.binary(max_size=64))
    return proto


@st.composite
def model_specs(draw, spec):
    spec.name = draw(NAMES)
    choice = draw(st.sampled_from(["none", "version", "label"]))
    if choice == "version":
        spec.version.value = draw(st.sampled_from([1, 0, 2, -1, 2**62]))
    elif choice == "label":
        spec.version_label = draw(st.sampled_from(["stable", "canary", ""]))
    spec.signature_name = draw(SIGNATURES)
    return spec


@st.composite
def requests(draw):
    method = draw(st.sampled_from(["Predict"] * 5 + ["Classify", "Regress", "GetModelMetadata",
                                                      "GetModelStatus"]))
    if method == "Predict":
        request = predict_pb2.PredictRequest()
        for alias in draw(st.lists(ALIASES, max_size=3, unique=True)):
            request.inputs[alias].CopyFrom(draw(tensors()))
        request.output_filter.extend(draw(st.lists(ALIASES | st.just("sum_a"), max_size=2)))
    elif method in ("Classify", "Regress"):
        request = (classification_pb2.ClassificationRequest() if method == "Classify"
                   else regression_pb2.RegressionRequest())
        target = (request.input.example_list if draw(st.booleans())
                  else request.input.example_list_with_context)
        for _ in range(draw(st.integers(0, 3))):
            feature = target.examples.add().features.feature[draw(st.sampled_from(["x", "k", "z"]))]
            if draw(st.booleans()):
                feature.float_list.value.extend(draw(st.lists(st.floats(width=32), max_size=3)))
            else:
                feature.int64_list.value.extend(draw(st.lists(st.integers(-2**63, 2**63 - 1),
                                                              max_size=3)))
    elif method == "GetModelMetadata":
        request = get_model_metadata_pb2.GetModelMetadataRequest()
        request.metadata_field.extend(draw(st.lists(st.sampled_from(["signature_def", "x"]),
                                                    max_size=2)))
    else:
        request = get_model_status_pb2.GetModelStatusRequest()
    draw(model_specs(request.model_spec))
    return method, request


@pytest.fixture(scope="module")
def stubs(bases):
    specs = [config.ModelSpec(name=kind, base_path=bases[kind]) for kind in
             ("multi", "parsing", "text")]
    batching = config.Batching(max_batch_size=4, num_batch_threads=2)
    with full_server(specs, batching=batching) as (_, target, _parts), \
            grpc.insecure_channel(target) as channel:
        yield (prediction_service_pb2_grpc.PredictionServiceStub(channel),
               model_service_pb2_grpc.ModelServiceStub(channel))


@pytest.mark.slow  # a load test: 2,000 generated requests
def test_grpc_requests_get_only_tf_servings_codes(stubs):
    prediction, models = stubs
    codes = []

    @settings(max_examples=REQUESTS // PER_EXAMPLE, deadline=None, derandomize=True,
              database=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(requests(), min_size=PER_EXAMPLE, max_size=PER_EXAMPLE))
    def send(batch):
        for method, request in batch:
            stub = models if method == "GetModelStatus" else prediction
            try:
                getattr(stub, method)(request, 30)
                codes.append(grpc.StatusCode.OK)
            except grpc.RpcError as e:
                codes.append(e.code())
                assert e.code() in ALLOWED, (method, request, e.code(), e.details())

    send()
    assert len(codes) >= REQUESTS
    assert {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT,
            grpc.StatusCode.NOT_FOUND} <= set(codes)
    status = get_model_status_pb2.GetModelStatusRequest(model_spec={"name": "multi"})
    assert models.GetModelStatus(status, 30).model_version_status  # still serving
