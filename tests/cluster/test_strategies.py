"""Tests for the strategy table, the max_steps mapping and the sharding params."""

import json

import pytest
from modelmaker.user import returns
from modelmaker import config as params_lib
from modelmaker.user import module as user_module
from modelmaker.cluster import tf_config as cluster_lib, strategies
from modelmaker.cluster.strategies import Devices
from modelmaker.errors import ParamsError, UserModuleError

CPU = Devices()
TWO_GPUS = Devices(gpus=("/device:GPU:0", "/device:GPU:1"))


def cluster(workers=0, ps=0, kind="chief", index=0):
    jobs = {"chief": ["c:1"], "worker": [f"w{i}:1" for i in range(workers)],
            "ps": [f"p{i}:1" for i in range(ps)]}
    jobs = {k: v for k, v in jobs.items() if v}
    return cluster_lib.parse(json.dumps({"cluster": jobs, "task": {"type": kind, "index": index}}))


@pytest.mark.parametrize("where, devices, chosen", [
    (cluster_lib.LOCAL, CPU, "none"),
    (cluster_lib.LOCAL, TWO_GPUS, "mirrored"),
    (cluster(), CPU, "none"),
    (cluster(workers=2), CPU, "multi_worker_mirrored"),
    (cluster(workers=1, ps=1), CPU, "parameter_server"),
    (cluster(ps=1), TWO_GPUS, "parameter_server"),
])
def test_auto_chooses_from_the_cluster_and_gpus(where, devices, chosen):
    assert strategies.choose("auto", where, devices) == chosen


@pytest.mark.parametrize("distribute, where, words", [
    ("none", cluster(workers=1), "one process"),
    ("mirrored", cluster(ps=1), "one process"),
    ("multi_worker_mirrored", cluster_lib.LOCAL, "needs a TF_CONFIG cluster"),
    ("multi_worker_mirrored", cluster(workers=1, ps=1), "has ps tasks"),
    ("parameter_server", cluster(workers=1), "needs ps tasks"),
    ("parameter_server", cluster_lib.LOCAL, "needs ps tasks"),
])
def test_impossible_combinations_are_refused(distribute, where, words):
    with pytest.raises(ParamsError, match=words) as caught:
        strategies.choose(distribute, where, CPU)
    assert f"`distribute` is '{distribute}'" in str(caught.value)


def test_the_parameter_offers_exactly_the_table():
    assert params_lib.DEFAULTS["distribute"].choices == strategies.CHOICES
    with pytest.raises(ParamsError, match="must be one of"):
        params_lib.resolve([params_lib.Layer("test", {"distribute": "horovod"})])


@pytest.mark.parametrize("distribute, where, devices, replicas, max_steps", [
    ("none", cluster_lib.LOCAL, CPU, 1, 1001),
    ("mirrored", cluster_lib.LOCAL, TWO_GPUS, 2, 501),               # ceil(1001 / 2)
    ("mirrored", cluster_lib.LOCAL, Devices(cpus=("a", "b", "c")), 3, 334),
    ("multi_worker_mirrored", cluster(workers=3), CPU, 4, 251),       # 4 machines x 1
    ("multi_worker_mirrored", cluster(workers=1), TWO_GPUS, 4, 251),  # 2 machines x 2 GPUs
    ("parameter_server", cluster(workers=3, ps=2), TWO_GPUS, 1, 1001),  # async: one step per batch
])
def test_train_max_steps_is_the_total_over_all_replicas(distribute, where, devices, replicas, max_steps):
    plan = strategies.plan(distribute, where, devices, train_max_steps=1001)
    assert (plan.replicas, plan.max_steps) == (replicas, max_steps)
    assert f"max_steps {max_steps}" in plan.describe()
    assert strategies.plan(distribute, where, devices, train_max_steps=None).max_steps is None


def test_input_params_shard_training_and_not_evaluation():
    plan = strategies.plan("auto", cluster(workers=2, ps=1, kind="worker", index=1), CPU,
                           train_max_steps=10)
    assert plan.input_params(training=True) == {"worker_index": 2, "num_workers": 3}
    assert plan.input_params(training=False) == {"worker_index": 0, "num_workers": 1}
    ps = strategies.plan("auto", cluster(workers=2, ps=1, kind="ps"), CPU, train_max_steps=10)
    assert ps.input_params(training=True) == {"worker_index": 0, "num_workers": 1}
    assert ps.strategy() is None, "only trainers build a strategy"


def test_distributed_input_must_be_a_dataset(write_module):
    path = write_module("""
        import numpy as np
        def model_fn(features, labels, mode, params):
            pass
        def train_input_fn(path, params):
            return {"x": np.zeros((4, 1), "float32")}, np.zeros(4, "int32")
        eval_input_fn = train_input_fn
        def serving_input_receiver_fn():
            pass
    """)
    user = user_module.load(path)
    plan = strategies.plan("auto", cluster(workers=1, kind="worker"), CPU, train_max_steps=10)
    assert plan.distributed and not strategies.plan("none", cluster_lib.LOCAL, CPU,
                                                    train_max_steps=1).distributed
    fn = returns.input_fn(user.train_input_fn, name="train_input_fn", path=None, params=dict,
                          origin=user.origin, require_dataset=plan.distributed)
    with pytest.raises(UserModuleError, match="distributed training needs a Dataset"):
        fn()


def test_local_devices_leave_the_runtime_unstarted():
    devices = strategies.local_devices()
    assert devices.cpus and all(d.startswith("/device:CPU:") for d in devices.cpus)
