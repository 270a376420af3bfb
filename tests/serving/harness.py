"""Starts a real model server on a free loopback port and talks HTTP to it."""

import contextlib
import http.client
import json
import urllib.parse

from modelmaker.serving import app as app_lib, service as service_lib
from modelmaker.serving import versions as versions_lib


class Client:
    """One keep-alive HTTP/1.1 connection to the server."""

    def __init__(self, url, timeout=60):
        parts = urllib.parse.urlsplit(url)
        self._conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)

    def call(self, method, path, body=None, headers=None):
        """(status, parsed JSON body or None, raw body bytes)."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self._conn.request(method, path, body, headers or {})
        response = self._conn.getresponse()
        raw = response.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        if response.getheader("connection", "").lower() == "close":
            self._conn.close()
        return response.status, parsed, raw

    def post(self, path, body, headers=None):
        return self.call("POST", path, body, headers)

    def get(self, path):
        return self.call("GET", path)

    def close(self):
        self._conn.close()


@contextlib.contextmanager
def serving(base, *, name="m", num_versions=1, poll_seconds=None, hooks=None,
            max_body_bytes=app_lib.DEFAULT_MAX_BODY_BYTES):
    """Serves `base` on 127.0.0.1:<free port>; yields (url, ModelVersions)."""
    versions = versions_lib.ModelVersions(name=name, base_path=base, num_versions=num_versions)
    versions.poll()
    service = service_lib.Service(versions, hooks)
    app = app_lib.RestApp(service, max_body_bytes=max_body_bytes)
    poller = versions_lib.Poller(versions, poll_seconds).start() if poll_seconds else None
    server = app_lib.BackgroundServer(app).start()
    try:
        yield server.url, versions
    finally:
        server.stop()
        if poller:
            poller.stop()
        versions.close()


@contextlib.contextmanager
def full_server(specs, *, batching=None, metrics_path=None):
    """The whole server of `modelmaker serve` (REST and gRPC) for `config.ModelSpec`s, on
    free loopback ports; yields (REST url, gRPC host:port, server.Parts)."""
    from modelmaker.serving import grpc_api, server
    options = server.Options(models=tuple(specs), port=0, grpc_port=0, poll_seconds=0,
                             batching=batching, metrics_path=metrics_path)
    parts = server.build(options)
    http = grpc_server = None
    try:
        http = app_lib.BackgroundServer(parts.app).start()
        grpc_server, port = grpc_api.start(parts.service, parts.metrics, port=0)
        yield http.url, f"127.0.0.1:{port}", parts
    finally:
        if grpc_server is not None:
            grpc_server.stop(None)
        if http is not None:
            http.stop()
        parts.close()
