"""The real server on a free loopback port, over HTTP: formats, b64, status, metadata, every
error class, classify/regress, results equal to TF's own loader, and the raw endpoint."""

import base64
import json

import numpy as np
import pytest

from modelmaker.serving import hooks as hooks_lib

from . import savedmodels
from .harness import Client, serving


@pytest.fixture(scope="module")
def multi(bases):
    with serving(bases["multi"]) as (url, _):
        client = Client(url)
        yield client
        client.close()


def test_row_and_columnar_predict_equal_tfs_own_loader(multi, bases):
    a, b = [[1.0, 2.0, 0.5], [3.0, -1.0, 0.25]], [10, 20]
    expected = savedmodels.eager_outputs(bases["multi"] + "/1", {
        "a": np.array(a, np.float32), "b": np.array(b, np.int32)})
    status, row, _ = multi.post("/v1/models/m:predict",
                                {"instances": [{"a": a[0], "b": b[0]}, {"a": a[1], "b": b[1]}]})
    assert status == 200
    assert [p["sum"] for p in row["predictions"]] == expected["sum"].tolist()
    assert [p["scaled"] for p in row["predictions"]] == expected["scaled"].tolist()
    assert [p["label"] for p in row["predictions"]] == ["10", "20"]
    assert row["predictions"][0]["id_bytes"] == {"b64": base64.b64encode(b"\xff10").decode()}
    status, columnar, _ = multi.post("/v1/models/m/versions/1:predict",
                                     {"inputs": {"a": a, "b": b}})
    assert status == 200 and columnar["outputs"]["sum"] == expected["sum"].tolist()


def test_signature_name_selects_a_signature(multi):
    status, body, _ = multi.post("/v1/models/m:predict",
                                 {"signature_name": "first", "instances": [[1, 2, 3]]})
    assert (status, body) == (200, {"predictions": [6.0]})
    status, body, _ = multi.post("/v1/models/m:predict",
                                 {"signature_name": "scalar", "inputs": [[1, 2, 3]]})
    assert (status, body) == (200, {"outputs": 2.0})
    status, body, _ = multi.post("/v1/models/m:predict",
                                 {"signature_name": "scalar", "instances": [[1, 2, 3]]})
    assert status == 400 and "mean has no shape information" in body["error"]


def test_b64_input_and_bytes_output(bases):
    data = b"\x00\xff\x10bin"
    with serving(bases["text"]) as (url, _):
        status, body, _ = Client(url).post("/v1/models/m:predict", {"instances": [
            {"b64": base64.b64encode(data).decode()}, "text"]})
    assert status == 200
    assert body["predictions"][0] == {"length": 6, "echo_bytes": {
        "b64": base64.b64encode(data).decode()}}
    assert body["predictions"][1]["length"] == 4


def test_status_and_metadata_have_tf_servings_json_shapes(multi):
    status, body, _ = multi.get("/v1/models/m")
    assert status == 200 and body == {"model_version_status": [{
        "version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}
    assert multi.get("/v1/models/m/versions/1")[1] == body
    status, meta, _ = multi.get("/v1/models/m/metadata")
    assert status == 200
    assert meta["model_spec"] == {"name": "m", "signature_name": "", "version": "1"}
    signatures = meta["metadata"]["signature_def"]["signature_def"]
    assert set(signatures) == {"serving_default", "first", "scalar"}
    a = signatures["serving_default"]["inputs"]["a"]
    assert a == {"dtype": "DT_FLOAT", "name": "a:0", "tensor_shape": {
        "dim": [{"size": "-1", "name": ""}, {"size": "3", "name": ""}], "unknown_rank": False}}
    assert signatures["serving_default"]["method_name"] == "tensorflow/serving/predict"


@pytest.mark.parametrize("method, path, body, status, message", [
    ("POST", "/v1/models/nope:predict", {"instances": [1]}, 404,
     "Servable not found for request: Latest(nope)"),
    ("POST", "/v1/models/m/versions/7:predict", {"instances": [1]}, 404,
     "Servable not found for request: Specific(m, 7)"),
    ("GET", "/v1/models/nope", None, 404, "Could not find any versions of model nope"),
    ("GET", "/v1/models/m/versions/7", None, 404, "Could not find version 7 of model m"),
    ("GET", "/v1/models/m/versions/7/metadata", None, 404, "Specific(m, 7)"),
    ("POST", "/v1/models/m:predict", {"signature_name": "x", "instances": [1]}, 400,
     'Serving signature name: "x" not found in signature def'),
    ("POST", "/v1/models/m/labels/stable:predict", {"instances": [1]}, 400,
     "Unrecognized servable version label: stable"),
    ("POST", "/v1/models/m/versions/99999999999999999999:predict", {"instances": [1]}, 400,
     "Failed to convert version: 99999999999999999999 to numeric."),
    ("POST", "/v1/models/m:predict", b"", 400, "JSON Parse error: The document is empty"),
    ("POST", "/v1/models/m:predict", b"{nope", 400, "JSON Parse error"),
    ("POST", "/v1/models/m:predict", {"inputs": {"a": [1, 2, 3], "b": [1]}}, 400,
     "Invalid reduction dimension"),  # fed as sent; the graph refuses a rank-1 `a`
    ("POST", "/v1/models/m:explain", {}, 400, "Malformed request: POST /v1/models/m:explain"),
    ("GET", "/v1/models", None, 400, "Missing model name in request."),
    ("DELETE", "/v1/models/m", None, 400, "Malformed request: DELETE /v1/models/m"),
    ("GET", "/elsewhere", None, 404, "Not found"),
    ("POST", "/v1/models/m:classify", {"examples": [{"x": 1}]}, 400,
     "Expected classify signature method_name to be tensorflow/serving/classify"),
])
def test_errors_have_tf_servings_codes_and_texts(multi, method, path, body, status, message):
    got, parsed, _ = multi.call(method, path, body)
    assert got == status and message in parsed["error"]


def test_names_are_percent_decoded_and_urls_case_insensitive(bases):
    with serving(bases["linear"], name="my model") as (url, _):
        client = Client(url)
        status, body, _ = client.post("/V1/MODELS/my%20model:predict", {"instances": [[1, 2]]})
    assert status == 200 and body["predictions"][0]["y"] == [1.0, 2.0]


def test_headers_are_json_with_cors(multi):
    multi._conn.request("GET", "/v1/models/m")
    reply = multi._conn.getresponse()
    reply.read()
    assert reply.getheader("content-type") == "application/json"
    assert reply.getheader("access-control-allow-origin") == "*"


def test_accepted_connections_get_tcp_nodelay():
    # asyncio sets TCP_NODELAY on accepted sockets only when their proto is IPPROTO_TCP;
    # without it a response written in two pieces waits ~40 ms for a delayed ACK.
    import socket
    from modelmaker.serving import app as app_lib
    listener = app_lib.listen_socket("127.0.0.1", 0)
    listener.setblocking(True)
    with socket.create_connection(listener.getsockname()) as client:
        accepted, _ = listener.accept()
        assert accepted.proto == socket.IPPROTO_TCP
        accepted.close()
    listener.close()


def test_body_size_limit(bases):
    with serving(bases["linear"], max_body_bytes=1000) as (url, _):
        body = json.dumps({"instances": [[1.0, 2.0]] * 200}).encode()
        status, parsed, _ = Client(url).post("/v1/models/m:predict", body)
        assert status == 413 and "over the server's limit of 1000 bytes" in parsed["error"]
        assert Client(url).post("/v1/models/m:predict", {"instances": [[1, 2]]})[0] == 200


def test_classify_and_regress_equal_tfs_own_loader(bases):
    from tensorflow.core.example import example_pb2
    examples = [{"x": [1.0, 2.0]}, {"x": [0.5, -3.0], "k": 4}]
    serialized = []
    for e in examples:
        proto = example_pb2.Example()
        proto.features.feature["x"].float_list.value.extend(e["x"])
        if "k" in e:
            proto.features.feature["k"].int64_list.value.append(e["k"])
        serialized.append(proto.SerializeToString())
    path = bases["parsing"] + "/1"
    expected = savedmodels.eager_outputs(path, {"inputs": np.array(serialized)}, "classification")
    values = savedmodels.eager_outputs(path, {"inputs": np.array(serialized)}, "regression")
    with serving(bases["parsing"]) as (url, _):
        client = Client(url)
        status, body, _ = client.post("/v1/models/m:classify", {"signature_name": "classification",
                                                                "examples": examples})
        assert status == 200
        assert body["results"] == [[["pos", pytest.approx(float(expected["scores"][i][0]))],
                                    ["neg", pytest.approx(float(expected["scores"][i][1]))]]
                                   for i in range(2)]
        status, body, _ = client.post("/v1/models/m:regress", {
            "signature_name": "regression", "context": {"k": 1}, "examples": examples})
        # The context's k=1 applies where an example has no k of its own.
        assert status == 200
        assert body["results"] == pytest.approx([float(values["outputs"][0][0]) + 1,
                                                 float(values["outputs"][1][0])])
        for doc, text in (({"signature_name": "regression"}, "key 'examples' is expected"),
                          ({"signature_name": "regression", "examples": []}, "empty array"),
                          ({"signature_name": "regression", "examples": [{"x": [1, 2.5]}]},
                           "Unexpected element type in feature: x expecting type: int64")):
            status, body, _ = client.post("/v1/models/m:regress", doc)
            assert status == 400 and text in body["error"]


def test_versions_n_selects_among_loaded_versions(tmp_path):
    base = str(tmp_path / "linear")
    for version in (1, 2):
        savedmodels.linear(f"{base}/{version}", version)
    with serving(base, num_versions=2) as (url, _):
        client = Client(url)
        for version in (1, 2):
            status, body, _ = client.post(f"/v1/models/m/versions/{version}:predict",
                                          {"instances": [[1, 1]]})
            assert body["predictions"][0]["total"] == 2.0 * version
        assert client.post("/v1/models/m:predict", {"instances": [[1, 1]]})[1][
            "predictions"][0]["total"] == 4.0  # no version: the newest


def test_raw_endpoint_runs_preprocess_and_postprocess(bases, write_module):
    module = write_module("""
        def preprocess(raw, filename):
            a, b = raw.decode().split(",")
            return [float(a), float(b)]

        def postprocess(prediction):
            return {"total": float(prediction["total"])}
    """, name="csvhooks")
    with serving(bases["linear"], hooks=hooks_lib.find(explicit=module)) as (url, _):
        client = Client(url)
        status, body, _ = client.post("/modelmaker/v1/models/m:predict?filename=a.txt", b"2,3")
        assert (status, body) == (200, {"predictions": [{"total": 5.0}]})
        status, body, _ = client.post("/modelmaker/v1/models/m:predict", b"not numbers")
        assert status == 400 and "preprocess in" in body["error"] and "ValueError" in body["error"]


def test_raw_endpoint_feeds_bytes_to_a_string_signature(bases):
    with serving(bases["text"]) as (url, _):
        status, body, _ = Client(url).post("/modelmaker/v1/models/m:predict", b"\x89PNG")
    assert status == 200 and body["predictions"][0]["length"] == 4
