"""Kill -9 and rerun: training resumes from the last checkpoint and ends exactly at
train_max_steps; a process killed during export never leaves a half version behind."""

import os
import signal

import numpy as np
import pytest

from tests.fault import faultkit
from modelmaker import layout
from modelmaker.engine import export as export_lib


@pytest.mark.slow
def test_sigkill_after_a_checkpoint_then_rerun_finishes_exactly(tmp_path):
    out, hold = tmp_path / "out", tmp_path / "hold"
    hold.touch()
    argv = faultkit.train_command(out, hold_file=hold)
    proc = faultkit.start(argv, tmp_path / "first.log")
    faultkit.wait_for_checkpoint(out, proc)
    proc.kill()  # SIGKILL: no handler runs
    assert proc.wait(timeout=60) == -signal.SIGKILL
    saved = faultkit.checkpoint_step(out)
    assert not (out / "result.json").exists() and not os.path.isdir(out / "export")
    hold.unlink()

    second = faultkit.run(argv)
    assert second.returncode == 0, second.stderr
    assert f"resuming from step {saved}" in second.stderr
    record = faultkit.result(out)
    assert record["global_step"] == faultkit.STEPS["train_max_steps"] and record["trained"]
    assert faultkit.checkpoint_step(out) == faultkit.STEPS["train_max_steps"]
    outputs = faultkit.predict(record["export_dir"], np.ones((2, 4), np.float32))
    assert outputs["probabilities"].shape == (2, 3)

    third = faultkit.run(argv)
    assert third.returncode == 0, third.stderr
    assert "nothing to train" in third.stderr and "train | step" not in third.stderr
    again = faultkit.result(out)
    assert not again["trained"] and again["global_step"] == record["global_step"]
    assert again["export_dir"] == record["export_dir"], "the same checkpoint is not exported twice"


@pytest.mark.slow
def test_kill_before_publish_leaves_no_version_and_the_rerun_cleans_up(tmp_path):
    out = tmp_path / "out"
    argv = faultkit.train_command(out, train_max_steps=10)
    killed = faultkit.run(argv, MODELMAKER_FAULT="kill_before_publish")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    base = layout.export_base(str(out), "model")
    assert export_lib.versions(base) == [], "no numbered version without a complete SavedModel"
    staged = [n for n in os.listdir(base) if n.startswith(".staging-")]
    assert len(staged) == 1, os.listdir(base)
    (inner,) = os.listdir(os.path.join(base, staged[0]))
    assert os.path.isfile(os.path.join(base, staged[0], inner, "saved_model.pb")), \
        "the kill came at the worst moment: the staged model was complete"
    assert not (out / "result.json").exists()

    rerun = faultkit.run(argv)
    assert rerun.returncode == 0, rerun.stderr
    assert "removed an unfinished export left by an earlier crash" in rerun.stderr
    assert sorted(os.listdir(base)) == ["1"]
    outputs = faultkit.predict(os.path.join(base, "1"), np.ones((1, 4), np.float32))
    assert outputs["class_id"].shape == (1,)
    assert faultkit.result(out)["export_dir"] == os.path.join(base, "1")
