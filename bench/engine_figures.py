"""The figures of modelmaker's own engine: against the Estimator engine and the bare Session.run
floor on TensorFlow 2.15, against Keras on current TensorFlow, and memory and disk on both.

Pure functions, no TensorFlow, used by `report.figures`. Every comparison pairs repeat i of one
side with repeat i of the other (run next to each other) and reports the median of the ratios.
Whole-job times are `process_s`: from the parent launching the process to its exit, i.e. what a
user waits for (interpreter, `import tensorflow`, imports, the job, shutdown).
"""

from figure_stats import col, median, paired_ratios

FIXED_SLACK_S = 1.5  # the fixed-cost target: import tensorflow + this

TARGETS = {
    "engine_e2e_speedup": (">=", 1.2),
    "engine_steps_ratio": (">=", 1.0),
    "fixed_cost_excess_s": ("<=", 0.0),
    "floor_ratio": (">=", 0.95),
    "rss_vs_keras": ("<=", 1.0),
    "current_e2e_vs_keras": (">=", 1.1),
    "current_accuracy": (">=", 0.95),
    "current_keras_accuracy": (">=", 0.95),
    "current_rss_vs_keras": ("<=", 1.0),
}

ROWS = (
    ("engine_e2e_speedup", "Estimator engine process / modelmaker engine process, whole job"),
    ("engine_steps_ratio", "modelmaker engine / Estimator engine steps/s (steady state)"),
    ("modelmaker_process_s", "modelmaker engine, whole process (s)"),
    ("engine_estimator_process_s", "Estimator engine, whole process (s)"),
    ("engine_estimator_steps_per_s", "Estimator engine steps/s in the window"),
    ("engine_estimator_accuracy", "Estimator engine eval accuracy"),
    ("floor_ratio", "modelmaker engine / bare Session.run loop steps/s"),
    ("floor_ratio_best_slice", "the same, fastest eighth of each window"),
    ("bare_steps_per_s", "bare Session.run(train_op) loop steps/s"),
    ("fixed_cost_s", "fixed-steps job: process minus training time, modelmaker (s)"),
    ("engine_estimator_fixed_cost_s", "the same, Estimator engine (s)"),
    ("fixed_cost_budget_s", "the target: import tensorflow + 1.5 s, same processes (s)"),
    ("fixed_cost_excess_s", "fixed cost minus its budget, per process, median (s)"),
    ("peak_rss_mb", "modelmaker engine process peak RSS (MB)"),
    ("keras_peak_rss_mb", "Keras process peak RSS (MB)"),
    ("estimator_peak_rss_mb", "hand-written tf.estimator process peak RSS (MB)"),
    ("engine_estimator_peak_rss_mb", "Estimator engine process peak RSS (MB)"),
    ("rss_vs_keras", "modelmaker peak RSS / Keras peak RSS"),
    ("train_url_bytes", "bytes left in train_url, modelmaker engine"),
    ("keras_train_url_bytes", "bytes left in train_url, Keras"),
    ("estimator_train_url_bytes", "bytes left in train_url, hand-written tf.estimator"),
    ("engine_estimator_train_url_bytes", "bytes left in train_url, Estimator engine"),
    ("current_e2e_vs_keras", "current TF: Keras process / modelmaker process, whole job"),
    ("current_accuracy", "current TF: modelmaker eval accuracy"),
    ("current_keras_accuracy", "current TF: Keras eval accuracy"),
    ("current_modelmaker_process_s", "current TF: modelmaker whole process (s)"),
    ("current_keras_process_s", "current TF: Keras whole process (s)"),
    ("current_modelmaker_steps_per_s", "current TF: modelmaker steps/s in the window"),
    ("current_fixed_cost_s", "current TF: modelmaker process minus training time (s)"),
    ("current_import_tf_s", "current TF: `import tensorflow` alone (s)"),
    ("current_floor_ratio", "current TF: modelmaker / bare Session.run loop steps/s"),
    ("current_bare_steps_per_s", "current TF: bare Session.run loop steps/s"),
    ("current_peak_rss_mb", "current TF: modelmaker process peak RSS (MB)"),
    ("current_keras_peak_rss_mb", "current TF: Keras process peak RSS (MB)"),
    ("current_rss_vs_keras", "current TF: modelmaker / Keras peak RSS"),
    ("current_train_url_bytes", "current TF: bytes left in train_url, modelmaker"),
    ("current_keras_train_url_bytes", "current TF: bytes left in train_url, Keras"),
)

KEYS = tuple(key for key, _ in ROWS)


def fixed_costs(results):
    """Per process: process_s minus the time its steps took (None where not timed)."""
    return [r["process_s"] - r["train_s"] if r.get("train_s") else None for r in results]


def _excess(results):
    """Per process: its fixed cost minus (its own import tensorflow + FIXED_SLACK_S)."""
    return [c - r["import_tf_s"] - FIXED_SLACK_S if c is not None else None
            for c, r in zip(fixed_costs(results), results)]


def _ratio(numerators, denominators):
    return median(paired_ratios(numerators, denominators))


def _footprint(prefix, sides):
    """`{prefix}peak_rss_mb` and `{prefix}train_url_bytes` of each (key name, results)."""
    out = {}
    for name, results in sides:
        out[f"{prefix}{name}peak_rss_mb"] = median(col(results, "peak_rss_mb"))
        out[f"{prefix}{name}train_url_bytes"] = median(col(results, "train_url_bytes"))
    return out


def figures(runs):
    """The engine figures (every key of `KEYS`, None where not measured) from `runs`
    ({side: [result, ...]}, sides as in bench/run.py's SIDES)."""
    get = {side: runs.get(side) or [] for side in (
        "modelmaker", "engine_estimator", "estimator", "keras", "bare", "modelmaker_fixed",
        "engine_estimator_fixed", "current_modelmaker", "current_keras", "current_bare")}
    mm, ee, cur, cur_keras = (get[k] for k in ("modelmaker", "engine_estimator",
                                               "current_modelmaker", "current_keras"))
    fixed = get["modelmaker_fixed"]
    out = dict(
        engine_e2e_speedup=_ratio(col(ee, "process_s"), col(mm, "process_s")),
        engine_steps_ratio=_ratio(col(mm, "steps_per_s"), col(ee, "steps_per_s")),
        modelmaker_process_s=median(col(mm, "process_s")),
        engine_estimator_process_s=median(col(ee, "process_s")),
        engine_estimator_steps_per_s=median(col(ee, "steps_per_s")),
        engine_estimator_accuracy=median(col(ee, "accuracy")),
        floor_ratio=_ratio(col(mm, "steps_per_s"), col(get["bare"], "steps_per_s")),
        floor_ratio_best_slice=_ratio(col(mm, "best_slice_steps_per_s"),
                                      col(get["bare"], "best_slice_steps_per_s")),
        bare_steps_per_s=median(col(get["bare"], "steps_per_s")),
        fixed_cost_s=median(fixed_costs(fixed)),
        engine_estimator_fixed_cost_s=median(fixed_costs(get["engine_estimator_fixed"])),
        fixed_cost_budget_s=(median(col(fixed, "import_tf_s")) + FIXED_SLACK_S) if fixed else None,
        fixed_cost_excess_s=median(_excess(fixed)),
        rss_vs_keras=_ratio(col(mm, "peak_rss_mb"), col(get["keras"], "peak_rss_mb")),
        current_e2e_vs_keras=_ratio(col(cur_keras, "process_s"), col(cur, "process_s")),
        current_accuracy=median(col(cur, "accuracy")),
        current_keras_accuracy=median(col(cur_keras, "accuracy")),
        current_modelmaker_process_s=median(col(cur, "process_s")),
        current_keras_process_s=median(col(cur_keras, "process_s")),
        current_modelmaker_steps_per_s=median(col(cur, "steps_per_s")),
        current_fixed_cost_s=median(fixed_costs(cur)),
        current_import_tf_s=median(col(cur + cur_keras + get["current_bare"], "import_tf_s")),
        current_floor_ratio=_ratio(col(cur, "steps_per_s"), col(get["current_bare"], "steps_per_s")),
        current_bare_steps_per_s=median(col(get["current_bare"], "steps_per_s")),
        current_rss_vs_keras=_ratio(col(cur, "peak_rss_mb"), col(cur_keras, "peak_rss_mb")),
    )
    out.update(_footprint("", [("", mm), ("keras_", get["keras"]), ("estimator_", get["estimator"]),
                               ("engine_estimator_", ee)]))
    out.update(_footprint("current_", [("", cur), ("keras_", cur_keras)]))
    return out


def stacks(runs):
    """The TensorFlow version and protobuf of each stack measured."""
    def first(sides, key):
        return next((r.get(key) for s in sides for r in (runs.get(s) or [])), None)
    main = ("modelmaker", "keras", "estimator", "bare", "modelmaker_fixed", "mirrored", "ps")
    current = ("current_modelmaker", "current_keras", "current_bare", "current_mirrored", "current_ps")
    return {"tf_version": first(main, "tf_version"), "protobuf": first(main, "protobuf"),
            "current_tf_version": first(current, "tf_version"),
            "current_protobuf": first(current, "protobuf")}
