"""Provides the HTTP side of the model server: URL dispatch on Starlette, served by uvicorn.

URLs follow TF Serving's REST API (tensorflow_serving/model_servers/http_rest_api_util.cc):

    POST /v1/models/NAME[/versions/N|/labels/L]:(predict|classify|regress)
    GET  /v1/models/NAME[/versions/N|/labels/L][/metadata]

plus modelmaker's raw-file endpoint, outside TF Serving's /v1 tree:

    POST /modelmaker/v1/models/NAME[/versions/N]:predict[?filename=two.png&signature_name=S]

and, when metrics are on, GET <metrics path> (Prometheus text format).

Every answer is JSON; failures are `{"error": "..."}` with TF Serving's status codes. Any
other path under /v1/ is 400 "Malformed request", other paths 404.
"""

import re
import socket
import threading
import time
import urllib.parse

import anyio
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from modelmaker import logs
from modelmaker.serving import metrics as metrics_lib, response
from modelmaker.serving.errors import BadRequest, NotFound, ServingError, TooLarge

_PREDICT = re.compile(r"/v1/models/([^/:]+)(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?"
                      r":(classify|regress|predict)", re.IGNORECASE | re.ASCII)
_STATUS = re.compile(r"/v1/models(?:/([^/:]+))?(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?"
                     r"(?:/(metadata))?", re.IGNORECASE | re.ASCII)
_RAW = re.compile(r"/modelmaker/v1/models/([^/:]+)(?:/versions/(\d+))?:predict",
                  re.IGNORECASE | re.ASCII)
_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, GET",
            "Access-Control-Allow-Headers": "Content-Type"}
_INT64_MAX = 2**63 - 1
# Bodies up to this size are answered on the event loop: for a small request the hop to
# a worker thread costs more than the model (~0.3 ms for MNIST). Larger ones go to threads
# so that one big batch does not hold up every other connection.
INLINE_MAX_BYTES = 64 * 1024
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
# Requests answered in worker threads at once (big bodies, and every request when
# batching, since each one waits for its batch).
THREADS = 64


class RestApp:
    """The ASGI application serving one `Service`.

    Args:
      service: the `Service` answering requests.
      max_body_bytes: bodies larger than this are refused with 413 before being read.
      metrics: the `metrics.Metrics` to record requests in (None: no metrics).
      metrics_path: the URL path serving them (TF Serving's monitoring config).
    """

    def __init__(self, service, *, max_body_bytes=DEFAULT_MAX_BODY_BYTES, metrics=None,
                 metrics_path=None):
        self.service = service
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics or metrics_lib.NoMetrics()
        self.metrics_path = metrics_path if metrics else None
        self._limiter = None  # made on the event loop, at the first threaded request

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return  # lifespan and websocket events: nothing to set up
        request = Request(scope, receive)
        try:
            status, body = 200, await self._dispatch(request)
            if type(body) is _Text:
                await Response(body, media_type=metrics_lib.CONTENT_TYPE)(scope, receive, send)
                return
        except ServingError as e:
            status, body = e.http_status, response.error_body(str(e))
        except ClientDisconnect:
            return
        except Exception as e:  # noqa: BLE001 - a bug (ours or a user hook's) is a 500, logged
            logs.LOGGER.exception("request %s %s failed", request.method, request.url.path)
            status, body = 500, response.error_body(f"Internal error: {type(e).__name__}: {e}")
        await Response(body, status_code=status, media_type="application/json",
                       headers=_HEADERS)(scope, receive, send)

    async def _dispatch(self, request):
        method = request.method
        path = request.scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0] or \
            request.url.path
        if method == "POST":
            found = _PREDICT.fullmatch(path)
            if found:
                name, version = _name_version(found, path, self.service.models)
                verb = found.group(4).lower()
                call = {"predict": self.service.predict, "classify": self.service.classify,
                        "regress": self.service.regress}[verb]
                with self.metrics.track(name, verb, "REST") as tracked:
                    return await self._call(call, name, version, await self._body(request),
                                            tracked=tracked)
            found = _RAW.fullmatch(path)
            if found:
                return await self._raw(request, found, path)
        elif method == "GET":
            if path == self.metrics_path:
                return _Text(self.metrics.text())
            found = _STATUS.fullmatch(path)
            if found:
                return self._get(found, path)
        if path.lower().startswith("/v1/"):
            raise BadRequest(f"Malformed request: {method} {path}")
        raise NotFound(f"Not found: {method} {path}. The API is under /v1/models/<name>")

    def _get(self, found, path):
        if not found.group(1):
            raise BadRequest("Missing model name in request.")
        name, version = _name_version(found, path, self.service.models)
        if found.group(4):
            with self.metrics.track(name, "GetModelMetadata", "REST"):
                return self.service.metadata(name, version)
        with self.metrics.track(name, "GetModelStatus", "REST"):
            return self.service.status(name, version)

    async def _raw(self, request, found, path):
        name, version = _name_version(found, path)
        query = request.query_params
        body = await self._body(request)
        with self.metrics.track(name, "predict_raw", "REST") as tracked:
            tracked.signature = query.get("signature_name", "")
            return await self._call(self.service.predict_raw, name, version, body,
                                    filename=query.get("filename", ""),
                                    signature_name=tracked.signature)

    async def _body(self, request):
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise _too_large(int(declared), self.max_body_bytes)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _too_large(size, self.max_body_bytes)
            chunks.append(chunk)
        return b"".join(chunks)

    async def _call(self, fn, name, version, body, **kwargs):
        # With batching, a request waits for others: it must not hold the event loop.
        if len(body) <= INLINE_MAX_BYTES and self.service.batcher is None:
            return fn(name, version, body, **kwargs)
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(THREADS)
        return await anyio.to_thread.run_sync(lambda: fn(name, version, body, **kwargs),
                                              limiter=self._limiter)


class _Text(bytes):
    """A body that is not JSON (the metrics page)."""


def _too_large(size, limit):
    return TooLarge(f"Request body of {size} bytes is over the server's limit of {limit} bytes "
                    "(modelmaker serve --max_body_mb); send smaller batches")


def _name_version(found, path, models=None):
    """(model name, version or None) from a URL match; names are percent-decoded.

    Args:
      models: the `Models` whose version labels resolve `/labels/L` (None: the URL form
        has no labels).
    """
    name = urllib.parse.unquote(found.group(1) or "")
    version = found.group(2)
    if models is not None and found.group(3):
        return name, models.resolve(name, None, urllib.parse.unquote(found.group(3)))[1]
    if version is None:
        return name, None
    if int(version) > _INT64_MAX:
        raise BadRequest(f"Failed to convert version: {version} to numeric.")
    return name, int(version)


def listen_socket(host, port):
    """A listening TCP socket on host:port (port 0: a free port).

    Created with proto IPPROTO_TCP on purpose: asyncio only sets TCP_NODELAY on accepted
    sockets whose proto is IPPROTO_TCP, and without it a response written in two pieces
    waits ~40 ms for the client's delayed ACK.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def uvicorn_server(app, *, timeout_keep_alive=75):
    """The uvicorn.Server for `app`: no access log, no lifespan, HTTP/1.1 keep-alive.

    log_config=None keeps uvicorn from calling logging.config.dictConfig, which would
    close and replace the logging handlers of the process it runs in.
    """
    import uvicorn
    config = uvicorn.Config(app, lifespan="off", access_log=False, log_level="warning",
                            log_config=None, timeout_keep_alive=timeout_keep_alive,
                            server_header=False)
    return uvicorn.Server(config)


class BackgroundServer:
    """Runs `app` on a socket in a daemon thread (for tests and embedding); a context manager.

    Attributes:
      url: http://host:port of the running server.
    """

    def __init__(self, app, *, host="127.0.0.1", port=0):
        self._sock = listen_socket(host, port)
        bound = self._sock.getsockname()
        self.url = f"http://{host if ':' not in host else f'[{host}]'}:{bound[1]}"
        self.port = bound[1]
        self._server = uvicorn_server(app)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name="modelmaker-http", daemon=True)

    def start(self, timeout=30):
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the HTTP server did not start")
            time.sleep(0.01)
        return self

    def stop(self):
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
