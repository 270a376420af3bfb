"""Request batching: concurrent gRPC and REST clients each get the answer to their own input
(as computed unbatched), batches really form, TF Serving's size limit and full-queue
answers, and the Prometheus metrics of it all, read back with prometheus_client's parser."""

import threading
import urllib.request

import grpc
import numpy as np
import pytest
import tensorflow as tf
from prometheus_client.parser import text_string_to_metric_families
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from modelmaker.serving import batching, config
from modelmaker.serving.errors import BadRequest, Unavailable

from . import savedmodels
from .harness import Client, full_server

METRICS = "/monitoring/prometheus/metrics"


@pytest.fixture(scope="module")
def batched(tmp_path_factory):
    base = tmp_path_factory.mktemp("batched") / "linear"
    savedmodels.linear(str(base / "1"), 3.0)
    params = config.Batching(max_batch_size=8, batch_timeout_micros=20_000, num_batch_threads=1,
                             max_enqueued_batches=100, allowed_batch_sizes=(4, 8))
    with full_server([config.ModelSpec(name="m", base_path=str(base))], batching=params,
                     metrics_path=METRICS) as running:
        yield running


def _grpc_predict(stub, x):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "m"
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(x))
    return {k: tf.make_ndarray(v) for k, v in stub.Predict(request, 60).outputs.items()}


def test_concurrent_requests_each_get_their_own_answer(batched):
    url, target, _ = batched
    wrong, done = [], []

    def client(index):
        rng = np.random.default_rng(index)
        with grpc.insecure_channel(target) as channel:
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            rest = Client(url)
            for step in range(12):
                rows = 1 + (index + step) % 3  # requests of 1-3 instances
                x = rng.normal(size=(rows, 2)).astype(np.float32)
                if step % 2:
                    got = _grpc_predict(stub, x)
                else:
                    body = rest.post("/v1/models/m:predict", {"inputs": x.tolist()})[1]
                    got = {k: np.asarray(v, np.float32) for k, v in body["outputs"].items()}
                want = {"y": x * 3.0, "total": (x * 3.0).sum(1)}  # the unbatched answer
                if any(not np.allclose(got[k], want[k], rtol=1e-6) or got[k].shape != want[k].shape
                       for k in want):
                    wrong.append((index, step, x, got))
            rest.close()
        done.append(index)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(done) == 12 and not wrong

    families = _metrics(url)
    sizes = {s.name: s.value for s in families["modelmaker_serving_batch_size"].samples
             if not s.labels.get("le")}
    # Every run is recorded (padded to 4 or 8); fewer runs than requests: batches were formed.
    assert 0 < sizes["modelmaker_serving_batch_size_count"] < 12 * 12
    assert sizes["modelmaker_serving_batch_size_sum"] >= 4 * sizes["modelmaker_serving_batch_size_count"]
    counts = {(s.labels["api"], s.labels["entrypoint"], s.labels["signature_name"],
               s.labels["status"]): s.value
              for s in families["modelmaker_serving_requests"].samples
              if s.name.endswith("_total")}
    assert counts[("predict", "GRPC", "serving_default", "OK")] >= 72
    assert counts[("predict", "REST", "serving_default", "OK")] >= 72


def test_metrics_count_errors_and_versions(batched):
    url, target, _ = batched
    with grpc.insecure_channel(target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        with pytest.raises(grpc.RpcError) as raised:  # more than max_batch_size: TF Serving's error
            _grpc_predict(stub, np.zeros((9, 2), np.float32))
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "Task size 9 is larger than maximum input batch size 8" in raised.value.details()
    families = _metrics(url)
    tf_counts = {(s.labels["model_name"], s.labels["status"]): s.value
                 for s in families[":tensorflow:serving:request_count"].samples}
    assert tf_counts[("m", "INVALID_ARGUMENT")] >= 1 and tf_counts[("m", "OK")] >= 1
    latency = [s for s in families[":tensorflow:serving:request_latency"].samples
               if s.name.endswith("_count") and s.labels["entrypoint"] == "GRPC"]
    assert latency and all(s.labels["API"] == "predict" for s in latency)
    versions = families["modelmaker_serving_model_versions"].samples
    assert [(s.labels["model_name"], s.labels["version"], s.labels["state"], s.value)
            for s in versions] == [("m", "1", "AVAILABLE", 1.0)]


def _metrics(url):
    with urllib.request.urlopen(url + METRICS, timeout=30) as response:
        return {f.name: f for f in text_string_to_metric_families(response.read().decode())}


class _Blocking:
    """A stand-in model whose run waits for `release`, to fill the queue deterministically."""

    name = "blocking"

    def __init__(self):
        self.release, self.started = threading.Event(), threading.Event()
        self.signatures = {"s": self}
        self.key, self.inputs = "s", {"x": None}

    def run(self, signature, inputs):
        self.started.set()
        assert self.release.wait(30)
        return {"y": inputs["x"] * 2}


def test_a_full_queue_answers_unavailable_and_close_releases_waiters():
    model = _Blocking()
    batcher = batching.Batcher(config.Batching(max_batch_size=2, num_batch_threads=1,
                                               max_enqueued_batches=1))
    results = []

    def call(value):
        try:
            results.append(batcher.run(model, model, {"x": np.full((2, 1), value)})["y"][0, 0])
        except Unavailable as e:
            results.append(str(e))

    first = threading.Thread(target=call, args=(1.0,))
    first.start()
    assert model.started.wait(30)          # the first batch runs (and blocks)
    second = threading.Thread(target=call, args=(2.0,))
    second.start()                         # the second waits in the queue: 1 batch enqueued
    for _ in range(1000):                  # bounded poll until it is queued
        if batcher._queues:
            break
        threading.Event().wait(0.005)
    with pytest.raises(Unavailable, match="batch scheduling queue to which this task was "
                                          "submitted is full"):
        batcher.run(model, model, {"x": np.zeros((1, 1))})
    with pytest.raises(BadRequest, match="Task size 3 is larger"):
        batcher.run(model, model, {"x": np.zeros((3, 1))})
    model.release.set()
    first.join(30)
    second.join(30)
    batcher.close()
    assert sorted(results) == [2.0, 4.0]
