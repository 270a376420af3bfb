"""Provides TF Serving's gRPC API: PredictionService and ModelService on grpcio.

The messages and service definitions are the `tensorflow-serving-api` package's, so a
client written for TF Serving (`prediction_service_pb2_grpc.PredictionServiceStub`) talks
to this server unchanged. Checks and texts follow TF Serving's predict_util.cc,
classifier.cc, regressor.cc and get_model_metadata_impl.cc; each `ServingError`'s code
is the gRPC status code (TensorFlow's error codes are gRPC's).
"""

import concurrent.futures

import grpc
import numpy as np
from tensorflow_serving.apis import classification_pb2, get_model_metadata_pb2
from tensorflow_serving.apis import get_model_status_pb2, model_service_pb2, predict_pb2
from tensorflow_serving.apis import prediction_service_pb2, regression_pb2

from modelmaker import logs
from modelmaker.serving import examples, model as model_lib, tensors, wire
from modelmaker.serving.errors import BadRequest, ModelError, ServingError

# Threads answering RPCs; requests waiting for a batch hold one each, so this bounds the
# concurrent clients that batching can gather.
DEFAULT_WORKERS = 64
_OPTIONS = [("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1),
            ("grpc.so_reuseport", 0)]
_STATE = get_model_status_pb2.ModelVersionStatus.State


def _spec(model_spec):
    """(name, version or None, label or None) of a request's ModelSpec."""
    version = model_spec.version.value if model_spec.HasField("version") else None
    return model_spec.name, version, model_spec.version_label or None


def _fill_spec(out, name, version, signature_name):
    out.name = name
    out.version.value = version
    out.signature_name = signature_name


def _signature(model, key):
    """The `Signature` named `key`; a missing one is FAILED_PRECONDITION, as in TF Serving."""
    key = key or model_lib.DEFAULT_SIGNATURE
    if key not in model.signature_defs:
        raise ModelError(f'Serving signature key "{key}" not found.', "FAILED_PRECONDITION")
    return model.signature(key)


class Operations:
    """The gRPC API's operations on a `Service`, measured by `metrics`."""

    def __init__(self, service, metrics):
        self.service = service
        self.metrics = metrics

    def predict(self, request):
        spec = request.model_spec
        with self.metrics.track(spec.name, "predict", "GRPC") as tracked, \
                self.service.lease(*_spec(spec)) as model:
            signature = _signature(model, spec.signature_name)
            tracked.signature = signature.key
            _check_inputs(signature, request.inputs)
            wanted = _output_filter(signature, request.output_filter)
            inputs = {alias: tensors.to_array(proto, alias)
                      for alias, proto in request.inputs.items()}
            outputs = self.service.run(model, signature, inputs)
            return wire.predict_response(spec.name, model.version, signature.key,
                                         {alias: outputs[alias] for alias in wanted})

    def classify(self, request):
        answer = classification_pb2.ClassificationResponse()
        found = self._examples(request, "classify", answer.model_spec)
        for per_example in found:
            classes = answer.result.classifications.add().classes
            for label, score in per_example:
                classes.add(label=label, score=score)
        return answer

    def regress(self, request):
        answer = regression_pb2.RegressionResponse()
        for value in self._examples(request, "regress", answer.model_spec):
            answer.result.regressions.add(value=float(value))
        return answer

    def _examples(self, request, method, out_spec):
        spec = request.model_spec
        with self.metrics.track(spec.name, method, "GRPC") as tracked, \
                self.service.lease(*_spec(spec)) as model:
            key = spec.signature_name or model_lib.DEFAULT_SIGNATURE
            if key not in model.signature_defs:
                raise BadRequest(f"No signature was found with the name: {key}")
            signature = model.signature(key)
            tracked.signature = key
            examples.check_signature(signature, method)
            serialized = _serialized(request.input)
            found = examples.results(model, signature, serialized, method, self.service.run)
            _fill_spec(out_spec, spec.name, model.version, spec.signature_name)
            return found

    def metadata(self, request):
        spec = request.model_spec
        with self.metrics.track(spec.name, "GetModelMetadata", "GRPC"):
            if not request.metadata_field:
                raise BadRequest("GetModelMetadataRequest must specify at least one "
                                 "metadata_field")
            for field in request.metadata_field:
                if field != "signature_def":
                    raise BadRequest(f"Metadata field {field} is not supported")
            with self.service.lease(*_spec(spec)) as model:
                answer = get_model_metadata_pb2.GetModelMetadataResponse()
                _fill_spec(answer.model_spec, spec.name, model.version, "")
                signature_map = get_model_metadata_pb2.SignatureDefMap()
                for key, proto in model.signature_defs.items():
                    signature_map.signature_def[key].CopyFrom(proto)
                answer.metadata["signature_def"].Pack(signature_map)
                return answer

    def status(self, request):
        name, version, _ = _spec(request.model_spec)
        with self.metrics.track(name, "GetModelStatus", "GRPC"):
            answer = get_model_status_pb2.GetModelStatusResponse()
            for state in self.service.models.states(name, version):
                item = answer.model_version_status.add(version=state.version,
                                                       state=_STATE.Value(state.state))
                if state.error:
                    item.status.error_code = 2  # tensorflow.error.UNKNOWN
                    item.status.error_message = state.error
            return answer


def _check_inputs(signature, sent):
    """TF Serving's VerifyRequestInputsSize: the request's inputs are the signature's."""
    if set(sent) == set(signature.inputs):
        return
    request, expected = sorted(sent), sorted(signature.inputs)
    raise BadRequest(
        f"input size does not match signature: {len(request)}!={len(expected)} "
        f"len({{{','.join(request)}}}) != len({{{','.join(expected)}}}). Sent extra: "
        f"{{{','.join(a for a in request if a not in signature.inputs)}}}. Missing but "
        f"required: {{{','.join(a for a in expected if a not in sent)}}}.")


def _output_filter(signature, names):
    """The output aliases to answer with: the filter's (checked), or all of them."""
    seen = []
    for alias in names:
        if alias not in signature.outputs:
            raise BadRequest(f"output tensor alias not found in signature: {alias} Outputs "
                             f"expected to be in the set {{{','.join(sorted(signature.outputs))}}}.")
        if alias in seen:
            raise BadRequest(f"duplicate output tensor alias: {alias}")
        seen.append(alias)
    return seen or sorted(signature.outputs)


def _serialized(request_input):
    """The serialized tf.Examples of an Input (with its context merged in), as an array."""
    kind = request_input.WhichOneof("kind")
    if kind == "example_list":
        items = [e.SerializeToString() for e in request_input.example_list.examples]
    elif kind == "example_list_with_context":
        lists = request_input.example_list_with_context
        context = lists.context.SerializeToString()
        items = [context + e.SerializeToString() for e in lists.examples]
    else:
        items = []
    if not items:
        raise BadRequest("Input is empty.")
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _handler(operation, operations):
    """A gRPC behavior calling `operation(request)`; ServingErrors become their status code."""
    def handle(request, context):
        try:
            return operation(operations, request)
        except ServingError as e:
            context.abort(grpc.StatusCode[e.code], str(e))
        except Exception as e:  # noqa: BLE001 - a bug (ours or TensorFlow's) is INTERNAL, logged
            logs.LOGGER.exception("gRPC %s failed", operation.__name__)
            context.abort(grpc.StatusCode.INTERNAL, f"Internal error: {type(e).__name__}: {e}")
    return handle


def _bytes(answer):
    return answer  # Predict answers are serialized already (wire.py)


# service -> method -> (operation, request message or parser, response serializer)
_METHODS = {
    prediction_service_pb2.DESCRIPTOR.services_by_name["PredictionService"]: {
        "Predict": (Operations.predict, wire.predict_request, _bytes),
        "Classify": (Operations.classify, classification_pb2.ClassificationRequest, None),
        "Regress": (Operations.regress, regression_pb2.RegressionRequest, None),
        "GetModelMetadata": (Operations.metadata,
                             get_model_metadata_pb2.GetModelMetadataRequest, None),
    },
    model_service_pb2.DESCRIPTOR.services_by_name["ModelService"]: {
        "GetModelStatus": (Operations.status, get_model_status_pb2.GetModelStatusRequest, None),
    },
}


def handlers(operations):
    """The grpc generic handlers of TF Serving's two services, named by the package's
    service descriptors; methods not listed here answer UNIMPLEMENTED."""
    out = []
    for service, methods in _METHODS.items():
        out.append(grpc.method_handlers_generic_handler(service.full_name, {
            name: grpc.unary_unary_rpc_method_handler(
                _handler(operation, operations),
                request_deserializer=getattr(message, "FromString", message),
                response_serializer=serialize or (lambda answer: answer.SerializeToString()))
            for name, (operation, message, serialize) in methods.items()}))
    return out


def start(service, metrics, *, host="127.0.0.1", port=8500, workers=DEFAULT_WORKERS):
    """Starts a gRPC server for `service` on host:port (0: a free port).

    Returns:
      (grpc.Server, the bound port).

    Raises:
      OSError: the address cannot be bound.
    """
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(
        max_workers=workers, thread_name_prefix="modelmaker-grpc"), options=_OPTIONS,
        handlers=handlers(Operations(service, metrics)))
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        bound = server.add_insecure_port(address)
    except RuntimeError:
        bound = 0
    if not bound:
        server.stop(None)
        raise OSError(f"cannot bind {address}")
    server.start()
    return server, bound
