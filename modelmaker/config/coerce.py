"""Provides `coerce`: one reserved value checked against its `Key` and returned in its canonical type."""

import math

from modelmaker.config.defaults import DEFAULTS, REQUIRED
from modelmaker.config.suggest import near_miss
from modelmaker.errors import ParamsError


def coerce(key, value, source, spec=None):
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
            out[name] = coerce(f"{key}.{name}", value[name], source, field)
        elif field.default is REQUIRED:
            raise ParamsError(f"`{key}` ({value!r}) in {source} needs the field `{name}`: "
                              f"{field.doc}. Add \"{name}\": ... to it.")
        else:
            out[name] = field.default
    return out
