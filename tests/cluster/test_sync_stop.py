"""Synchronous workers stop together: the chief's early-stop decision is turned into one agreed
step that every worker reads at a step boundary (`modelmaker.cluster.sync_stop`)."""

import json
import re

import pytest

from tests.launch.test_clusters import check_outputs, launch_local

# Every evaluation after the first is a bad one (nothing improves accuracy by more than 1).
NEVER_BETTER = {"metric": "accuracy", "mode": "max", "patience": 1, "min_delta": 1.0}


@pytest.mark.slow
@pytest.mark.distributed
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
