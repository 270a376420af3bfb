"""Provides `run`: load the models, start polling, and serve REST and gRPC until interrupted.

Wires the parts together: `Models` (what is loaded, one `ModelVersions` per model) ->
`Service` (the API's operations, through the `Batcher` when batching is on) -> `RestApp`
(URLs, on Starlette, served by uvicorn) and the gRPC servicers (grpc_api), with the
`Metrics` both record into.
"""

import dataclasses
import os
import signal
import threading
from typing import Optional, Tuple

from modelmaker import logs
from modelmaker.errors import ModelmakerError
from modelmaker.serving import app as app_lib, batching, config, grpc_api, hooks as hooks_lib
from modelmaker.serving import metrics as metrics_lib, models as models_lib
from modelmaker.serving import service as service_lib, versions as versions_lib


@dataclasses.dataclass(frozen=True)
class Options:
    """What `modelmaker serve` was asked for; see its --help for each field.

    `models` holds one `config.ModelSpec` per served model; `grpc_port` -1 turns gRPC
    off; `batching` None turns batching off; `metrics_path` None turns metrics off.
    """

    models: Tuple[config.ModelSpec, ...]
    host: str = "127.0.0.1"
    port: int = 8501
    grpc_port: int = 8500
    poll_seconds: float = 1.0
    max_load_retries: int = 5
    max_body_bytes: int = app_lib.DEFAULT_MAX_BODY_BYTES
    user_module: Optional[str] = None
    batching: Optional[config.Batching] = None
    metrics_path: Optional[str] = None


@dataclasses.dataclass
class Parts:
    """The built server: its models, service, metrics and REST app."""

    models: models_lib.Models
    service: service_lib.Service
    metrics: object
    app: app_lib.RestApp

    def close(self):
        """Stops batching and unloads every version."""
        if self.service.batcher is not None:
            self.service.batcher.close()
        self.models.close()


def build(options):
    """The server's `Parts`, each model polled once.

    Raises:
      ModelmakerError: no version can be loaded and polling is off, or the user module
        given for the hooks cannot be imported.
    """
    models = models_lib.Models.from_specs(options.models, log=logs.info,
                                          max_load_retries=options.max_load_retries)
    served = [versions for versions in models if _first_poll(versions, options.poll_seconds)]
    metrics = metrics_lib.Metrics(models) if options.metrics_path else metrics_lib.NoMetrics()
    batcher = batching.Batcher(options.batching, metrics) if options.batching else None
    hooks = hooks_lib.find(explicit=options.user_module) if options.user_module else None
    service = service_lib.Service(models, hooks, log=logs.info, batcher=batcher)
    for versions in served:  # import recorded user modules now, so their errors show at start
        with versions.lease() as model:
            service.hooks_for(model)
    app = app_lib.RestApp(service, max_body_bytes=options.max_body_bytes,
                          metrics=metrics if options.metrics_path else None,
                          metrics_path=options.metrics_path)
    return Parts(models, service, metrics, app)


def _first_poll(versions, poll_seconds):
    """Whether a version of `versions` was loaded; without one and without polling, raises."""
    if versions.poll():
        return True
    where = os.path.join(versions.base_path, "1")
    if poll_seconds <= 0:
        versions.close()
        raise ModelmakerError(
            f"no loadable version of model '{versions.name}' under {versions.base_path}. A "
            f"version is a folder named by a number holding saved_model.pb (e.g. {where}/); "
            "train first, or poll for one with --file_system_poll_wait_seconds 1.")
    logs.info(f"no version of model '{versions.name}' under {versions.base_path} yet (a "
              f"version is a folder named by a number, e.g. {where}/); waiting for one")
    return False


def run(options):
    """Serves until Ctrl-C / SIGTERM; unloads every version on the way out.

    Raises:
      ModelmakerError: see `build`, or an address cannot be bound.
    """
    parts = build(options)
    sock = grpc_server = None
    pollers = []
    try:
        sock = _listen(options.host, options.port, "--port")
        if options.grpc_port >= 0:
            grpc_server = _grpc(parts, options)
        if options.poll_seconds > 0:
            pollers = [versions_lib.Poller(v, options.poll_seconds).start() for v in parts.models]
        _announce(options, sock, grpc_server)
        stop_on_sigterm()
        app_lib.uvicorn_server(parts.app).run(sockets=[sock])
    except _Terminated:
        pass  # uvicorn finished its requests, then re-raised SIGTERM: a normal stop
    finally:
        for poller in pollers:
            poller.stop()
        if grpc_server is not None:
            grpc_server[0].stop(grace=5).wait(10)
        parts.close()
        if sock is not None:
            sock.close()


def _listen(host, port, flag):
    try:
        return app_lib.listen_socket(host, port)
    except OSError as e:
        raise ModelmakerError(f"cannot listen on {host}:{port}: {e.strerror}. Choose another "
                              f"{flag} (0 picks a free one) or --host.") from None


def _grpc(parts, options):
    try:
        return grpc_api.start(parts.service, parts.metrics, host=options.host,
                              port=options.grpc_port)
    except OSError:
        raise ModelmakerError(f"cannot listen for gRPC on {options.host}:{options.grpc_port}. "
                              "Choose another --grpc_port (0 picks a free one, -1 turns gRPC "
                              "off).") from None


def _announce(options, sock, grpc_server):
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    names = ", ".join(f"'{m.name}' from {m.base_path}" for m in options.models)
    grpc_text = f", gRPC at {shown}:{grpc_server[1]}" if grpc_server else ""
    metrics_text = (f", metrics at http://{shown}:{port}{options.metrics_path}"
                    if options.metrics_path else "")
    print(f"serving model {names} at http://{shown}:{port}/v1/models/"
          f"{options.models[0].name}{grpc_text}{metrics_text}", flush=True)


class _Terminated(Exception):
    """SIGTERM arrived (after uvicorn's graceful shutdown)."""


def stop_on_sigterm():
    """Makes SIGTERM raise `_Terminated`, so that a stopped server cleans up and exits 0.

    uvicorn shuts down gracefully on SIGTERM and then re-raises it with the handler that
    was there before; the default one would kill the process before `finally` blocks run.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_terminated)


def _raise_terminated(signum, frame):
    raise _Terminated()
