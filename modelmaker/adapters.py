"""Provides the Estimator-facing wrappers around the user's four functions.

The wrappers call the user's functions with the arguments they accept, check what they
return, and turn a broken contract into a `UserModuleError` that names the function,
the value it returned and the fix, instead of an error deep inside Estimator. An exception
raised in the user's functions becomes a `usererrors.UserCodeError` naming their file:line.
"""

import traceback

import tensorflow as tf

from modelmaker import events, usererrors
from modelmaker.errors import UserModuleError
from modelmaker.progress import ProgressHook

_SPEC_NEEDS = {
    tf.estimator.ModeKeys.TRAIN: ("loss", "train_op"),
    tf.estimator.ModeKeys.EVAL: ("loss",),
    tf.estimator.ModeKeys.PREDICT: ("predictions",),
}

# EstimatorSpec's own messages for a field its mode needs (tensorflow_estimator model_fn.py).
_ESTIMATOR_SPEC_MISSING = {"Missing loss.": "loss", "Missing train_op.": "train_op",
                           "Missing predictions.": "predictions"}

_RECEIVERS = (tf.estimator.export.ServingInputReceiver,
              tf.estimator.export.TensorServingInputReceiver)


def model_fn(user, *, progress_every=None, max_steps=None, log=None):
    """An Estimator model_fn that calls `user.model_fn` and checks its EstimatorSpec.

    Args:
      user: the checked `UserModule`.
      progress_every: print a progress line every N training steps (None: never).
      max_steps: the step training ends at, for the ETA (None: unknown).
      log: a callable taking one line of text.
    """
    def wrapped(features, labels, mode, params, config):
        given = {"features": features, "labels": labels, "mode": mode,
                 "params": params, "config": config}
        with usererrors.building_model_fn(features, labels, mode):
            spec = _call_model_fn(user, {name: given[name] for name in user.model_fn_args}, mode)
        _check_spec(spec, mode, user.origin)
        spec = _count_runs(spec, mode)
        if mode == tf.estimator.ModeKeys.TRAIN and progress_every and log:
            hook = ProgressHook(loss=spec.loss, every_n_steps=progress_every,
                                max_steps=max_steps, log=log,
                                summary_dir=config.model_dir if config.is_chief else None)
            spec = spec._replace(training_hooks=tuple(spec.training_hooks) + (hook,))
        if mode == tf.estimator.ModeKeys.TRAIN:
            spec = events.with_checkpoint_hook(spec, config)
        return spec
    return wrapped


def _count_runs(spec, mode):
    """`spec` with a hook counting the batches read, for 'while reading batch N' in errors."""
    hook = usererrors.count_runs_hook()
    if hook is None or mode == tf.estimator.ModeKeys.PREDICT:
        return spec
    if mode == tf.estimator.ModeKeys.TRAIN:
        return spec._replace(training_hooks=tuple(spec.training_hooks) + (hook,))
    return spec._replace(evaluation_hooks=tuple(spec.evaluation_hooks) + (hook,))


def _call_model_fn(user, args, mode):
    """Calls the user's model_fn, naming the field when their EstimatorSpec(...) call lacks one."""
    try:
        return user.model_fn(**args)
    except ValueError as e:
        field = _ESTIMATOR_SPEC_MISSING.get(str(e))
        if field is None:
            raise
        raise UserModuleError(
            f"`model_fn` in {user.origin} built an EstimatorSpec without `{field}` in mode "
            f"{mode}{_user_line(e.__traceback__)}; mode {mode} needs "
            f"{', '.join(_SPEC_NEEDS[mode])}.") from None


def _user_line(tb):
    """` at file:line` of the user's innermost frame, or ''."""
    frames = usererrors.user_frames(traceback.extract_tb(tb))
    return f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""


def _check_spec(spec, mode, origin):
    if not isinstance(spec, tf.estimator.EstimatorSpec):
        raise UserModuleError(
            f"`model_fn` in {origin} returned {type(spec).__name__} in mode {mode}; it must "
            "return a tf.estimator.EstimatorSpec(mode=mode, ...).")
    missing = [field for field in _SPEC_NEEDS[mode] if getattr(spec, field) is None]
    if missing:
        raise UserModuleError(
            f"`model_fn` in {origin} returned an EstimatorSpec without "
            f"{' and '.join(f'`{m}`' for m in missing)} in mode {mode}; mode {mode} needs "
            f"{', '.join(_SPEC_NEEDS[mode])}.")


def input_fn(fn, *, name, path, params, origin, require_dataset=False):
    """An Estimator input_fn (no arguments) that calls `fn(path, params)` and checks the result.

    Args:
      fn: the user's `train_input_fn` or `eval_input_fn`.
      name: its name, for messages.
      path: the local data path handed to it (a string, or None when no --data_url was given).
      params: a callable returning a fresh params dict (each call gets its own copy).
      origin: where the user module came from, for messages.
      require_dataset: distributed training needs a tf.data.Dataset, not a tuple.
    """
    def wrapped():
        with usererrors.calling(f"calling {name}(path={path!r}, params)"):
            result = fn(path, params())
        if isinstance(result, list) and len(result) == 2:
            # Estimator would take [features, labels] arrays for one batch holding every sample.
            raise UserModuleError(
                f"`{name}` in {origin} returned a list [features, labels] ({_describe(result[0])}, "
                f"{_describe(result[1])}), which would train as one batch of every sample; return "
                "a tf.data.Dataset: tf.data.Dataset.from_tensor_slices((features, labels)).batch(32).")
        if isinstance(result, tf.data.Dataset) or (
                isinstance(result, tuple) and len(result) == 2 and not require_dataset):
            usererrors.note_input(name, path, result, fn)
            return result
        need = ("a tf.data.Dataset (distributed training needs a Dataset)" if require_dataset
                else "a tf.data.Dataset or a (features, labels) tuple")
        raise UserModuleError(
            f"`{name}` in {origin} returned {_describe(result)}; it must return {need}.")
    return wrapped


def serving_input_receiver_fn(user):
    """A receiver function for export that accepts all four forms the seed allows.

    `serving_input_receiver_fn()` may return a ServingInputReceiver, a
    TensorServingInputReceiver, or the receiver *function* made by
    build_parsing_serving_input_receiver_fn / build_raw_serving_input_receiver_fn.
    """
    def wrapped():
        with usererrors.calling("calling serving_input_receiver_fn()"):
            receiver = user.serving_input_receiver_fn()
            if callable(receiver) and not isinstance(receiver, _RECEIVERS):
                receiver = receiver()
        if not isinstance(receiver, _RECEIVERS):
            raise UserModuleError(
                f"`serving_input_receiver_fn` in {user.origin} returned {_describe(receiver)}; it must "
                "return a tf.estimator.export.ServingInputReceiver, a TensorServingInputReceiver, or "
                "the function made by build_parsing_serving_input_receiver_fn / "
                "build_raw_serving_input_receiver_fn.")
        usererrors.note_input("serving_input_receiver_fn", None, receiver.features)
        return receiver
    return wrapped


def _describe(value):
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        shape = value.shape if getattr(value.shape, "rank", 0) is None else tuple(value.shape)
        return f"{type(value).__name__} {shape} {value.dtype}"
    text = repr(value)
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"{type(value).__name__} {text}"
