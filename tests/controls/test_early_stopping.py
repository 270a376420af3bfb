"""early_stopping: stop when a metric stops improving, for good, and tell the other tasks."""

import json

import tensorflow as tf

import modelmaker
from modelmaker.controls import early_stopping
from modelmaker import config as params_lib
from modelmaker.cluster import done
from tests.conftest import FAST

# No evaluation can improve accuracy by more than 1, so the second evaluation is a bad one.
NEVER_BETTER = {"metric": "accuracy", "mode": "max", "patience": 1, "min_delta": 1.0}


def test_training_stops_early_stays_stopped_and_goes_on_with_more_patience(tiny, tmp_path, capfd):
    out = tmp_path / "out"
    settings = dict(FAST, train_max_steps=100, early_stopping=NEVER_BETTER)
    first = modelmaker.fit(tiny, settings, train_url=str(out))
    assert first.global_step == 10 and tf.train.latest_checkpoint(str(out)).endswith("model.ckpt-10")
    state = json.loads((out / "early_stopping.json").read_text())
    assert (state["best_step"], state["bad_evaluations"], state["last_step"]) == (5, 1, 10)
    assert done.read(str(out))["reason"] == "early_stopping", "the done-marker stops an evaluator and ps"
    assert "early stopping: stopping training at step 10" in capfd.readouterr().err

    again = modelmaker.fit(tiny, settings, train_url=str(out))
    assert again.global_step == 10 and "stopped at step 10" in capfd.readouterr().err
    assert first.trained and not again.trained, "the rerun did not advance the global step"
    assert json.loads((out / "result.json").read_text())["trained"] is False

    more = dict(settings, early_stopping=dict(NEVER_BETTER, patience=3))
    resumed = modelmaker.fit(tiny, more, train_url=str(out))
    assert resumed.global_step == 20 and resumed.trained


def _monitor(model_dir, patience=2):
    params = params_lib.resolve([params_lib.Layer("test", {"early_stopping": dict(NEVER_BETTER, patience=patience)})])
    return early_stopping.Monitor(early_stopping.setting(params), str(model_dir), log=lambda line: None)


def test_a_decision_made_by_an_evaluator_task_stops_the_training_tasks(tmp_path):
    trainer, evaluator = _monitor(tmp_path), _monitor(tmp_path)  # two processes sharing model_dir
    hook, listener = early_stopping.StopHook(trainer, poll_secs=0), early_stopping.DoneListener(trainer)
    with tf.Graph().as_default():
        step = tf.compat.v1.train.get_or_create_global_step()
        train_op = tf.compat.v1.assign_add(step, 1)
        with tf.compat.v1.train.MonitoredSession(hooks=[hook]) as session:
            for evaluated in (5, 10, 15):  # the evaluator's results while training goes on
                evaluator.update({"accuracy": 0.5, "global_step": evaluated})
                for _ in range(5):
                    if not session.should_stop():
                        session.run(train_op)
            stopped_at = session.run(step) if not session.should_stop() else None
            listener.end(None, 11)
    assert evaluator.state["bad_evaluations"] == 2 and trainer.should_stop()
    assert stopped_at is None, "the training loop was asked to stop"
    assert done.read(str(tmp_path))["global_step"] == 11


def test_an_evaluation_of_the_same_step_is_not_counted_twice(tmp_path):
    watching = _monitor(tmp_path)
    for _ in range(3):
        watching.update({"accuracy": 0.5, "global_step": 5})
    watching.update({"accuracy": 0.5, "global_step": 10})
    assert watching.state["bad_evaluations"] == 1 and not watching.should_stop()
