"""`distribute: mirrored` on modelmaker's engine, over two logical CPUs (set before TensorFlow starts,
so each run is a subprocess): `python -m modelmaker.train` trains one batch per replica per global
step, resumes, evaluates and exports; `graph.train` with the strategy keeps the replicas equal; and
(TF 2.15) the engine's variables after mirrored training are Estimator's (the loss scaled as Estimator's).
Runs on every stack (TF 2.15 and current TensorFlow)."""

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO, TINY, flags

pytestmark = pytest.mark.slow  # starts processes

LOGICAL_CPUS = textwrap.dedent("""
    import sys, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
""")

# `python -m modelmaker.train ARGS` on two logical CPUs.
TRAIN = LOGICAL_CPUS + textwrap.dedent("""
    import runpy
    sys.argv = ["modelmaker.train", *sys.argv[1:]]
    runpy.run_module("modelmaker.train", run_name="__main__", alter_sys=True)
""")

# graph.train under the plan's strategy; at the end, every trainable variable's largest difference
# between the two replicas, and the global step, as one JSON line.
REPLICAS = LOGICAL_CPUS + textwrap.dedent("""
    import functools, json
    from modelmaker.cluster import strategies, tf_config
    from modelmaker.engine import graph
    from tests.engine.graph.conftest import User

    class Compare(tf.compat.v1.train.SessionRunHook):
        def end(self, session):
            strategy = tf.distribute.get_strategy()
            gaps = {}
            for v in tf.compat.v1.trainable_variables():
                first, second = session.run(list(strategy.experimental_local_results(v)))
                gaps[v.name] = float(abs(first - second).max())
            self.gaps = gaps

    plan = strategies.plan("mirrored", tf_config.LOCAL, strategies.local_devices(), train_max_steps=12)
    user, compare = User("tiny"), Compare()
    step = graph.train(user.model_fn, user.train_input_fn, model_dir=sys.argv[1], params={"learning_rate": 0.5},
                       max_steps=plan.max_steps, hooks=[compare], strategy=plan.strategy())
    print(json.dumps({"replicas": plan.replicas, "step": step, "gaps": compare.gaps}))
""")

QUICK = {"distribute": "mirrored", "train_max_steps": 40, "save_checkpoints_steps": 10, "eval_steps": 2,
         "eval_throttle_secs": 0, "log_step_count_steps": 10}


def run(script, *args):
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=REPO), cwd=REPO, stdin=subprocess.DEVNULL)


def test_mirrored_trains_one_batch_per_replica_per_step_resumes_and_exports(tmp_path):
    out = str(tmp_path / "out")
    first = run(TRAIN, "--user_module", TINY, "--train_url", out, *flags(QUICK))
    assert first.returncode == 0, first.stderr
    assert re.search(r"^distribute mirrored .* \| max_steps 20 = ceil\(train_max_steps 40 / 2 replica\(s\)\) "
                     r"\| engine modelmaker$", first.stderr, re.M), first.stderr
    result = json.load(open(os.path.join(out, "result.json")))
    assert result["global_step"] == 20, "two replicas per global step"
    assert "accuracy" in result["metrics"], "the final evaluation ran (one replica)"
    assert os.path.isfile(os.path.join(result["export_dir"], "saved_model.pb"))
    resumed = run(TRAIN, "--user_module", TINY, "--train_url", out, *flags(dict(QUICK, train_max_steps=60)))
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from step 20" in resumed.stderr, resumed.stderr
    result = json.load(open(os.path.join(out, "result.json")))
    assert result["global_step"] == 30 and result["export_dir"].endswith(os.path.join("export", "model", "2"))


def test_mirrored_replicas_stay_equal(tmp_path):
    proc = run(REPLICAS, str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["replicas"] == 2 and seen["step"] == 6, seen
    assert len(seen["gaps"]) == 2 and all(gap == 0.0 for gap in seen["gaps"].values()), seen


# modelmaker.fit on two logical CPUs with the engine sys.argv[3].
FIT = LOGICAL_CPUS + textwrap.dedent("""
    import modelmaker
    modelmaker.fit(sys.argv[1], dict(distribute="mirrored", train_max_steps=40, save_checkpoints_steps=20,
                                     eval_steps=1, random_seed=3, engine=sys.argv[3]), train_url=sys.argv[2])
""")


def _variables(model_dir):
    import tensorflow as tf
    reader = tf.train.load_checkpoint(model_dir)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if not name.startswith("global_step")}


@pytest.mark.estimator
def test_mirrored_training_matches_estimators_variables(tmp_path):
    """Estimator has a tf.compat.v1 optimizer scale a mean loss by 1 / replicas (the all-reduce sums
    the replicas' gradients); without that the engine's steps were twice as long."""
    import numpy as np
    trained = {}
    for engine in ("modelmaker", "estimator"):
        proc = run(FIT, TINY, str(tmp_path / engine), engine)
        assert proc.returncode == 0, proc.stderr
        assert json.load(open(tmp_path / engine / "result.json"))["global_step"] == 20
        trained[engine] = _variables(str(tmp_path / engine))
    assert sorted(trained["modelmaker"]) == sorted(trained["estimator"]) and trained["estimator"]
    initial = _variables(str(tmp_path / "estimator" / "model.ckpt-0"))
    for name, value in trained["estimator"].items():
        assert not np.allclose(value, initial[name]), f"{name} trained"
        np.testing.assert_allclose(trained["modelmaker"][name], value, rtol=1e-4, atol=1e-5, err_msg=name)
