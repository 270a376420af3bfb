"""Concurrent requests: a version switch while serving drops nothing, and a bounded load test
(8 threads x 500 requests on keep-alive connections) sees zero errors."""

import os
import threading
import time

import pytest

from . import savedmodels
from .harness import Client, serving


def _run_threads(target, count):
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    return threads


def test_new_version_is_served_while_running_with_no_request_dropped(tmp_path):
    base = tmp_path / "linear"
    savedmodels.linear(str(base / "1"), 1.0)
    stop = threading.Event()
    seen = {i: [] for i in range(4)}   # thread -> the `total` of each answer, in order
    errors = []

    with serving(str(base), poll_seconds=0.05) as (url, versions):
        def hammer(index):
            client = Client(url)
            for _ in range(50_000):  # bounded; stopped much earlier
                if stop.is_set():
                    break
                status, body, raw = client.post("/v1/models/m:predict", {"instances": [[1, 1]]})
                if status != 200:
                    errors.append((status, raw))
                else:
                    seen[index].append(body["predictions"][0]["total"])
            client.close()

        threads = _run_threads(hammer, 4)
        _wait(lambda: all(seen.values()), "the clients to get answers")
        staging = base / ".staging-test"  # as modelmaker's export: build aside, rename in
        savedmodels.linear(str(staging), 2.0)
        os.rename(staging, base / "2")
        _wait(lambda: all(s and s[-1] == 4.0 for s in seen.values()), "version 2 to answer")
        counts = {i: len(s) for i, s in seen.items()}
        _wait(lambda: all(len(seen[i]) > counts[i] + 20 for i in seen), "more answers")
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        states = {s.version: s.state for s in versions.states()}

    assert errors == []
    for answers in seen.values():
        switch = answers.index(4.0)
        assert set(answers[:switch]) == {2.0} and set(answers[switch:]) == {4.0}
    assert states == {2: "AVAILABLE", 1: "END"}


@pytest.mark.slow  # a load test: 4,000 requests
def test_load_8_threads_x_500_requests_zero_errors(bases):
    failures, answered = [], [0] * 8
    with serving(bases["multi"]) as (url, _):
        def load(index):
            client = Client(url)
            for i in range(500):
                a, b = [float(index), float(i), 0.5], index * 1000 + i
                status, body, raw = client.post("/v1/models/m:predict",
                                                {"instances": [{"a": a, "b": b}]})
                if status != 200 or body["predictions"][0]["sum"] != sum(a) + b:
                    failures.append((status, raw[:200]))
                answered[index] += 1
            client.close()
        for thread in _run_threads(load, 8):
            thread.join(timeout=600)
    assert failures == [] and answered == [500] * 8


def _wait(condition, what, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)
