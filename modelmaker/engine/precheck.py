"""Provides `serving_graph`: build the model's serving graph once before training, so that
mistakes an engine would only meet at export, after the whole training, fail in seconds.

It catches a `serving_input_receiver_fn` of the wrong type, a `model_fn` that breaks the
PREDICT contract, and a train_url whose checkpoints belong to another model: a variable
missing from them, or one of another shape. Estimator reports the first as "Restoring from
checkpoint failed" with no names, and the second not at all (a resource variable takes the
stored shape, and the first step fails in a matmul).
"""

import tensorflow as tf

from modelmaker.engine import adapters
from modelmaker.errors import CheckpointError
from modelmaker.estimator import ModeKeys

_SHOWN = 3  # mismatches listed in the message


def serving_graph(user, params, *, config, model_dir):
    """Builds the PREDICT graph on the serving receiver's features in a throwaway graph and
    checks its variables against the newest checkpoint in `model_dir` (if any).

    Args:
      user: the checked `UserModule`.
      params: the `RunParams`.
      config: the engine's run config (handed to a model_fn that takes `config`).
      model_dir: the model directory.

    Raises:
      UserModuleError: a wrong receiver type, or a model_fn that breaks the PREDICT contract.
      CheckpointError: the checkpoints in `model_dir` do not fit this model.
    """
    with tf.Graph().as_default():
        receiver = adapters.serving_input_receiver_fn(user)()
        tf.compat.v1.train.get_or_create_global_step()
        spec = adapters.model_fn(user)(receiver.features, None, ModeKeys.PREDICT,
                                       params.as_dict(), config)
        if spec.scaffold is not None and spec.scaffold.saver is not None:
            return  # a custom Saver may map variables to other checkpoint names
        wanted = _graph_variables()
    checkpoint = tf.train.latest_checkpoint(model_dir)
    if checkpoint:
        problems = mismatches(wanted, dict(tf.train.list_variables(checkpoint)))
        if problems:
            more = f"; and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
            raise CheckpointError(
                f"train_url {model_dir} holds checkpoints of a different model ({checkpoint}): "
                f"{'; '.join(problems[:_SHOWN])}{more}. Use a new --train_url, or delete that "
                "folder to start over.")


def mismatches(wanted, stored):
    """Lines naming each variable of `wanted` that `stored` lacks or holds in another shape.

    Args:
      wanted: {variable name: shape list} of the model.
      stored: {variable name: shape list} of a checkpoint.
    """
    lines = []
    for name, shape in sorted(wanted.items()):
        if name not in stored:
            lines.append(f"variable `{name}` {shape} is not in the checkpoint")
        elif not _same_shape(shape, stored[name]):
            lines.append(f"variable `{name}` is {shape} in the model but {list(stored[name])} "
                         "in the checkpoint")
    return lines


def _graph_variables():
    out = {}
    for var in tf.compat.v1.global_variables():
        info = getattr(var, "_save_slice_info", None)  # a partitioned variable's part
        if info is not None:
            out[info.full_name] = list(info.full_shape)
        else:
            out[var.op.name] = var.shape.as_list() if var.shape.rank is not None else None
    return out


def _same_shape(model, stored):
    if model is None:
        return True
    return len(model) == len(stored) and all(m is None or m == s for m, s in zip(model, stored))
