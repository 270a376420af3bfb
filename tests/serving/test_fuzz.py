"""No malformed request ever gets a 5xx: >= 5,000 generated malformed and edge-case requests
(bodies, paths, methods) against real servers on loopback, for three kinds of models."""

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from .harness import Client, serving

REQUESTS = 5_000
KEYS = ["instances", "inputs", "signature_name", "examples", "context", "b64", "a", "b", "x",
        "k", "text", "first", "scalar", "classification", "regression", "serving_default"]

leaves = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats()
          | st.text(max_size=6) | st.sampled_from(["YQ==", "_-8", "serving_default", "pos"]))
values = st.recursive(
    leaves, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=3),
    max_leaves=12)
numbers = st.integers(-2**33, 2**33) | st.floats(width=32)
near_valid = st.one_of(
    st.fixed_dictionaries({"instances": st.lists(st.fixed_dictionaries(
        {"a": st.lists(numbers, max_size=4), "b": numbers | leaves}), min_size=1, max_size=3)}),
    st.fixed_dictionaries({"inputs": st.fixed_dictionaries(
        {"a": st.lists(st.lists(numbers, max_size=4), max_size=3), "b": st.lists(numbers)})}),
    st.fixed_dictionaries({"instances": st.lists(
        st.builds(lambda s: {"b64": s}, st.text("ABCab01+/=_-", max_size=9)) | leaves,
        min_size=1, max_size=3)}),
    st.fixed_dictionaries({"signature_name": st.sampled_from(
        ["classification", "regression", "serving_default", "first", "scalar", ""]),
        "examples": st.lists(st.dictionaries(st.sampled_from(["x", "k", "z"]), values,
                                             max_size=3), max_size=3)},
        optional={"context": st.dictionaries(st.sampled_from(["x", "k"]), values, max_size=2)}),
)
docs = near_valid | st.dictionaries(st.sampled_from(KEYS), values, max_size=4)
bodies = (docs.map(lambda d: json.dumps(d).encode()) | values.map(lambda v: json.dumps(v).encode())
          | st.binary(max_size=48) | docs.map(lambda d: json.dumps(d).encode()[:-1]))

names = st.sampled_from(["m", "M", "nope", "m%20", "%ZZ", "m%2Fx", "", "m:", "m/metadata"])
versions = st.sampled_from(["", "/versions/1", "/versions/0", "/versions/99999999999999999999",
                            "/labels/x", "/labels/", "/versions/", "/versions/-1"])
verbs = st.sampled_from([":predict", ":classify", ":regress", ":PREDICT", ":explain", "",
                         "/metadata", "/metadata:predict"])
served = st.sampled_from(["/v1/models/m:predict", "/v1/models/m/versions/1:predict",
                         "/v1/models/m:classify", "/v1/models/m:regress",
                         "/modelmaker/v1/models/m:predict", "/v1/models/m/metadata"])
templated = st.tuples(st.sampled_from(["/v1/models/", "/V1/models/", "/v1/", "/v2/models/",
                                       "/modelmaker/v1/models/"]), names, versions, verbs)
paths = (served | served | served | templated.map("".join)
         | st.text("abcm/:%?=&.-_0123456789v", max_size=30).map(lambda p: "/" + p))
methods = st.sampled_from(["POST"] * 6 + ["GET"] * 3 + ["PUT", "DELETE", "HEAD", "OPTIONS"])


@pytest.fixture(scope="module")
def clients(bases):
    with serving(bases["multi"]) as (a, _), serving(bases["text"]) as (b, _), \
            serving(bases["parsing"]) as (c, _):
        made = [Client(url) for url in (a, b, c)]
        yield made
        for client in made:
            client.close()


content_types = st.sampled_from([None, "application/json", "image/png", "text/plain"])
# Each example sends a batch: hypothesis' per-example bookkeeping costs more than a request.
PER_EXAMPLE = 50
batches = st.lists(st.tuples(st.integers(0, 2), methods, paths, bodies, content_types),
                   min_size=PER_EXAMPLE, max_size=PER_EXAMPLE)


@pytest.mark.slow  # a load test: 5,000 requests
def test_no_malformed_request_gets_a_5xx(clients):
    sent = []

    @settings(max_examples=REQUESTS // PER_EXAMPLE, deadline=None, derandomize=True,
              database=None, suppress_health_check=list(HealthCheck))
    @given(batches)
    def send(batch):
        for index, method, path, body, content_type in batch:
            headers = {"Content-Type": content_type} if content_type else {}
            status, parsed, raw = clients[index].call(
                method, path, body if method != "GET" else None, headers)
            sent.append(status)
            assert status < 500, (method, path, body, raw[:300])
            if method != "HEAD" and status != 200:
                assert isinstance(parsed, dict) and isinstance(parsed.get("error"), str), raw[:300]
            if status == 200:
                json.loads(raw)  # valid JSON (NaN / Infinity tokens included)

    send()
    assert len(sent) >= REQUESTS
    assert {200, 400, 404} <= set(sent)  # the generator reached past the first checks
