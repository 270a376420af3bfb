"""Bad URLs, missing or wrong credentials, missing buckets and unreachable endpoints fail
before training with one clear line, and never show a secret."""

import os

import pytest

from modelmaker import api
from modelmaker.commands import train
from modelmaker.errors import DataError
from tests.storage.conftest import SECRET, free_port, start_moto, stop

TINY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "modules", "tiny.py")


def _fails(capsys=None, **urls):
    with pytest.raises(DataError) as e:
        api.fit(TINY, {"train_max_steps": 1}, **urls)
    message = str(e.value)
    assert SECRET not in message
    return message


def _nothing_trained():
    cache = os.environ["MODELMAKER_CACHE_DIR"]
    for folder, _, names in os.walk(cache):
        assert not any(n.startswith("model.ckpt") for n in names), folder


@pytest.mark.slow
def test_missing_credentials(s3_env, bucket, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    message = _fails(train_url=f"s3://{bucket}/out")
    assert "Unable to locate credentials" in message and "AWS_ACCESS_KEY_ID" in message
    assert "AWS_PROFILE" in message
    message = _fails(data_url=f"s3://{bucket}/data", train_url=os.environ["MODELMAKER_CACHE_DIR"])
    assert "cannot list s3://" in message
    _nothing_trained()


@pytest.mark.slow
def test_unreachable_endpoint(s3_env, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    message = _fails(train_url="s3://some-bucket/out")
    assert "Could not connect" in message and "from AWS_ENDPOINT_URL" in message
    _nothing_trained()


@pytest.mark.slow
def test_missing_bucket(s3_env):
    message = _fails(train_url="s3://no-such-bucket-here/out")
    assert "Create bucket 'no-such-bucket-here'" in message


@pytest.mark.slow
def test_obs_without_an_endpoint(s3_env, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    message = _fails(train_url="obs://bucket/out")
    assert "OBS_ENDPOINT_URL" in message


@pytest.mark.slow
def test_wrong_credentials_on_a_server_that_checks_them(s3_env, monkeypatch):
    proc, endpoint = start_moto({"INITIAL_NO_AUTH_ACTION_COUNT": "0"})
    try:
        monkeypatch.setenv("KS3_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("KS3_ACCESS_KEY_ID", "AKIDWRONG")
        monkeypatch.setenv("KS3_SECRET_ACCESS_KEY", SECRET)
        message = _fails(train_url="ks3://bucket/out")
    finally:
        stop(proc)
    assert "Access Key Id you provided does not exist" in message
    assert "KS3_ACCESS_KEY_ID/KS3_SECRET_ACCESS_KEY" in message


@pytest.mark.slow
def test_cli_prints_one_line_and_exits_2(s3_env, capsys):
    code = train.main(["--user_module", TINY, "--train_url", "hdfs://namenode/out"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith("modelmaker: error: --train_url 'hdfs://namenode/out' uses the unknown scheme")
