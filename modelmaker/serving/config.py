"""Provides the server's config files, read in TF Serving's protobuf text formats.

    --model_config_file       model_config_list { config { name: "a" base_path: "/m/a" } }
    --batching_parameters_file  max_batch_size { value: 32 } batch_timeout_micros { value: 1000 }
    --monitoring_config_file  prometheus_config { enable: true, path: "/monitoring/prometheus/metrics" }

The model config is parsed with the ModelServerConfig message that the
`tensorflow-serving-api` package ships. That package does not ship BatchingParameters
(session_bundle_config.proto) nor MonitoringConfig, so their fields are declared here,
with TF Serving's field names and numbers, and parsed by protobuf's own text parser.
"""

import dataclasses
from typing import Mapping, Optional, Tuple

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format
from google.protobuf import wrappers_pb2

from modelmaker.errors import DataError

# protobuf >= 4.21 has GetMessageClass; 3.20 (TensorFlow 2.15's) only the factory method.
_get_class = getattr(message_factory, "GetMessageClass", None) or \
    message_factory.MessageFactory().GetPrototype

# TF Serving's batching defaults (SharedBatchScheduler / BasicBatchScheduler options);
# num_batch_threads None means one thread per CPU, as TF Serving's MaxParallelism().
BATCHING_DEFAULTS = {
    "max_batch_size": 1000,
    "batch_timeout_micros": 0,
    "num_batch_threads": None,
    "max_enqueued_batches": 10,
}
BATCHING_HELP = {
    "max_batch_size": "instances in one model run; a larger request is an error",
    "batch_timeout_micros": "how long a partial batch waits for more requests (0: it runs "
                            "as soon as a batch thread is free)",
    "num_batch_threads": "batches run at the same time",
    "max_enqueued_batches": "batches waiting per model and signature; past that a request "
                            "is answered UNAVAILABLE (HTTP 503)",
}
PROMETHEUS_PATH = "/monitoring/prometheus/metrics"
_INT64_FIELDS = ("max_batch_size", "batch_timeout_micros", "max_enqueued_batches",
                 "num_batch_threads")


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """One served model: where its versions are and which to serve.

    `policy` is "latest" (the `num_versions` newest), "all", or "specific" (`versions`).
    """

    name: str
    base_path: str
    policy: str = "latest"
    num_versions: int = 1
    versions: Tuple[int, ...] = ()
    labels: Mapping[str, int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Batching:
    """TF Serving's BatchingParameters, resolved against `BATCHING_DEFAULTS`."""

    max_batch_size: int = BATCHING_DEFAULTS["max_batch_size"]
    batch_timeout_micros: int = BATCHING_DEFAULTS["batch_timeout_micros"]
    num_batch_threads: Optional[int] = BATCHING_DEFAULTS["num_batch_threads"]
    max_enqueued_batches: int = BATCHING_DEFAULTS["max_enqueued_batches"]
    allowed_batch_sizes: Tuple[int, ...] = ()
    pad_variable_length_inputs: bool = False

    def __post_init__(self):
        where = "(--batching_parameters_file or the batching flags)"
        for name in _INT64_FIELDS:
            value = getattr(self, name)
            if value is not None and (value < (0 if name == "batch_timeout_micros" else 1)):
                raise DataError(f"{name} must be >= 1 (batch_timeout_micros >= 0), got {value} "
                                f"{where}.")
        sizes = self.allowed_batch_sizes
        if sizes and (list(sizes) != sorted(set(sizes)) or sizes[-1] != self.max_batch_size
                      or sizes[0] < 1):
            raise DataError(f"allowed_batch_sizes {list(sizes)} must be increasing and end with "
                            f"max_batch_size ({self.max_batch_size}) {where}, as in TF Serving.")


def read_model_config(path):
    """The `ModelSpec`s of a --model_config_file (model_config_list text format).

    Raises:
      DataError: unreadable file, bad syntax, no model, a duplicate name, or a field
        that modelmaker does not serve (custom_model_config, a non-TensorFlow platform).
    """
    from tensorflow_serving.config import model_server_config_pb2
    config = _parse(path, model_server_config_pb2.ModelServerConfig(), "--model_config_file")
    if config.WhichOneof("config") != "model_config_list":
        raise DataError(f"--model_config_file {path}: expected model_config_list {{ config {{ "
                        "name: ... base_path: ... }} }}; custom_model_config is not served.")
    specs = [_model_spec(c, path) for c in config.model_config_list.config]
    names = [s.name for s in specs]
    if not specs or len(set(names)) != len(names):
        raise DataError(f"--model_config_file {path}: needs at least one config and unique "
                        f"names; got {names}.")
    return specs


def _model_spec(c, path):
    where = f"--model_config_file {path}, model '{c.name}'"
    if not c.name or not c.base_path:
        raise DataError(f"{where}: each config needs name and base_path.")
    if c.model_platform not in ("", "tensorflow"):
        raise DataError(f"{where}: model_platform {c.model_platform!r} is not served; use "
                        "\"tensorflow\" or leave it out.")
    policy = c.model_version_policy.WhichOneof("policy_choice") or "latest"
    num = c.model_version_policy.latest.num_versions if policy == "latest" else 0
    versions = tuple(sorted(c.model_version_policy.specific.versions))
    if policy == "specific" and not versions:
        raise DataError(f"{where}: model_version_policy specific needs versions: N.")
    return ModelSpec(name=c.name, base_path=c.base_path, policy=policy,
                     num_versions=num or (1 if policy == "latest" else 0), versions=versions,
                     labels=dict(c.version_labels))


def read_batching(path, **overrides):
    """The `Batching` of a --batching_parameters_file (None: defaults), then flag overrides.

    Raises:
      DataError: unreadable file, bad syntax or an out-of-range value.
    """
    values = {}
    if path:
        proto = _parse(path, _messages()["BatchingParameters"](), "--batching_parameters_file")
        values = {name: getattr(proto, name).value for name in _INT64_FIELDS
                  if proto.HasField(name)}
        values["allowed_batch_sizes"] = tuple(proto.allowed_batch_sizes)
        values["pad_variable_length_inputs"] = proto.pad_variable_length_inputs
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Batching(**values)


def read_monitoring(path):
    """The metrics URL path of a --monitoring_config_file, or None when Prometheus is off.

    Raises:
      DataError: unreadable file, bad syntax, or a path that does not start with "/".
    """
    proto = _parse(path, _messages()["MonitoringConfig"](), "--monitoring_config_file")
    if not proto.prometheus_config.enable:
        return None
    where = proto.prometheus_config.path or PROMETHEUS_PATH
    if not where.startswith("/"):
        raise DataError(f"--monitoring_config_file {path}: prometheus_config path {where!r} "
                        "must start with '/', e.g. \"/monitoring/prometheus/metrics\".")
    return where


def _parse(path, message, flag):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise DataError(f"{flag} {path}: cannot read it ({e.strerror}).") from None
    try:
        return text_format.Parse(text, message)
    except text_format.ParseError as e:
        raise DataError(f"{flag} {path}: not a {message.DESCRIPTOR.name} in protobuf text "
                        f"format: {e}") from None


_MESSAGES = {}


def _messages():
    """BatchingParameters and MonitoringConfig, declared with TF Serving's numbers."""
    if _MESSAGES:
        return _MESSAGES
    f = descriptor_pb2.FileDescriptorProto(
        name="modelmaker/serving/tf_serving_configs.proto", package="tensorflow.serving",
        syntax="proto3", dependency=[wrappers_pb2.DESCRIPTOR.name])
    T = descriptor_pb2.FieldDescriptorProto
    batching = f.message_type.add(name="BatchingParameters")
    for number, name in enumerate(("max_batch_size", "batch_timeout_micros",
                                   "max_enqueued_batches", "num_batch_threads"), start=1):
        batching.field.add(name=name, number=number, type=T.TYPE_MESSAGE,
                           type_name=".google.protobuf.Int64Value", label=T.LABEL_OPTIONAL)
    batching.field.add(name="thread_pool_name", number=5, type=T.TYPE_MESSAGE,
                       type_name=".google.protobuf.StringValue", label=T.LABEL_OPTIONAL)
    batching.field.add(name="allowed_batch_sizes", number=6, type=T.TYPE_INT64,
                       label=T.LABEL_REPEATED)
    batching.field.add(name="pad_variable_length_inputs", number=7, type=T.TYPE_BOOL,
                       label=T.LABEL_OPTIONAL)
    prometheus = f.message_type.add(name="PrometheusConfig")
    prometheus.field.add(name="enable", number=1, type=T.TYPE_BOOL, label=T.LABEL_OPTIONAL)
    prometheus.field.add(name="path", number=2, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    monitoring = f.message_type.add(name="MonitoringConfig")
    monitoring.field.add(name="prometheus_config", number=1, type=T.TYPE_MESSAGE,
                         type_name=".tensorflow.serving.PrometheusConfig", label=T.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(wrappers_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(f)
    for name in ("BatchingParameters", "MonitoringConfig"):
        _MESSAGES[name] = _get_class(pool.FindMessageTypeByName(f"tensorflow.serving.{name}"))
    return _MESSAGES
