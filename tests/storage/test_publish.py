"""Publishing an export to S3: saved_model.pb last, no half version left loadable-looking."""

import json
import os

import pytest

from modelmaker.errors import DataError
from modelmaker.storage import publish, store as store_lib, urls

from modelmaker import environment


def _settings():
    """The storage settings of the test's environment (the s3_env fixture sets it)."""
    return environment.read().storage


def _version(tmp_path, checkpoint, name="local"):
    """A folder shaped like an export: variables/, assets/, fingerprint, marker, saved_model.pb."""
    root = tmp_path / name
    files = {"variables/variables.index": b"i" * 10, "variables/variables.data-00000-of-00001": b"d" * 100,
             "assets/vocab.txt": b"a\nb\n", "fingerprint.pb": b"f", "saved_model.pb": b"graph",
             publish.MARKER: json.dumps({"checkpoint": checkpoint}).encode()}
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return str(root)


@pytest.fixture
def base(s3_env, bucket):
    loc = urls.parse(f"s3://{bucket}/out/export/model", flag="--train_url")
    return store_lib.open_store(loc, _settings()), loc


def _remote(s3fs_client, loc):
    return sorted(p[len(loc.path) + 1:] for p in s3fs_client.find(loc.path))


@pytest.mark.slow
def test_an_interrupted_upload_leaves_no_saved_model_pb(s3fs_client, base, tmp_path):
    store, loc = base

    def killed(target):
        raise KeyboardInterrupt  # the process dies after variables/ and assets/ landed
    with pytest.raises(KeyboardInterrupt):
        publish.publish(store, loc, _version(tmp_path, "model.ckpt-10"), before_model_file=killed)
    files = _remote(s3fs_client, loc)
    assert "1/variables/variables.index" in files and "1/assets/vocab.txt" in files
    assert "1/saved_model.pb" not in files  # TF Serving finds no SavedModel here

    url = publish.publish(store, loc, _version(tmp_path, "model.ckpt-10"))
    assert url == loc.join("2").url
    files = _remote(s3fs_client, loc)
    assert "2/saved_model.pb" in files and not any(f.startswith("1/") for f in files)


@pytest.mark.slow
def test_a_failed_upload_is_a_data_error_and_still_no_model_file(s3fs_client, base, tmp_path, monkeypatch):
    store, loc = base
    real, calls = store._put, []

    def flaky(local, remote):
        calls.append(local)
        if len(calls) == 3:
            raise ConnectionResetError("connection reset by peer")
        return real(local, remote)
    monkeypatch.setattr(store, "_put", flaky)
    with pytest.raises(DataError, match="cannot upload"):
        publish.publish(store, loc, _version(tmp_path, "model.ckpt-10"))
    assert not any(f.endswith("saved_model.pb") for f in _remote(s3fs_client, loc))


@pytest.mark.slow
def test_same_checkpoint_is_reused_and_a_new_one_gets_the_next_number(s3fs_client, base, tmp_path):
    store, loc = base
    first = publish.publish(store, loc, _version(tmp_path, "model.ckpt-10", "a"))
    assert publish.publish(store, loc, _version(tmp_path, "model.ckpt-10", "b")) == first
    assert publish.publish(store, loc, _version(tmp_path, "model.ckpt-20", "c")) == loc.join("2").url
    assert [f for f in _remote(s3fs_client, loc) if f.endswith("saved_model.pb")] == [
        "1/saved_model.pb", "2/saved_model.pb"]
