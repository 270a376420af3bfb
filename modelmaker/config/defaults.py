"""The one table of run-parameter defaults: every reserved key with its type, range and meaning.

Merge order (see `modelmaker.config.params`): `DEFAULTS` < parameters file < command line
or the dict given to `fit()`. `modelmaker.cluster.strategies` builds the strategy for each
`distribute` choice named here.
"""

import dataclasses
from typing import Any, Mapping, Optional

from modelmaker.engine import names as engines
from modelmaker.cluster import strategies


class _Required:
    def __repr__(self):
        return "required"


REQUIRED = _Required()  # the default of a dict field that must be given


@dataclasses.dataclass(frozen=True)
class Key:
    """One reserved parameter (or one field of a dict parameter): default, type, range, meaning."""

    default: Any
    kind: type                      # int, float, str, bool, list or dict
    doc: str
    nullable: bool = False
    minimum: Optional[float] = None  # inclusive lower bound for numbers
    choices: Optional[tuple] = None  # allowed values for strings
    fields: Optional[Mapping[str, "Key"]] = None  # for kind=dict: its fields, checked one by one


# The fields of a watched evaluation metric (best_export, early_stopping).
_WATCH = {
    "metric": Key(REQUIRED, str, doc="an evaluation metric: a key of eval_metric_ops, or loss"),
    "mode": Key(REQUIRED, str, choices=("min", "max"),
                doc="max when higher is better (accuracy), min when lower is better (loss)"),
}
_EARLY_STOPPING = dict(
    _WATCH,
    patience=Key(3, int, minimum=1, doc="evaluations without improvement before training stops"),
    min_delta=Key(0.0, float, minimum=0, doc="the least change that counts as an improvement"))


# The one table of defaults. The first eight keys and their defaults come from the
# ModelMaker documentation (shared/docs/REFERENCE.md); the rest are modelmaker's own.
DEFAULTS = {
    "save_checkpoints_steps": Key(
        None, int, nullable=True, minimum=1,
        doc="Checkpoint every N global steps. Cannot be set together with "
            "save_checkpoints_secs; setting it turns the seconds cadence off."),
    "save_checkpoints_secs": Key(
        600, int, nullable=True, minimum=1,
        doc="Checkpoint every N seconds (600 when neither cadence is set). Setting both "
            "cadences to null is refused: train_and_evaluate evaluates checkpoints."),
    "keep_checkpoint_max": Key(
        5, int, nullable=True, minimum=0,
        doc="Keep the newest N checkpoints; 0 or null keeps all."),
    "log_step_count_steps": Key(
        100, int, nullable=True, minimum=1,
        doc="Print step, steps/s, loss and ETA every N steps; null turns progress lines off."),
    "train_max_steps": Key(
        10000, int, nullable=True, minimum=1,
        doc="Total training steps over all replicas (per-card steps x cards x machines); "
            "null trains until the training input is exhausted."),
    "eval_steps": Key(
        100, int, nullable=True, minimum=1,
        doc="Batches per evaluation; null evaluates the whole evaluation input."),
    "eval_start_delay_secs": Key(
        120, int, minimum=0,
        doc="Seconds a separate evaluator task waits before its first evaluation "
            "(ignored when training and evaluation share one process)."),
    "eval_throttle_secs": Key(
        600, int, minimum=0,
        doc="Minimum seconds between evaluations; an evaluation also needs a new checkpoint."),
    "save_summary_steps": Key(
        100, int, nullable=True, minimum=1,
        doc="Write TensorBoard summaries every N steps; null turns them off."),
    "random_seed": Key(
        None, int, nullable=True, minimum=0,
        doc="Seed for TensorFlow, Keras and tf.data; null leaves runs unseeded."),
    "export_name": Key(
        "model", str,
        doc="Exports go to <train_url>/export/<export_name>/<version>/ (a TF Serving base path)."),
    "engine": Key(
        engines.DEFAULT, str, choices=engines.NAMES,
        doc="What trains: modelmaker (its own engine on tf.compat.v1 graph mode, any TensorFlow) or "
            "estimator (tf.estimator, TensorFlow <= 2.15 only: the compatibility stack). Every "
            "distribute choice runs on both."),
    # Distributed training (modelmaker/cluster/strategies.py holds the strategy table and its choices).
    "distribute": Key(
        "auto", str,
        choices=strategies.CHOICES,
        doc="Strategy: none (one replica), mirrored (all local GPUs), multi_worker_mirrored "
            "(TF_CONFIG chief + workers), parameter_server (TF_CONFIG with ps tasks); auto "
            "picks from TF_CONFIG and the local GPUs."),
    "worker_max_delay_secs": Key(
        60, int, minimum=0,
        doc="Parameter-server worker i waits min(this, 5 * (i + 1)) seconds before training "
            "(Estimator's staggered start); 0 starts at once."),
    "cluster_idle_timeout_secs": Key(
        3600, int, nullable=True, minimum=1,
        doc="ps and evaluator tasks stop when no new checkpoint appears for this long (they stop "
            "at once when the chief writes its done-marker); null waits forever."),
    # The evaluation report (`modelmaker evaluate`, `modelmaker train --report`).
    "report_task": Key(
        "auto", str, choices=("auto", "classification", "regression"),
        doc="What the report analyses; auto: classification when the prediction is class_id or "
            "classes or holds integers or text, or per-class scores beside class-id labels; "
            "regression otherwise."),
    "report_prediction_key": Key(
        None, str, nullable=True,
        doc="The predictions key holding the predicted class or value; null: the first of "
            "class_id, classes, predictions that model_fn predicts (or its only output)."),
    "report_probability_key": Key(
        None, str, nullable=True,
        doc="The predictions key holding per-class probabilities [N, classes] (confidences, "
            "top-5 accuracy, pred_list); null: probabilities when present."),
    "report_label_key": Key(
        None, str, nullable=True,
        doc="For an input that yields labels as a dict, the key of the label to report; null: "
            "the only key, or the one named like the prediction key."),
    "report_name_key": Key(
        None, str, nullable=True,
        doc="A feature holding each sample's name or file path, written to all_samples.json; "
            "null numbers the samples 0, 1, ... in input order."),
    "report_image_key": Key(
        None, str, nullable=True,
        doc="A feature holding images, for the worst-confused figure; null picks the first "
            "feature shaped [N, H, W] or [N, H, W, 1|3|4] (H, W >= 8), if any."),
    "class_names": Key(
        None, list, nullable=True,
        doc="Class names by class id, e.g. [\"cat\", \"dog\"], for the report (and ModelArts' "
            "label_map_dict); null: the names the input provides (a dataset's class_names, as "
            "tf.keras.utils.image_dataset_from_directory sets them), else the ids."),
    "report_max_samples": Key(
        10000, int, nullable=True, minimum=1,
        doc="Samples read per split; null reads the whole input, which must end (a "
            "train_input_fn that repeats forever needs a number)."),
    # Training controls: best export, early stopping, warm start, evaluation cadence, tuning.
    "best_export": Key(
        None, dict, nullable=True, fields=_WATCH,
        doc="After each evaluation that beats all earlier ones, export to "
            "<train_url>/export/best/<N>/, e.g. {\"metric\": \"accuracy\", \"mode\": \"max\"}; the "
            "best score is kept in best.json, so a restarted run never exports a worse model. "
            "null: off."),
    "exports_to_keep": Key(
        5, int, nullable=True, minimum=1,
        doc="Versions kept under export/best/ and export/<export_name>/ (the oldest go first); "
            "null keeps all."),
    "early_stopping": Key(
        None, dict, nullable=True, fields=_EARLY_STOPPING,
        doc="Stop training once `metric` has not improved by more than `min_delta` (default 0) "
            "for `patience` (default 3) evaluations, e.g. {\"metric\": \"loss\", \"mode\": \"min\", "
            "\"patience\": 3}; an evaluator and parameter servers stop too. null: off."),
    "warm_start_from": Key(
        None, str, nullable=True,
        doc="Start a new run from the variables of a checkpoint folder or prefix, or a "
            "SavedModel (export/<name>/<N>, or export/<name> for its newest); ignored once "
            "train_url holds a checkpoint. null: off."),
    "warm_start_vars": Key(
        ".*", str,
        doc="Regular expression of the trainable variable names that warm_start_from sets."),
    "eval_every_steps": Key(
        None, int, nullable=True, minimum=1,
        doc="Evaluate every N steps: sets save_checkpoints_steps to N, save_checkpoints_secs "
            "to null and eval_throttle_secs to 0. null: those keys decide."),
    "tuning_metric": Key(
        None, str, nullable=True,
        doc="The evaluation metric a hyperparameter tuner optimises: written after each "
            "evaluation as the training/hptuning/metric summary, reported to cloudml-hypertune "
            "when installed, and saved in result.json (`tuning`). null: none."),
}

# Reserved keys that were renamed, old name -> new name: the old name still sets the new key.
RENAMED = {"report_class_names": "class_names"}


def example():
    """Every reserved key at its default, in table order."""
    return {key: spec.default for key, spec in DEFAULTS.items()}
