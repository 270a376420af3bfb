"""Provides `ModelVersions`: which versions of one model are served, and hot reload by polling.

Like TF Serving's file-system source, the children of the base path whose names are
integers are versions (`00000123` is 123); everything else (`temp-1700000000`, the
`.staging-*` folders of modelmaker's export, files) is ignored. The newest
`num_versions` versions are kept loaded. A new version is loaded **before** the one it
replaces is unloaded, and an unloaded version is closed only after the last request
using it has finished, so a switch drops no request. A version that fails to load is
retried on later polls and never replaces a working one.
"""

import contextlib
import dataclasses
import os
import re
import threading
from typing import Optional

from modelmaker.engine import export as export_lib
from modelmaker.serving import model as model_lib
from modelmaker.serving.errors import NotFound

_VERSION_NAME = re.compile(r"[0-9]{1,18}")  # fits int64, as TF Serving's safe_strto64
SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")


def is_saved_model(path):
    """Whether `path` is a folder holding a SavedModel (not a base path of versions)."""
    return any(os.path.isfile(os.path.join(path, name)) for name in SAVED_MODEL_FILES)


def discover(base_path):
    """The version folders of a model: {version: folder}.

    `base_path` is either a base path with integer children, or one SavedModel folder
    (served as version int(name), or 1 when its name is not a number). When two names
    give one number (`1` and `001`), the shorter name wins, as in TF Serving one wins.
    """
    if is_saved_model(base_path):
        name = os.path.basename(os.path.normpath(base_path))
        return {int(name) if _VERSION_NAME.fullmatch(name) else 1: base_path}
    try:
        names = sorted(os.listdir(base_path), key=lambda n: (len(n), n), reverse=True)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    return {int(n): os.path.join(base_path, n) for n in names
            if _VERSION_NAME.fullmatch(n) and os.path.isdir(os.path.join(base_path, n))}


@dataclasses.dataclass
class VersionState:
    """What GET /v1/models/NAME reports for one version (TF Serving's ModelVersionStatus)."""

    version: int
    state: str = "LOADING"  # LOADING, AVAILABLE or END (unloaded, or failed with `error`)
    error: Optional[str] = None
    failures: int = 0


class _Slot:
    """A loaded version with the count of requests using it."""

    def __init__(self, model):
        self.model = model
        self.users = 0
        self.retired = False


class ModelVersions:
    """The served versions of one model; thread-safe.

    Args:
      name: the model name clients use in URLs.
      base_path: the folder of integer version folders (or one SavedModel folder).
      num_versions: how many of the newest versions stay loaded (0 = all).
      specific: serve exactly these versions when found (TF Serving's `specific` policy);
        empty: the `num_versions` newest.
      max_load_retries: how many polls retry a version that failed to load.
      log: a callable taking one line of text.
      loader: loads one version (path, version, marker) -> LoadedModel; tests replace it.
    """

    def __init__(self, *, name, base_path, num_versions=1, max_load_retries=5, log=None,
                 loader=None, specific=()):
        self.name = name
        self.base_path = base_path
        self.num_versions = num_versions
        self.specific = frozenset(specific)
        self.max_load_retries = max_load_retries
        self.log = log or (lambda line: None)
        self._load = loader or (lambda path, version, marker: model_lib.load(
            path, version=version, marker=marker))
        self._slots = {}    # version -> _Slot, the loaded versions
        self._states = {}   # version -> VersionState, every version ever seen
        self._lock = threading.Lock()
        self._poll_lock = threading.Lock()

    def poll(self):
        """Loads new versions and unloads old or deleted ones; returns the served versions."""
        with self._poll_lock:  # one poll at a time; requests keep flowing meanwhile
            found = discover(self.base_path)
            wanted = self._load_newest(found)
            for version in [v for v in self._slots if v not in wanted]:
                self._unload(version)
            return sorted(self._slots)

    def _load_newest(self, found):
        """Loads, newest first, until `num_versions` versions are available."""
        wanted = set()
        if self.specific:
            found = {v: p for v, p in found.items() if v in self.specific}
        for version in sorted(found, reverse=True):
            if self.num_versions and len(wanted) >= self.num_versions:
                break
            if version in self._slots or self._try_load(version, found[version]):
                wanted.add(version)
        return wanted

    def _try_load(self, version, path):
        state = self._states.setdefault(version, VersionState(version))
        if state.failures > self.max_load_retries or not is_saved_model(path):
            return False  # given up, or still being copied (no saved_model.pb yet)
        try:
            loaded = self._load(path, version, export_lib.read_marker(path))
        except Exception as e:  # noqa: BLE001 - any load failure is reported, never fatal
            state.failures += 1
            state.state, state.error = "END", f"{type(e).__name__}: {str(e).strip()[:500]}"
            self.log(f"model '{self.name}' version {version} failed to load "
                      f"(try {state.failures}): {state.error}")
            return False
        loaded.name = self.name
        with self._lock:
            self._slots[version] = _Slot(loaded)
            state.state, state.error = "AVAILABLE", None
        self.log(f"model '{self.name}' version {version} loaded from {path}")
        return True

    def _unload(self, version):
        with self._lock:
            slot = self._slots.pop(version)
            slot.retired = True
            idle = slot.users == 0
            self._states[version].state = "END"
        if idle:
            slot.model.close()
        self.log(f"model '{self.name}' version {version} unloaded")

    @contextlib.contextmanager
    def lease(self, version=None):
        """Yields the `LoadedModel` of `version` (None: the newest) for one request.

        Raises:
          NotFound: the version is not loaded (TF Serving's "Servable not found" text).
        """
        with self._lock:
            if version is None:
                version = max(self._slots) if self._slots else None
            slot = self._slots.get(version) if version is not None else None
            if slot is None:
                wanted = f"Specific({self.name}, {version})" if version is not None else \
                    f"Latest({self.name})"
                raise NotFound(f"Servable not found for request: {wanted}")
            slot.users += 1
        try:
            yield slot.model
        finally:
            with self._lock:
                slot.users -= 1
                close = slot.retired and slot.users == 0
            if close:  # the last request on an unloaded version closes it
                slot.model.close()

    def states(self, version=None):
        """The VersionStates to report, newest first (TF Serving's order).

        Raises:
          NotFound: no such version was ever seen, or no version at all.
        """
        with self._lock:
            states = sorted(self._states.values(), key=lambda s: -s.version)
            states = [dataclasses.replace(s) for s in states if s.state != "LOADING"]
        if version is not None:
            states = [s for s in states if s.version == version]
            if not states:
                raise NotFound(f"Could not find version {version} of model {self.name}")
        elif not states:
            raise NotFound(f"Could not find any versions of model {self.name}")
        return states

    def close(self):
        """Unloads every version (requests still running finish first)."""
        with self._poll_lock:
            for version in list(self._slots):
                self._unload(version)


class Poller:
    """Calls `versions.poll()` every `interval` seconds in a daemon thread until `stop()`."""

    def __init__(self, versions, interval):
        self._versions = versions
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="modelmaker-poll", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _loop(self):
        while not self._stop.wait(self._interval):
            try:
                self._versions.poll()
            except Exception as e:  # noqa: BLE001 - a bad poll must not stop serving
                self._versions.log(f"polling {self._versions.base_path} failed: {e}")

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
