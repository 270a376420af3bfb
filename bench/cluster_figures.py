"""The figures of the distributed cases: the MNIST job under `mirrored` (one process, two logical
CPUs) and under `parameter_server` (chief + 1 worker + 1 ps on loopback), each on modelmaker's
engine and on the Estimator engine (TensorFlow 2.15) and on modelmaker's engine on current
TensorFlow.

Pure functions, no TensorFlow, used by `report.figures` and by the cluster job (bench/clusters.py),
which turns its trainers' timings into one rate with `cluster_rate`. The rates are global steps a
second over the training time of the whole cluster: from the first trainer's first step end to the
last trainer's last step start, the start-up (and each trainer's own first step) left out, as
`training.timed` does for one process. Under `parameter_server` each trainer's step is one global
step (asynchronous); under `mirrored` one global step is a batch on each replica.
"""

from figure_stats import col, median, paired_ratios

# side -> the key prefix of its figures (sides as in bench/run.py's SIDES).
SIDES = {
    "mirrored": "mirrored_",
    "engine_estimator_mirrored": "engine_estimator_mirrored_",
    "current_mirrored": "current_mirrored_",
    "ps": "ps_",
    "engine_estimator_ps": "engine_estimator_ps_",
    "current_ps": "current_ps_",
}

_WHO = {"": "modelmaker engine, TF 2.15", "engine_estimator_": "Estimator engine, TF 2.15",
        "current_": "modelmaker engine, current TF"}

ROWS = (
    *((f"{who}mirrored_steps_per_s", f"mirrored, 2 logical CPUs: global steps/s ({name})")
      for who, name in _WHO.items()),
    *((f"{who}mirrored_replica_steps_per_s", f"the same x 2 replicas: batches/s ({name})")
      for who, name in _WHO.items()),
    ("mirrored_engine_ratio", "mirrored: modelmaker engine / Estimator engine steps/s (TF 2.15)"),
    ("mirrored_current_ratio", "mirrored: modelmaker engine, current TF / TF 2.15 steps/s"),
    *((f"{who}mirrored_accuracy", f"mirrored: eval accuracy ({name})") for who, name in _WHO.items()),
    *((f"{who}ps_steps_per_s", f"parameter_server, chief + worker + ps: global steps/s ({name})")
      for who, name in _WHO.items()),
    ("ps_engine_ratio", "parameter_server: modelmaker engine / Estimator engine steps/s (TF 2.15)"),
    ("ps_current_ratio", "parameter_server: modelmaker engine, current TF / TF 2.15 steps/s"),
    *((f"{who}ps_accuracy", f"parameter_server: eval accuracy ({name})") for who, name in _WHO.items()),
    *((f"{who}ps_worker_share", f"parameter_server: share of the steps the worker ran ({name})")
      for who, name in _WHO.items()),
    *((f"{who}ps_worker_join_s", f"parameter_server: worker's first step after the chief's, s ({name})")
      for who, name in _WHO.items()),
)

KEYS = tuple(key for key, _ in ROWS)


def cluster_rate(trainers):
    """Steady-state global steps a second of one job from its trainers' timings.

    Args:
      trainers: one dict per trainer process (`training.timed`'s keys): steps_done,
        first_step_time (wall clock at the end of its first step) and last_step_start_time.
        A trainer that ran two steps or fewer adds no time and no steps.

    Returns:
      (steps_per_s, train_s): the steps the trainers ran after their first and before their last
      step, over the time from the earliest first step end to the latest last step start;
      (None, None) when no trainer ran more than two steps.
    """
    timed = [t for t in trainers if (t.get("steps_done") or 0) > 2]
    if not timed:
        return None, None
    span = (max(t["last_step_start_time"] for t in timed)
            - min(t["first_step_time"] for t in timed))
    steps = sum(t["steps_done"] - 2 for t in timed)
    return (steps / span if span > 0 else None), span


def figures(runs):
    """The distributed figures (every key of `KEYS`, None where not measured) from `runs`
    ({side: [result, ...]}, each result as bench/clusters.py's jobs return it)."""
    get = {side: runs.get(side) or [] for side in SIDES}
    out = dict.fromkeys(KEYS)
    for side, prefix in SIDES.items():
        for key in ("steps_per_s", "replica_steps_per_s", "accuracy", "worker_share", "worker_join_s"):
            if f"{prefix}{key}" in out:
                out[f"{prefix}{key}"] = median(col(get[side], key))
    for case in ("mirrored", "ps"):
        rates = {side: col(get[side], "steps_per_s") for side in
                 (case, f"engine_estimator_{case}", f"current_{case}")}
        out[f"{case}_engine_ratio"] = median(paired_ratios(rates[case], rates[f"engine_estimator_{case}"]))
        out[f"{case}_current_ratio"] = median(paired_ratios(rates[f"current_{case}"], rates[case]))
    return out
