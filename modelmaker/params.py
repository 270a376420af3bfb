"""Provides the run-parameter defaults table, the merge of parameter sources, and `RunParams`.

Merge order: `DEFAULTS` < parameters file (JSON or YAML) < command line (`--set key=value`,
`--key=value`) or the dict given to `fit()`. Every key that is not in `DEFAULTS` is a custom
parameter: it is passed through untouched, with all merged keys, as `params` to `model_fn`
and both input functions. A custom key that is a near miss of a reserved key is refused.
"""

import copy
import dataclasses
import json
import math
import os
import re
import types
from typing import Any, Callable, Mapping, Optional

import yaml

from modelmaker.errors import ParamsError


class _NumberLoader(yaml.SafeLoader):
    """YAML's safe loader that also reads `1e-3`, `1E5`, `-2e+3`, `1.5e3` as numbers: YAML 1.1
    (PyYAML) needs a dot and a signed exponent, and reads them as text."""


_NumberLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."))


def read_yaml(text):
    """`yaml.safe_load` with every usual spelling of a number read as a number."""
    return yaml.load(text, Loader=_NumberLoader)  # noqa: S506 -- a SafeLoader subclass


class _Required:
    def __repr__(self):
        return "required"


REQUIRED = _Required()  # the default of a dict field that must be given


@dataclasses.dataclass(frozen=True)
class Key:
    """One reserved parameter (or one field of a dict parameter): default, type, range, meaning."""

    default: Any
    kind: type                      # int, float, str, bool, list or dict
    doc: str
    nullable: bool = False
    minimum: Optional[float] = None  # inclusive lower bound for numbers
    choices: Optional[tuple] = None  # allowed values for strings
    fields: Optional[Mapping[str, "Key"]] = None  # for kind=dict: its fields, checked one by one


# The fields of a watched evaluation metric (best_export, early_stopping).
_WATCH = {
    "metric": Key(REQUIRED, str, doc="an evaluation metric: a key of eval_metric_ops, or loss"),
    "mode": Key(REQUIRED, str, choices=("min", "max"),
                doc="max when higher is better (accuracy), min when lower is better (loss)"),
}
_EARLY_STOPPING = dict(
    _WATCH,
    patience=Key(3, int, minimum=1, doc="evaluations without improvement before training stops"),
    min_delta=Key(0.0, float, minimum=0, doc="the least change that counts as an improvement"))


# The one table of defaults. The first eight keys and their defaults come from the
# ModelMaker documentation (shared/docs/REFERENCE.md); the rest are modelmaker's own.
DEFAULTS = {
    "save_checkpoints_steps": Key(
        None, int, nullable=True, minimum=1,
        doc="Checkpoint every N global steps. Cannot be set together with "
            "save_checkpoints_secs; setting it turns the seconds cadence off."),
    "save_checkpoints_secs": Key(
        600, int, nullable=True, minimum=1,
        doc="Checkpoint every N seconds (600 when neither cadence is set). Setting both "
            "cadences to null is refused: train_and_evaluate evaluates checkpoints."),
    "keep_checkpoint_max": Key(
        5, int, nullable=True, minimum=0,
        doc="Keep the newest N checkpoints; 0 or null keeps all."),
    "log_step_count_steps": Key(
        100, int, nullable=True, minimum=1,
        doc="Print step, steps/s, loss and ETA every N steps; null turns progress lines off."),
    "train_max_steps": Key(
        10000, int, nullable=True, minimum=1,
        doc="Total training steps over all replicas (per-card steps x cards x machines); "
            "null trains until the training input is exhausted."),
    "eval_steps": Key(
        100, int, nullable=True, minimum=1,
        doc="Batches per evaluation; null evaluates the whole evaluation input."),
    "eval_start_delay_secs": Key(
        120, int, minimum=0,
        doc="Seconds a separate evaluator task waits before its first evaluation "
            "(ignored when training and evaluation share one process)."),
    "eval_throttle_secs": Key(
        600, int, minimum=0,
        doc="Minimum seconds between evaluations; an evaluation also needs a new checkpoint."),
    "save_summary_steps": Key(
        100, int, nullable=True, minimum=1,
        doc="Write TensorBoard summaries every N steps; null turns them off."),
    "random_seed": Key(
        None, int, nullable=True, minimum=0,
        doc="Seed for TensorFlow, Keras and tf.data; null leaves runs unseeded."),
    "export_name": Key(
        "model", str,
        doc="Exports go to <train_url>/export/<export_name>/<version>/ (a TF Serving base path)."),
    # Distributed training (modelmaker/distributed/strategies.py holds the strategy table).
    "distribute": Key(
        "auto", str,
        choices=("auto", "none", "mirrored", "multi_worker_mirrored", "parameter_server"),
        doc="Strategy: none (one replica), mirrored (all local GPUs), multi_worker_mirrored "
            "(TF_CONFIG chief + workers), parameter_server (TF_CONFIG with ps tasks); auto "
            "picks from TF_CONFIG and the local GPUs."),
    "worker_max_delay_secs": Key(
        60, int, minimum=0,
        doc="Parameter-server worker i waits min(this, 5 * (i + 1)) seconds before training "
            "(Estimator's staggered start); 0 starts at once."),
    "cluster_idle_timeout_secs": Key(
        3600, int, nullable=True, minimum=1,
        doc="ps and evaluator tasks stop when no new checkpoint appears for this long (they stop "
            "at once when the chief writes its done-marker); null waits forever."),
    # The evaluation report (`modelmaker evaluate`, `modelmaker train --report`).
    "report_task": Key(
        "auto", str, choices=("auto", "classification", "regression"),
        doc="What the report analyses; auto: classification when the prediction is class_id or "
            "classes or holds integers or text, or per-class scores beside class-id labels; "
            "regression otherwise."),
    "report_prediction_key": Key(
        None, str, nullable=True,
        doc="The predictions key holding the predicted class or value; null: the first of "
            "class_id, classes, predictions that model_fn predicts (or its only output)."),
    "report_probability_key": Key(
        None, str, nullable=True,
        doc="The predictions key holding per-class probabilities [N, classes] (confidences, "
            "top-5 accuracy, pred_list); null: probabilities when present."),
    "report_label_key": Key(
        None, str, nullable=True,
        doc="For an input that yields labels as a dict, the key of the label to report; null: "
            "the only key, or the one named like the prediction key."),
    "report_name_key": Key(
        None, str, nullable=True,
        doc="A feature holding each sample's name or file path, written to all_samples.json; "
            "null numbers the samples 0, 1, ... in input order."),
    "report_image_key": Key(
        None, str, nullable=True,
        doc="A feature holding images, for the worst-confused figure; null picks the first "
            "feature shaped [N, H, W] or [N, H, W, 1|3|4] (H, W >= 8), if any."),
    "class_names": Key(
        None, list, nullable=True,
        doc="Class names by class id, e.g. [\"cat\", \"dog\"], for the report (and ModelArts' "
            "label_map_dict); null: the names the input provides (a dataset's class_names, as "
            "tf.keras.utils.image_dataset_from_directory sets them), else the ids."),
    "report_max_samples": Key(
        10000, int, nullable=True, minimum=1,
        doc="Samples read per split; null reads the whole input, which must end (a "
            "train_input_fn that repeats forever needs a number)."),
    # Training controls: best export, early stopping, warm start, evaluation cadence, tuning.
    "best_export": Key(
        None, dict, nullable=True, fields=_WATCH,
        doc="After each evaluation that beats all earlier ones, export to "
            "<train_url>/export/best/<N>/, e.g. {\"metric\": \"accuracy\", \"mode\": \"max\"}; the "
            "best score is kept in best.json, so a restarted run never exports a worse model. "
            "null: off."),
    "exports_to_keep": Key(
        5, int, nullable=True, minimum=1,
        doc="Versions kept under export/best/ and export/<export_name>/ (the oldest go first); "
            "null keeps all."),
    "early_stopping": Key(
        None, dict, nullable=True, fields=_EARLY_STOPPING,
        doc="Stop training once `metric` has not improved by more than `min_delta` (default 0) "
            "for `patience` (default 3) evaluations, e.g. {\"metric\": \"loss\", \"mode\": \"min\", "
            "\"patience\": 3}; an evaluator and parameter servers stop too. null: off."),
    "warm_start_from": Key(
        None, str, nullable=True,
        doc="Start a new run from the variables of a checkpoint folder or prefix, or a "
            "SavedModel (export/<name>/<N>, or export/<name> for its newest); ignored once "
            "train_url holds a checkpoint. null: off."),
    "warm_start_vars": Key(
        ".*", str,
        doc="Regular expression of the trainable variable names that warm_start_from sets."),
    "eval_every_steps": Key(
        None, int, nullable=True, minimum=1,
        doc="Evaluate every N steps: sets save_checkpoints_steps to N, save_checkpoints_secs "
            "to null and eval_throttle_secs to 0. null: those keys decide."),
    "tuning_metric": Key(
        None, str, nullable=True,
        doc="The evaluation metric a hyperparameter tuner optimises: written after each "
            "evaluation as the training/hptuning/metric summary, reported to cloudml-hypertune "
            "when installed, and saved in result.json (`tuning`). null: none."),
}

_CADENCE_KEYS = ("save_checkpoints_steps", "save_checkpoints_secs")
# Reserved keys that were renamed, old name -> new name: the old name still sets the new key.
RENAMED = {"report_class_names": "class_names"}


@dataclasses.dataclass(frozen=True)
class Layer:
    """One source of parameter values, named for error messages (e.g. `parameters.json`)."""

    source: str
    values: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class RunParams:
    """The validated, frozen result of merging the defaults with the user's layers.

    `params[key]` reads a reserved or custom key; `as_dict()` returns a fresh copy of every
    merged key, as passed to the user's functions; `sources[key]` names where a value came from.
    """

    values: Mapping[str, Any]
    sources: Mapping[str, str]

    def __getitem__(self, key):
        return self.values[key]

    def __contains__(self, key):
        return key in self.values

    @property
    def custom(self):
        """The keys that are not in `DEFAULTS`, i.e. the user's own parameters."""
        return {k: v for k, v in self.values.items() if k not in DEFAULTS}

    def as_dict(self):
        """A deep copy of every merged key, safe to hand to user code."""
        return copy.deepcopy(dict(self.values))

    def replace(self, source, **changes):
        """A new, re-validated RunParams with `changes` applied on top, attributed to `source`."""
        layers = [Layer("previous values", dict(self.values)), Layer(source, changes)]
        return resolve(layers)


def resolve(layers):
    """Merges `DEFAULTS` with `layers` (lowest priority first), validates, and freezes.

    Args:
      layers: a sequence of `Layer`, e.g. [parameters file, command line].

    Returns:
      A `RunParams`.

    Raises:
      ParamsError: an unknown near-miss key, a wrong type, a value out of range, or
        a conflicting combination; the message names the key, value, source and fix.
    """
    values = {key: spec.default for key, spec in DEFAULTS.items()}
    sources = {key: "defaults" for key in DEFAULTS}
    for layer in layers:
        if not isinstance(layer.values, Mapping):
            raise ParamsError(
                f"parameters from {layer.source} must be a mapping of key to value, got "
                f"{type(layer.values).__name__}: {layer.values!r}. Write a JSON object such as "
                '{"train_max_steps": 1000}.')
        for key, value in layer.values.items():
            if not isinstance(key, str) or not key:
                raise ParamsError(f"parameter name {key!r} in {layer.source} must be a non-empty string.")
            key = RENAMED.get(key, key)  # an older name (e.g. in a saved params.json)
            _refuse_near_miss(key, layer.source)
            if key not in DEFAULTS and key in values:
                _refuse_other_kind(key, values[key], sources[key], value, layer.source)
            values[key] = _coerce(key, value, layer.source) if key in DEFAULTS else value
            sources[key] = layer.source
    _apply_eval_every_rule(values, sources)
    _apply_cadence_rule(values, sources)
    return RunParams(values=types.MappingProxyType(values),
                     sources=types.MappingProxyType(sources))


def _kind(value):
    """The kind of a custom value that a later source must keep: None (any), or its name."""
    if value is None:
        return None
    for kind, types_ in (("boolean", bool), ("number", (int, float)), ("string", str),
                         ("list", (list, tuple)), ("mapping", Mapping)):
        if isinstance(value, types_):
            return kind
    return None


def _refuse_other_kind(key, old, old_source, new, new_source):
    """A custom key that changes kind between sources (text where a number was) is refused."""
    was, now = _kind(old), _kind(new)
    if was and now and was != now:
        raise ParamsError(
            f"`{key}` is a {now} ({new!r}) in {new_source} but a {was} ({old!r}) in {old_source}. "
            f"Give a {was} in {new_source}, or change both.")


def _coerce(key, value, source, spec=None):
    """Checks one reserved value against its `Key` (`spec`, default `DEFAULTS[key]`); returns
    it in its canonical type."""
    spec = spec or DEFAULTS[key]
    where = f"`{key}` ({value!r}) in {source}"
    if value is None:
        if spec.nullable:
            return None
        raise ParamsError(f"{where} must not be null. Give a {spec.kind.__name__}, "
                          f"e.g. {spec.default!r} (the default).")
    if spec.kind is int:
        if isinstance(value, float) and math.isfinite(value) and value == int(value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamsError(f"{where} must be a whole number{' or null' if spec.nullable else ''}, "
                              f"got {type(value).__name__}. Example: \"{key}\": {spec.default or 1000}.")
    elif spec.kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ParamsError(f"{where} must be a finite number, got {type(value).__name__}.")
        value = float(value)
    elif not isinstance(value, spec.kind) or (spec.kind is int and isinstance(value, bool)):
        having = f" with the fields {', '.join(spec.fields)}" if spec.fields else ""
        raise ParamsError(f"{where} must be a {spec.kind.__name__}{having}, got {type(value).__name__}.")
    if spec.minimum is not None and value < spec.minimum:
        bound = "positive" if spec.minimum == 1 else f">= {spec.minimum}"
        null = " (or null to turn it off)" if spec.nullable else ""
        raise ParamsError(f"{where} must be {bound}{null}.")
    if spec.choices is not None and value not in spec.choices:
        raise ParamsError(f"{where} must be one of: {', '.join(map(str, spec.choices))}.")
    if spec.kind is str and not value:
        raise ParamsError(f"{where} must not be empty.")
    if spec.fields is not None:
        return _coerce_fields(key, value, source, spec.fields)
    return value


def _coerce_fields(key, value, source, fields):
    """Checks a dict parameter field by field; returns it with the defaults filled in."""
    for name in value:
        if name not in fields:
            close = near_miss(str(name), fields)
            hint = f"did you mean `{close}`? " if close else ""
            raise ParamsError(f"`{key}` in {source} has an unknown field `{name}`: {hint}"
                              f"its fields are {', '.join(fields)}.")
    out = {}
    for name, field in fields.items():
        if name in value:
            out[name] = _coerce(f"{key}.{name}", value[name], source, field)
        elif field.default is REQUIRED:
            raise ParamsError(f"`{key}` ({value!r}) in {source} needs the field `{name}`: "
                              f"{field.doc}. Add \"{name}\": ... to it.")
        else:
            out[name] = field.default
    return out


def _apply_eval_every_rule(values, sources):
    """`eval_every_steps` N means: checkpoint every N steps, evaluate every checkpoint."""
    every, origin = values["eval_every_steps"], sources["eval_every_steps"]
    if every is None:
        return
    implied = {"save_checkpoints_steps": every, "save_checkpoints_secs": None, "eval_throttle_secs": 0}
    for key, value in implied.items():
        if sources[key] != "defaults" and values[key] != value:
            raise ParamsError(
                f"`eval_every_steps` ({every}, from {origin}) sets `{key}` to "
                f"{'null' if value is None else value}, but `{key}` is {values[key]!r} (from "
                f"{sources[key]}). Remove one of the two.")
        values[key] = value
        sources[key] = f"eval_every_steps in {origin}"


def _apply_cadence_rule(values, sources):
    """Applies the seed's rule: the two checkpoint cadences are exclusive; one must be on."""
    steps, secs = (values[k] for k in _CADENCE_KEYS)
    steps_set, secs_set = (sources[k] != "defaults" for k in _CADENCE_KEYS)
    if steps is not None and secs is not None:
        if steps_set and not secs_set:
            values["save_checkpoints_secs"] = None  # choosing steps turns the default seconds off
            return
        raise ParamsError(
            f"`save_checkpoints_steps` ({steps}, from {sources['save_checkpoints_steps']}) and "
            f"`save_checkpoints_secs` ({secs}, from {sources['save_checkpoints_secs']}) are both set; "
            "they are exclusive. Set one of them to null.")
    if steps is None and secs is None:
        raise ParamsError(
            f"`save_checkpoints_steps` (from {sources['save_checkpoints_steps']}) and "
            f"`save_checkpoints_secs` (from {sources['save_checkpoints_secs']}) are both null, which turns "
            "checkpoints off; train_and_evaluate evaluates and exports checkpoints, so one is "
            "needed. Set e.g. \"save_checkpoints_steps\": 1000.")


def edit_distance(a, b):
    """Damerau-Levenshtein distance (adjacent swaps count once) between two strings."""
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def near_miss(name, candidates):
    """The candidate `name` is probably a typo of, or None. Short names allow one edit, long two."""
    folded = name.lower().replace("-", "_")
    best = None
    for cand in candidates:
        if cand == name:
            return None
        dist = edit_distance(folded, cand)
        limit = 1 if len(cand) < 8 else 2
        if dist <= limit and (best is None or dist < best[0]):
            best = (dist, cand)
    return best[1] if best else None


def _refuse_near_miss(key, source):
    if key in DEFAULTS:
        return
    close = near_miss(key, DEFAULTS)
    if close:
        raise ParamsError(
            f"unknown parameter `{key}` in {source}: did you mean `{close}`? Rename it; a "
            "custom parameter this close to a reserved name is refused to catch typos.")


def load_file(path):
    """Reads a parameters file (JSON, or YAML for .yaml/.yml) into a dict.

    Raises:
      ParamsError: the file is missing, unreadable, malformed (with line and column) or
        not a mapping.
    """
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ParamsError(f"cannot read the parameters file {path!r}: {e.strerror}. "
                          "Check the path given to --params.") from None
    if path.lower().endswith((".yaml", ".yml")):
        try:
            data = read_yaml(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise ParamsError(f"{path} is not valid YAML{at}: {getattr(e, 'problem', e)}. "
                              "Fix the file and run again.") from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ParamsError(f"{path} is not valid JSON at line {e.lineno}, column {e.colno}: "
                              f"{e.msg}.{_json_number_hint(text, e.pos)} Fix the file and run "
                              "again.") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParamsError(f"{path} must hold a JSON object of key to value, got "
                          f"{type(data).__name__}. Example: {{\"train_max_steps\": 1000}}.")
    return data


def _json_number_hint(text, pos):
    """A hint when a JSON parse error sits on a number written `.5` or `5.`."""
    start = max(text.rfind(c, 0, pos) for c in ":,[ \t\n") + 1
    if re.match(r"[-+]?(\.[0-9]|[0-9]+\.(?![0-9]))", text[start:pos + 3]):
        return " JSON numbers need digits on both sides of the dot (0.5, 5.0), or use a .yaml file."
    return ""


def parse_value(text):
    """Parses a command-line value as a YAML scalar or list (`1000`, `null`, `[1, 2]`, `0.1`,
    `1e-3`)."""
    if text in ("None", "none"):
        return None
    try:
        return read_yaml(text) if text.strip() else text
    except yaml.YAMLError:
        return text


def parse_assignment(text):
    """Splits `key=value` from `--set`; raises ParamsError naming the fix when `=` is missing."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ParamsError(f"--set {text!r} must look like key=value, e.g. --set train_max_steps=1000.")
    return key.strip(), parse_value(value)


def changes(old, new):
    """Lines describing how parameter dict `new` differs from `old` (for reruns)."""
    lines = []
    for key in sorted(set(old) | set(new)):
        if old.get(key, "<unset>") != new.get(key, "<unset>"):
            lines.append(f"{key}: {old.get(key, '<unset>')!r} -> {new.get(key, '<unset>')!r}")
    return lines


def write_example(path):
    """Writes every reserved key at its default as JSON (parameters.json.example)."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(example(), f, indent=2)
        f.write("\n")


def example():
    """Every reserved key at its default, in table order."""
    return {key: spec.default for key, spec in DEFAULTS.items()}


def default_params_file(cwd):
    """`<cwd>/parameters.json` when it exists, else None (used when no --params is given)."""
    path = os.path.join(cwd, "parameters.json")
    return path if os.path.isfile(path) else None
