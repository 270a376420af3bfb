"""Tests for `modelmaker launch --print tfjob`: the manifest validates against the TFJob v1 CRD's
schema (data/tfjob_v1_schema.json, derived from kubeflow/training-operator's CRD by
data/derive_tfjob_schema.py) and carries resources, Secret references, the cache volume,
restart policy and backoff; mistakes in the new flags end in one line and exit 2."""

import copy
import io
import json
import os

import jsonschema
import pytest
import yaml

from modelmaker.commands import cli
from modelmaker.commands import launch

SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "data", "tfjob_v1_schema.json")
TRAIN = ["--", "--user_module", "m", "--train_url", "obs://bucket/run1"]


@pytest.fixture(scope="module")
def validator():
    with open(SCHEMA_FILE, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def print_tfjob(*flags, train=TRAIN, capsys=None):
    out = io.StringIO()
    code = launch.main(["--print", "tfjob", "--shape", "worker=2,ps=1,evaluator=1", "--image",
                        "registry/m:1", *flags, *train], out=out)
    assert code == 0
    return out.getvalue(), yaml.safe_load(out.getvalue())


def containers(job):
    return {kind: spec["template"]["spec"]["containers"][0]
            for kind, spec in job["spec"]["tfReplicaSpecs"].items()}


def test_full_manifest_validates_against_the_crd_schema(validator, monkeypatch):
    monkeypatch.setenv("OBS_SECRET_ACCESS_KEY", "do-not-print-me")
    text, job = print_tfjob(
        "--namespace", "training", "--cpu", "4,ps=2", "--memory", "16Gi,ps=4Gi", "--gpu", "1,ps=0",
        "--secret", "obs-creds", "--secret_env", "OBS_SESSION_TOKEN=sts:token",
        "--cache", "pvc:dataset-cache", "--restart_policy", "OnFailure", "--backoff_limit", "5")
    validator.validate(job)
    assert job["metadata"] == {"name": "modelmaker", "namespace": "training"}
    assert job["spec"]["runPolicy"] == {"cleanPodPolicy": "Running", "backoffLimit": 5}
    by_kind = containers(job)
    assert by_kind["Worker"]["resources"] == {
        "requests": {"cpu": "4", "memory": "16Gi"},
        "limits": {"memory": "16Gi", "nvidia.com/gpu": "1"}}
    assert by_kind["PS"]["resources"] == {"requests": {"cpu": "2", "memory": "4Gi"},
                                          "limits": {"memory": "4Gi"}}, "ps=0: no GPU for the ps"
    for kind, spec in job["spec"]["tfReplicaSpecs"].items():
        container = by_kind[kind]
        assert spec["restartPolicy"] == "OnFailure"
        assert container["envFrom"] == [{"secretRef": {"name": "obs-creds"}}]
        assert container["env"] == [{"name": "OBS_SESSION_TOKEN", "valueFrom": {
            "secretKeyRef": {"name": "sts", "key": "token"}}}]
        assert container["volumeMounts"] == [{"name": "cache", "mountPath": "/cache"}]
        assert spec["template"]["spec"]["volumes"] == [
            {"name": "cache", "persistentVolumeClaim": {"claimName": "dataset-cache"}}]
    assert "do-not-print-me" not in text, "credentials are referenced, never copied"


def test_default_manifest_validates_and_restarts_only_preempted_pods(validator):
    text, job = print_tfjob()
    validator.validate(job)
    spec = job["spec"]["tfReplicaSpecs"]["Chief"]
    assert spec["restartPolicy"] == "ExitCode" and job["spec"]["runPolicy"]["backoffLimit"] == 3
    assert spec["template"]["spec"]["volumes"] == [{"name": "cache", "emptyDir": {}}]
    assert "resources" not in containers(job)["Chief"]
    # obs:// without --secret: the header says how to make the Secret the pods need.
    assert "kubectl create secret generic NAME --from-literal=OBS_ACCESS_KEY_ID=" in text


@pytest.mark.parametrize("change", [
    lambda job: job["spec"]["tfReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]
    .update(volumeMount=[]),                                                    # misspelt field
    lambda job: job["spec"]["tfReplicaSpecs"].update(Workers=job["spec"]["tfReplicaSpecs"]["Worker"]),
    lambda job: job["spec"]["tfReplicaSpecs"]["PS"].update(restartPolicy="OnError"),
    lambda job: job["spec"]["tfReplicaSpecs"]["PS"]["template"]["spec"]["containers"][0]
    .update(resources={"limits": {"memory": "16 GB"}}),
    lambda job: job["spec"]["tfReplicaSpecs"]["PS"]["template"]["spec"]["containers"][0]
    .update(env=[{"valueFrom": {"secretKeyRef": {"key": "k"}}}]),             # env without name
])
def test_the_schema_refuses_what_kubernetes_would_drop_or_refuse(validator, change):
    _, job = print_tfjob("--cpu", "1", "--secret", "s")
    broken = copy.deepcopy(job)
    change(broken)
    assert list(validator.iter_errors(broken)), "the schema must catch this mistake"


def test_no_cache_volume_and_emptydir_size(validator):
    _, job = print_tfjob("--cache", "none")
    validator.validate(job)
    assert "volumes" not in job["spec"]["tfReplicaSpecs"]["Chief"]["template"]["spec"]
    _, job = print_tfjob("--cache", "emptydir:50Gi")
    validator.validate(job)
    assert job["spec"]["tfReplicaSpecs"]["Chief"]["template"]["spec"]["volumes"] == [
        {"name": "cache", "emptyDir": {"sizeLimit": "50Gi"}}]


def test_secret_given_means_no_credentials_note(capsys):
    text, _ = print_tfjob("--secret", "obs-creds")
    assert "kubectl create secret" not in text and "note" not in capsys.readouterr().err
    print_tfjob()
    assert "without credentials from a Secret; add --secret NAME" in capsys.readouterr().err


@pytest.mark.parametrize("flags, words", [
    (["--cpu", "gpu=1"], "--cpu 'gpu=1': unknown task kind 'gpu'"),
    (["--memory", "16 GB"], "'16 GB' is not a Kubernetes quantity"),
    (["--gpu", "0.5"], "'0.5' is not a whole number"),
    (["--secret_env", "OBS_ACCESS_KEY_ID=creds"], "must look like VARIABLE=SECRET:KEY"),
    (["--secret", "Creds_1"], "--secret 'Creds_1' is not a Kubernetes name"),
    (["--cache", "disk"], "--cache 'disk' is not one of emptydir"),
    (["--namespace", "Team A"], "--namespace 'Team A' is not a Kubernetes name"),
    (["--backoff_limit", "-1"], "--backoff_limit -1 must be 0 or more"),
])
def test_bad_pod_flags_exit_2_with_one_line(flags, words, capsys):
    argv = ["--print", "tfjob", "--shape", "worker=1", "--image", "i", *flags, *TRAIN]
    assert launch.main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_pod_flags_without_print_are_refused(capsys):
    assert launch.main(["--local", "worker=1", "--gpu", "1", "--secret", "s", "--", "x"]) == 2
    err = capsys.readouterr().err
    assert "--gpu, --secret only shape the manifest of --print tfjob" in err and err.count("\n") == 1


def test_training_arguments_without_the_separator_are_explained(capsys):
    assert launch.main(["--local", "worker=1", "--user_module", "m", "--train_url", "out"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert ("does not take --user_module m --train_url out: the arguments for python -m "
            "modelmaker.train go after `--`, i.e. modelmaker launch --local worker=1 -- "
            "--user_module m --train_url out") in err
    assert launch.main(["--local", "worker=1", "--bogus", "--", "--user_module", "m"]) == 2
    assert "does not take --bogus (see modelmaker launch --help)" in capsys.readouterr().err


def test_help_explains_every_pod_flag(capsys):
    with pytest.raises(SystemExit):
        cli.main(["launch", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag, words in {"--namespace": "Kubernetes namespace", "--cpu": "CPU cores requested",
                        "--memory": "memory per pod", "--gpu": "nvidia.com/gpu per pod",
                        "--secret NAME": "(envFrom)", "--secret_env": "(secretKeyRef)",
                        "--cache": "the volume at /cache", "--restart_policy": "ExitCode (default)",
                        "--backoff_limit": "restarts allowed", "--image": "container image"}.items():
        assert flag in text and words in text, flag
