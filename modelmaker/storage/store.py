"""Provides `open_store`: one remote bucket's file operations, with errors a user can act on.

S3-compatible schemes go through s3fs (fsspec + aiobotocore); `gs://` goes through
TensorFlow's own GCS filesystem (tf.io.gfile), because gcsfs needs protobuf >= 6 and
TensorFlow 2.15 needs protobuf < 5. Both backends offer the same few operations on
`Location`s; every failure becomes a `DataError` naming the URL and the fix, never a
credential.
"""

import concurrent.futures
import contextlib
import dataclasses
import errno
import os

from modelmaker.errors import DataError
from modelmaker.storage import urls

WORKERS = 16  # parallel transfers; object stores reward concurrency on many small files


@dataclasses.dataclass(frozen=True)
class Entry:
    """A remote file: size in bytes and a version tag (ETag, or size+mtime where none)."""

    size: int
    etag: str


class Store:
    """Operations on remote files; subclasses implement the `_`-prefixed primitives."""

    def __init__(self, scheme, access):
        self.scheme = scheme
        self.access = access

    def list(self, loc):
        """{path relative to `loc`: Entry} for every file below `loc` ({} when there is none;
        {"": Entry} when `loc` is itself a file)."""
        with self.errors(loc, "list"):
            return self._list(loc)

    def exists(self, loc):
        """Whether a file (or, for S3, any key below) exists at `loc`."""
        with self.errors(loc, "read"):
            return self._exists(loc)

    def read(self, loc):
        """The bytes of the file at `loc`, or None when it does not exist."""
        with self.errors(loc, "read"):
            try:
                return self._read(loc)
            except FileNotFoundError:
                return None

    def write(self, loc, data):
        """Writes `data` (bytes) to the file at `loc`."""
        with self.errors(loc, "write"):
            self._write(loc, data)

    def get_many(self, pairs, *, done=None):
        """Downloads [(Location, local path)] in parallel; `done(local path)` after each file."""
        self._parallel(self._get, pairs, "download", done)

    def put_many(self, pairs, *, done=None):
        """Uploads [(local path, Location)] in parallel; `done(local path)` after each file."""
        self._parallel(self._put, pairs, "upload", done)

    def remove(self, locs):
        """Deletes the files at `locs`."""
        for loc in locs:
            with self.errors(loc, "delete"):
                self._remove(loc)

    def check_writable(self, loc):
        """Writes and deletes a probe object below `loc`, so bad credentials, a missing
        bucket or an unreachable endpoint fail before training, not after it."""
        probe = loc.join(f".modelmaker-write-test-{os.getpid()}")
        with self.errors(loc, "write to"):
            self._write(probe, b"", fast=True)
            self._remove(probe)

    def _parallel(self, fn, pairs, action, done):
        pool = concurrent.futures.ThreadPoolExecutor(WORKERS)
        try:
            futures = {pool.submit(fn, a, b): (a, b) for a, b in pairs}
            for future in concurrent.futures.as_completed(futures):
                a, b = futures[future]
                remote, local = (a, b) if isinstance(a, urls.Location) else (b, a)
                with self.errors(remote, action):
                    future.result()
                if done:
                    done(local)
        finally:
            # On the first failure, do not start the transfers still queued.
            pool.shutdown(wait=True, cancel_futures=True)

    @contextlib.contextmanager
    def errors(self, loc, action):
        """Turns a storage failure into a DataError naming `loc`, the cause and the fix."""
        try:
            yield
        except DataError:
            raise
        except Exception as e:  # noqa: BLE001 -- what _explain does not know is re-raised
            if isinstance(e, OSError) and e.errno == errno.ENOSPC:  # the cache's disk, not the store
                raise DataError(f"cannot {action} {loc.url}: the local disk is full. Free space "
                                "or set --cache_dir / MODELMAKER_CACHE_DIR to a larger disk.") from None
            fix = self._explain(e, loc)
            if fix is None:
                raise
            raise DataError(f"cannot {action} {loc.url}: {_reason(e)}. {fix}") from None


class S3Store(Store):
    """S3, OBS, KS3 and other S3-compatible stores through s3fs."""

    def __init__(self, scheme, access):
        super().__init__(scheme, access)
        import s3fs
        from aiobotocore.session import AioSession
        # One botocore session per store: its two clients share loaded service models.
        common = dict(key=access.key, secret=access.secret, token=access.token,
                      endpoint_url=access.endpoint_url, use_listings_cache=False,
                      skip_instance_cache=True, session=AioSession(),
                      client_kwargs={"region_name": access.region} if access.region else {})
        # Bounded connects: uploads run in the training thread after each checkpoint.
        self._fs = s3fs.S3FileSystem(config_kwargs={**access.client_config, "connect_timeout": 20},
                                     **common)
        # The pre-training checks fail fast instead of retrying for ~10 s.
        self._fast = s3fs.S3FileSystem(
            config_kwargs={**access.client_config, "retries": {"max_attempts": 1},
                           "connect_timeout": 10}, **common)

    def _list(self, loc):
        found = self._fs.find(loc.path, detail=True)
        out = {}
        for name, info in found.items():
            if name == loc.path or name.startswith(loc.path + "/"):
                out[name[len(loc.path) + 1:]] = Entry(int(info.get("size") or 0),
                                                      str(info.get("ETag", "")))
        return out

    def _exists(self, loc):
        return self._fast.exists(loc.path)

    def _read(self, loc):
        return self._fs.cat_file(loc.path)

    def _write(self, loc, data, fast=False):
        (self._fast if fast else self._fs).pipe_file(loc.path, data)

    def _get(self, loc, local):
        self._fs.get_file(loc.path, local)

    def _put(self, local, loc):
        self._fs.put_file(local, loc.path)

    def _remove(self, loc):
        self._fs.rm_file(loc.path)

    def _explain(self, e, loc):
        import botocore.exceptions as boto
        prefix = urls.SCHEMES[self.scheme].prefix
        if isinstance(e, (boto.NoCredentialsError, boto.PartialCredentialsError)):
            return (f"Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or {prefix}_ACCESS_KEY_ID and "
                    f"{prefix}_SECRET_ACCESS_KEY), or a profile in ~/.aws/credentials (AWS_PROFILE).")
        if isinstance(e, (boto.EndpointConnectionError, boto.ConnectTimeoutError,
                          boto.ConnectionClosedError)):
            return (f"Check the endpoint (from {self.access.endpoint_source}): it must be reachable "
                    "from this machine, e.g. https://host:port.")
        if isinstance(e, PermissionError):
            return (f"Check the credentials (from {self.access.credentials_source}) and that they "
                    f"may use bucket {loc.bucket!r}.")
        if isinstance(e, FileNotFoundError) and "bucket" in str(e).lower():
            return (f"Create bucket {loc.bucket!r} at the endpoint (from "
                    f"{self.access.endpoint_source}) or fix the URL.")
        if isinstance(e, (OSError, boto.BotoCoreError)):
            return f"Check the URL, the endpoint (from {self.access.endpoint_source}) and the credentials."
        return None


class GfileStore(Store):
    """`gs://` through TensorFlow's built-in GCS filesystem (credentials: GOOGLE_APPLICATION_CREDENTIALS)."""

    def native(self, loc):
        """The path tf.io.gfile takes for `loc`."""
        return loc.url

    def _list(self, loc):
        import tensorflow as tf
        root = self.native(loc).rstrip("/")
        if not tf.io.gfile.isdir(root):
            if not tf.io.gfile.exists(root):
                return {}
            stat = tf.io.gfile.stat(root)
            return {"": Entry(stat.length, f"{stat.length}-{stat.mtime_nsec}")}
        out = {}
        for folder, _, files in tf.io.gfile.walk(root):
            for name in files:
                path = f"{folder.rstrip('/')}/{name}"
                stat = tf.io.gfile.stat(path)
                out[path[len(root) + 1:]] = Entry(stat.length, f"{stat.length}-{stat.mtime_nsec}")
        return out

    def _exists(self, loc):
        import tensorflow as tf
        return tf.io.gfile.exists(self.native(loc))

    def _read(self, loc):
        import tensorflow as tf
        if not tf.io.gfile.exists(self.native(loc)):
            raise FileNotFoundError(loc.url)
        with tf.io.gfile.GFile(self.native(loc), "rb") as f:
            return f.read()

    def _write(self, loc, data, fast=False):
        import tensorflow as tf
        tf.io.gfile.makedirs(os.path.dirname(self.native(loc)))
        with tf.io.gfile.GFile(self.native(loc), "wb") as f:
            f.write(data)

    def _get(self, loc, local):
        import tensorflow as tf
        tf.io.gfile.copy(self.native(loc), local, overwrite=True)

    def _put(self, local, loc):
        import tensorflow as tf
        tf.io.gfile.makedirs(os.path.dirname(self.native(loc)))
        tf.io.gfile.copy(local, self.native(loc), overwrite=True)

    def _remove(self, loc):
        import tensorflow as tf
        tf.io.gfile.remove(self.native(loc))

    def _explain(self, e, loc):
        import tensorflow as tf
        if isinstance(e, (tf.errors.OpError, OSError)):
            return ("Check the URL and the Google credentials (GOOGLE_APPLICATION_CREDENTIALS or "
                    "`gcloud auth application-default login`).")
        return None


_BACKENDS = {"s3fs": S3Store, "gfile": GfileStore}


def open_store(loc, settings):
    """The Store for `loc`'s scheme, configured from `settings`."""
    scheme = urls.SCHEMES[loc.scheme]
    access = settings.access(loc.scheme) if scheme.backend == "s3fs" else None
    return _BACKENDS[scheme.backend](loc.scheme, access)


def _reason(e):
    text = str(e).strip().splitlines()[0].rstrip(".") if str(e).strip() else type(e).__name__
    return text if len(text) <= 300 else text[:297] + "..."
