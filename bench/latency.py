"""Serving latency for one MNIST instance: over loopback HTTP, and the in-process floor.

`serve_job` starts `modelmaker serve --model_base_path BASE --port PORT` as a subprocess,
waits until `GET /v1/models/<name>` answers, then times POST `:predict` requests of one
instance over one keep-alive `http.client` connection (TCP_NODELAY, as http.client sets it).
The in-process floor is the same signature run in a v1 Session with no HTTP in between.
Until the serving package exists (`modelmaker.serving` plus a `serve` verb) it reports
`available: False` and the figures are null.
"""

import http.client
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

START_TIMEOUT_S = 180   # a loaded 2-core machine needs well over a minute to import TF twice


def serving_available():
    """True when modelmaker has a serving package and a `serve` verb to start its server."""
    if importlib.util.find_spec("modelmaker.serving") is None:
        return False
    from modelmaker import cli
    return "serve" in cli.VERBS


def serve_job(*, data, export_dir, requests, warmup):
    """Times `requests` predictions over HTTP and in process; latencies in ms, sorted."""
    if not serving_available():
        return {"available": False}
    instance = _one_image(data)
    base = os.path.dirname(export_dir)
    return {"available": True,
            "http_ms": _http_latencies(base, instance, requests=requests, warmup=warmup),
            "inprocess_ms": _inprocess_latencies(export_dir, instance, requests=requests,
                                                 warmup=warmup)}


def _one_image(data):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                    "examples", "mnist"))
    import mnist_data
    images, _ = mnist_data.load_split(data, "test")
    return (images[0] / 255.0).round(4).tolist()


def _inprocess_latencies(export_dir, instance, *, requests, warmup):
    import numpy as np
    import tensorflow as tf
    tf.get_logger().setLevel("ERROR")  # the v1 loader's deprecation notice
    batch = np.asarray([instance], dtype=np.float32)
    with tf.compat.v1.Session(graph=tf.Graph()) as sess:
        meta = tf.compat.v1.saved_model.load(sess, ["serve"], export_dir)
        signature = meta.signature_def["serving_default"]
        fetch = {k: v.name for k, v in signature.outputs.items()}
        feed_name = signature.inputs["images"].name
        run = sess.make_callable(fetch, [feed_name])
        return _time_calls(lambda: run(batch), requests=requests, warmup=warmup)


def _http_latencies(base, instance, *, requests, warmup):
    port = _free_port()
    command = [sys.executable, "-m", "modelmaker.cli", "serve", "--model_base_path", base,
               "--port", str(port), "--grpc_port", "0"]  # gRPC on, as by default, on a free port
    log = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a chatty server never blocks
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, text=True)
    try:
        name = _wait_ready(server, port, [os.path.basename(base), "default"], log)
        body = json.dumps({"instances": [instance]}).encode()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def post():
            conn.request("POST", f"/v1/models/{name}:predict", body,
                         {"Content-Type": "application/json"})
            response = conn.getresponse()
            payload = response.read()
            if response.status != 200:
                raise RuntimeError(f"predict answered {response.status}: {payload[:200]!r}")
        try:
            return _time_calls(post, requests=requests, warmup=warmup)
        finally:
            conn.close()
    finally:
        _stop(server)
        log.close()


def _time_calls(call, *, requests, warmup):
    for _ in range(warmup):
        call()
    out = []
    for _ in range(requests):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000.0)
    return sorted(out)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(server, port, names, log):
    """The model name the server answers GET /v1/models/<name> for; waits a bounded time."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"`modelmaker serve` exited with {server.returncode}: "
                               f"{log.read()[-2000:]}")
        for name in names:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", f"/v1/models/{name}")
                status = conn.getresponse().status
                conn.close()
            except OSError:
                break  # not listening yet
            if status == 200:
                return name
        time.sleep(0.2)
    raise RuntimeError(f"`modelmaker serve` did not answer on port {port} within "
                       f"{START_TIMEOUT_S}s")


def _stop(server):
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
