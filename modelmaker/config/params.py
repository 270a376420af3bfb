"""Provides `resolve`: the merge of parameter layers into a validated, frozen `RunParams`.

Merge order: `DEFAULTS` < parameters file (JSON or YAML) < command line (`--set key=value`,
`--key=value`) or the dict given to `fit()`. Every key that is not in `DEFAULTS` is a custom
parameter: it is passed through untouched, with all merged keys, as `params` to `model_fn`
and both input functions. A custom key that is a near miss of a reserved key is refused.
"""

import copy
import dataclasses
import types
from typing import Any, Mapping

from modelmaker.config import rules
from modelmaker.config.coerce import coerce
from modelmaker.config.defaults import DEFAULTS, RENAMED
from modelmaker.config.suggest import near_miss
from modelmaker.errors import ParamsError


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
        return {k: thaw(v) for k, v in self.values.items() if k not in DEFAULTS}

    def as_dict(self):
        """A deep copy of every merged key, safe to hand to user code."""
        return thaw(self.values)

    def replace(self, source, **changes):
        """A new, re-validated RunParams with `changes` applied on top, attributed to `source`."""
        layers = [Layer("previous values", thaw(self.values)), Layer(source, changes)]
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
            values[key] = coerce(key, value, layer.source) if key in DEFAULTS else value
            sources[key] = layer.source
    rules.apply_eval_every(values, sources)
    rules.apply_cadence(values, sources)
    return RunParams(values=types.MappingProxyType(freeze(values)), sources=types.MappingProxyType(sources))


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


def _refuse_near_miss(key, source):
    if key in DEFAULTS:
        return
    close = near_miss(key, DEFAULTS)
    if close:
        raise ParamsError(
            f"unknown parameter `{key}` in {source}: did you mean `{close}`? Rename it; a "
            "custom parameter this close to a reserved name is refused to catch typos.")


class _Frozen:
    """Mutators of a frozen dict or list: each refuses."""

    def _refuse(self, *args, **kwargs):
        raise TypeError(f"run parameters are frozen; use RunParams.replace() or as_dict() "
                        f"for a copy to change")

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = extend = insert = pop = remove = clear = update = setdefault = popitem = _refuse
    sort = reverse = _refuse


class FrozenDict(_Frozen, dict):
    """A dict parameter value (e.g. `best_export`) that cannot be changed; still a dict."""

    __hash__ = None


class FrozenList(_Frozen, list):
    """A list parameter value (e.g. `report_class_names`) that cannot be changed; still a list."""


def freeze(value):
    """`value` with every dict and list made read-only, all the way down."""
    if isinstance(value, dict):
        return FrozenDict((k, freeze(v)) for k, v in value.items())
    if isinstance(value, list):
        return FrozenList(freeze(v) for v in value)
    return value


def thaw(value):
    """A fresh, mutable copy of a frozen value: dicts and lists again (what user code gets)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list):
        return [thaw(v) for v in value]
    return copy.deepcopy(value)


def changes(old, new):
    """Lines describing how parameter dict `new` differs from `old` (for reruns)."""
    lines = []
    for key in sorted(set(old) | set(new)):
        if old.get(key, "<unset>") != new.get(key, "<unset>"):
            lines.append(f"{key}: {old.get(key, '<unset>')!r} -> {new.get(key, '<unset>')!r}")
    return lines
