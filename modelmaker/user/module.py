"""Provides `load`: import the user module and check the four-function contract before any graph.

A user module defines `model_fn(features, labels, mode[, params][, config])`,
`train_input_fn(path, params)`, `eval_input_fn(path, params)` and
`serving_input_receiver_fn()`. `load` accepts a module object, a dotted module name
importable from the current directory, or a path to a `.py` file or a package folder.
Before importing, `modelmaker.estimator.install()` provides `tf.estimator` and `tf.layers`
where TensorFlow lacks them, so unchanged tf.estimator-style modules import on every stack.
"""

import dataclasses
import importlib
import importlib.util
import inspect
import os
import sys
import traceback
import types

from modelmaker.errors import UserModuleError
from modelmaker.user import code_errors

REQUIRED = ("model_fn", "train_input_fn", "eval_input_fn", "serving_input_receiver_fn")
# Optional hooks used by `modelmaker predict` / `serve` for raw inputs (ModelArts' customize_service).
OPTIONAL = ("preprocess", "postprocess")
MODEL_FN_ARGS = ("features", "labels", "mode", "params", "config")


@dataclasses.dataclass(frozen=True)
class UserModule:
    """The checked user module: its four functions, where it came from, and its model_fn args."""

    module: types.ModuleType
    origin: str
    model_fn_args: tuple

    @property
    def model_fn(self):
        return self.module.model_fn

    @property
    def train_input_fn(self):
        return self.module.train_input_fn

    @property
    def eval_input_fn(self):
        return self.module.eval_input_fn

    @property
    def serving_input_receiver_fn(self):
        return self.module.serving_input_receiver_fn

    def optional(self, name):
        """The optional hook `name` (one of OPTIONAL), or None when the module has none."""
        if name not in OPTIONAL:
            raise KeyError(f"{name!r} is not one of {OPTIONAL}")
        fn = getattr(self.module, name, None)
        return fn if callable(fn) else None


def load(spec, *, cwd=None):
    """Imports and checks a user module.

    Args:
      spec: a module object, a dotted name (importable from `cwd`), or a path to a `.py`
        file or a package folder.
      cwd: the folder dotted names are resolved from; defaults to the current directory.

    Returns:
      A `UserModule`.

    Raises:
      UserModuleError: the module is not found, fails to import (the message shows the
        user's own failing line), lacks one of the four functions, or a function has an
        argument list modelmaker cannot call.
    """
    if isinstance(spec, types.ModuleType):
        _install_estimator_names()
        module, origin = spec, getattr(spec, "__file__", None) or spec.__name__
    elif isinstance(spec, str) and spec.strip():
        module, origin = _import(spec.strip(), cwd or os.getcwd())
    else:
        raise UserModuleError(f"user module must be a module, a dotted name or a path, got {spec!r}. "
                              "Pass e.g. --user_module mymodel.")
    return check(module, origin)


def import_only(spec, *, cwd=None):
    """Imports a module like `load` but without the four-function check: for hook-only
    modules, such as a serving module that defines just preprocess/postprocess.

    Returns:
      (module, origin).

    Raises:
      UserModuleError: the module is not found or fails to import.
    """
    return _import(spec.strip(), cwd or os.getcwd())


def check(module, origin):
    """Checks the four functions of an imported module; see `load`."""
    missing = [name for name in REQUIRED if not callable(getattr(module, name, None))]
    if missing:
        raise UserModuleError(
            f"user module {origin} does not define {', '.join(f'`{m}`' for m in missing)}. "
            f"A user module must define all four: {', '.join(REQUIRED)} (see README.md).")
    args = _model_fn_args(module.model_fn, origin)
    for name in ("train_input_fn", "eval_input_fn"):
        _check_arity(getattr(module, name), name, origin, "(path, params)", 2)
    _check_arity(module.serving_input_receiver_fn, "serving_input_receiver_fn", origin, "()", 0)
    return UserModule(module=module, origin=origin, model_fn_args=args)


def _install_estimator_names():
    """`modelmaker.estimator.install()`: tf.estimator and tf.layers where TensorFlow lacks them (a module
    object given to `load` looks them up when its functions run, so it is installed for those too)."""
    from modelmaker import estimator  # imports TensorFlow
    estimator.install()


def _import(spec, cwd):
    _install_estimator_names()
    path = spec if os.path.isabs(spec) else os.path.join(cwd, spec)
    looks_like_path = spec.endswith(".py") or os.sep in spec or (os.altsep and os.altsep in spec)
    if looks_like_path or os.path.isdir(path) and os.path.isfile(os.path.join(path, "__init__.py")):
        return _import_path(os.path.abspath(path), spec)
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        with _user_frames(spec):
            return importlib.import_module(spec), spec
    except ModuleNotFoundError as e:
        if e.name and spec.startswith(e.name):
            raise UserModuleError(
                f"user module `{spec}` not found from {cwd}. Run from the folder that holds "
                f"{spec.replace('.', '/')}.py, or pass a path: --user_module path/to/{spec.split('.')[-1]}.py."
            ) from None
        raise


def _import_path(path, spec):
    if os.path.isdir(path):
        init = os.path.join(path, "__init__.py")
        if not os.path.isfile(init):
            raise UserModuleError(f"user module folder {spec!r} has no __init__.py. Point --user_module "
                                  "at the .py file that defines model_fn, or add __init__.py.")
        name, search = os.path.basename(path.rstrip(os.sep)), os.path.dirname(path.rstrip(os.sep))
    elif os.path.isfile(path):
        name, search = os.path.splitext(os.path.basename(path))[0], os.path.dirname(path)
    else:
        raise UserModuleError(f"user module file {spec!r} not found (looked at {path}). "
                              "Check the path given to --user_module.")
    # The module's own folder goes on sys.path so it can import its sibling files.
    if search not in sys.path:
        sys.path.insert(0, search)
    sys.modules.pop(name, None)
    with _user_frames(spec):
        return importlib.import_module(name), path


class _user_frames:
    """Turns an exception raised while importing user code into a UserModuleError that shows
    the user's own frames (not importlib's), framed as theirs."""

    def __init__(self, spec):
        self.spec = spec

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or isinstance(exc, (UserModuleError, KeyboardInterrupt, SystemExit)):
            return False
        if isinstance(exc, ModuleNotFoundError) and exc.name and self.spec.startswith(exc.name):
            return False  # the module itself is missing: reported by the caller
        frame = code_errors.import_frame(traceback.extract_tb(tb))
        where = ""
        if frame:
            where = f" at {frame.filename}:{frame.lineno}" + (f" (`{frame.line}`)" if frame.line else "")
        raise UserModuleError(
            f"importing your module `{self.spec}` failed{where}: {type(exc).__name__}: "
            f"{str(exc).rstrip('.')}. "
            "This error is in your code (or a package it imports); fix it and run again.") from None


def _model_fn_args(fn, origin):
    params = _signature(fn, "model_fn", origin).parameters.values()
    names = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    unknown = [n for n in names if n not in MODEL_FN_ARGS]
    if unknown or "features" not in names:
        got = ", ".join(names) or "nothing"
        bad = f"unsupported argument(s) {', '.join(unknown)}" if unknown else "no `features` argument"
        raise UserModuleError(
            f"`model_fn` in {origin} takes ({got}): {bad}. model_fn may take "
            "features, labels, mode[, params][, config] (by those names), like an Estimator model_fn.")
    return tuple(names)


def _check_arity(fn, name, origin, expected, count):
    sig = _signature(fn, name, origin)
    try:
        sig.bind(*([None] * count))
    except TypeError:
        got = ", ".join(sig.parameters) or "nothing"
        raise UserModuleError(f"`{name}` in {origin} takes ({got}); modelmaker calls it as "
                              f"{name}{expected}. Change its argument list to match.") from None


def _signature(fn, name, origin):
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        raise UserModuleError(f"`{name}` in {origin} is not a Python function modelmaker can "
                              "inspect. Define it with def.") from None
