"""Synchronous workers stop together: the chief's early-stop decision is turned into one agreed
step that every worker reads at a step boundary (`modelmaker.cluster.sync_stop`)."""

import json
import re

import pytest
import tensorflow as tf

from modelmaker.cluster import sync_stop
from tests.launch.test_clusters import check_outputs, launch_local

# Every evaluation after the first is a bad one (nothing improves accuracy by more than 1).
NEVER_BETTER = {"metric": "accuracy", "mode": "max", "patience": 1, "min_delta": 1.0}


@pytest.mark.slow
def test_early_stopping_stops_every_synchronous_worker_at_the_same_step(tiny, tmp_path):
    out_dir = tmp_path / "mwms"
    # train_max_steps far away: only early stopping (the evaluator's second evaluation) ends
    # training; every checkpoint is kept, so that none is removed while the evaluator reads it.
    code, output = launch_local("worker=1,evaluator=1", tiny, out_dir, train_max_steps=100000,
                                early_stopping=json.dumps(NEVER_BETTER), keep_checkpoint_max=None,
                                grace=20)
    assert code == 0, output
    # Before the fix the chief and the worker each polled the evaluator's decision on their own
    # clock: one left the all-reduce while the other waited in it until the launcher stopped it.
    assert "[launch] all tasks finished" in output, output
    result = check_outputs(out_dir, output)
    agreed = re.search(r"\[worker/0\] stopping at step (\d+), as the chief decided \(early_stopping\)", output)
    assert agreed, output
    assert result["global_step"] == int(agreed.group(1)), "the chief and the worker stopped at the same step"
    assert json.loads((out_dir / "modelmaker_done.json").read_text())["reason"] == "early_stopping"
    assert json.loads((out_dir / "modelmaker_done.worker_0.json").read_text())["reason"] == "finished"


def _trainer(hook):
    """A MonitoredSession whose one op advances the global step, with `hook`."""
    with tf.Graph().as_default():
        step = tf.compat.v1.train.get_or_create_global_step()
        train_op = tf.compat.v1.assign_add(step, 1)
        return tf.compat.v1.train.MonitoredSession(hooks=[hook]), train_op


def _lockstep(trainers, *, rounds, before_round):
    """Runs the trainers one step each per round, as synchronous training does; returns the
    number of steps each took."""
    taken = [0] * len(trainers)
    for i in range(rounds):
        before_round(i)
        for j, (session, train_op) in enumerate(trainers):
            if not session.should_stop():
                session.run(train_op)
                taken[j] += 1
    return taken


@pytest.mark.parametrize("who", ["chief", "worker"])
def test_every_trainer_stops_after_the_step_the_chief_agreed(who, tmp_path, monkeypatch):
    monkeypatch.setattr(sync_stop, "POLL_SECS", 0)  # the chief looks for requests at every step
    wishes = {"chief": None, "worker": None}
    chief = sync_stop.SyncStopHook(str(tmp_path), is_chief=True, wants_stop=lambda: wishes["chief"],
                                   peers=["worker_0"])
    worker = sync_stop.SyncStopHook(str(tmp_path), is_chief=False, wants_stop=lambda: wishes["worker"],
                                    task="worker_0")

    def wish_after_four_steps(i):
        if i == 4:
            wishes[who] = {"reason": "interrupted", "signal": "SIGTERM", "task": f"{who}/0"}
    taken = _lockstep([_trainer(chief), _trainer(worker)], rounds=20, before_round=wish_after_four_steps)
    agreed = sync_stop.agreed(str(tmp_path))
    assert taken == [agreed["step"]] * 2, "both stopped after the agreed step"
    # The chief decides after the step in which it sees the wish (its own, or the worker's request).
    assert agreed["step"] == (6 if who == "chief" else 7)
    assert sync_stop.interrupted(str(tmp_path))["task"] == f"{who}/0"
