"""Provides the platform table and `recognise`: one schema over the training platforms' environments.

SageMaker script mode, Vertex AI custom training and ModelArts each tell a job where its data
is and where its outputs go, each in its own words. `TABLE` maps those words onto modelmaker's
(docs/platforms.md prints it); `recognise` applies it to an environment mapping, which
`modelmaker.environment` reads once. Precedence: command line > platform environment >
parameters file > defaults.

modelmaker keeps one model directory, `train_url` (checkpoints, events, exports, records). On a
platform that splits these, `train_url` is the platform's checkpoint folder, and at the end of
a run the export is copied to the platform's model folder and the event files to its
TensorBoard folder (`modelmaker.storage.handoff`).

    platform = recognise({"SM_MODEL_DIR": "/opt/ml/model", "SM_CHANNEL_TRAINING": "/opt/ml/input/data/training"})
    platform.name, platform.locations["data_url"]   # "SageMaker", "/opt/ml/input/data/training"
"""

import dataclasses
import json
import os
import re
from typing import Any, Mapping, Optional, Tuple

from modelmaker import layout
from modelmaker.cluster import tf_config
from modelmaker.config.sources import parse_value
from modelmaker.errors import ParamsError

SAGEMAKER, VERTEX, MODELARTS, KDL, LOCAL = "SageMaker", "Vertex AI", "ModelArts", "KDL", "local"
# Where modelmaker's values come from, highest first (printed by --help and docs/platforms.md).
PRECEDENCE = "command line > platform environment > parameters file > defaults"

# Targets: modelmaker's locations (the first two are also flags) and what the handoff fills.
DATA_URL, TRAIN_URL, EXPORT_TO, EVENTS_TO, ANALYSIS_TO, FAILURE_FILE = (
    "data_url", "train_url", "export_to", "events_to", "analysis_to", "failure_file")
EVAL_DATA_URL = "eval_data_url"  # a parameter: what the eval channel holds, for eval_input_fn
HYPERPARAMETERS, TF_CONFIG = "parameters", "TF_CONFIG"
VERSIONS, FLAT = "versions", "flat"  # export_to layout: <dir>/<N>/saved_model.pb, <dir>/saved_model.pb


@dataclasses.dataclass(frozen=True)
class Rule:
    """One platform variable -> one modelmaker target; the first rule that applies wins."""

    variable: str
    target: str
    meaning: str


# The one table. Within a platform, rules for one target are tried in order.
TABLE = {
    SAGEMAKER: (
        Rule("SM_CHANNEL_TRAINING", DATA_URL, "the `training` channel (the SDK's name for a single input)"),
        Rule("SM_CHANNEL_TRAIN", DATA_URL, "the `train` channel, when there is no `training` channel"),
        Rule("SM_CHANNEL_<NAME>", DATA_URL, "the only channel that is not an evaluation channel"),
        Rule("SM_CHANNEL_EVAL", EVAL_DATA_URL, "the `eval` channel, as the parameter eval_data_url"),
        Rule("SM_CHANNEL_VALIDATION", EVAL_DATA_URL, "else the `validation` channel"),
        Rule("SM_CHANNEL_TEST", EVAL_DATA_URL, "else the `test` channel"),
        Rule("SM_HPS", HYPERPARAMETERS, "the job's hyperparameters (JSON), typed like --set"),
        Rule("SM_MODEL_DIR", TRAIN_URL, "its sibling `checkpoints/` (`/opt/ml/checkpoints`, "
             "synced with checkpoint_s3_uri) when it exists, else `<SM_OUTPUT_DATA_DIR>/model_dir`"),
        Rule("SM_MODEL_DIR", EXPORT_TO, "the final export, as `<SM_MODEL_DIR>/<N>/` (TF Serving's layout)"),
        Rule("SM_OUTPUT_DATA_DIR", ANALYSIS_TO, "`--report`'s `analysis/` folder is copied here"),
        Rule("SM_OUTPUT_DIR", FAILURE_FILE, "`<SM_OUTPUT_DIR>/failure` gets the error message "
             "on a non-zero exit (default `/opt/ml/output/failure`)"),
    ),
    VERTEX: (
        Rule("AIP_TRAINING_DATA_URI", DATA_URL, "the training split (a file pattern: its folder; "
             "a BigQuery `bq://` table is not mapped)"),
        Rule("AIP_VALIDATION_DATA_URI", EVAL_DATA_URL, "the validation split, as the parameter "
             "eval_data_url (as given)"),
        Rule("AIP_CHECKPOINT_DIR", TRAIN_URL, "checkpoints, events and records"),
        Rule("AIP_MODEL_DIR", EXPORT_TO, "the final export, `saved_model.pb` at its top (what "
             "Vertex AI's prebuilt serving containers load)"),
        Rule("AIP_TENSORBOARD_LOG_DIR", EVENTS_TO, "the event files are copied here at the end"),
        Rule("CLUSTER_SPEC", TF_CONFIG, "when TF_CONFIG is unset: workerpool0 chief, "
             "workerpool1 worker, workerpool2 ps, workerpool3 evaluator"),
    ),
    MODELARTS: (
        Rule("--data_url", DATA_URL, "the command line, as ModelArts passes it (obs:// is staged)"),
        Rule("--train_url", TRAIN_URL, "the command line, as ModelArts passes it"),
        Rule("--train_url", EXPORT_TO, "the final export also as `<train_url>/model/` (the "
             "folder ModelArts imports a model from)"),
        Rule("--<key>=value", HYPERPARAMETERS, "the job's run parameters, for keys of the "
             "defaults and the parameters file"),
        Rule("/cache", "cache_dir", "the local disk ModelArts mounts: the default cache when "
             "writable"),
    ),
    KDL: (  # no variables of its own: never recognised, nothing to map but its flags
        Rule("--<key>=value", HYPERPARAMETERS, "the job's user-defined flags (learning_rate, "
             "max_epochs), for keys of the defaults and the parameters file"),
        Rule("ks3://", TRAIN_URL, "checkpoints, summaries and exports on KS3: `--train_url ks3://...`"),
    ),
}
# How each platform is recognised: a variable it always sets (a prefix ends in `_`).
SIGNS = {SAGEMAKER: ("SM_MODEL_DIR", "SM_HPS", "SM_CHANNELS", "SM_CHANNEL_"),
         VERTEX: ("AIP_MODEL_DIR", "AIP_CHECKPOINT_DIR", "AIP_TENSORBOARD_LOG_DIR",
                  "AIP_TRAINING_DATA_URI", "CLUSTER_SPEC"),
         MODELARTS: ("MA_", "MODELARTS_")}
# Every variable the table reads starts so, or is CLUSTER_SPEC (the tests clear them).
PREFIXES, NAMES = ("SM_", "AIP_", "MA_", "MODELARTS_"), ("CLUSTER_SPEC",)
EXPORT_LAYOUT = {SAGEMAKER: VERSIONS, VERTEX: FLAT, MODELARTS: FLAT}
_EVAL_CHANNELS = ("EVAL", "VALIDATION", "TEST")
_NOT_FOLDERS = ("bq://",)  # a BigQuery table is no data_url: the input functions read it themselves
_CLUSTER_POOLS = {"workerpool0": "chief", "workerpool1": "worker", "workerpool2": "ps",
                  "workerpool3": "evaluator"}


@dataclasses.dataclass(frozen=True)
class Platform:
    """What the platform's environment says, in modelmaker's terms.

    Attributes:
      name: SageMaker, Vertex AI, ModelArts or local.
      signs: the variables it was recognised by, for the start-up line.
      locations: target -> value (data_url, train_url, export_to, events_to, analysis_to,
        failure_file); ModelArts' export target follows train_url (`export_target`).
      sources: target -> where it came from, e.g. "SageMaker SM_MODEL_DIR".
      layers: (source, {key: value}) parameter layers, lowest first (hyperparameters, eval data).
      tf_config: TF_CONFIG text derived from CLUSTER_SPEC, or None.
    """

    name: str = LOCAL
    signs: Tuple[str, ...] = ()
    locations: Mapping[str, str] = dataclasses.field(default_factory=dict)
    sources: Mapping[str, str] = dataclasses.field(default_factory=dict)
    layers: Tuple[Tuple[str, Mapping[str, Any]], ...] = ()
    tf_config: Optional[str] = None

    @property
    def export_layout(self):
        return EXPORT_LAYOUT.get(self.name, VERSIONS)

    def export_target(self, train_url):
        """Where the final export is copied (None: nowhere), given the run's train_url."""
        target = self.locations.get(EXPORT_TO)
        if self.name == MODELARTS and train_url:
            return f"{str(train_url).rstrip('/')}/{layout.MODELARTS_MODEL_DIR}"
        return target

    def banner(self):
        """The start-up line: `platform: SageMaker (SM_MODEL_DIR, SM_HPS)`, or None when local."""
        return None if self.name == LOCAL else f"platform: {self.name} ({', '.join(self.signs)})"


LOCAL_PLATFORM = Platform()


def recognise(environ):
    """The `Platform` the mapping `environ` describes (`LOCAL_PLATFORM` when none).

    Raises:
      ParamsError: SM_HPS or CLUSTER_SPEC is not valid JSON of the expected shape.
    """
    for name, signs in SIGNS.items():
        found = tuple(sorted(v for v in environ if any(
            v == s or (s.endswith("_") and v.startswith(s)) for s in signs)))
        if found:
            return _BUILDERS[name](environ, found)
    return LOCAL_PLATFORM


def _sagemaker(environ, found):
    get, locations, sources, layers = environ.get, {}, {}, []
    channels = {v[len("SM_CHANNEL_"):]: environ[v] for v in environ if v.startswith("SM_CHANNEL_")}
    train = [c for c in channels if c not in _EVAL_CHANNELS]
    data = next((c for c in ("TRAINING", "TRAIN") if c in channels), train[0] if len(train) == 1 else None)
    if data:
        _put(locations, sources, DATA_URL, channels[data], f"SageMaker SM_CHANNEL_{data}")
    evaluation = next((c for c in _EVAL_CHANNELS if c in channels), None)
    if get("SM_HPS"):
        layers.append(("SageMaker SM_HPS", _hyperparameters(get("SM_HPS"))))
    if evaluation:
        layers.append((f"SageMaker SM_CHANNEL_{evaluation}", {EVAL_DATA_URL: channels[evaluation]}))
    model_dir = get("SM_MODEL_DIR")
    if model_dir:
        _put(locations, sources, EXPORT_TO, model_dir, "SageMaker SM_MODEL_DIR")
        checkpoints = os.path.join(os.path.dirname(os.path.normpath(model_dir)), "checkpoints")
        if os.path.isdir(checkpoints):
            _put(locations, sources, TRAIN_URL, checkpoints, "SageMaker's checkpoints folder")
    if get("SM_OUTPUT_DATA_DIR"):
        _put(locations, sources, ANALYSIS_TO, get("SM_OUTPUT_DATA_DIR"), "SageMaker SM_OUTPUT_DATA_DIR")
        if TRAIN_URL not in locations:
            _put(locations, sources, TRAIN_URL, os.path.join(get("SM_OUTPUT_DATA_DIR"), "model_dir"),
                 "SageMaker SM_OUTPUT_DATA_DIR")
    output = get("SM_OUTPUT_DIR") or "/opt/ml/output"
    _put(locations, sources, FAILURE_FILE, os.path.join(output, "failure"),
         "SageMaker SM_OUTPUT_DIR" if get("SM_OUTPUT_DIR") else "SageMaker's default")
    return Platform(SAGEMAKER, found, locations, sources, tuple(layers))


def _vertex(environ, found):
    get, locations, sources, layers = environ.get, {}, {}, []
    if get("AIP_TRAINING_DATA_URI") and not get("AIP_TRAINING_DATA_URI").startswith(_NOT_FOLDERS):
        _put(locations, sources, DATA_URL, _folder_of_pattern(get("AIP_TRAINING_DATA_URI")),
             "Vertex AI AIP_TRAINING_DATA_URI")
    if get("AIP_VALIDATION_DATA_URI"):
        layers.append(("Vertex AI AIP_VALIDATION_DATA_URI", {EVAL_DATA_URL: get("AIP_VALIDATION_DATA_URI")}))
    for variable, target in (("AIP_CHECKPOINT_DIR", TRAIN_URL), ("AIP_MODEL_DIR", EXPORT_TO),
                             ("AIP_TENSORBOARD_LOG_DIR", EVENTS_TO)):
        if get(variable):
            _put(locations, sources, target, get(variable), f"Vertex AI {variable}")
    spec = None if get("TF_CONFIG") or not get("CLUSTER_SPEC") else cluster_spec_to_tf_config(get("CLUSTER_SPEC"))
    return Platform(VERTEX, found, locations, sources, tuple(layers), tf_config=spec)


def _modelarts(environ, found):
    return Platform(MODELARTS, found)


_BUILDERS = {SAGEMAKER: _sagemaker, VERTEX: _vertex, MODELARTS: _modelarts}


def _put(locations, sources, target, value, source):
    locations[target] = value
    sources[target] = source


def _folder_of_pattern(uri):
    """`gs://b/d/training-*` -> `gs://b/d`: Vertex AI names a managed dataset's files by pattern."""
    head, _, tail = uri.rstrip("/").rpartition("/")
    return head if head and re.search(r"[*?\[]", tail) else uri


def _hyperparameters(text):
    """SM_HPS's JSON object; text values are read like --set values (`"0.05"` -> 0.05)."""
    try:
        values = json.loads(text)
    except json.JSONDecodeError as e:
        raise ParamsError(f"SM_HPS is not valid JSON ({e.msg} at column {e.colno}): {text[:80]!r}. "
                          "Set the job's hyperparameters as a mapping of name to value.") from None
    if not isinstance(values, dict):
        raise ParamsError(f"SM_HPS must be a JSON object of name to value, got {type(values).__name__}.")
    return {k: parse_value(v) if isinstance(v, str) else v for k, v in values.items()}


def cluster_spec_to_tf_config(text):
    """Vertex AI's CLUSTER_SPEC as TF_CONFIG text (worker pools renamed to TF's job names).

    Raises:
      ParamsError: CLUSTER_SPEC is not JSON with `cluster` and `task`.
    """
    try:
        spec = json.loads(text)
        cluster = {_CLUSTER_POOLS.get(pool, pool): list(hosts) for pool, hosts in spec["cluster"].items()}
        task = {"type": _CLUSTER_POOLS.get(spec["task"]["type"], spec["task"]["type"]),
                "index": spec["task"].get("index", 0)}
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
        raise ParamsError(f"CLUSTER_SPEC is not Vertex AI's cluster spec ({e!r}): {text[:80]!r}. It "
                          'must be JSON like {"cluster": {"workerpool0": ["host:port"]}, '
                          '"task": {"type": "workerpool0", "index": 0}}.') from None
    text = json.dumps({"cluster": cluster, "task": task})
    tf_config.parse(text, source="CLUSTER_SPEC")  # its errors, named after CLUSTER_SPEC
    return text


def table_markdown():
    """The table as docs/platforms.md shows it (a test keeps the two equal)."""
    rows = ["| platform | variable | modelmaker | meaning |", "|---|---|---|---|"]
    for name, rules in TABLE.items():
        for rule in rules:
            rows.append(f"| {name} | `{rule.variable}` | {rule.target} | {rule.meaning} |")
    return "\n".join(rows)
