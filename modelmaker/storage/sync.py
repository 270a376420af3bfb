"""Provides `open_train_url`: a remote `train_url` mirrored by a local model directory.

Training writes locally (`<cache>/train/<scheme>/<bucket>/<key>`); `TrainUrl` pulls the
latest checkpoint before training (a job restarted on a fresh machine continues), uploads
checkpoints, event files, `params.json` and `result.json` after each checkpoint and at
the end (the `checkpoint` index last, so the remote one never names missing files), and
publishes exports (see `publish`).
"""

import os
import re

from modelmaker import layout, logs
from modelmaker.errors import DataError
from modelmaker.storage import publish as publish_lib, store as store_lib, urls

INDEX = "checkpoint"          # TensorFlow's checkpoint index file
PARAMS = layout.PARAMS_FILE
_SKIP_DIRS = (layout.EXPORT_DIR,)      # exports are published, not mirrored
_PATH_LINE = re.compile(r'^(\s*(?:model_checkpoint_path|all_model_checkpoint_paths):\s*)"(.*)"\s*$')


def open_train_url(train_url, *, settings, cache_dir=None, writable=True):
    """Checks that `train_url` is writable (or, with `writable=False`, readable) and returns
    its TrainUrl; training and `modelmaker evaluate` share its local copy in the cache.
    `settings` are the storage `urls.Settings` of `modelmaker.environment`.

    Raises:
      DataError: a bad URL, missing credentials, a missing bucket or an unreachable endpoint.
    """
    loc = urls.parse(train_url, flag="--train_url")
    store = store_lib.open_store(loc, settings)
    if writable:
        store.check_writable(loc)
    else:
        store.list(loc)  # the same errors as the write probe, writing nothing
    local = os.path.join(settings.cache_root(cache_dir), "train", loc.scheme, loc.bucket,
                         *loc.key.split("/"))
    return TrainUrl(store, loc, local)


class TrainUrl:
    """A remote train_url and the local model directory training writes to."""

    def __init__(self, store, loc, local_dir):
        self.store = store
        self.loc = loc
        self.url = loc.url
        self.local_dir = local_dir
        self._pushed = {}   # relative path -> (size, mtime_ns) as last uploaded or pulled

    def pull(self, *, events=False):
        """Fetches params.json and the latest remote checkpoint when it is newer than the
        local one (with `events`, also the TensorBoard event files that changed); returns the
        local model directory."""
        os.makedirs(self.local_dir, exist_ok=True)
        self._fetch([PARAMS])
        if events:
            self._fetch_events()
        remote_index = self.store.read(self.loc.join(INDEX))
        remote = _latest(remote_index)
        local = _latest(_read_local(os.path.join(self.local_dir, INDEX)))
        logs.info(f"train_url {self.url} -> local {self.local_dir}")
        if remote is None or (local is not None and _step(local) >= _step(remote)):
            return self.local_dir
        names = [rel for rel in self.store.list(self.loc) if rel.startswith(remote + ".")]
        self._fetch(names)
        with open(os.path.join(self.local_dir, INDEX), "w", encoding="utf-8") as f:
            f.write(f'model_checkpoint_path: "{remote}"\nall_model_checkpoint_paths: "{remote}"\n')
        logs.info(f"pulled checkpoint {remote} from {self.url}")
        return self.local_dir

    def push(self, *, soft=False):
        """Uploads new and changed files, then the checkpoint index, then deletes remote
        copies of files this process uploaded that are gone locally (old checkpoints).

        Args:
          soft: log a failure and carry on (the next checkpoint retries) instead of raising.
        """
        try:
            self._push()
        except DataError as e:
            if not soft:
                raise
            logs.info(f"warning: upload to {self.url} failed, retrying at the next checkpoint: {e}")

    def _push(self):
        current = _local_state(self.local_dir)
        changed = [rel for rel, state in current.items() if self._pushed.get(rel) != state]
        files = [(os.path.join(self.local_dir, rel), self.loc.join(rel)) for rel in changed if rel != INDEX]
        self.store.put_many(files)
        for rel in changed:
            self._pushed[rel] = current[rel]
        if INDEX in changed:
            text = _read_local(os.path.join(self.local_dir, INDEX))
            self.store.write(self.loc.join(INDEX), _relative_index(text).encode())
        gone = [rel for rel in self._pushed if rel not in current]
        self.store.remove([self.loc.join(rel) for rel in gone])
        for rel in gone:
            del self._pushed[rel]

    def upload(self, folder):
        """Uploads the local files below `folder` (relative to the model directory), e.g. the
        evaluation report's `analysis`; returns the remote URL of that folder."""
        root = os.path.join(self.local_dir, folder)
        self.store.put_many([(os.path.join(root, *rel.split("/")), self.loc.join(folder, rel))
                             for rel in _local_state(root)])
        return self.loc.join(folder).url

    def _fetch_events(self):
        """Fetches the event files (training curves) that differ in size from the local ones."""
        names = []
        for rel, entry in self.store.list(self.loc).items():
            local = os.path.join(self.local_dir, *rel.split("/"))
            if os.path.basename(rel).startswith("events.out.tfevents") and not (
                    os.path.exists(local) and os.path.getsize(local) == entry.size):
                os.makedirs(os.path.dirname(local), exist_ok=True)
                names.append(rel)
        self._fetch(names)

    def listeners(self):
        """The CheckpointSaverListeners that upload after each checkpoint."""
        from modelmaker.storage.listener import UploadListener  # imports TensorFlow
        return [UploadListener(self.push)]

    def publish(self, local_version_dir, **kwargs):
        """Publishes a local export version folder; returns its remote URL (None passes)."""
        if local_version_dir is None:
            return None
        base = os.path.relpath(os.path.dirname(local_version_dir), self.local_dir)
        return publish_lib.publish(self.store, self.loc.join(base.replace(os.sep, "/")),
                                   local_version_dir, **kwargs)

    def _fetch(self, names):
        pairs = [(self.loc.join(rel), os.path.join(self.local_dir, *rel.split("/"))) for rel in names]
        if names == [PARAMS] and not self.store.exists(pairs[0][0]):
            return
        self.store.get_many(pairs)
        current = _local_state(self.local_dir)
        self._pushed.update({rel: current[rel] for rel in names if rel in current})


def _local_state(root):
    """{relative path: (size, mtime_ns)} of the files to mirror (no exports, no temp files)."""
    out = {}
    for folder, dirs, names in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        if rel_folder == ".":
            dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
        dirs[:] = [d for d in dirs if not d.startswith(".") and "_temp" not in d]
        for name in names:
            if name.startswith(".") or name.endswith((".tmp", ".tempstate")):
                continue
            path = os.path.join(folder, name)
            stat = os.stat(path)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            out[rel] = (stat.st_size, stat.st_mtime_ns)
    return out


def _read_local(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return None


def _relative_index(text):
    """The checkpoint index with bare file names: TensorFlow writes absolute local paths,
    which would not resolve on another machine."""
    lines = []
    for line in text.splitlines():
        match = _PATH_LINE.match(line)
        lines.append(f'{match.group(1)}"{os.path.basename(match.group(2))}"' if match else line)
    return "\n".join(lines) + "\n"


def _latest(index_text):
    """The bare name of the newest checkpoint in a checkpoint index text, or None."""
    if isinstance(index_text, bytes):
        index_text = index_text.decode("utf-8", "replace")
    for line in (index_text or "").splitlines():
        match = _PATH_LINE.match(line)
        if match and "model_checkpoint_path" in match.group(1) and "all_" not in match.group(1):
            return os.path.basename(match.group(2))
    return None


def _step(name):
    tail = name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else -1
