"""logs: the native start-up lines current TensorFlow prints on import are dropped, and nothing
else is."""

import os
import subprocess
import sys

import pytest

from modelmaker import logs
from tests.conftest import REPO

STARTUP = ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
           "I0000 00:00:1796122891.279700    5906 port.cc:153] oneDNN custom operations are on.\n"
           "I0000 00:00:1796122891.280064    5906 cudart_stub.cc:31] Could not find cuda drivers\n")


def test_native_startup_lines_are_dropped_and_the_rest_is_kept(capfd):
    with logs.native_startup_lines_dropped():
        os.write(2, STARTUP.encode())
        os.write(2, b"a warning the user should see\n")
        print("from python", file=sys.stderr)
    err = capfd.readouterr().err  # (capfd keeps Python's stderr apart from fd 2: order aside)
    assert sorted(err.splitlines()) == ["a warning the user should see", "from python"]


def test_what_was_written_comes_back_when_the_block_raises(capfd):
    with pytest.raises(ImportError):
        with logs.native_startup_lines_dropped():
            os.write(2, STARTUP.encode() + b"libfoo.so: cannot open shared object file\n")
            raise ImportError("no")
    assert capfd.readouterr().err == "libfoo.so: cannot open shared object file\n"


def test_a_command_starts_without_tensorflows_native_startup_lines():
    code = ("from modelmaker import environment, logs; environment.quiet_native_logs(False); "
            "logs.setup(False); logs.info('ready')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=REPO), stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "ready\n"
