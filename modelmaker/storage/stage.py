"""Provides `stage_data`: copies a remote `data_url` to the local cache before training.

This is the ModelArts model (MoXing copies OBS data to the local SSD, training reads the
SSD): input functions always receive a local path. Files are fetched in parallel with a
progress bar; a file already cached with the same size and ETag is not fetched again, and
cached files that vanished from the bucket are removed, so the cache mirrors the URL.

    <cache>/data/<scheme>/<bucket>/<key>/...   the staged files
    <cache>/manifests/<hash>.json              size and ETag of each staged file
"""

import hashlib
import os
import sys
import time

from modelmaker import logs, records
from modelmaker.errors import DataError
from modelmaker.storage import store as store_lib, urls

_PART = ".modelmaker-part"


def stage_data(data_url, *, settings, cache_dir=None):
    """Copies `data_url` into the cache and returns the local path the input functions get.

    Args:
      data_url: a remote URL (`s3://bucket/mnist`); a folder or a single file.
      cache_dir: the cache root (default: see `urls.Settings.cache_root`).
      settings: the storage `urls.Settings` (`modelmaker.environment.Environment.storage`).

    Returns:
      The local folder (or file) mirroring `data_url`.

    Raises:
      DataError: a bad URL, no such data, or the store cannot be reached or read.
    """
    loc = urls.parse(data_url, flag="--data_url")
    store = store_lib.open_store(loc, settings)
    root = settings.cache_root(cache_dir)
    local = os.path.join(root, "data", loc.scheme, loc.bucket, *loc.key.split("/"))
    digest = hashlib.sha1(loc.url.encode()).hexdigest()[:16]
    return mirror(store, loc, local, manifest=os.path.join(root, "manifests", f"{digest}.json"))


def mirror(store, loc, local, *, manifest):
    """Makes `local` a copy of the files below `loc`; see `stage_data`. Returns the local path."""
    entries = store.list(loc)
    if not entries:
        raise DataError(f"--data_url {loc.url} holds no files. Check the URL (upload the dataset "
                        "first), or leave --data_url out if your input functions find their own data.")
    single = set(entries) == {""}  # the URL names one file, not a folder
    target = (lambda rel: local) if single else (lambda rel: os.path.join(local, *rel.split("/")))
    known = (records.read_json(manifest) or {}).get("files", {})
    fresh = {rel: [e.size, e.etag] for rel, e in entries.items()
             if known.get(rel) == [e.size, e.etag] and _size(target(rel)) == e.size}
    todo = [rel for rel in entries if rel not in fresh]
    if not single:
        _remove_strays(local, {target(rel) for rel in entries})
    bar = Progress(files=len(todo), size=sum(entries[rel].size for rel in todo), label="stage")
    logs.info(f"data_url {loc.url} -> {local}: {len(entries)} files, {len(fresh)} already cached")
    done = dict(fresh)

    def finished(part):
        rel = pending[part]
        os.replace(part, target(rel))
        done[rel] = [entries[rel].size, entries[rel].etag]
        bar.update(entries[rel].size)
    pending = {target(rel) + _PART: rel for rel in todo}
    for part in pending:
        os.makedirs(os.path.dirname(part), exist_ok=True)
    try:
        store.get_many([(loc.join(rel), part) for part, rel in pending.items()], done=finished)
    finally:
        os.makedirs(os.path.dirname(manifest), exist_ok=True)
        records.write_json(manifest, {"url": loc.url, "files": done})
        bar.close()
    return local


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return None


def _remove_strays(local, keep):
    for folder, _, files in os.walk(local):
        for name in files:
            path = os.path.join(folder, name)
            if path not in keep:
                os.unlink(path)


class Progress:
    """A one-line transfer progress bar on a terminal; a log line every few seconds elsewhere."""

    def __init__(self, *, files, size, label, stream=None, every_secs=5.0):
        self._total = (files, size)
        self._done = [0, 0]
        self._label = label
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._every = every_secs
        self._start = self._last = time.perf_counter()

    def update(self, size):
        self._done[0] += 1
        self._done[1] += size
        now = time.perf_counter()
        if self._tty:
            self._stream.write("\r" + self.line(now))
            self._stream.flush()
        elif now - self._last >= self._every:
            self._last = now
            logs.info(self.line(now))

    def close(self):
        if self._total[0] == 0:
            return
        if self._tty:
            self._stream.write("\r" + self.line(time.perf_counter()) + "\n")
        else:
            logs.info(self.line(time.perf_counter()))

    def line(self, now):
        (files, size), (n, got) = self._total, self._done
        filled = int(20 * got / size) if size else 20 * n // max(files, 1)
        rate = got / max(now - self._start, 1e-6)
        return (f"{self._label} | [{'#' * filled}{'.' * (20 - filled)}] {n}/{files} files | "
                f"{_mb(got)}/{_mb(size)} MB | {_mb(rate)} MB/s")


def _mb(n):
    return f"{n / 1e6:.1f}"
