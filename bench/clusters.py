"""The distributed jobs the benchmark times: the MNIST job of bench/training.py under
`distribute: mirrored` and under `distribute: parameter_server`.

- `mirrored_job`: this process, its CPU split into REPLICAS logical devices before TensorFlow
  starts, `modelmaker.fit` with `distribute: mirrored` (one global step is a batch on each replica;
  `train_max_steps` counts replica steps, so the job runs steps / REPLICAS global steps).
- `ps_job`: a loopback cluster of chief + 1 worker + 1 ps started by modelmaker's own launcher
  (`modelmaker.launch.local.run`, what `modelmaker launch --local worker=1,ps=1` runs), each task a
  fresh `bench/child.py ps_task` process with its TF_CONFIG; it reads the tasks' BENCH lines and
  turns the trainers' step timings into the cluster's global steps a second. It imports no
  TensorFlow itself.
- `ps_task_job`: one task of that cluster: `modelmaker.fit` with `distribute: parameter_server`
  and no staggered worker start (`worker_max_delay_secs: 0`), so that the worker trains from the
  start whenever the engine lets it.

Every job trains through bench/mnist_timed.py (the StepTimer hook of the first replica, or of each
trainer), evaluates once and exports, as the one-process jobs do.
"""

import json
import os
import re
import sys
import time

import cluster_figures
import training

HERE = os.path.dirname(os.path.abspath(__file__))
REPLICAS = 2                 # mirrored: logical CPUs (the GPUs instead, where there are some)
SHAPE = "worker=1,ps=1"      # parameter_server: besides the chief
GRACE_S = 60                 # how long the worker may train on after the chief finished
TIMEOUT_S = 1500             # the whole cluster (bench/run.py gives each child 1800 s)
PS_PARAMS = {"distribute": "parameter_server", "worker_max_delay_secs": 0}
_BENCH_LINE = re.compile(r"^\[(\w+)/(\d+)\] BENCH (\{.*\})$")


def mirrored_job(*, data, out, steps, window, launched, engine=None):
    """`fit` with `distribute: mirrored` over REPLICAS logical CPUs; returns training.modelmaker_job's
    result with steps_per_s (global steps/s over the training time), replica_steps_per_s, replicas."""
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * REPLICAS)
    result = training.modelmaker_job(data=data, out=out, steps=steps, window=window,
                                     launched=launched, engine=engine,
                                     extra={"distribute": "mirrored"})
    rate, _ = cluster_figures.cluster_rate([result])
    result.update(steps_per_s=rate, replica_steps_per_s=rate * REPLICAS if rate else None,
                  replicas=REPLICAS)
    return result


def ps_task_job(*, data, out, steps, window, launched, engine=None):
    """One task of the parameter-server cluster (its role from TF_CONFIG)."""
    return training.modelmaker_job(data=data, out=out, steps=steps, window=window,
                                   launched=launched, engine=engine, extra=PS_PARAMS)


class _Lines:
    """The text stream the launcher writes its prefixed lines to, kept in memory."""

    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    def flush(self):
        pass

    def text(self):
        return "".join(self.parts)


def ps_job(*, data, out, steps, window, launched, engine=None):
    """Runs the chief + worker + ps cluster on loopback; returns the cluster's figures: steps_per_s
    (global steps/s, `cluster_figures.cluster_rate` over chief and worker), train_s, accuracy and
    global_step (the chief's), each trainer's steps, worker_share, worker_join_s (its first step
    after the chief's), worker_stopped (the launcher stopped it after GRACE_S), wall_s, peak_rss_mb
    (the largest task's) and the chief's TensorFlow version.

    Raises:
      RuntimeError: the cluster failed, or the chief printed no result (with the output's tail).
    """
    del launched  # the tasks are timed on their own; this process only launches them
    from modelmaker.launch import local, shape as shape_lib
    start = time.perf_counter()
    command = [sys.executable, os.path.join(HERE, "child.py"), "ps_task", "--data", data,
               "--out", out, "--steps", str(steps), "--window", ",".join(map(str, window))]
    if engine:
        command += ["--engine", engine]
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    lines = _Lines()
    code = local.run(shape_lib.parse(SHAPE), command, env=env, out=lines, grace_secs=GRACE_S,
                     timeout_secs=TIMEOUT_S)
    output = lines.text()
    tasks = {m.group(1): json.loads(m.group(3)) for m in map(_BENCH_LINE.match, output.splitlines()) if m}
    if code != 0 or "chief" not in tasks:
        raise RuntimeError(f"the {SHAPE} cluster failed (exit code {code}); its output ends:\n"
                           + output[-4000:])
    chief, worker = tasks["chief"], tasks.get("worker", {})
    rate, span = cluster_figures.cluster_rate([chief, worker])
    trained = {"chief": chief.get("steps_done", 0), "worker": worker.get("steps_done", 0)}
    joined = worker.get("first_step_time")
    return dict(steps_per_s=rate, train_s=span, accuracy=chief["accuracy"],
                global_step=chief["global_step"], steps_done=trained,
                worker_share=trained["worker"] / sum(trained.values()) if sum(trained.values()) else None,
                worker_join_s=joined - chief["first_step_time"] if joined else None,
                worker_stopped="stopping tasks still running" in output,
                wall_s=time.perf_counter() - start,
                peak_rss_mb=max(t.get("peak_rss_mb", 0) for t in tasks.values()),
                tf_version=chief.get("tf_version"), protobuf=chief.get("protobuf"),
                engine=chief.get("engine"))
