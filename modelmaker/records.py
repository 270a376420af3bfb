"""Provides the run records in train_url (`params.json`, `result.json`), written atomically."""

import json
import os
import tempfile

from modelmaker.layout import PARAMS_FILE, RESULT_FILE  # noqa: F401 (the records' names)


def write_json(path, data):
    """Writes `data` as JSON to `path` atomically: a temp file in the same folder, then rename.

    A crash leaves either the old file or the new one, never half of one.
    """
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=False, default=_plain)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; records are for everyone to read
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_json(path):
    """The JSON in `path`, or None when it is absent or unreadable (e.g. from an old crash)."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _plain(value):
    """JSON for numpy scalars and arrays, bytes and paths."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
