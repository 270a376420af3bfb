"""`modelmaker serve` and `modelmaker predict` from the command line: help, predictions for
JSON / CSV / raw files, user mistakes as one-line errors, and a real export served by the
CLI while a new version is exported."""

import json
import os
import queue
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import modelmaker
from modelmaker.commands import serve as command

from . import savedmodels
from .harness import Client

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = os.path.join(REPO, "tests", "modules", "tiny.py")
FAST = {"train_max_steps": 10, "save_checkpoints_steps": 5, "eval_steps": 2,
        "eval_throttle_secs": 0, "log_step_count_steps": 5}


@pytest.mark.parametrize("parser", [command.serve_parser, command.predict_parser])
def test_every_flag_is_explained(parser):
    for action in parser()._actions:
        assert action.help and len(action.help) > 15, action.option_strings


def test_serve_binds_loopback_unless_told_otherwise():
    args = command.serve_parser().parse_args(["--model_base_path", "x"])
    assert (args.host, args.port) == ("127.0.0.1", 8501)


@pytest.mark.slow
def test_help_through_the_modelmaker_command():
    for verb, flag in (("serve", "--model_base_path"), ("predict", "--input")):
        out = subprocess.run([sys.executable, "-m", "modelmaker.cli", verb, "--help"], cwd=REPO,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0 and flag in out.stdout and "docs/serving.md" in out.stdout


def predict(args, capsys):
    code = command.predict_main(args)
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_predict_json_and_csv_files_match_tfs_own_loader(bases, tmp_path, capsys):
    rows = [[1.0, 2.0], [0.5, -1.5]]
    (tmp_path / "in.json").write_text(json.dumps({"instances": rows}))
    (tmp_path / "in.csv").write_text("first,second\n1,2\n0.5,-1.5\n")
    code, lines, _ = predict(["--model", bases["linear"], "--input", str(tmp_path / "in.json"),
                              str(tmp_path / "in.csv")], capsys)
    expected = savedmodels.eager_outputs(bases["linear"] + "/1", {"x": np.array(rows, np.float32)})
    assert code == 0 and len(lines) == 4
    label, value = lines[1].split(": ", 1)
    assert label.endswith("in.json[1]")
    assert json.loads(value) == {"total": float(expected["total"][1]), "y": expected["y"][1].tolist()}
    assert lines[3].split(": ", 1)[1] == value  # the CSV row gives the same answer
    code, lines, _ = predict(["--model", bases["linear"] + "/1", "--format", "json",
                              "--input", str(tmp_path / "in.json")], capsys)
    assert code == 0 and len(json.loads(lines[0])["predictions"]) == 2


def test_predict_raw_files_through_the_hooks(bases, tmp_path, capsys, write_module):
    module = write_module("""
        def preprocess(raw, filename):
            return {"x": [float(v) for v in raw.split()]}

        def postprocess(prediction):
            return round(float(prediction["total"]), 3)
    """, name="pairhooks")
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"1 2")
    (folder / "b.txt").write_bytes(b"3 4")
    code, lines, _ = predict(["--model", bases["linear"], "--user_module", module,
                              "--batch_size", "1", "--input", str(folder)], capsys)
    assert code == 0 and [line.split(": ")[1] for line in lines] == ["3.0", "7.0"]


@pytest.mark.parametrize("make_args, message", [
    (lambda b, t: ["--model", str(t / "missing"), "--input", "x"], "does not exist"),
    (lambda b, t: ["--model", str(t), "--input", "x"], "is a train_url"),
    (lambda b, t: ["--model", b["linear"], "--input", str(t / "nope.png")], "does not exist"),
    (lambda b, t: ["--model", b["linear"], "--input", str(t / "raw.bin")], "Define preprocess"),
    (lambda b, t: ["--model", b["linear"], "--model_version", "5", "--input", "x"],
     "version 5 not found"),
    (lambda b, t: ["--model", b["linear"], "--input", str(t / "bad.json")], "not valid JSON"),
    (lambda b, t: ["--model", b["linear"], "--input", str(t / "wrong.json")],
     "Invalid reduction dimension"),  # fed as sent, as TF Serving does: the graph refuses it
])
def test_predict_mistakes_are_one_line_errors(bases, tmp_path, capsys, make_args, message):
    (tmp_path / "export").mkdir()
    (tmp_path / "raw.bin").write_bytes(b"\x89PNG")
    (tmp_path / "bad.json").write_text("{")
    (tmp_path / "wrong.json").write_text('[1, 2]')  # x rank 1: reduce_sum(y, 1) fails
    code, _, err = predict(make_args(bases, tmp_path), capsys)
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err


class ServeProcess:
    """`python -m modelmaker.cli serve ... --port 0`, reading its address from stdout."""

    def __init__(self, args, cwd=REPO):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "modelmaker.cli", "serve", *args, "--port", "0",
             "--grpc_port", "0"], cwd=cwd,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
            env=dict(os.environ, PYTHONPATH=REPO))
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def url(self, timeout=240):
        deadline, seen = time.monotonic() + timeout, []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            assert line is not None, f"serve exited: {''.join(seen)}"
            seen.append(line)
            if line.startswith("serving model"):
                self.line = line
                return "http://" + line.split(" at http://")[1].split("/v1/")[0]
        raise AssertionError(f"serve did not start: {''.join(seen)}")

    def stop(self):
        self.proc.terminate()
        return self.proc.wait(timeout=60)


def test_serve_cli_serves_a_real_export_and_picks_up_the_next_one(tmp_path):
    out = str(tmp_path / "out")
    first = modelmaker.fit(TINY, FAST, train_url=out)
    base = os.path.dirname(first.export_dir)
    server = ServeProcess(["--model_base_path", base, "--file_system_poll_wait_seconds", "0.2"])
    try:
        url = server.url()
        assert url.startswith("http://127.0.0.1:")
        client = Client(url)
        x = np.array([[0.5, -1.0, 2.0, 0.1]], np.float32)
        for expected_version, export_dir in ((1, first.export_dir), (2, None)):
            if export_dir is None:  # train on: the run exports version 2 beside version 1
                export_dir = modelmaker.fit(TINY, dict(FAST, train_max_steps=20),
                                            train_url=out).export_dir
                _wait_for_version(client, expected_version)
            status, body, _ = client.post("/v1/models/model:predict", {"instances": x.tolist()})
            expected = savedmodels.eager_outputs(export_dir, {"x": x})
            assert status == 200 and os.path.basename(export_dir) == str(expected_version)
            assert body["predictions"][0]["class_id"] == int(expected["class_id"][0])
            np.testing.assert_allclose(body["predictions"][0]["probabilities"],
                                       expected["probabilities"][0], rtol=1e-6)
        client.close()
    finally:
        code = server.stop()
    assert code == 0


def _wait_for_version(client, version, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = client.get("/v1/models/model")[1]["model_version_status"]
        if states[0]["version"] == str(version) and states[0]["state"] == "AVAILABLE":
            return
        time.sleep(0.1)
    raise AssertionError(f"version {version} was not served within {timeout}s")


def test_a_recorded_module_that_fails_to_import_only_loses_the_hooks(write_module):
    from modelmaker.errors import UserModuleError
    from modelmaker.serving import hooks as hooks_lib
    broken = write_module("import not_a_module_anywhere\n", name="brokenhooks")
    lines = []
    assert hooks_lib.find(marker={"user_module": broken}, log=lines.append) == hooks_lib.Hooks()
    assert "not_a_module_anywhere" in lines[0]
    with pytest.raises(UserModuleError):
        hooks_lib.find(explicit=broken)
