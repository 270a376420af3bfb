"""Provides the optional `preprocess` / `postprocess` hooks that turn raw files into predictions.

They play the role of ModelArts' customize_service.py. A user module may define:

    def preprocess(raw: bytes, filename: str):
        # One raw input (an uploaded file) -> one instance: a dict {input name: value}
        # (values are numbers, nested lists, numpy arrays or bytes, without the batch
        # dimension), or the bare value when the signature has a single input.

    def postprocess(prediction: dict):
        # One instance's outputs {output name: numpy value} -> anything JSON can hold.

`modelmaker predict` and the server's raw endpoint call them; the hooks are looked up in
the copy of the user module kept with the export (assets.extra/, see
modelmaker.user_source) unless a module is given explicitly. Without `preprocess`, a raw
file is fed as bytes to a signature whose only input is a string; without `postprocess`,
the prediction dict is returned as is.
"""

import dataclasses
import inspect
import os
from typing import Callable, Optional

import numpy as np

from modelmaker.user import module as user_module_lib, source as user_source
from modelmaker.errors import UserModuleError
from modelmaker.serving import response
from modelmaker.serving.errors import BadRequest

_ARITY = {"preprocess": ("(raw, filename)", 2), "postprocess": ("(prediction)", 1)}


@dataclasses.dataclass(frozen=True)
class Hooks:
    """The user's hooks (either may be None) and the module they came from."""

    preprocess: Optional[Callable] = None
    postprocess: Optional[Callable] = None
    origin: Optional[str] = None


def find(*, explicit=None, marker=None, version_dir=None, log=None):
    """The hooks of `explicit` (a module spec), else of the user module recorded with the
    export in `version_dir`: the copy kept with it, else (an export written before copies
    were kept) the recorded path.

    A recorded module that is not there or fails to import gives no hooks and a log line,
    not an error: JSON requests are served all the same.

    Raises:
      UserModuleError: `explicit` cannot be imported, or a hook has the wrong arguments.
    """
    marker = marker or {}
    spec, copied = explicit or marker.get("user_module"), marker.get(user_source.KEY)
    try:
        if explicit:
            module, origin = user_module_lib.import_only(explicit)
        elif copied and version_dir:
            module, origin = user_source.import_copy(version_dir, copied)
        elif spec and os.path.exists(spec):
            module, origin = user_module_lib.import_only(spec)
        else:
            if spec and log:
                log(f"the user module recorded with the export ({spec}) is not here; raw "
                    "inputs get no preprocess/postprocess (pass --user_module to use one)")
            return Hooks()
    except UserModuleError as e:
        if explicit:
            raise
        if log:
            log(f"raw inputs get no preprocess/postprocess: {e}")
        return Hooks()
    found = {name: getattr(module, name, None) for name in _ARITY}
    for name, fn in found.items():
        if fn is not None:
            _check_arity(fn, name, origin)
    return Hooks(preprocess=found["preprocess"], postprocess=found["postprocess"], origin=origin)


def _check_arity(fn, name, origin):
    expected, count = _ARITY[name]
    try:
        inspect.signature(fn).bind(*([None] * count))
    except (TypeError, ValueError):
        raise UserModuleError(f"`{name}` in {origin} must be a function callable as "
                              f"{name}{expected}; change its argument list.") from None


def instance(hooks, raw, filename, signature):
    """One instance for `signature` from raw bytes, through `preprocess` when defined.

    Raises:
      BadRequest: there is no preprocess and the signature does not take one string, or
        preprocess rejected the data (a corrupt image is the client's mistake).
    """
    if hooks.preprocess is None:
        specs = list(signature.inputs.values())
        if len(specs) == 1 and specs[0].dtype.name == "string":
            return {specs[0].alias: raw}
        wanted = ", ".join(f"{s.alias} ({s.dtype.name} {list(s.shape or [])})" for s in specs)
        raise BadRequest(
            f"{filename or 'the input'} is a raw file, but signature '{signature.key}' takes "
            f"{wanted}. Define preprocess(raw, filename) in the user module (see "
            "docs/serving.md), or send JSON instances.")
    try:
        value = hooks.preprocess(raw, filename)
    except Exception as e:  # noqa: BLE001 - the hook judges the client's data
        raise BadRequest(f"preprocess in {hooks.origin} rejected {filename or 'the input'}: "
                         f"{type(e).__name__}: {e}") from None
    if isinstance(value, dict):
        return value
    if len(signature.inputs) != 1:
        raise BadRequest(f"preprocess in {hooks.origin} returned a {type(value).__name__}, but "
                         f"signature '{signature.key}' has inputs {sorted(signature.inputs)}: "
                         "return a dict {input name: value}.")
    return {next(iter(signature.inputs)): value}


def batch(instances, signature):
    """Stacks instances (dicts input name -> value) into the signature's input arrays.

    Raises:
      BadRequest: an instance misses an input or the instances' shapes differ.
    """
    arrays = {}
    for alias, spec in signature.inputs.items():
        try:
            values = [np.asarray(item[alias], dtype=spec.dtype.as_numpy_dtype)
                      for item in instances]
            arrays[alias] = np.stack(values)
        except KeyError:
            raise BadRequest(f"an instance has no value for input '{alias}'; signature "
                             f"'{signature.key}' takes {sorted(signature.inputs)}") from None
        except (ValueError, TypeError) as e:
            raise BadRequest(f"input '{alias}' cannot be made a {spec.dtype.name} batch: {e}") \
                from None
    return arrays


def split(outputs):
    """The batched outputs {name: array} as one {name: value} dict per instance."""
    names = sorted(outputs)
    size = min((len(outputs[n]) for n in names if outputs[n].ndim), default=1)
    return [{n: outputs[n][i] if outputs[n].ndim else outputs[n] for n in names}
            for i in range(size)]


def finish(hooks, prediction):
    """`postprocess(prediction)` when defined, else the prediction dict in JSON-ready form."""
    if hooks.postprocess is None:
        return response.prediction(prediction)
    return hooks.postprocess(prediction)
