"""URL parsing, the scheme table, endpoint/credential resolution and the cache location."""

import pytest

from modelmaker.errors import DataError
from modelmaker.storage import urls


@pytest.mark.parametrize("url, scheme, bucket, key", [
    ("s3://bucket/mnist", "s3", "bucket", "mnist"),
    ("obs://bucket/a/b/", "obs", "bucket", "a/b"),
    ("ks3://my.bucket-1", "ks3", "my.bucket-1", ""),
    ("gs://under_score/x", "gs", "under_score", "x"),
])
def test_parse(url, scheme, bucket, key):
    loc = urls.parse(url, flag="--data_url")
    assert (loc.scheme, loc.bucket, loc.key) == (scheme, bucket, key)
    assert loc.join("c", "/d/").url == f"{scheme}://{bucket}/{(key + '/c/d').lstrip('/')}"


@pytest.mark.parametrize("url, words", [
    ("hdfs://nn/path", ["unknown scheme 'hdfs'", "s3://, obs://, ks3://, gs://"]),
    ("file:///tmp/x", ["unknown scheme 'file'", "local path"]),
    ("s3://", ["no valid bucket name"]),
    ("s3://Bad_Bucket/x", ["no valid bucket name", "Bad_Bucket"]),
    ("s3://ab/x", ["no valid bucket name"]),
])
def test_parse_rejects_bad_urls(url, words):
    with pytest.raises(DataError) as e:
        urls.parse(url, flag="--train_url")
    assert "--train_url" in str(e.value)
    for word in words:
        assert word in str(e.value)


def test_credentials_in_the_url_are_refused_without_echoing_them():
    with pytest.raises(DataError) as e:
        urls.parse("s3://AKID:topsecret@bucket/x", flag="--data_url")
    assert "topsecret" not in str(e.value) and "environment" in str(e.value)


def test_is_remote():
    assert urls.is_remote("s3://b/x") and urls.is_remote("gs://b/x")
    assert not urls.is_remote("data/mnist") and not urls.is_remote(None)


def test_obs_and_ks3_need_an_endpoint():
    settings = urls.from_environ({})
    for scheme, var in (("obs", "OBS_ENDPOINT_URL"), ("ks3", "KS3_ENDPOINT_URL")):
        with pytest.raises(DataError, match=var):
            settings.access(scheme)
    assert settings.access("s3").endpoint_url is None  # botocore's own resolution


def test_per_scheme_endpoint_and_credentials_win():
    env = {"OBS_ENDPOINT_URL": "https://obs.example", "OBS_ACCESS_KEY_ID": "AK",
           "OBS_SECRET_ACCESS_KEY": "SK", "OBS_REGION": "cn-north-4",
           "AWS_ENDPOINT_URL": "http://minio:9000", "HOME": "/root"}
    settings = urls.from_environ(env)
    assert "HOME" not in settings.env
    obs = settings.access("obs")
    assert (obs.endpoint_url, obs.endpoint_source) == ("https://obs.example", "OBS_ENDPOINT_URL")
    assert (obs.key, obs.secret, obs.region) == ("AK", "SK", "cn-north-4")
    assert "SK" not in repr(obs) and "SK" not in repr(settings)
    ks3 = settings.access("ks3")  # falls back to the standard variable, read by botocore itself
    assert ks3.endpoint_url is None and ks3.endpoint_source == "AWS_ENDPOINT_URL" and ks3.key is None


def test_half_a_key_pair_is_an_error():
    with pytest.raises(DataError, match="KS3_SECRET_ACCESS_KEY"):
        urls.from_environ({"KS3_ENDPOINT_URL": "http://x", "KS3_ACCESS_KEY_ID": "AK"}).access("ks3")


def test_checksum_settings_unless_the_user_set_them():
    assert urls.from_environ({}).access("s3").client_config == {
        "request_checksum_calculation": "when_required",
        "response_checksum_validation": "when_required"}
    # A blank value is an error in botocore: treated as unset. A real value is left to botocore.
    env = {"AWS_REQUEST_CHECKSUM_CALCULATION": "", "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_supported"}
    assert urls.from_environ(env).access("s3").client_config == {
        "request_checksum_calculation": "when_required"}


def test_cache_root_precedence(tmp_path):
    settings = urls.from_environ({"MODELMAKER_CACHE_DIR": str(tmp_path / "env")})
    assert settings.cache_root(str(tmp_path / "flag")) == str(tmp_path / "flag")
    assert settings.cache_root() == str(tmp_path / "env")
    assert urls.from_environ({}).cache_root()  # /cache/modelmaker or a temp folder


def test_an_unusable_cache_folder_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match="--cache_dir or MODELMAKER_CACHE_DIR"):
        urls.from_environ({}).cache_root(str(tmp_path / "file" / "cache"))
