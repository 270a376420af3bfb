"""Provides `manifest`: a Kubeflow TFJob (kubeflow.org/v1) that runs a `Shape` on Kubernetes.

The training operator writes each pod's TF_CONFIG (chief, worker, ps; the evaluator is left
out of the cluster, as modelmaker expects), so every pod runs the same command. The job
succeeds when the chief does; `cleanPodPolicy: Running` then deletes the ps pods, which
would otherwise stop only on the done-marker or their idle timeout.

`Pods` holds what each pod gets besides the command: resources per task kind, credentials
from Kubernetes Secrets (by reference, never values), the cache volume at /cache (where
modelmaker stages s3://, obs://, ks3:// data), the restart policy and the retry budget.
"""

import dataclasses
import re
from typing import Mapping, Optional

import yaml

from modelmaker.errors import ParamsError
from modelmaker.storage import urls

# Shape kind -> TFJob replica type.
REPLICA_TYPES = {"chief": "Chief", "worker": "Worker", "ps": "PS", "evaluator": "Evaluator"}
PORT = 2222  # the training operator's default port, named tfjob-port
CACHE_PATH = "/cache"  # modelmaker's default cache when writable (storage/urls.py), as on ModelArts
# ExitCode: exits 1-127 (modelmaker: 2 a user mistake, 1 a bug) fail the job at once; 128-255
# (preempted: 143 SIGTERM, 137 SIGKILL, 130 SIGINT) restart the pod, which resumes from the
# newest checkpoint (training-operator train_util.go IsRetryableExitCode).
RESTART_POLICIES = ("ExitCode", "OnFailure", "Never", "Always")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
# Kubernetes resource quantities (the CRD's pattern): 4, 500m, 16Gi, 1.5.
_QUANTITY = re.compile(r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
                       r"(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
# flag -> (resource name, example, whether a whole number)
RESOURCES = {"--cpu": ("cpu", "4,ps=2", False), "--memory": ("memory", "16Gi,ps=4Gi", False),
             "--gpu": ("nvidia.com/gpu", "1,ps=0", True)}


@dataclasses.dataclass(frozen=True)
class Pods:
    """Everything a pod gets besides image and command (defaults: a bare pod, ExitCode, 3 retries).

    resources: kind -> {resource name: quantity}; cpu is requested, memory requested and
      limited, GPUs limited (Kubernetes schedules GPUs by their limit).
    secrets: Secrets whose every key becomes an environment variable (envFrom).
    secret_env: (variable, secret, key) triples, one variable from one key (secretKeyRef).
    cache: "emptydir", "emptydir:SIZE", "pvc:CLAIM" or "none": the volume at /cache.
    """

    namespace: Optional[str] = None
    resources: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    secrets: tuple = ()
    secret_env: tuple = ()
    cache: str = "emptydir"
    restart_policy: str = "ExitCode"
    backoff_limit: int = 3


def manifest(shape, *, name, image, command, args, pods=Pods()):
    """The TFJob as a dict.

    Args:
      shape: the `Shape` (one chief plus workers, ps, evaluator).
      name: the job name (a Kubernetes DNS label: lower case, digits, '-').
      image: the container image holding the user module and modelmaker.
      command: the container command, e.g. ["python", "-m", "modelmaker.train"].
      args: the training arguments after `--`.
      pods: the `Pods` settings.

    Raises:
      ParamsError: a name Kubernetes would refuse, or no image.
    """
    check_name(name, "--name", "mnist-ps")
    if pods.namespace is not None:
        check_name(pods.namespace, "--namespace", "training")
    if not image:
        raise ParamsError("--print tfjob needs --image IMAGE: the container image that holds "
                          "your module and modelmaker, e.g. --image registry/mymodel:1.")
    counts = {"chief": 1, "worker": shape.worker, "ps": shape.ps, "evaluator": shape.evaluator}
    replicas = {REPLICA_TYPES[kind]: _replica(kind, count, image, command, args, pods)
                for kind, count in counts.items() if count}
    metadata = {"name": name}
    if pods.namespace:
        metadata["namespace"] = pods.namespace
    run_policy = {"cleanPodPolicy": "Running", "backoffLimit": pods.backoff_limit}
    return {"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": metadata,
            "spec": {"runPolicy": run_policy, "tfReplicaSpecs": replicas}}


def check_name(value, flag, example):
    """Refuses a value that is not a Kubernetes DNS label, naming `flag` and an example."""
    if not _NAME.match(value):
        raise ParamsError(f"{flag} {value!r} is not a Kubernetes name: use lower-case letters, "
                          f"digits and '-', at most 63 characters, e.g. {flag} {example}.")


def _replica(kind, count, image, command, args, pods):
    container = {"name": "tensorflow",  # the container name the training operator looks for
                 "image": image, "command": list(command), "args": list(args),
                 "ports": [{"name": "tfjob-port", "containerPort": PORT}]}
    resources = _resources(pods.resources.get(kind, {}))
    if resources:
        container["resources"] = resources
    if pods.secrets:
        container["envFrom"] = [{"secretRef": {"name": secret}} for secret in pods.secrets]
    if pods.secret_env:
        container["env"] = [{"name": var, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
                            for var, secret, key in pods.secret_env]
    spec = {"containers": [container]}
    volume = _cache_volume(pods.cache)
    if volume:
        container["volumeMounts"] = [{"name": "cache", "mountPath": CACHE_PATH}]
        spec["volumes"] = [volume]
    return {"replicas": count, "restartPolicy": pods.restart_policy, "template": {"spec": spec}}


def _resources(wanted):
    out = {}
    for resource, quantity in wanted.items():
        kinds = ("limits",) if resource == "nvidia.com/gpu" else (
            ("requests",) if resource == "cpu" else ("requests", "limits"))
        for where in kinds:
            out.setdefault(where, {})[resource] = quantity
    return out


def _cache_volume(cache):
    kind, _, value = cache.partition(":")
    if kind == "none":
        return None
    if kind == "pvc":
        return {"name": "cache", "persistentVolumeClaim": {"claimName": value}}
    return {"name": "cache", "emptyDir": {"sizeLimit": value} if value else {}}


def per_kind(text, flag):
    """{kind: quantity} from `--cpu 4,ps=2`: a bare value is every kind's, `kind=value` one kind's;
    a quantity of 0 leaves the resource out.

    Raises:
      ParamsError: an unknown kind or a value Kubernetes would refuse.
    """
    resource, example, whole = RESOURCES[flag]
    default, named = None, {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        kind, sep, value = item.rpartition("=")
        if sep and kind not in REPLICA_TYPES:
            raise ParamsError(f"{flag} {text!r}: unknown task kind {kind!r}; the kinds are "
                              f"{', '.join(REPLICA_TYPES)}. Example: {flag} {example}.")
        if not (value.isdigit() if whole else _QUANTITY.match(value)):
            what = "a whole number" if whole else "a Kubernetes quantity (4, 500m, 16Gi)"
            raise ParamsError(f"{flag} {text!r}: {value!r} is not {what}. Example: {flag} {example}.")
        if sep:
            named[kind] = value
        else:
            default = value
    out = {kind: named.get(kind, default) for kind in REPLICA_TYPES}
    return {kind: {resource: value} for kind, value in out.items()
            if value is not None and not _is_zero(value)}


def _is_zero(value):
    return re.fullmatch(r"[+]?0*\.?0*[a-zA-Z]*", value) is not None


def secret_env(text):
    """(variable, secret, key) from `--secret_env OBS_ACCESS_KEY_ID=obs-creds:access-key`."""
    var, _, ref = text.partition("=")
    secret, _, key = ref.partition(":")
    if not (_ENV.match(var) and _NAME.match(secret) and _SECRET_KEY.match(key)):
        raise ParamsError(f"--secret_env {text!r} must look like VARIABLE=SECRET:KEY (a Secret in "
                          "the job's namespace and one of its keys), e.g. --secret_env "
                          "OBS_ACCESS_KEY_ID=obs-creds:access-key.")
    return var, secret, key


def cache_volume(text):
    """Checks `--cache`: emptydir, emptydir:SIZE, pvc:CLAIM or none."""
    kind, sep, value = text.partition(":")
    if (kind == "none" and not sep or kind == "emptydir" and (not sep or _QUANTITY.match(value))
            or kind == "pvc" and _NAME.match(value)):
        return text
    raise ParamsError(f"--cache {text!r} is not one of emptydir, emptydir:SIZE (e.g. "
                      "emptydir:50Gi), pvc:CLAIM (a PersistentVolumeClaim, kept across "
                      "restarts) or none.")


def remote_schemes(args):
    """The object-storage schemes (s3, obs, ks3) that the training arguments read or write."""
    found = []
    for arg in args:
        scheme = arg.rpartition("=")[2].partition("://")[0] if "://" in arg else None
        prefix = urls.SCHEMES[scheme].prefix if scheme in urls.SCHEMES else None
        if prefix and scheme not in found:
            found.append(scheme)
    return found


def to_yaml(job, shape, missing_credentials=()):
    """The manifest as YAML, with a header saying how to use it, and how to make the Secret
    for each scheme in `missing_credentials` (object storage used with no --secret)."""
    header = (f"# Kubeflow TFJob: {shape}. Apply with `kubectl apply -f FILE`.\n"
              "# --train_url must be storage every pod reaches (a shared volume, s3://, ...).\n")
    for scheme in missing_credentials:
        prefix = urls.SCHEMES[scheme].prefix
        header += (f"# {scheme}:// needs credentials in every pod: put them in a Secret and add "
                   "--secret NAME, e.g.\n"
                   f"#   kubectl create secret generic NAME --from-literal={prefix}_ACCESS_KEY_ID=... "
                   f"--from-literal={prefix}_SECRET_ACCESS_KEY=... --from-literal="
                   f"{prefix}_ENDPOINT_URL=...\n")
    return header + yaml.safe_dump(job, sort_keys=False, default_flow_style=False)
