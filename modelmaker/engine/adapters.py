"""Provides the wrappers every engine puts around the user's model_fn and serving receiver.

The wrappers call the user's functions with the arguments they accept, check what they
return, and turn a broken contract into a `UserModuleError` that names the function,
the value it returned and the fix, instead of an error deep inside the engine. An exception
raised in the user's functions becomes a `code_errors.UserCodeError` naming their file:line.
EstimatorSpecs and receivers of `modelmaker.estimator` and of tf.estimator are both accepted.
"""

import re
import traceback

from modelmaker.engine.graph.calls import is_receiver, is_spec
from modelmaker.engine.hooks import assemble
from modelmaker.estimator import ModeKeys
from modelmaker.user import code_errors, keras_layers
from modelmaker.errors import UserModuleError
from modelmaker.user.returns import describe

_SPEC_NEEDS = {
    ModeKeys.TRAIN: ("loss", "train_op"),
    ModeKeys.EVAL: ("loss",),
    ModeKeys.PREDICT: ("predictions",),
}

# EstimatorSpec's own message for a field its mode needs: "Missing loss." (tf.estimator's
# model_fn.py), "Missing loss: ..." (modelmaker.estimator).
_SPEC_MISSING = re.compile(r"^Missing (loss|train_op|predictions)\b")


def model_fn(user, *, progress_every=None, max_steps=None, log=None, checkpoint_hook=True):
    """A model_fn(features, labels, mode, params, config) that calls `user.model_fn` and checks
    its EstimatorSpec, with the hooks of `hooks.assemble.in_model_fn`.

    Args:
      user: the checked `UserModule`.
      progress_every: print a progress line every N training steps (None: never).
      max_steps: the step training ends at, for the ETA (None: unknown).
      log: a callable taking one line of text.
      checkpoint_hook: add the light checkpoint hook (False where the engine adds its own).
    """
    def wrapped(features, labels, mode, params, config):
        given = {"features": features, "labels": labels, "mode": mode,
                 "params": params, "config": config}
        since = keras_layers.new_graph()
        with code_errors.building_model_fn(features, labels, mode):
            spec = _call_model_fn(user, {name: given[name] for name in user.model_fn_args}, mode)
        _check_spec(spec, mode, user.origin)
        if mode == ModeKeys.TRAIN:
            keras_layers.check_training(spec, since, user.origin)
        return assemble.in_model_fn(spec, config, mode=mode, progress_every=progress_every,
                                    max_steps=max_steps, log=log, checkpoint_hook=checkpoint_hook)
    return wrapped

def _call_model_fn(user, args, mode):
    """Calls the user's model_fn, naming the field when their EstimatorSpec(...) call lacks one."""
    try:
        return user.model_fn(**args)
    except ValueError as e:
        missing = _SPEC_MISSING.match(str(e))
        if missing is None:
            raise
        field = missing.group(1)
        raise UserModuleError(
            f"`model_fn` in {user.origin} built an EstimatorSpec without `{field}` in mode "
            f"{mode}{_user_line(e.__traceback__)}; mode {mode} needs "
            f"{', '.join(_SPEC_NEEDS[mode])}.") from None


def _user_line(tb):
    """` at file:line` of the user's innermost frame, or ''."""
    frames = code_errors.user_frames(traceback.extract_tb(tb))
    return f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""


def _check_spec(spec, mode, origin):
    if not is_spec(spec):
        raise UserModuleError(
            f"`model_fn` in {origin} returned {type(spec).__name__} in mode {mode}; it must "
            "return a tf.estimator.EstimatorSpec(mode=mode, ...).")
    missing = [field for field in _SPEC_NEEDS[mode] if getattr(spec, field) is None]
    if missing:
        raise UserModuleError(
            f"`model_fn` in {origin} returned an EstimatorSpec without "
            f"{' and '.join(f'`{m}`' for m in missing)} in mode {mode}; mode {mode} needs "
            f"{', '.join(_SPEC_NEEDS[mode])}.")


def serving_input_receiver_fn(user):
    """A receiver function for export that accepts all four forms the seed allows.

    `serving_input_receiver_fn()` may return a ServingInputReceiver, a
    TensorServingInputReceiver, or the receiver *function* made by
    build_parsing_serving_input_receiver_fn / build_raw_serving_input_receiver_fn.
    """
    def wrapped():
        with code_errors.calling("calling serving_input_receiver_fn()"):
            receiver = user.serving_input_receiver_fn()
            if callable(receiver) and not is_receiver(receiver):
                receiver = receiver()
        if not is_receiver(receiver):
            raise UserModuleError(
                f"`serving_input_receiver_fn` in {user.origin} returned {describe(receiver)}; it must "
                "return a tf.estimator.export.ServingInputReceiver, a TensorServingInputReceiver, or "
                "the function made by build_parsing_serving_input_receiver_fn / "
                "build_raw_serving_input_receiver_fn.")
        code_errors.note_input("serving_input_receiver_fn", None, receiver.features)
        return receiver
    return wrapped
