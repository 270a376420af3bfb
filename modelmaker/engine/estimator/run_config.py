"""Provides the one reader of TF_CONFIG and `build`: run parameters + plan -> tf.estimator.RunConfig.

`cluster_from_environment` reads TF_CONFIG once (at the edge, in `fit`); below that the
validated `Cluster` travels as a value. TensorFlow's own RunConfig and distribute coordinator
read TF_CONFIG from the environment themselves, so `tf_config_scope` hands them the
normalised value (master renamed chief, the evaluator out of the cluster, nothing at all for
one process) for the duration of each call: what TensorFlow sees is what modelmaker checked.
"""

import contextlib
import json
import os

from modelmaker.cluster import tf_config as cluster_lib

_TF_CONFIG = "TF_CONFIG"


def cluster_from_environment(environ=None):
    """The validated `Cluster` in TF_CONFIG (`cluster.LOCAL` when unset).

    Args:
      environ: a mapping of environment variables (default: the process environment).

    Raises:
      ParamsError: TF_CONFIG is malformed; the message names the problem.
    """
    environ = os.environ if environ is None else environ
    return cluster_lib.parse(environ.get(_TF_CONFIG))


@contextlib.contextmanager
def tf_config_scope(cluster):
    """Shows TensorFlow `cluster`'s normalised TF_CONFIG while the block runs, then restores."""
    before = os.environ.get(_TF_CONFIG)
    tf_config = cluster.tf_config()
    if tf_config:
        os.environ[_TF_CONFIG] = json.dumps(tf_config)
    else:
        os.environ.pop(_TF_CONFIG, None)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(_TF_CONFIG, None)
        else:
            os.environ[_TF_CONFIG] = before


def build(params, *, model_dir, plan=None):
    """A RunConfig carrying the checkpoint, logging, summary, seed and distribution settings.

    Args:
      params: the validated `RunParams`.
      model_dir: the local model directory (checkpoints, events, exports).
      plan: the task's `strategies.Plan`; None builds a one-process config (evaluation,
        export, reports), whatever TF_CONFIG says.
    """
    import tensorflow as tf
    cluster = plan.cluster if plan is not None else cluster_lib.LOCAL
    with tf_config_scope(cluster):
        return tf.estimator.RunConfig(
            model_dir=model_dir,
            save_checkpoints_steps=params["save_checkpoints_steps"],
            save_checkpoints_secs=params["save_checkpoints_secs"],
            # RunConfig treats 0 and None alike (keep all); the seed allows both.
            keep_checkpoint_max=params["keep_checkpoint_max"] or 0,
            # modelmaker's ProgressHook logs (and records global_step/sec) at this cadence in
            # place of Estimator's LoggingTensorHook and StepCounterHook: two hooks fewer a step.
            log_step_count_steps=None,
            save_summary_steps=params["save_summary_steps"] or 0,
            # No graph.pbtxt and no .meta beside each checkpoint: nothing reads them, and a graph
            # holding its data as constants makes them tens of MB each (seconds per save).
            checkpoint_save_graph_def=False,
            tf_random_seed=params["random_seed"],
            train_distribute=plan.strategy() if plan is not None else None,
            experimental_max_worker_delay_secs=params["worker_max_delay_secs"],
        )
