"""The graph engine on its own: train, resume, evaluate, export, predict, on the TF1-style layers module."""

import glob
import os

import numpy as np
import pytest
import tensorflow as tf

from modelmaker.engine import graph
from tests.engine.graph.conftest import CountRuns

SETTINGS = graph.RunSettings(save_checkpoints_steps=10, keep_checkpoint_max=2, log_step_count_steps=None,
                             save_summary_steps=10, tf_random_seed=7)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """layers_mnist trained to step 30, then resumed to step 40 (the second run's steps counted)."""
    from tests.engine.graph.conftest import User
    user, model_dir = User("layers_mnist"), str(tmp_path_factory.mktemp("layers_mnist"))
    first = graph.train(user.model_fn, user.train_input_fn, model_dir=model_dir, params={}, settings=SETTINGS,
                        max_steps=30)
    resumed = CountRuns()
    second = graph.train(user.model_fn, user.train_input_fn, model_dir=model_dir, params={}, settings=SETTINGS,
                         max_steps=40, hooks=[resumed])
    return user, model_dir, first, second, resumed.runs


def test_train_stops_at_max_steps_and_resumes(trained):
    _, model_dir, first, second, second_runs = trained
    assert (first, second, second_runs) == (30, 40, 10)
    assert graph.latest_step(model_dir) == 40


def test_keep_checkpoint_max_and_no_graph_copies(trained):
    _, model_dir, *_ = trained
    kept = sorted(os.path.basename(p) for p in glob.glob(os.path.join(model_dir, "model.ckpt-*.index")))
    assert kept == ["model.ckpt-30.index", "model.ckpt-40.index"]
    assert not glob.glob(os.path.join(model_dir, "*.meta")) and not os.path.exists(
        os.path.join(model_dir, "graph.pbtxt"))
    # The input's 295 KB of training images are a graph constant: no event may carry it (Estimator's
    # CheckpointSaverHook writes it twice per run).
    graph_events = [e.ByteSize() for p in glob.glob(os.path.join(model_dir, "events.out.tfevents.*"))
                    for e in tf.compat.v1.train.summary_iterator(p) if e.HasField("graph_def")]
    assert sum(size > 1000 for size in graph_events) == 2, graph_events  # one per training run
    assert max(graph_events) < 512 * 12 * 12 * 4, graph_events


def test_training_writes_loss_summaries_every_save_summary_steps(trained):
    _, model_dir, *_ = trained
    steps = {step for step, tags in _event_tags(model_dir).items() if "loss" in tags}
    # MonitoredTrainingSession's summary hook records the step a run starts from plus one, as under Estimator.
    assert steps == {1, 11, 21, 31}, sorted(steps)


def test_training_past_max_steps_trains_nothing(trained):
    user, model_dir, *_ = trained
    runs = CountRuns()
    assert graph.train(user.model_fn, user.train_input_fn, model_dir=model_dir, params={}, settings=SETTINGS,
                       max_steps=20, hooks=[runs]) == 40
    assert runs.runs == 0


def test_evaluate_both_metric_kinds_loss_and_step(trained):
    user, model_dir, *_ = trained
    runs = CountRuns()
    result = graph.evaluate(user.model_fn, user.eval_input_fn, model_dir=model_dir, params={},
                            settings=SETTINGS, hooks=[runs])
    assert sorted(result) == ["accuracy", "global_step", "keras_accuracy", "loss"]
    assert result["global_step"] == 40 and runs.runs == 4  # until the input ends: 100 examples in batches of 32
    assert result["accuracy"] > 0.6, result
    assert abs(result["accuracy"] - result["keras_accuracy"]) < 1e-6, result
    partial = graph.evaluate(user.model_fn, user.eval_input_fn, model_dir=model_dir, params={},
                             settings=SETTINGS, steps=2, name="two")
    assert partial["global_step"] == 40 and partial["loss"] != result["loss"]
    tags = _event_tags(os.path.join(model_dir, "eval_two"))
    assert {"accuracy", "keras_accuracy", "loss"} <= tags[40], tags


def _event_tags(directory):
    """{step: {tag}} of the scalar summaries in the event files of `directory`."""
    steps = {}
    for path in glob.glob(os.path.join(directory, "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            steps.setdefault(event.step, set()).update(v.tag for v in event.summary.value)
    return steps


def test_export_signatures_and_served_predictions_match_predict(trained, tmp_path):
    user, model_dir, *_ = trained
    export_dir = graph.export_saved_model(user.model_fn, user.serving_input_receiver_fn, model_dir=model_dir,
                                          export_dir_base=str(tmp_path / "export"), params={})
    assert os.listdir(tmp_path / "export") == [os.path.basename(export_dir)]
    loaded = tf.saved_model.load(export_dir)
    assert sorted(loaded.signatures) == ["scores", "serving_default"]
    serving = loaded.signatures["serving_default"]
    spec = serving.structured_input_signature[1]["images"]
    assert (spec.dtype, spec.shape.as_list()) == (tf.float32, [None, 12, 12])
    outputs = {k: (v.dtype, v.shape.as_list()) for k, v in serving.structured_outputs.items()}
    assert outputs == {"class_id": (tf.int64, [None]), "probabilities": (tf.float32, [None, 4])}
    images, _ = user.module.images(100, 1)
    served = serving(images=tf.constant(images))
    predicted = list(graph.predict(user.model_fn, user.eval_input_fn, model_dir=model_dir, params={}))
    assert len(predicted) == 100 and sorted(predicted[0]) == ["class_id", "probabilities"]
    np.testing.assert_allclose(served["probabilities"].numpy(), np.stack([p["probabilities"] for p in predicted]),
                               atol=1e-5)
    scores = loaded.signatures["scores"](images=tf.constant(images))["scores"].numpy()
    np.testing.assert_allclose(scores, served["probabilities"].numpy(), atol=1e-6)


def test_export_numbers_a_second_export_of_the_same_second_apart(trained, tmp_path):
    user, model_dir, *_ = trained
    dirs = [graph.export_saved_model(user.model_fn, user.serving_input_receiver_fn, model_dir=model_dir,
                                     export_dir_base=str(tmp_path), params={}) for _ in range(2)]
    assert dirs[0] != dirs[1] and sorted(os.listdir(tmp_path)) == sorted(os.path.basename(d) for d in dirs)


def test_phases_without_a_checkpoint_say_so(tmp_path):
    from tests.engine.graph.conftest import User
    user = User("tiny")
    with pytest.raises(ValueError, match="no checkpoint in .*train first"):
        graph.evaluate(user.model_fn, user.eval_input_fn, model_dir=str(tmp_path))
    with pytest.raises(ValueError, match="no checkpoint in .*train first"):
        graph.export_saved_model(user.model_fn, user.serving_input_receiver_fn, model_dir=str(tmp_path),
                                 export_dir_base=str(tmp_path / "export"))


def test_steps_must_be_positive(tmp_path):
    from tests.engine.graph.conftest import User
    user = User("tiny")
    with pytest.raises(ValueError, match="steps must be > 0"):
        graph.train(user.model_fn, user.train_input_fn, model_dir=str(tmp_path), steps=0)
    with pytest.raises(ValueError, match="steps must be > 0"):
        graph.evaluate(user.model_fn, user.eval_input_fn, model_dir=str(tmp_path), steps=0)


def test_settings_reject_steps_and_secs_together():
    with pytest.raises(ValueError, match="set only one"):
        graph.RunSettings(save_checkpoints_steps=5, save_checkpoints_secs=60)
    assert graph.RunSettings().checkpoint_cadence == (None, 600)
    assert graph.RunSettings(save_checkpoints_steps=5).checkpoint_cadence == (5, None)
