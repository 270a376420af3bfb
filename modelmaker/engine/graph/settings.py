"""`RunSettings`: how the graph engine runs a model (Estimator's RunConfig, minus the cluster).

It is also the `config` a model_fn that takes one receives: besides its fields (`is_chief` among them:
False on a cluster's workers) it answers what a one-process RunConfig answers (`task_type` 'worker',
`task_id` 0, `num_ps_replicas` 0, `num_worker_replicas` 1, an empty `cluster_spec`, no `train_distribute`).
"""

import dataclasses
from typing import Any, Optional

DEFAULT_CHECKPOINT_SECS = 600  # Estimator's cadence when neither steps nor secs is given


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """Checkpoint, summary and session settings of one process.

    Attributes:
      save_checkpoints_steps: save every N global steps (not with save_checkpoints_secs).
      save_checkpoints_secs: save every N seconds; both None: every 600 s, as Estimator.
      keep_checkpoint_max: checkpoints kept (older ones are deleted; 0 or None keeps all).
      keep_checkpoint_every_n_hours: also keep one checkpoint per this many hours.
      save_summary_steps: write the model's summaries every N steps (0 or None: never).
      log_step_count_steps: log loss and steps/s every N steps (0 or None: never).
      tf_random_seed: graph-level random seed of every graph the engine builds.
      session_config: a tf.compat.v1.ConfigProto for every session.
      model_dir: the model directory (the graph functions fill it in when it is None).
      is_chief: whether this task writes checkpoints and summaries (False on a cluster's workers).
    """

    save_checkpoints_steps: Optional[int] = None
    save_checkpoints_secs: Optional[int] = None
    keep_checkpoint_max: Optional[int] = 5
    keep_checkpoint_every_n_hours: float = 10000.0
    save_summary_steps: Optional[int] = 100
    log_step_count_steps: Optional[int] = 100
    tf_random_seed: Optional[int] = None
    session_config: Any = None
    model_dir: Optional[str] = None
    is_chief: bool = True

    # What a one-process RunConfig answers (a model_fn may read them from `config`).
    task_type = "worker"
    task_id = 0
    num_ps_replicas = 0
    num_worker_replicas = 1
    global_id_in_cluster = 0
    master = ""
    evaluation_master = ""
    train_distribute = None
    eval_distribute = None
    device_fn = None

    def __post_init__(self):
        if self.save_checkpoints_steps and self.save_checkpoints_secs:
            raise ValueError(f"save_checkpoints_steps ({self.save_checkpoints_steps}) and save_checkpoints_secs "
                             f"({self.save_checkpoints_secs}) are both set: set only one of them.")
        for name in ("save_checkpoints_steps", "save_checkpoints_secs", "keep_checkpoint_max",
                     "save_summary_steps", "log_step_count_steps"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise ValueError(f"RunSettings.{name} must be a whole number >= 0 or None, got {value!r}.")

    @property
    def cluster_spec(self):
        """An empty tf.train.ClusterSpec: one process."""
        import tensorflow as tf
        return tf.train.ClusterSpec({})

    def in_dir(self, model_dir):
        """These settings with `model_dir` filled in (unchanged when already set)."""
        return self if self.model_dir else dataclasses.replace(self, model_dir=model_dir)

    @property
    def checkpoint_cadence(self):
        """(save_steps, save_secs): exactly one of them set."""
        if self.save_checkpoints_steps:
            return self.save_checkpoints_steps, None
        return None, self.save_checkpoints_secs or DEFAULT_CHECKPOINT_SECS
