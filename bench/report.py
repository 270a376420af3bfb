"""Turns the per-process results of one benchmark run into figures, a table and a JSON line.

Pure functions, no TensorFlow: `figures(runs)` -> dict, `table(figs)` -> text.
Ratios are paired: repeat i of modelmaker is divided by repeat i of its baseline (run next
to it on the same machine), and the median of those ratios is reported.
"""

import cluster_figures
import engine_figures
from figure_stats import col, median, percentile, paired_ratios  # noqa: F401 (percentile: tests and callers)

# figure -> (comparison, target); the benchmark reports these, tests never time anything.
TARGETS = {
    "train_overhead_ratio": (">=", 0.99),
    "e2e_vs_keras": (">=", 1.0),
    "serve_p50_ms": ("<=", 1.0),
    "accuracy": (">=", 0.95),
    "grpc_over_rest_p50": ("<=", 1.0),
    "cnn_batching_speedup": (">=", 3.0),
    "batched_mixups": ("<=", 0),
    **engine_figures.TARGETS,
}

# The keys of the JSON line, in order; each is a number or null.
KEYS = ("train_overhead_ratio", "e2e_vs_keras", "startup_s", "import_tf_s", "serve_p50_ms",
        "serve_p99_ms", "inprocess_p50_ms", "accuracy", "modelmaker_steps_per_s",
        "estimator_steps_per_s", "modelmaker_wall_s", "estimator_wall_s", "keras_wall_s",
        "keras_accuracy", "estimator_startup_s", "train_overhead_ratio_best_slice",
        "grpc_p50_ms", "grpc_p99_ms", "rest_p50_ms", "rest_p99_ms", "grpc_over_rest_p50",
        "mlp_rps", "mlp_rps_batched", "mlp_batching_speedup", "cnn_rps", "cnn_rps_batched",
        "cnn_batching_speedup", "cnn_inprocess_ms", "batched_mixups", "load_errors",
        *engine_figures.KEYS, *cluster_figures.KEYS)


def figures(runs):
    """The benchmark figures from `runs`.

    Args:
      runs: {"modelmaker": [result, ...], "estimator": [...], "keras": [...],
        "serve": result or None}; each result is a dict from `bench/child.py`, the lists
        in repeat order (repeat i of each list ran next to each other).

    Returns:
      A dict with every key of `KEYS` (None where not measured) plus `targets_met`.
    """
    mm, est, keras = (runs.get(k) or [] for k in ("modelmaker", "estimator", "keras"))
    serve = runs.get("serve") or {}
    out = dict.fromkeys(KEYS)
    out.update(
        train_overhead_ratio=median(paired_ratios(col(mm, "steps_per_s"), col(est, "steps_per_s"))),
        train_overhead_ratio_best_slice=median(paired_ratios(col(mm, "best_slice_steps_per_s"),
                                                             col(est, "best_slice_steps_per_s"))),
        e2e_vs_keras=median(paired_ratios(col(keras, "wall_s"), col(mm, "wall_s"))),
        startup_s=median(col(mm, "startup_s")),
        estimator_startup_s=median(col(est, "startup_s")),
        import_tf_s=median(col(main_stack(runs), "import_tf_s") + [serve.get("import_tf_s")]),
        accuracy=median(col(mm, "accuracy")),
        keras_accuracy=median(col(keras, "accuracy")),
        modelmaker_steps_per_s=median(col(mm, "steps_per_s")),
        estimator_steps_per_s=median(col(est, "steps_per_s")),
        modelmaker_wall_s=median(col(mm, "wall_s")),
        estimator_wall_s=median(col(est, "wall_s")),
        keras_wall_s=median(col(keras, "wall_s")),
    )
    if serve.get("available"):
        out.update(serve_p50_ms=percentile(serve["http_ms"], 50),
                   serve_p99_ms=percentile(serve["http_ms"], 99),
                   inprocess_p50_ms=percentile(serve["inprocess_ms"], 50))
    out.update(_grpc_figures(runs.get("grpc") or {}))
    out.update(engine_figures.figures(runs))
    out.update(cluster_figures.figures(runs))
    out = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}
    out["targets_met"] = {k: met(k, out[k]) for k in TARGETS}
    out.update(engine_figures.stacks(runs))
    return out


def main_stack(runs):
    """Every training result of the compat stack (TensorFlow 2.15): the sides not named current_*."""
    return [r for side, results in runs.items() if isinstance(results, list)
            and not side.startswith("current_") for r in results]


def _grpc_figures(grpc):
    """The gRPC and batching figures of the `grpc` part (empty when not measured)."""
    if not grpc.get("available"):
        return {}
    loads = {k: grpc[k] for k in ("mlp_unbatched", "mlp_batched", "cnn_unbatched", "cnn_batched")}
    out = dict(grpc_p50_ms=percentile(grpc["grpc_ms"], 50),
               grpc_p99_ms=percentile(grpc["grpc_ms"], 99),
               rest_p50_ms=percentile(grpc["rest_ms"], 50),
               rest_p99_ms=percentile(grpc["rest_ms"], 99),
               cnn_inprocess_ms=grpc["cnn_inprocess_ms"],
               batched_mixups=sum(v["mixups"] for v in loads.values()),
               load_errors=sum(v["errors"] for v in loads.values()))
    out["grpc_over_rest_p50"] = out["grpc_p50_ms"] / out["rest_p50_ms"]
    for model in ("mlp", "cnn"):
        out[f"{model}_rps"] = loads[f"{model}_unbatched"]["rps"]
        out[f"{model}_rps_batched"] = loads[f"{model}_batched"]["rps"]
        out[f"{model}_batching_speedup"] = (out[f"{model}_rps_batched"] / out[f"{model}_rps"]
                                            if out[f"{model}_rps"] else None)
    return out


def met(key, value):
    """True/False when `value` meets the target of `key`, None when it was not measured."""
    if value is None:
        return None
    op, target = TARGETS[key]
    return value >= target if op == ">=" else value <= target


_ROWS = (
    ("train_overhead_ratio", "modelmaker / hand-written tf.estimator steps/s (steady state)"),
    ("train_overhead_ratio_best_slice", "the same, fastest eighth of each window (load check)"),
    ("e2e_vs_keras", "Keras wall / modelmaker wall, whole job (>1: modelmaker faster)"),
    ("startup_s", "process start -> first training step, modelmaker (s)"),
    ("estimator_startup_s", "process start -> first training step, hand-written (s)"),
    ("import_tf_s", "`import tensorflow` alone (s)"),
    ("serve_p50_ms", "HTTP predict, one instance, p50 (ms)"),
    ("serve_p99_ms", "HTTP predict, one instance, p99 (ms)"),
    ("inprocess_p50_ms", "in-process Session.run floor, p50 (ms)"),
    ("grpc_p50_ms", "gRPC predict, one instance, one client, p50 (ms)"),
    ("grpc_p99_ms", "gRPC predict, one instance, one client, p99 (ms)"),
    ("rest_p50_ms", "REST predict on the same server, p50 (ms)"),
    ("rest_p99_ms", "REST predict on the same server, p99 (ms)"),
    ("grpc_over_rest_p50", "gRPC p50 / REST p50, same run"),
    ("mlp_rps", "MNIST MLP, 32 async gRPC clients, no batching (requests/s)"),
    ("mlp_rps_batched", "MNIST MLP, 32 async gRPC clients, batching (requests/s)"),
    ("mlp_batching_speedup", "MLP batched / unbatched requests/s"),
    ("cnn_rps", "small CNN, 32 async gRPC clients, no batching (requests/s)"),
    ("cnn_rps_batched", "small CNN, 32 async gRPC clients, batching (requests/s)"),
    ("cnn_batching_speedup", "CNN batched / unbatched requests/s"),
    ("cnn_inprocess_ms", "CNN one-instance run in process, p50 (ms)"),
    ("batched_mixups", "answers under load differing from their own unbatched answer"),
    ("load_errors", "failed requests under load"),
    ("accuracy", "modelmaker eval accuracy"),
    ("keras_accuracy", "Keras eval accuracy"),
    ("modelmaker_steps_per_s", "modelmaker steps/s in the window"),
    ("estimator_steps_per_s", "hand-written tf.estimator steps/s in the window"),
    ("modelmaker_wall_s", "modelmaker whole job (s, after import tensorflow)"),
    ("estimator_wall_s", "hand-written tf.estimator whole job (s)"),
    ("keras_wall_s", "Keras fit+evaluate+save whole job (s)"),
    *engine_figures.ROWS,
    *cluster_figures.ROWS,
)


def table(figs):
    """A plain-text table: figure, value, target and whether it is met."""
    width = max(len(key) for key, _ in _ROWS)
    lines = [f"{'figure':<{width}} {'value':>10}  {'target':<8} {'met':<4} meaning"]
    for key, meaning in _ROWS:
        value = figs.get(key)
        shown = "null" if value is None else f"{value:.4g}"
        target, ok = "", ""
        if key in TARGETS:
            op, goal = TARGETS[key]
            target = f"{op} {goal:g}"
            ok = {True: "yes", False: "NO", None: "-"}[met(key, value)]
        lines.append(f"{key:<{width}} {shown:>10}  {target:<8} {ok:<4} {meaning}")
    return "\n".join(lines)
