"""The suite does not depend on the caller's shell: tests/conftest.py clears the variables
that change what modelmaker, TensorFlow or botocore do, for each test and its subprocesses."""

import os
import subprocess
import sys
import textwrap

import pytest

from .conftest import REPO

# What a user's shell may well export (README: the suite must pass with these set).
DIRTY = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_CONFIG": '{"cluster":{}}', "AWS_ACCESS_KEY_ID": "x",
         "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "OBS_ENDPOINT_URL": "http://127.0.0.1:9",
         "KS3_SECRET_ACCESS_KEY": "y", "S3_REGION": "z", "MODELMAKER_FAULT": "kill_now",
         "MODELMAKER_CACHE_DIR": "/nonexistent", "CUDA_VISIBLE_DEVICES": "7", "SM_HPS": "[1]",
         "SM_OUTPUT_DIR": "/nonexistent", "AIP_MODEL_DIR": "/nonexistent", "MA_JOB_DIR": "/x",
         "CLUSTER_SPEC": "{"}

INNER = textwrap.dedent('''
    import json, os, subprocess, sys

    DIRTY = {dirty!r}
    AT_IMPORT = sorted(n for n in DIRTY if n in os.environ)  # where test modules import TensorFlow


    def test_module_import_sees_none_of_them():
        assert AT_IMPORT == []


    def test_a_test_that_leaks_one():
        os.environ["TF_CONFIG"] = '{{"cluster": {{"worker": ["h:1"]}}}}'  # no monkeypatch


    def test_a_test_and_its_subprocess_see_none_of_them():
        assert sorted(n for n in DIRTY if n in os.environ) == []
        child = subprocess.run([sys.executable, "-c", "import json, os; print(json.dumps(sorted(os.environ)))"],
                               env=dict(os.environ), capture_output=True, text=True, check=True)
        assert sorted(set(json.loads(child.stdout)) & set(DIRTY)) == []
''')


@pytest.mark.slow
def test_tests_and_their_subprocesses_see_none_of_the_callers_variables(tmp_path):
    (tmp_path / "test_inner.py").write_text(INNER.format(dirty=DIRTY))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider",
         "test_inner.py"], cwd=str(tmp_path), env=dict(os.environ, PYTHONPATH=REPO, **DIRTY),
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "3 passed" in proc.stdout, proc.stdout + proc.stderr
