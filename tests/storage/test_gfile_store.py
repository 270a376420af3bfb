"""gs:// goes through tf.io.gfile (gcsfs cannot be installed beside TensorFlow 2.15's
protobuf). No GCS here: the same backend runs against a local folder standing in for the
bucket, which exercises everything but Google's endpoint and credentials."""

import os

import pytest

from modelmaker.errors import DataError
from modelmaker.storage import publish, stage, store as store_lib, sync, urls


class LocalGfileStore(store_lib.GfileStore):
    def __init__(self, root):
        super().__init__("gs", None)
        self.root = root

    def native(self, loc):
        return os.path.join(self.root, loc.bucket, *filter(None, loc.key.split("/")))


@pytest.fixture
def gs(tmp_path):
    return LocalGfileStore(str(tmp_path / "gcs"))


def _put(gs, url, data):
    gs.write(urls.parse(url, flag="test"), data)


def test_stage_and_skip(gs, tmp_path):
    _put(gs, "gs://bkt/ds/a.txt", b"alpha")
    _put(gs, "gs://bkt/ds/sub/b.txt", b"beta")
    loc = urls.parse("gs://bkt/ds", flag="--data_url")
    local, manifest = str(tmp_path / "cache" / "ds"), str(tmp_path / "cache" / "m.json")
    stage.mirror(gs, loc, local, manifest=manifest)
    assert open(os.path.join(local, "sub", "b.txt"), "rb").read() == b"beta"
    before = os.stat(os.path.join(local, "a.txt")).st_mtime_ns
    stage.mirror(gs, loc, local, manifest=manifest)
    assert os.stat(os.path.join(local, "a.txt")).st_mtime_ns == before


def test_push_pull_and_publish(gs, tmp_path):
    loc = urls.parse("gs://bkt/out", flag="--train_url")
    gs.check_writable(loc)
    first = sync.TrainUrl(gs, loc, str(tmp_path / "m1"))
    local = first.pull()
    for name, text in {"model.ckpt-4.index": "i", "params.json": "{}",
                       "checkpoint": f'model_checkpoint_path: "{local}/model.ckpt-4"\n'}.items():
        with open(os.path.join(local, name), "w") as f:
            f.write(text)
    first.push()
    second = sync.TrainUrl(gs, loc, str(tmp_path / "m2"))
    assert sorted(os.listdir(second.pull())) == ["checkpoint", "model.ckpt-4.index", "params.json"]

    version = tmp_path / "v"
    (version / "variables").mkdir(parents=True)
    (version / "variables" / "variables.index").write_bytes(b"v")
    (version / "saved_model.pb").write_bytes(b"g")
    url = publish.publish(gs, loc.join("export", "model"), str(version))
    assert url == "gs://bkt/out/export/model/1"
    assert os.path.exists(os.path.join(gs.root, "bkt", "out", "export", "model", "1", "saved_model.pb"))


def test_errors_name_google_credentials(gs):
    with pytest.raises(DataError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        with gs.errors(urls.parse("gs://bkt/x", flag="t"), "read"):
            raise OSError("permission denied")
