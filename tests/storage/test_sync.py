"""Mirroring a local model directory to a remote train_url (moto S3 server), without training."""

import os

import pytest

from modelmaker.errors import DataError
from modelmaker.storage import sync

from modelmaker import environment


def _settings():
    """The storage settings of the test's environment (the s3_env fixture sets it)."""
    return environment.read().storage


def _write(root, files):
    for rel, text in files.items():
        path = os.path.join(root, *rel.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def _index(local_dir, *names):
    return "".join([f'model_checkpoint_path: "{os.path.join(local_dir, names[-1])}"\n'] +
                   [f'all_model_checkpoint_paths: "{os.path.join(local_dir, n)}"\n' for n in names])


def _names(fs, prefix):
    return sorted(p[len(prefix) + 1:] for p in fs.find(prefix))


@pytest.mark.slow
def test_push_mirrors_outputs_but_not_exports_or_temp_files(s3fs_client, bucket):
    remote = sync.open_train_url(f"s3://{bucket}/out", settings=_settings())
    local = remote.pull()
    _write(local, {"model.ckpt-1.index": "i1", "model.ckpt-1.data-00000-of-00001": "d1",
                   "events.out.tfevents.1": "e", "eval/events.out.tfevents.2": "e",
                   "params.json": "{}", "export/model/1/saved_model.pb": "x",
                   "model.ckpt-2_temp/part-00000-of-00001.index": "t", ".params.json.x.tmp": "t",
                   "checkpoint": _index(local, "model.ckpt-1")})
    remote.push()
    assert _names(s3fs_client, f"{bucket}/out") == [
        "checkpoint", "eval/events.out.tfevents.2", "events.out.tfevents.1",
        "model.ckpt-1.data-00000-of-00001", "model.ckpt-1.index", "params.json"]
    assert s3fs_client.cat_file(f"{bucket}/out/checkpoint").decode() == (
        'model_checkpoint_path: "model.ckpt-1"\nall_model_checkpoint_paths: "model.ckpt-1"\n')

    # The Saver deletes an old checkpoint: its remote copy goes too; unchanged files are not re-sent.
    for name in ("model.ckpt-1.index", "model.ckpt-1.data-00000-of-00001"):
        os.unlink(os.path.join(local, name))
    _write(local, {"model.ckpt-2.index": "i2", "checkpoint": _index(local, "model.ckpt-2")})
    remote.push()
    names = _names(s3fs_client, f"{bucket}/out")
    assert "model.ckpt-2.index" in names and "model.ckpt-1.index" not in names


@pytest.mark.slow
def test_pull_fetches_only_the_latest_checkpoint_and_params(s3fs_client, bucket, tmp_path):
    for name, data in {"model.ckpt-5.index": "i5", "model.ckpt-9.index": "i9",
                       "model.ckpt-9.data-00000-of-00001": "d9", "params.json": '{"a": 1}',
                       "events.out.tfevents.1": "e", "export/model/1/saved_model.pb": "x",
                       "checkpoint": 'model_checkpoint_path: "model.ckpt-9"\n'
                                     'all_model_checkpoint_paths: "model.ckpt-5"\n'
                                     'all_model_checkpoint_paths: "model.ckpt-9"\n'}.items():
        s3fs_client.pipe_file(f"{bucket}/run/{name}", data.encode())
    local = sync.open_train_url(f"s3://{bucket}/run", settings=_settings(), cache_dir=str(tmp_path / "fresh")).pull()
    assert sorted(os.listdir(local)) == ["checkpoint", "model.ckpt-9.data-00000-of-00001",
                                         "model.ckpt-9.index", "params.json"]
    assert open(os.path.join(local, "checkpoint")).read().startswith('model_checkpoint_path: "model.ckpt-9"')


@pytest.mark.slow
def test_a_newer_local_checkpoint_is_kept(s3fs_client, bucket):
    s3fs_client.pipe_file(f"{bucket}/run/checkpoint", b'model_checkpoint_path: "model.ckpt-3"\n')
    s3fs_client.pipe_file(f"{bucket}/run/model.ckpt-3.index", b"i3")
    remote = sync.open_train_url(f"s3://{bucket}/run", settings=_settings())
    _write(remote.local_dir, {"checkpoint": 'model_checkpoint_path: "model.ckpt-7"\n',
                              "model.ckpt-7.index": "i7"})
    remote.pull()
    assert not os.path.exists(os.path.join(remote.local_dir, "model.ckpt-3.index"))
    assert "model.ckpt-7" in open(os.path.join(remote.local_dir, "checkpoint")).read()


@pytest.mark.slow
def test_a_failed_upload_during_training_is_logged_not_raised(s3fs_client, bucket, monkeypatch, caplog):
    remote = sync.open_train_url(f"s3://{bucket}/out", settings=_settings())
    _write(remote.pull(), {"params.json": "{}"})

    def broken(*args, **kwargs):
        raise DataError("cannot upload s3://x: endpoint went away")
    monkeypatch.setattr(remote.store, "put_many", broken)
    messages = []
    monkeypatch.setattr(sync.logs, "info", messages.append)
    remote.push(soft=True)
    assert any("retrying at the next checkpoint" in m for m in messages)
    with pytest.raises(DataError, match="endpoint went away"):
        remote.push()
