"""Provides `build`: run parameters + plan -> tf.estimator.RunConfig.

TensorFlow's RunConfig reads TF_CONFIG from the environment itself, so `build` shows it the
normalised value modelmaker checked (`environment.tf_config_scope`: master renamed chief, the
evaluator out of the cluster, nothing at all for one process) while it is constructed.
"""

from modelmaker import environment
from modelmaker.cluster import tf_config as cluster_lib


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
    with environment.tf_config_scope(cluster):
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
