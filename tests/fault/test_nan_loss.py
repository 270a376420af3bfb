"""A NaN/Inf loss stops training with the step it happened at and the last good checkpoint."""

import pytest

from tests.fault import faultkit


@pytest.mark.slow
def test_nan_loss_names_the_step_and_the_last_good_checkpoint(tmp_path):
    out = tmp_path / "out"
    proc = faultkit.run(faultkit.train_command(out, save_checkpoints_steps=5, nan_from_step=8))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "NanLossDuringTrainingError" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("modelmaker: error:")]
    assert errors == [
        f"modelmaker: error: loss became NaN or Inf at step 8; the last good checkpoint is "
        f"{out / 'model.ckpt-5'} (step 5). Lower the learning rate, check the input for NaN/Inf, "
        "or clip gradients; rerunning resumes from that checkpoint."]
    assert faultkit.checkpoint_step(out) == 5, "the diverged state is not saved"
