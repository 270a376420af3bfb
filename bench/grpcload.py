"""gRPC beside REST, and requests/s with 32 concurrent clients with and without batching.

`grpc_job` serves two models from one --model_config_file: the MNIST MLP export (the
`modelmaker` part's) and a small CNN on 28x28 images (built here, random weights: the
speed of a run does not depend on training). On a server without batching it times one
client's predictions of one MNIST instance over gRPC (one keep-alive channel) and over
REST (one keep-alive connection), records each model's unbatched answer for 64 test
images, and drives 32 concurrent clients for `--seconds`; then the same load on a server
with --enable_batching. The load generator is gRPC's asyncio client (32 coroutines, one
process), not Python threads. Every answer under load is compared with the unbatched
answer for its own input: `mixups` counts those that differ.

The clients send requests serialized once and compare answer bytes (parsing only those that
differ, to allow for the last bits of batched float sums): TensorFlow 2.15's stack pins the
pure-Python protobuf 3.20, whose ~0.15 ms per message on each side would otherwise be
timed as the server's, just as the REST client sends a ready JSON body and does not parse
the answer.
"""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import latency

CLIENTS = 32
INPUTS = 64
BATCHING = ("max_batch_size { value: 32 }\nbatch_timeout_micros { value: 0 }\n"
            "num_batch_threads { value: 4 }\nmax_enqueued_batches { value: 1000 }\n")


def grpc_job(*, data, export_dir, requests, warmup, seconds=5.0):
    """The figures of this part (latencies in ms, sorted; rates in requests/s)."""
    if not latency.serving_available():
        return {"available": False}
    work = tempfile.mkdtemp(prefix="modelmaker-grpc-bench-")
    try:
        images = _images(data)
        cnn_base = os.path.join(work, "cnn")
        out = {"available": True,
               "cnn_inprocess_ms": _build_cnn(os.path.join(cnn_base, "1"), images[:1])}
        config = os.path.join(work, "models.config")
        with open(config, "w") as f:
            f.write('model_config_list {\n  config { name: "mlp" base_path: "%s" }\n'
                    '  config { name: "cnn" base_path: "%s" }\n}\n'
                    % (os.path.dirname(export_dir), cnn_base))
        batching = os.path.join(work, "batching.config")
        with open(batching, "w") as f:
            f.write(BATCHING)
        with _Server(["--model_config_file", config]) as (rest, target):
            out["grpc_ms"] = latency._time_calls(_grpc_call(target, images[0]),
                                                 requests=requests, warmup=warmup)
            out["rest_ms"] = latency._time_calls(_rest_call(rest, images[0]),
                                                 requests=requests, warmup=warmup)
            expected = {m: [_grpc_call(target, x, m)() for x in images] for m in ("mlp", "cnn")}
            for model in ("mlp", "cnn"):
                out[f"{model}_unbatched"] = _load(target, model, images, expected[model], seconds)
        with _Server(["--model_config_file", config, "--batching_parameters_file",
                      batching]) as (rest, target):
            for model in ("mlp", "cnn"):
                out[f"{model}_batched"] = _load(target, model, images, expected[model], seconds)
        out["batching"] = BATCHING.replace("\n", " ").strip()
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _images(data):
    import numpy as np
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                    "examples", "mnist"))
    import mnist_data
    images, _ = mnist_data.load_split(data, "test")
    return (np.asarray(images[:INPUTS], np.float32) / 255.0).reshape(INPUTS, -1)


def _build_cnn(path, one):
    """A small CNN export (images [-1, 784] -> probabilities, classes); returns its
    one-instance in-process run time in ms (median of 200)."""
    import tensorflow as tf
    v1 = tf.compat.v1
    with tf.Graph().as_default(), v1.Session() as session:
        v1.set_random_seed(0)
        images = v1.placeholder(tf.float32, [None, 784], name="images")
        net = tf.reshape(images, [-1, 28, 28, 1])
        for filters in (32, 64):
            kernel = v1.get_variable(f"conv{filters}", [3, 3, net.shape[-1], filters])
            net = tf.nn.relu(tf.nn.conv2d(net, kernel, 1, "VALID"))
        net = tf.reshape(tf.nn.max_pool2d(net, 2, 2, "VALID"), [-1, 12 * 12 * 64])
        net = tf.nn.relu(net @ v1.get_variable("dense", [12 * 12 * 64, 128]))
        logits = net @ v1.get_variable("logits", [128, 10])
        outputs = {"probabilities": tf.nn.softmax(logits), "classes": tf.argmax(logits, 1)}
        session.run(v1.global_variables_initializer())
        run = session.make_callable(outputs["probabilities"], [images])
        times = latency._time_calls(lambda: run(one), requests=200, warmup=20)
        info = v1.saved_model.utils.build_tensor_info
        signature = v1.saved_model.signature_def_utils.build_signature_def(
            {"images": info(images)}, {k: info(v) for k, v in outputs.items()},
            v1.saved_model.signature_constants.PREDICT_METHOD_NAME)
        builder = v1.saved_model.Builder(path)
        builder.add_meta_graph_and_variables(session, ["serve"],
                                             signature_def_map={"serving_default": signature})
        builder.save()
    return times[len(times) // 2]


class _Server:
    """`modelmaker serve` with free REST and gRPC ports; yields (REST port, gRPC target)."""

    def __init__(self, args):
        self.rest, self.grpc = latency._free_port(), latency._free_port()
        self.command = [sys.executable, "-m", "modelmaker.cli", "serve", *args, "--port",
                        str(self.rest), "--grpc_port", str(self.grpc)]

    def __enter__(self):
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(self.command, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True)
        latency._wait_ready(self.proc, self.rest, ["mlp"], self.log)
        return self.rest, f"127.0.0.1:{self.grpc}"

    def __exit__(self, *exc):
        latency._stop(self.proc)
        self.log.close()


PREDICT = "/tensorflow.serving.PredictionService/Predict"


def _request(model, x):
    """A serialized PredictRequest for one instance."""
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.inputs["images"].CopyFrom(tf.make_tensor_proto(x[None, :]))
    return request.SerializeToString()


def _same(got, want):
    """Whether two serialized answers agree (batched float sums may differ in the last bits)."""
    if got == want:
        return True
    import numpy as np
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2
    got, want = (predict_pb2.PredictResponse.FromString(b).outputs for b in (got, want))
    return got.keys() == want.keys() and all(np.allclose(
        tf.make_ndarray(got[k]), tf.make_ndarray(want[k]), rtol=1e-4, atol=1e-5) for k in want)


def _grpc_call(target, x, model="mlp"):
    """Sends one serialized request per call on a keep-alive channel; returns the answer bytes."""
    import grpc
    predict = grpc.insecure_channel(target).unary_unary(PREDICT)  # bytes in, bytes out
    request = _request(model, x)
    return lambda: predict(request, timeout=30)


def _rest_call(port, x):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"instances": [x.round(4).tolist()]}).encode()

    def post():
        conn.request("POST", "/v1/models/mlp:predict", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"REST predict answered {response.status}")
    return post


def _load(target, model, images, expected, seconds):
    """{"rps", "requests", "errors", "mixups"} of CLIENTS async clients for `seconds`."""
    return asyncio.run(_drive(target, model, images, expected, seconds))


async def _drive(target, model, images, expected, seconds):
    import grpc
    requests = [_request(model, x) for x in images]
    counts = {"requests": 0, "errors": 0, "mixups": 0}
    async with grpc.aio.insecure_channel(target) as channel:
        predict = channel.unary_unary(PREDICT)

        async def client(index, until, count):
            k = index
            while time.perf_counter() < until:
                i = k % len(requests)
                k += CLIENTS
                try:
                    response = await predict(requests[i], timeout=60)
                except grpc.RpcError:
                    counts["errors"] += count
                    continue
                if count:
                    counts["requests"] += 1
                    if not _same(response, expected[i]):
                        counts["mixups"] += 1

        warm = time.perf_counter() + 1.0
        await asyncio.gather(*[client(i, warm, 0) for i in range(CLIENTS)])
        start = time.perf_counter()
        await asyncio.gather(*[client(i, start + seconds, 1) for i in range(CLIENTS)])
        elapsed = time.perf_counter() - start
    return dict(counts, rps=counts["requests"] / elapsed)
