"""Provides `input_fn`: the user's input function wrapped so that what it returns is checked.

Any engine calls the input functions through this wrapper, so a broken contract is a
`UserModuleError` naming the function, the value it returned and the fix, not an error deep
inside TensorFlow.
"""

import tensorflow as tf

from modelmaker.errors import UserModuleError


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
        result = fn(path, params())
        if isinstance(result, tf.data.Dataset):
            return result
        if isinstance(result, (tuple, list)) and len(result) == 2 and not require_dataset:
            return tuple(result)
        need = ("a tf.data.Dataset (distributed training needs a Dataset)" if require_dataset
                else "a tf.data.Dataset or a (features, labels) tuple")
        raise UserModuleError(
            f"`{name}` in {origin} returned {describe(result)}; it must return {need}.")
    return wrapped


def describe(value):
    """`type repr` of a returned value, shortened for one-line messages."""
    text = repr(value)
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"{type(value).__name__} {text}"
