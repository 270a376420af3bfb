"""best_export in a cluster: the evaluator and the chief's final evaluation both evaluate the
final checkpoint; exactly one of them writes its best export."""

import json
import os

import pytest

from tests.launch.test_clusters import check_outputs, launch_local

MEETING = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "cluster", "meeting.py")


@pytest.mark.slow
def test_the_final_step_gets_one_best_export_when_the_evaluator_and_the_chief_both_evaluate_it(tmp_path):
    out_dir = tmp_path / "out"
    # The evaluator's start delay outlasts training: its one evaluation is of the final
    # checkpoint, after the chief's done-marker, and it ends together with the chief's own.
    # grace: on a loaded machine the evaluator may still be starting when the chief is done.
    code, output = launch_local(
        "evaluator=1", MEETING, out_dir, grace=120, train_max_steps=20, eval_start_delay_secs=600, eval_steps=None,
        best_export=json.dumps({"metric": "accuracy", "mode": "max"}),
        argv_tail=["--set", f"meet_url={out_dir}", "--set", f"meet_dir={tmp_path / 'meet'}"])
    assert code == 0, output
    result = check_outputs(out_dir, output)
    step = result["global_step"]
    assert f"[evaluator/0] evaluation at step {step}" in output and f"[chief/0] evaluation at step {step}" in output
    assert sum(n.startswith("eval-") for n in os.listdir(tmp_path / "meet")) == 2, "both final evaluations met"
    best = out_dir / "export" / "best"
    exported = sorted(json.loads((best / v / "modelmaker_best.json").read_text())["global_step"]
                      for v in os.listdir(best) if v.isdigit())
    assert exported == [step], f"one best export of step {step}, got {exported}\n{output}"
    assert f"best export: step {step} is exported by another task" in output, output
