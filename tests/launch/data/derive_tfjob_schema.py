"""Derives tfjob_v1_schema.json (the test's schema) from the Kubeflow TFJob CRD.

    python tests/launch/data/derive_tfjob_schema.py kubeflow.org_tfjobs.yaml > tests/launch/data/tfjob_v1_schema.json

Source: kubeflow/training-operator, manifests/base/crds/kubeflow.org_tfjobs.yaml at commit
374e88af2d28d49e1c40008238f6e039b5677177 (the last release of the v1 operator, Kubernetes
1.31.3), spec.versions[name=v1].schema.openAPIV3Schema.

The derivation keeps the CRD's own types, patterns, enums and required fields on the paths
modelmaker writes (KEEP), and makes the schema stricter in two places:
  - every object with `properties` gets `additionalProperties: false`: Kubernetes silently
    drops fields a structural schema does not know, so a misspelt field would deploy and do
    nothing; here it fails the test;
  - tfReplicaSpecs keys are limited to the replica types of the v1 API
    (pkg/apis/kubeflow.org/v1/tensorflow_types.go) and restartPolicy / cleanPodPolicy to
    their constants (common_types.go), which the CRD leaves as free strings.
Properties off the kept paths keep their name (they stay allowed) but not their sub-schema.
Descriptions are dropped.
"""

import json
import sys

import yaml

# The paths modelmaker's TFJob uses; True keeps a whole sub-schema.
_CONTAINER = {"name": True, "image": True, "command": True, "args": True, "ports": True,
              "resources": True, "env": True, "envFrom": True, "volumeMounts": True}
_POD = {"containers": {"items": _CONTAINER}, "volumes": {"items": {
    "name": True, "emptyDir": True, "persistentVolumeClaim": True}}}
_REPLICA = {"replicas": True, "restartPolicy": True, "template": {"spec": _POD}}
KEEP = {"apiVersion": True, "kind": True, "metadata": True, "spec": {
    "runPolicy": {"cleanPodPolicy": True, "backoffLimit": True},
    "tfReplicaSpecs": {"additionalProperties": _REPLICA}}}
ENUMS = {("spec", "runPolicy", "cleanPodPolicy"): ["All", "Running", "None"],
         ("spec", "tfReplicaSpecs", "restartPolicy"): ["Always", "OnFailure", "Never", "ExitCode"]}
REPLICA_TYPES = ["Chief", "Master", "Worker", "PS", "Evaluator"]


def derive(node, keep, path=()):
    if keep is True:
        return with_enum(strict(node), path)
    out = {k: v for k, v in node.items() if k not in ("description", "properties", "items",
                                                     "additionalProperties")}
    if "properties" in node:
        out["properties"] = {name: derive(sub, keep[name], path + (name,)) if name in keep else {}
                             for name, sub in node["properties"].items()}
        out["additionalProperties"] = False
    if "items" in node:
        out["items"] = derive(node["items"], keep["items"], path)
    if "additionalProperties" in node:
        out["additionalProperties"] = derive(node["additionalProperties"],
                                             keep["additionalProperties"], path)
        if path == ("spec", "tfReplicaSpecs"):
            out["propertyNames"] = {"enum": REPLICA_TYPES}
    return out


def with_enum(out, path):
    if path[-1:] in (("cleanPodPolicy",), ("restartPolicy",)):
        out["enum"] = ENUMS[(path[0], path[1], path[-1])]
    return out


def strict(node):
    """A whole sub-schema without descriptions, closed to unknown properties."""
    if isinstance(node, list):
        return [strict(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: strict(v) for k, v in node.items() if k != "description"}
    if "properties" in node:
        out["properties"] = {k: strict(v) for k, v in node["properties"].items()}
        out.setdefault("additionalProperties", False)
    return out


def main(path):
    with open(path, encoding="utf-8") as f:
        crd = yaml.safe_load(f)
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    schema = derive(version["schema"]["openAPIV3Schema"], KEEP)
    schema = {"$comment": "Derived from kubeflow/training-operator manifests/base/crds/"
                          "kubeflow.org_tfjobs.yaml@374e88af2d28d49e1c40008238f6e039b5677177 "
                          "by derive_tfjob_schema.py (see its docstring).", **schema}
    json.dump(schema, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
