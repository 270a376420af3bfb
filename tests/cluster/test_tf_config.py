"""Tests for TF_CONFIG parsing and validation (modelmaker.cluster.tf_config, modelmaker.environment)."""

import dataclasses
import json
import os

import pytest

import modelmaker
from modelmaker import environment
from modelmaker.cluster import tf_config as cluster_lib
from modelmaker.errors import ParamsError

CLUSTER = {"chief": ["h0:1"], "worker": ["h1:1", "h2:1"], "ps": ["h3:1"]}


def tf_config(cluster=CLUSTER, kind="worker", index=0):
    return json.dumps({"cluster": cluster, "task": {"type": kind, "index": index}})


def test_roles_and_trainer_indexes():
    worker = cluster_lib.parse(tf_config(kind="worker", index=1))
    assert (worker.task_type, worker.task_index, worker.trainer_index) == ("worker", 1, 2)
    assert worker.num_trainers == 3 and worker.num_ps == 1 and worker.name == "worker/1"
    chief = cluster_lib.parse(tf_config(kind="chief"))
    assert chief.trainer_index == 0 and chief.is_distributed
    assert cluster_lib.parse(tf_config(kind="ps")).trainer_index is None


def test_master_is_renamed_chief():
    parsed = cluster_lib.parse(tf_config({"master": ["h0:1"], "ps": ["h3:1"]}, kind="master"))
    assert parsed.task_type == "chief"
    assert parsed.tf_config() == {"cluster": {"chief": ["h0:1"], "ps": ["h3:1"]},
                                  "task": {"type": "chief", "index": 0}}


def test_only_the_chief_is_chief():
    chief = cluster_lib.parse(tf_config(kind="chief"))
    master = cluster_lib.parse(tf_config({"master": ["h0:1"], "worker": ["h1:1"]}, kind="master"))
    assert chief.is_chief and master.is_chief and cluster_lib.LOCAL.is_chief
    others = [cluster_lib.parse(tf_config(kind=kind, index=index))
              for kind, index in (("worker", 0), ("worker", 1), ("ps", 0), ("evaluator", 0))]
    assert not any(task.is_chief for task in others), "worker 0 is not chief beside a chief"
    # TensorFlow's rule for a cluster without a chief (which parse refuses): worker 0 is chief.
    chiefless = cluster_lib.Cluster(jobs={"worker": ("h1:1", "h2:1")}, task_type="worker", task_index=0)
    assert chiefless.is_chief and not dataclasses.replace(chiefless, task_index=1).is_chief


def test_evaluator_is_taken_out_of_the_cluster():
    listed = dict(CLUSTER, evaluator=["h9:1"])
    for cluster in (CLUSTER, listed):  # Kubeflow leaves it out, others list it
        parsed = cluster_lib.parse(tf_config(cluster, kind="evaluator"))
        assert parsed.task_type == "evaluator" and "evaluator" not in parsed.jobs
        assert "evaluator" not in parsed.tf_config()["cluster"]


def test_no_cluster_is_one_process():
    for text in (None, "", "  ", '{"task": {"type": "worker", "index": 0}}', "{}"):
        assert cluster_lib.parse(text) is cluster_lib.LOCAL
    assert cluster_lib.LOCAL.tf_config() == {} and not cluster_lib.LOCAL.is_distributed
    assert cluster_lib.LOCAL.num_trainers == 1


def test_sparse_addresses_are_accepted():
    parsed = cluster_lib.parse(tf_config({"chief": {"0": "h0:1"}, "worker": {"1": "b:1", "0": "a:1"}}))
    assert parsed.jobs["worker"] == ("a:1", "b:1")


@pytest.mark.parametrize("text, words", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    (tf_config({"worker": ["h1:1"]}), "has no chief"),
    (tf_config({"chief": ["a:1", "b:1"]}, kind="chief"), "2 chiefs"),
    (tf_config({"chief": ["a:1"], "master": ["b:1"]}, kind="chief"), "both `chief` and `master`"),
    (tf_config(kind="evaluator", index=1), "evaluator index 1"),
    (tf_config(dict(CLUSTER, evaluator=["a:1", "b:1"]), kind="evaluator"), "only one"),
    (tf_config(kind="worker", index=2), "worker 2, is not in the cluster"),
    (tf_config({"chief": ["a:1"]}, kind="ps"), "has no ps job"),
    (tf_config(dict(CLUSTER, trainer=["x:1"])), "unknown job 'trainer'"),
    (tf_config(kind="boss"), "`task.type` is 'boss'"),
    (tf_config(index=-1), "`task.index` is -1"),
    (tf_config({"chief": "h0:1"}, kind="chief"), '"host:port"'),
    (json.dumps({"task": {"type": "ps", "index": 0}}), "without a `cluster`"),
])
def test_malformed_tf_config_names_the_problem(text, words):
    with pytest.raises(ParamsError, match="TF_CONFIG") as caught:
        cluster_lib.parse(text)
    assert words in str(caught.value)


def test_environment_is_the_reader_and_scope_restores(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", tf_config({"master": ["h0:1"]}, kind="master"))
    parsed = environment.read().cluster()
    assert parsed.task_type == "chief"
    before = os.environ["TF_CONFIG"]
    with environment.tf_config_scope(parsed):
        assert json.loads(os.environ["TF_CONFIG"])["task"]["type"] == "chief"
    assert os.environ["TF_CONFIG"] == before
    with environment.tf_config_scope(cluster_lib.LOCAL):
        assert "TF_CONFIG" not in os.environ
    assert os.environ["TF_CONFIG"] == before


def test_fit_rejects_a_bad_tf_config_before_training(monkeypatch, tiny, tmp_path):
    monkeypatch.setenv("TF_CONFIG", tf_config({"worker": ["h1:1"]}))
    with pytest.raises(ParamsError, match="no chief"):
        modelmaker.fit(tiny, {"train_max_steps": 1}, train_url=str(tmp_path / "out"))
    assert not (tmp_path / "out").exists(), "nothing is created before TF_CONFIG is checked"
