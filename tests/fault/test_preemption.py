"""SIGTERM (preemption) and SIGINT (Ctrl-C): a checkpoint at the current step, exit 143 / 130,
and a rerun that continues from that step."""

import os
import signal

import pytest

from tests.fault import faultkit
from modelmaker.engine.hooks import preemption
from modelmaker.errors import Interrupted


# The rerun is checked once (SIGTERM): it is the same resume whatever stopped the run.
@pytest.mark.slow
@pytest.mark.parametrize("signum, code, rerun", [(signal.SIGTERM, 143, True), (signal.SIGINT, 130, False)])
def test_signal_saves_the_current_step_and_the_rerun_continues(signum, code, rerun, tmp_path):
    out, hold = tmp_path / "out", tmp_path / "hold"
    hold.touch()
    argv = faultkit.train_command(out, hold_file=hold)
    proc = faultkit.start(argv, tmp_path / "first.log")
    faultkit.wait_for_checkpoint(out, proc)
    proc.send_signal(signum)
    hold.unlink()  # let the held step finish, so training sees the signal
    assert proc.wait(timeout=faultkit.DEADLINE_SECS) == code
    log = (tmp_path / "first.log").read_text()
    step = faultkit.checkpoint_step(out)
    name = preemption.SIGNALS[signum]
    assert (f"modelmaker: received {name}: checkpoint saved at step {step}; rerun the same "
            "command to continue") in log
    assert "Traceback" not in log
    assert not os.path.isdir(out / "export") and not (out / "result.json").exists(), \
        "a stopped run skips the evaluation and the export"
    if rerun:
        again = faultkit.run(argv)
        assert again.returncode == 0, again.stderr
        assert f"resuming from step {step}" in again.stderr
        assert faultkit.result(out)["global_step"] == faultkit.STEPS["train_max_steps"]


def test_watch_records_the_first_signal_and_restores_the_handlers():
    before = signal.getsignal(signal.SIGTERM)
    with preemption.watch() as stop:
        assert not stop
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.signum == signal.SIGTERM
        assert signal.getsignal(signal.SIGTERM) == before, "a second SIGTERM acts at once"
        with pytest.raises(Interrupted) as e:
            stop.check(7)
    assert signal.getsignal(signal.SIGTERM) == before
    assert e.value.exit_code == 143 and e.value.step == 7
    assert str(e.value) == "received SIGTERM: checkpoint saved at step 7; rerun the same command to continue"


def test_second_ctrl_c_quits_at_once():
    # A job started in the background (as CI may run us) inherits SIGINT ignored: start from
    # Python's own Ctrl-C handler, as an interactive run has.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with preemption.watch() as stop:
            os.kill(os.getpid(), signal.SIGINT)
            assert stop.signum == signal.SIGINT
            with pytest.raises(KeyboardInterrupt):
                os.kill(os.getpid(), signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, previous)


def test_an_ignored_signal_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with preemption.watch() as stop:
            os.kill(os.getpid(), signal.SIGINT)
            assert not stop
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_worker_that_saves_nothing_says_so():
    stop = preemption.StopRequest()
    stop.signum = signal.SIGTERM
    assert "this task saves no checkpoints" in str(stop.interrupted(3, saved=False))


@pytest.mark.slow
@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_during_a_long_evaluation_stops_it_after_the_current_batch(signum, code, tmp_path):
    out, hold = tmp_path / "out", tmp_path / "hold"
    hold.touch()
    # The final evaluation (intermediate ones are throttled away) would read a million batches.
    argv = faultkit.train_command(out, eval_hold_file=hold, eval_hold_after=2, eval_batches=10 ** 6,
                                  eval_steps=10 ** 6)
    proc = faultkit.start(argv, tmp_path / "run.log")
    reached = tmp_path / "hold.reached"
    faultkit.wait_for(reached.exists, proc, what="the evaluation's third batch")
    proc.send_signal(signum)
    hold.unlink()  # let the held batch finish, so the evaluation sees the signal
    assert proc.wait(timeout=faultkit.DEADLINE_SECS) == code
    log = (tmp_path / "run.log").read_text()
    step = faultkit.checkpoint_step(out)
    name = preemption.SIGNALS[signum]
    assert f"received {name} during the evaluation of step {step}: stopping" in log
    assert (f"modelmaker: received {name}: checkpoint saved at step {step}; rerun the same "
            "command to continue") in log
    assert "Traceback" not in log
    assert not os.path.isdir(out / "export") and not (out / "result.json").exists()
