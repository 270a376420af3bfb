"""A real S3 endpoint for the storage tests: moto in server mode on 127.0.0.1, a free port.

The server runs once per test session; each test gets its own bucket and a clean AWS
environment pointing at it (no real credentials, config files or instance metadata).
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

SECRET = "SeCrEt-never-printed-0123456789"  # the tests grep outputs for it
MOTO = Path(sys.executable).parent / "moto_server"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(env=None):
    """Starts moto_server on 127.0.0.1; returns (process, endpoint URL)."""
    if not MOTO.exists():
        pytest.skip(f"{MOTO} not found: install the test extra (pip install -e '.[test]', moto[server])")
    port = free_port()
    proc = subprocess.Popen([str(MOTO), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, **(env or {})})
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(300):  # bounded: 30 s at most
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited with code {proc.returncode}")
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            return proc, endpoint
        except OSError:
            time.sleep(0.1)
    stop(proc)
    raise RuntimeError("moto_server did not answer within 30 s")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def s3_endpoint():
    proc, endpoint = start_moto()
    yield endpoint
    stop(proc)


@pytest.fixture
def s3_env(monkeypatch, s3_endpoint, tmp_path):
    """A clean storage environment pointing at the moto server; returns the endpoint."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "OBS_", "KS3_", "S3_", "MODELMAKER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTESTING")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("MODELMAKER_CACHE_DIR", str(tmp_path / "cache"))
    return s3_endpoint


@pytest.fixture
def s3fs_client(s3_env):
    """An s3fs filesystem on the moto server, for arranging and inspecting buckets."""
    import s3fs
    return s3fs.S3FileSystem(key="AKIDTESTING", secret=SECRET, endpoint_url=s3_env,
                             skip_instance_cache=True, use_listings_cache=False)


@pytest.fixture
def bucket(s3fs_client):
    """A new, empty bucket name."""
    name = f"mm-{uuid.uuid4().hex[:12]}"
    s3fs_client.mkdir(name)
    return name
