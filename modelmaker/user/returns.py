"""Provides `input_fn`: the user's input function wrapped so that what it returns is checked.

Any engine calls the input functions through this wrapper, so a broken contract is a
`UserModuleError` naming the function, the value it returned and the fix, not an error deep
inside TensorFlow; an exception raised in them is a `code_errors.UserCodeError` naming
their file:line.
"""

import tensorflow as tf

from modelmaker.errors import UserModuleError
from modelmaker.user import code_errors


def input_fn(fn, *, name, path, params, origin, require_dataset=False):
    """An input_fn (no arguments) that calls `fn(path, params)` and checks the result.

    Args:
      fn: the user's `train_input_fn` or `eval_input_fn`.
      name: its name, for messages.
      path: the local data path handed to it (a string, or None when no --data_url was given).
      params: a callable returning a fresh params dict (each call gets its own copy).
      origin: where the user module came from, for messages.
      require_dataset: distributed training needs a tf.data.Dataset, not a tuple.
    """
    def wrapped():
        with code_errors.calling(f"calling {name}(path={path!r}, params)"):
            result = fn(path, params())
        if isinstance(result, list) and len(result) == 2:
            # Estimator would take [features, labels] arrays for one batch holding every sample.
            raise UserModuleError(
                f"`{name}` in {origin} returned a list [features, labels] ({describe(result[0])}, "
                f"{describe(result[1])}), which would train as one batch of every sample; return "
                "a tf.data.Dataset: tf.data.Dataset.from_tensor_slices((features, labels)).batch(32).")
        if isinstance(result, tf.data.Dataset) or (
                isinstance(result, tuple) and len(result) == 2 and not require_dataset):
            code_errors.note_input(name, path, result, fn)
            return result
        need = ("a tf.data.Dataset (distributed training needs a Dataset)" if require_dataset
                else "a tf.data.Dataset or a (features, labels) tuple")
        raise UserModuleError(
            f"`{name}` in {origin} returned {describe(result)}; it must return {need}.")
    return wrapped


def checked(user, params, *, training, data_path, plan=None):
    """The user's training or evaluation input function as every engine calls it: checked, with
    `data_path` and a fresh copy of the params.

    With a plan, the params get `worker_index`/`num_workers` (training shards by them;
    evaluation reads everything, 0 of 1), and a distributed plan requires a tf.data.Dataset.
    """
    extra = plan.input_params(training=training) if plan else {}
    fn, name = ((user.train_input_fn, "train_input_fn") if training
                else (user.eval_input_fn, "eval_input_fn"))
    return input_fn(fn, name=name, path=data_path, params=lambda: {**params.as_dict(), **extra},
                    origin=user.origin, require_dataset=bool(plan and plan.distributed))


def describe(value):
    """`type repr` of a returned value (`type shape dtype` of an array or tensor), shortened
    for one-line messages."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        shape = value.shape if getattr(value.shape, "rank", 0) is None else tuple(value.shape)
        return f"{type(value).__name__} {shape} {value.dtype}"
    text = repr(value)
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"{type(value).__name__} {text}"
