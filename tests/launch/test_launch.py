"""Tests for `modelmaker launch`: shapes, the TFJob manifest, and the local supervisor (with
stand-in tasks that start in milliseconds; test_clusters.py runs real training clusters)."""

import io
import json
import os
import re
import signal
import sys
import textwrap

import pytest
import yaml

from modelmaker.commands import cli
from modelmaker.commands import launch
from modelmaker.launch import local, shape as shape_lib, tfjob
from modelmaker.errors import ParamsError

# A stand-in task: prints its role, then does what BEHAVIOUR[role] says.
TASK = textwrap.dedent("""
    import json, os, subprocess, sys, time
    task = json.loads(os.environ["TF_CONFIG"])["task"]
    role = task["type"]
    print(f"hello from {role} {task['index']}", flush=True)
    todo = json.loads(sys.argv[1]).get(role, "ok")
    if todo.startswith("spawn:"):  # leave a grandchild behind, then hang
        child = subprocess.Popen(["sleep", "600"])
        open(todo[6:], "w").write(str(child.pid))
        todo = "hang"
    ready = sys.argv[2] if len(sys.argv) > 2 else None  # a folder where each task marks itself set up
    if ready:
        open(os.path.join(ready, f"{role}-{task['index']}"), "w").close()
    if todo == "fail":  # with `ready`: once all argv[3] tasks are set up (bounded wait)
        deadline = time.time() + 30
        while ready and len(os.listdir(ready)) < int(sys.argv[3]) and time.time() < deadline:
            time.sleep(0.05)
        sys.exit(3)
    if todo == "hang":
        time.sleep(600)
""")


def alive(pid):
    """True while `pid` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def started_pids(output):
    line = next(l for l in output.splitlines() if l.startswith("[launch] started"))
    return [int(p) for p in re.findall(r"pid (\d+)", line)]


def run_local(shape, behaviour, *, ready=(), **kwargs):
    """Runs the stand-in tasks under the local supervisor; `ready` (folder, task count) makes
    failing tasks wait until every task is set up."""
    out = io.StringIO()
    command = [sys.executable, "-c", TASK, json.dumps(behaviour), *map(str, ready)]
    try:
        code = local.run(shape_lib.parse(shape), command, env=dict(os.environ), out=out, **kwargs)
    finally:
        for pid in started_pids(out.getvalue()):  # never leave a process behind
            if alive(pid):
                os.killpg(pid, signal.SIGKILL)
    return code, out.getvalue()


@pytest.mark.slow
def test_a_failing_task_stops_the_others_and_sets_the_exit_code(tmp_path):
    grandchild = tmp_path / "grandchild.pid"
    ready = tmp_path / "ready"  # the workers fail once all four tasks have said hello
    ready.mkdir()
    code, out = run_local("worker=2,ps=1", {"chief": f"spawn:{grandchild}", "ps": "hang",
                                            "worker": "fail"}, ready=(ready, 4), timeout_secs=60)
    assert code == 3
    assert re.search(r"\[launch\] worker/\d failed \(exit code 3\); stopping the other tasks", out)
    for role in ("chief 0", "worker 0", "worker 1", "ps 0"):
        assert f"] hello from {role}" in out
    assert "[chief/0] hello from chief 0" in out, "each line carries its task"
    assert not any(alive(pid) for pid in started_pids(out))
    assert not alive(int(grandchild.read_text())), "the task's own children are stopped too"


@pytest.mark.slow
def test_success_waits_for_the_others_then_stops_leftovers():
    code, out = run_local("worker=1,ps=1,evaluator=1", {"ps": "hang"}, grace_secs=1, timeout_secs=60)
    assert code == 0
    assert "[launch] chief finished; waiting up to 1s" in out
    assert "[launch] stopping tasks still running 1s after the chief finished: ps/0" in out
    assert not any(alive(pid) for pid in started_pids(out))


@pytest.mark.slow
def test_all_done_exits_0_at_once():
    code, out = run_local("worker=1", {}, grace_secs=60, timeout_secs=60)
    assert code == 0 and "[launch] all tasks finished" in out


@pytest.mark.slow
def test_timeout_stops_everything():
    code, out = run_local("ps=1", {"chief": "hang", "ps": "hang"}, timeout_secs=1)
    assert code == 124 and "timeout after 1s" in out
    assert not any(alive(pid) for pid in started_pids(out))


def test_tf_configs_give_every_task_the_same_cluster():
    configs = local.tf_configs(shape_lib.parse("worker=2,ps=1,evaluator=1"), [1, 2, 3, 4])
    cluster = {"chief": ["127.0.0.1:1"], "worker": ["127.0.0.1:2", "127.0.0.1:3"],
               "ps": ["127.0.0.1:4"]}
    assert all(c["cluster"] == cluster for c in configs.values())
    assert configs[("evaluator", 0)]["task"] == {"type": "evaluator", "index": 0}
    assert sorted(configs) == [("chief", 0), ("evaluator", 0), ("ps", 0), ("worker", 0), ("worker", 1)]
    assert len(set(local.free_ports(5))) == 5


@pytest.mark.parametrize("text, words", [
    ("worker=two", "needs a count"),
    ("gpu=1", "unknown task kind 'gpu'"),
    ("evaluator=2", "at most 1"),
    ("chief=0", "exactly one chief"),
    ("worker=1,worker=2", "given twice"),
])
def test_bad_shapes(text, words):
    with pytest.raises(ParamsError, match=words):
        shape_lib.parse(text)


def test_tfjob_manifest_has_the_same_shape():
    out = io.StringIO()
    code = launch.main(["--print", "tfjob", "--shape", "worker=2,ps=1,evaluator=1", "--image",
                        "registry/m:1", "--name", "mnist", "--", "--user_module", "m",
                        "--train_url", "s3://b/run"], out=out)
    assert code == 0
    job = yaml.safe_load(out.getvalue())
    assert (job["apiVersion"], job["kind"], job["metadata"]["name"]) == ("kubeflow.org/v1", "TFJob", "mnist")
    specs = job["spec"]["tfReplicaSpecs"]
    assert {k: v["replicas"] for k, v in specs.items()} == {"Chief": 1, "Worker": 2, "PS": 1, "Evaluator": 1}
    container = specs["Worker"]["template"]["spec"]["containers"][0]
    assert container["name"] == "tensorflow" and container["image"] == "registry/m:1"
    assert container["command"] + container["args"] == [
        "python", "-m", "modelmaker.train", "--user_module", "m", "--train_url", "s3://b/run"]
    assert job["spec"]["runPolicy"]["cleanPodPolicy"] == "Running"


@pytest.mark.parametrize("argv, words", [
    (["--", "--user_module", "m"], "give the cluster shape"),
    (["--local", "worker=1"], "training arguments after `--`"),
    (["--print", "tfjob", "--shape", "worker=1", "--", "x"], "needs --image"),
    (["--print", "tfjob", "--shape", "worker=1", "--image", "i", "--name", "Bad_Name", "--", "x"],
     "not a Kubernetes name"),
])
def test_launch_mistakes_exit_2_with_one_line(argv, words, capsys):
    assert launch.main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_launch_is_a_verb(capsys):
    assert "launch" in cli.VERBS
    with pytest.raises(SystemExit):
        cli.main(["launch", "--help"])
    assert "--local SHAPE" in capsys.readouterr().out
    assert tfjob.REPLICA_TYPES["ps"] == "PS"
