"""Provides `manifest`: a Kubeflow TFJob (kubeflow.org/v1) that runs a `Shape` on Kubernetes.

The training operator writes each pod's TF_CONFIG (chief, worker, ps; the evaluator is left
out of the cluster, as modelmaker expects), so every pod runs the same command. The job
succeeds when the chief does; `cleanPodPolicy: Running` then deletes the ps pods, which
would otherwise stop only on the done-marker or their idle timeout.
"""

import re

import yaml

from modelmaker.errors import ParamsError

# Shape kind -> TFJob replica type.
REPLICA_TYPES = {"chief": "Chief", "worker": "Worker", "ps": "PS", "evaluator": "Evaluator"}
PORT = 2222  # the training operator's default port, named tfjob-port
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def manifest(shape, *, name, image, command, args):
    """The TFJob as a dict.

    Args:
      shape: the `Shape` (one chief plus workers, ps, evaluator).
      name: the job name (a Kubernetes DNS label: lower case, digits, '-').
      image: the container image holding the user module and modelmaker.
      command: the container command, e.g. ["python", "-m", "modelmaker.train"].
      args: the training arguments after `--`.

    Raises:
      ParamsError: a name Kubernetes would refuse, or no image.
    """
    if not _NAME.match(name):
        raise ParamsError(f"--name {name!r} is not a Kubernetes name: use lower-case letters, "
                          "digits and '-', at most 63 characters, e.g. --name mnist-ps.")
    if not image:
        raise ParamsError("--print tfjob needs --image IMAGE: the container image that holds "
                          "your module and modelmaker, e.g. --image registry/mymodel:1.")
    counts = {"chief": 1, "worker": shape.worker, "ps": shape.ps, "evaluator": shape.evaluator}
    replicas = {REPLICA_TYPES[kind]: _replica(count, image, command, args)
                for kind, count in counts.items() if count}
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "TFJob",
        "metadata": {"name": name},
        "spec": {"runPolicy": {"cleanPodPolicy": "Running"}, "tfReplicaSpecs": replicas},
    }


def _replica(count, image, command, args):
    container = {"name": "tensorflow",  # the container name the training operator looks for
                 "image": image, "command": list(command), "args": list(args),
                 "ports": [{"name": "tfjob-port", "containerPort": PORT}]}
    # OnFailure: a restarted pod resumes from the newest checkpoint in --train_url.
    return {"replicas": count, "restartPolicy": "OnFailure",
            "template": {"spec": {"containers": [container]}}}


def to_yaml(job, shape):
    """The manifest as YAML, with a header saying how to use it."""
    header = (f"# Kubeflow TFJob: {shape}. Apply with `kubectl apply -f FILE`.\n"
              "# --train_url must be storage every pod reaches (a shared volume, s3://, ...).\n")
    return header + yaml.safe_dump(job, sort_keys=False, default_flow_style=False)
