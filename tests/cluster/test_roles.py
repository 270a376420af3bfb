"""Tests for the ps/evaluator loops: they stop on the chief's done-marker or their idle timeout."""

import os
import re

import pytest

from modelmaker.cluster import done, roles
from tests.launch.test_clusters import check_outputs, launch_local


class Clock:
    """A fake clock whose sleep advances time, shared by `time` and `monotonic` callers."""

    def __init__(self, start=1000.0):
        self.now = start
        self.hooks = []  # (time, action) run once the clock passes `time`

    def __call__(self):
        return self.now

    def sleep(self, secs):
        self.now += max(secs, 0.001)
        for at, action in list(self.hooks):
            if self.now >= at:
                self.hooks.remove((at, action))
                action()


def watch(tmp_path, clock, checkpoints, timeout=None):
    return roles.Watch(str(tmp_path), latest_checkpoint=lambda: checkpoints[-1] if checkpoints else None,
                       idle_timeout_secs=timeout, clock=clock)


def test_a_marker_written_after_the_task_started_stops_it(tmp_path, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(done.time, "time", clock)
    w = watch(tmp_path, clock, [])
    assert roles.wait(w, 5, sleep=clock.sleep, clock=clock) is None, "time is up, no reason"
    clock.hooks.append((clock.now + 3, lambda: done.write(str(tmp_path), reason="finished",
                                                          global_step=7)))
    reason = roles.wait(w, None, sleep=clock.sleep, clock=clock)
    assert reason == "the chief is done (finished at step 7)"


def test_a_marker_from_an_earlier_run_is_ignored(tmp_path, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(done.time, "time", clock)
    done.write(str(tmp_path), reason="finished", global_step=100)
    clock.now += 1
    w = watch(tmp_path, clock, [])
    assert w.done() is None and w.stop_reason() is None


def test_idle_timeout_counts_from_the_last_new_checkpoint(tmp_path):
    clock, checkpoints = Clock(), ["ckpt-0"]
    w = watch(tmp_path, clock, checkpoints, timeout=60)
    clock.hooks.append((clock.now + 50, lambda: checkpoints.append("ckpt-10")))
    reason = roles.wait(w, None, sleep=clock.sleep, clock=clock)
    assert "no new checkpoint for 60s" in reason
    assert 110 <= clock.now - 1000 < 112, "progress at 50s restarted the 60s timeout"


def test_evaluator_evaluates_new_checkpoints_until_max_steps(tmp_path):
    clock, checkpoints, evaluated, lines = Clock(), [], [], []
    for at, name in ((10, "ckpt-0"), (20, "ckpt-10"), (40, "ckpt-20")):
        clock.hooks.append((clock.now + at, lambda name=name: checkpoints.append(name)))

    def evaluate(checkpoint):
        evaluated.append(checkpoint)
        return {"global_step": int(checkpoint.split("-")[1])}
    reason = roles.evaluate_until_done(evaluate=evaluate, watch=watch(tmp_path, clock, checkpoints),
                                       max_steps=20, start_delay_secs=5, throttle_secs=0,
                                       log=lines.append, sleep=clock.sleep, clock=clock)
    assert evaluated == ["ckpt-0", "ckpt-10", "ckpt-20"]
    assert reason == "evaluated step 20 >= max_steps 20" and lines == [f"evaluator stopping: {reason}"]


def test_evaluator_stops_on_the_marker_when_max_steps_is_never_reached(tmp_path, monkeypatch):
    clock, checkpoints, evaluated = Clock(), ["ckpt-5"], []
    monkeypatch.setattr(done.time, "time", clock)
    clock.hooks.append((clock.now + 30, lambda: done.write(str(tmp_path), reason="early_stop",
                                                           global_step=5)))
    reason = roles.evaluate_until_done(
        evaluate=lambda c: evaluated.append(c) or {"global_step": 5},
        watch=watch(tmp_path, clock, checkpoints), max_steps=None, start_delay_secs=0,
        throttle_secs=600, log=lambda line: None, sleep=clock.sleep, clock=clock)
    assert evaluated == ["ckpt-5"] and reason == "the chief is done (early_stop at step 5)"
    assert clock.now - 1000 < 40, "the throttle wait is cut short by the marker"


def test_worker_dir_is_removed(tmp_path):
    from modelmaker.cluster import tf_config as cluster_lib
    (tmp_path / "tmp_worker_0" / "x").mkdir(parents=True)
    roles.clean_worker_dir(str(tmp_path), cluster_lib.LOCAL)
    assert not (tmp_path / "tmp_worker_0").exists()


def test_ps_waits_for_every_worker_marker_too(tmp_path, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(done.time, "time", clock)
    w = roles.Watch(str(tmp_path), latest_checkpoint=lambda: None, idle_timeout_secs=None,
                    also=["worker_0"], clock=clock)
    clock.now += 1
    with roles.marking_done(str(tmp_path), global_step=lambda: 40):
        pass
    assert done.read(str(tmp_path))["reason"] == "finished" and w.done() is None
    try:
        with roles.marking_done(str(tmp_path), global_step=lambda: 41, task="worker_0"):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert done.read(str(tmp_path), "worker_0")["reason"] == "failed"
    assert w.done()["global_step"] == 40


def test_marking_done_keeps_a_marker_written_during_the_run(tmp_path):
    with roles.marking_done(str(tmp_path), global_step=lambda: 9):
        done.write(str(tmp_path), reason="early_stop", global_step=5)
    assert done.read(str(tmp_path))["reason"] == "early_stop"


def test_evaluator_evaluates_the_last_checkpoint_once_the_chief_is_done(tmp_path, monkeypatch):
    clock, checkpoints, evaluated = Clock(), [], []
    monkeypatch.setattr(done.time, "time", clock)

    def finish():  # the chief saves its last checkpoint and the marker between two polls
        checkpoints.append("ckpt-40")
        done.write(str(tmp_path), reason="finished", global_step=40)
    clock.hooks.append((clock.now + 30, finish))
    reason = roles.evaluate_until_done(
        evaluate=lambda c: evaluated.append(c) or {"global_step": 40},
        watch=watch(tmp_path, clock, checkpoints), max_steps=None, start_delay_secs=0,
        throttle_secs=0, log=lambda line: None, sleep=clock.sleep, clock=clock)
    assert evaluated == ["ckpt-40"] and reason.startswith("the chief is done")


VANISHING = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vanishing.py")


@pytest.mark.slow
def test_the_evaluator_goes_on_when_a_checkpoint_is_removed_before_it_is_read(tmp_path):
    out_dir, hold = tmp_path / "out", tmp_path / "hold"
    hold.touch()  # the chief waits after 15 batches until the evaluator has removed the checkpoints
    code, output = launch_local("evaluator=1", VANISHING, out_dir, argv_tail=[
        "--set", f"hold_file={hold}", "--set", "hold_after=15", "--set", f"vanish_url={out_dir}"])
    assert code == 0, output
    check_outputs(out_dir, output)
    assert re.search(r"\[evaluator/0\] checkpoint model\.ckpt-\d+ was removed before it could be "
                     r"evaluated", output), output
    assert "[evaluator/0] evaluator stopping:" in output
