"""Several models from TF Serving's model_config_list text format (version policies, labels),
and `modelmaker serve` run as TF Serving is: config, batching and monitoring files, gRPC."""

import socket
import subprocess
import sys
import urllib.request

import grpc
import numpy as np
import pytest
import tensorflow as tf
from prometheus_client.parser import text_string_to_metric_families
from tensorflow_serving.apis import get_model_status_pb2, model_service_pb2_grpc, predict_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc

from modelmaker.errors import DataError
from modelmaker.serving import config

from . import savedmodels
from .harness import Client, full_server
from .test_command import REPO, ServeProcess

CONFIG = """
model_config_list {
  config { name: "hp2" base_path: "%(hp2)s" model_platform: "tensorflow" }
  config {
    name: "linear" base_path: "%(linear)s"
    model_version_policy { specific { versions: 1 versions: 3 } }
    version_labels { key: "stable" value: 1 }
  }
}
"""


@pytest.fixture(scope="module")
def two_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("two")
    savedmodels.half_plus_two(str(root / "hp2" / "1"))
    for version in (1, 2, 3):
        savedmodels.linear(str(root / "linear" / str(version)), float(version))
    path = root / "models.config"
    path.write_text(CONFIG % {"hp2": root / "hp2", "linear": root / "linear"})
    return str(path)


def _predict(stub, name, values, version=None, label=None, alias="x"):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = name
    if version is not None:
        request.model_spec.version.value = version
    if label is not None:
        request.model_spec.version_label = label
    request.inputs[alias].CopyFrom(tf.make_tensor_proto(np.asarray(values, np.float32)))
    return stub.Predict(request, 30)


def test_two_models_with_version_policies_and_labels(two_models):
    specs = config.read_model_config(two_models)
    assert [(s.name, s.policy, s.versions) for s in specs] == [
        ("hp2", "latest", ()), ("linear", "specific", (1, 3))]
    with full_server(specs) as (url, target, _), grpc.insecure_channel(target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        assert tf.make_ndarray(_predict(stub, "hp2", [[4.0]]).outputs["y"]).tolist() == [[4.0]]
        answer = _predict(stub, "linear", [[1.0, 1.0]])
        assert (answer.model_spec.version.value, list(answer.outputs["total"].float_val)) == \
            (3, [6.0])
        assert list(_predict(stub, "linear", [[1.0, 1.0]], label="stable")
                    .outputs["total"].float_val) == [2.0]
        with pytest.raises(grpc.RpcError) as raised:  # not in the specific policy
            _predict(stub, "linear", [[1.0, 1.0]], version=2)
        assert raised.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as raised:
            _predict(stub, "linear", [[1.0, 1.0]], label="canary")
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        status = model_service_pb2_grpc.ModelServiceStub(channel).GetModelStatus(
            get_model_status_pb2.GetModelStatusRequest(model_spec={"name": "linear"}), 30)
        assert [s.version for s in status.model_version_status] == [3, 1]
        client = Client(url)  # REST serves the same models
        assert client.post("/v1/models/hp2:predict", {"instances": [2.0]})[1] == \
            {"predictions": [3.0]}
        assert client.post("/v1/models/linear/versions/1:predict",
                           {"instances": [[1, 2]]})[1]["predictions"][0]["total"] == 3.0
        assert client.post("/v1/models/linear/labels/stable:predict",
                           {"instances": [[1, 2]]})[1]["predictions"][0]["total"] == 3.0
        status, body, _ = client.get("/v1/models/linear/labels/canary")
        assert status == 400 and "Unrecognized servable version label: canary" in body["error"]


@pytest.mark.parametrize("text, message", [
    ("model_config_list { config { name: \"a\" } }", "needs name and base_path"),
    ("model_config_list { }", "at least one config"),
    ("model_config_list { config { name: \"a\" base_path: \"/x\" model_platform: \"tflite\" } }",
     "model_platform 'tflite' is not served"),
    ("model_config_lst {}", "protobuf text format"),
])
def test_bad_model_config_files_are_one_line_errors(tmp_path, text, message):
    path = tmp_path / "bad.config"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        config.read_model_config(str(path))


def test_batching_file_and_flags(tmp_path):
    path = tmp_path / "batching.config"
    path.write_text("max_batch_size { value: 8 }\nbatch_timeout_micros { value: 500 }\n"
                    "num_batch_threads { value: 2 }\nallowed_batch_sizes: 4\n"
                    "allowed_batch_sizes: 8\nthread_pool_name { value: \"x\" }\n")
    got = config.read_batching(str(path), max_enqueued_batches=3)
    assert (got.max_batch_size, got.batch_timeout_micros, got.num_batch_threads,
            got.max_enqueued_batches, got.allowed_batch_sizes) == (8, 500, 2, 3, (4, 8))
    assert config.read_batching(None).max_batch_size == 1000
    with pytest.raises(DataError, match="must be increasing and end with max_batch_size"):
        config.read_batching(str(path), max_batch_size=16)


def test_serve_cli_like_tf_serving(two_models, tmp_path):
    (tmp_path / "batching.config").write_text("max_batch_size { value: 16 }\n"
                                              "batch_timeout_micros { value: 1000 }\n")
    (tmp_path / "monitoring.config").write_text(
        'prometheus_config { enable: true, path: "/monitoring/prometheus/metrics" }\n')
    serve = ServeProcess(["--model_config_file", two_models, "--enable_batching",
                          "--batching_parameters_file", str(tmp_path / "batching.config"),
                          "--monitoring_config_file", str(tmp_path / "monitoring.config")])
    try:
        url = serve.url()
        target = serve.line.split("gRPC at ")[1].split(",")[0].strip()
        with grpc.insecure_channel(target) as channel:
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            assert list(_predict(stub, "hp2", [2.0]).outputs["y"].float_val) == [3.0]
        assert Client(url).post("/v1/models/linear:predict",
                                {"instances": [[1, 1]]})[1]["predictions"][0]["total"] == 6.0
        with urllib.request.urlopen(url + "/monitoring/prometheus/metrics", timeout=30) as r:
            families = {f.name: f for f in text_string_to_metric_families(r.read().decode())}
        counted = {(s.labels["model_name"], s.labels["entrypoint"], s.labels["status"]): s.value
                   for s in families["modelmaker_serving_requests"].samples
                   if s.name.endswith("_total")}
        assert counted == {("hp2", "GRPC", "OK"): 1.0, ("linear", "REST", "OK"): 1.0}
    finally:
        assert serve.stop() == 0


@pytest.mark.slow
def test_serve_cli_with_a_busy_grpc_port_is_a_one_line_error(two_models):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        out = subprocess.run(
            [sys.executable, "-m", "modelmaker.cli", "serve", "--model_config_file", two_models,
             "--port", "0", "--grpc_port", str(busy.getsockname()[1])],
            cwd=REPO, capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
    assert out.returncode == 2 and "Choose another --grpc_port" in out.stderr
    assert "Traceback" not in out.stderr
