"""Staging a remote data_url into the cache (moto S3 server)."""

import io
import os

import pytest

from modelmaker.errors import DataError
from modelmaker.storage import stage, store as store_lib

from modelmaker import environment


def _settings():
    """The storage settings of the test's environment (the s3_env fixture sets it)."""
    return environment.read().storage


@pytest.fixture
def counted(monkeypatch):
    """Counts the files each staging downloads."""
    calls = []
    real = store_lib.Store.get_many

    def get_many(self, pairs, **kwargs):
        pairs = list(pairs)
        calls.append(len(pairs))
        return real(self, pairs, **kwargs)
    monkeypatch.setattr(store_lib.Store, "get_many", get_many)
    return calls


@pytest.mark.slow
def test_stages_a_folder_then_fetches_only_what_changed(s3fs_client, bucket, counted):
    for name, data in {"a.txt": b"alpha", "sub/b.bin": b"\x00" * 1000, "sub/deep/c": b"c"}.items():
        s3fs_client.pipe_file(f"{bucket}/ds/{name}", data)
    local = stage.stage_data(f"s3://{bucket}/ds", settings=_settings())
    assert local == os.path.join(os.environ["MODELMAKER_CACHE_DIR"], "data", "s3", bucket, "ds")
    assert open(os.path.join(local, "sub", "b.bin"), "rb").read() == b"\x00" * 1000
    assert counted == [3]

    stage.stage_data(f"s3://{bucket}/ds", settings=_settings())
    assert counted[-1] == 0  # same size and ETag: nothing fetched

    s3fs_client.pipe_file(f"{bucket}/ds/a.txt", b"ALPHA")  # same size, new ETag
    s3fs_client.rm_file(f"{bucket}/ds/sub/deep/c")
    open(os.path.join(local, "stray.txt"), "w").close()
    stage.stage_data(f"s3://{bucket}/ds", settings=_settings())
    assert counted[-1] == 1
    assert open(os.path.join(local, "a.txt"), "rb").read() == b"ALPHA"
    assert not os.path.exists(os.path.join(local, "sub", "deep", "c"))
    assert not os.path.exists(os.path.join(local, "stray.txt"))


@pytest.mark.slow
def test_a_damaged_cached_file_is_fetched_again(s3fs_client, bucket, counted):
    s3fs_client.pipe_file(f"{bucket}/ds/a.txt", b"alpha")
    local = stage.stage_data(f"s3://{bucket}/ds", settings=_settings())
    with open(os.path.join(local, "a.txt"), "wb") as f:
        f.write(b"alp")  # truncated
    stage.stage_data(f"s3://{bucket}/ds", settings=_settings())
    assert counted[-1] == 1 and open(os.path.join(local, "a.txt"), "rb").read() == b"alpha"


@pytest.mark.slow
def test_a_single_file_url_stages_that_file(s3fs_client, bucket, tmp_path):
    s3fs_client.pipe_file(f"{bucket}/one/train.tfrecord", b"records")
    local = stage.stage_data(f"s3://{bucket}/one/train.tfrecord", settings=_settings(), cache_dir=str(tmp_path / "c"))
    assert local.startswith(str(tmp_path / "c")) and open(local, "rb").read() == b"records"


@pytest.mark.slow
def test_an_empty_prefix_is_a_clear_error(s3fs_client, bucket):
    with pytest.raises(DataError, match="holds no files"):
        stage.stage_data(f"s3://{bucket}/nothing-here", settings=_settings())


def test_progress_bar_line():
    out = io.StringIO()
    bar = stage.Progress(files=4, size=4_000_000, label="stage", stream=out, every_secs=0)
    bar.update(2_000_000)
    line = bar.line(bar._start + 1.0)
    assert line.startswith("stage | [##########..........] 1/4 files | 2.0/4.0 MB | 2.0 MB/s")
