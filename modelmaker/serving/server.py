"""Provides `run`: load the versions, start polling, and serve HTTP until interrupted.

Wires the parts together: `ModelVersions` (what is loaded) -> `Service` (the API's
operations) -> `RestApp` (URLs, on Starlette) -> uvicorn on one listening socket.
"""

import dataclasses
import os
import signal
import threading
from typing import Optional

from modelmaker import logs
from modelmaker.errors import ModelmakerError
from modelmaker.serving import app as app_lib, hooks as hooks_lib, service as service_lib
from modelmaker.serving import versions as versions_lib


@dataclasses.dataclass(frozen=True)
class Options:
    """What `modelmaker serve` was asked for; see its --help for each field."""

    base_path: str
    name: str
    host: str = "127.0.0.1"
    port: int = 8501
    num_versions: int = 1
    poll_seconds: float = 1.0
    max_load_retries: int = 5
    max_body_bytes: int = app_lib.DEFAULT_MAX_BODY_BYTES
    user_module: Optional[str] = None


def build(options):
    """The `ModelVersions` (first poll done) and the ASGI app for `options`.

    Raises:
      ModelmakerError: no version can be loaded and polling is off, or the user module
        given for the hooks cannot be imported.
    """
    versions = versions_lib.ModelVersions(
        name=options.name, base_path=options.base_path, num_versions=options.num_versions,
        max_load_retries=options.max_load_retries, log=logs.info)
    served = versions.poll()
    if not served:
        where = os.path.join(options.base_path, "1")
        if options.poll_seconds <= 0:
            raise ModelmakerError(
                f"no loadable version under {options.base_path}. A version is a folder named "
                f"by a number holding saved_model.pb (e.g. {where}/); train first, or poll for "
                "one with --file_system_poll_wait_seconds 1.")
        logs.info(f"no version under {options.base_path} yet (a version is a folder named by a "
                  f"number, e.g. {where}/); waiting for one")
    hooks = hooks_lib.find(explicit=options.user_module) if options.user_module else None
    service = service_lib.Service(versions, hooks, log=logs.info)
    if served:  # import the recorded user module now, so that its errors show at start
        with versions.lease() as model:
            service.hooks_for(model)
    return versions, app_lib.RestApp(service, max_body_bytes=options.max_body_bytes)


def run(options):
    """Serves until Ctrl-C / SIGTERM; unloads every version on the way out.

    Raises:
      ModelmakerError: see `build`, or the address cannot be bound.
    """
    versions, app = build(options)
    try:
        sock = app_lib.listen_socket(options.host, options.port)
    except OSError as e:
        versions.close()
        raise ModelmakerError(f"cannot listen on {options.host}:{options.port}: {e.strerror}. "
                              "Choose another --port (0 picks a free one) or --host.") from None
    poller = None
    if options.poll_seconds > 0:
        poller = versions_lib.Poller(versions, options.poll_seconds).start()
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"serving model '{options.name}' from {options.base_path} at "
          f"http://{shown}:{port}/v1/models/{options.name}", flush=True)
    stop_on_sigterm()
    try:
        app_lib.uvicorn_server(app).run(sockets=[sock])
    except _Terminated:
        pass  # uvicorn finished its requests, then re-raised SIGTERM: a normal stop
    finally:
        if poller:
            poller.stop()
        versions.close()
        sock.close()


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
