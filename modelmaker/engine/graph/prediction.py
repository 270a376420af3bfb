"""`predict`: the model_fn's predictions for an input, one dict per example, from one checkpoint."""

import tensorflow as tf

from modelmaker.engine.graph import calls
from modelmaker.engine.graph.settings import RunSettings
from modelmaker.estimator import ModeKeys

_v1 = tf.compat.v1


def predict(model_fn, input_fn, *, model_dir, params=None, settings=RunSettings(), checkpoint_path=None,
            hooks=(), predict_keys=None, yield_single_examples=True):
    """Yields the predictions of each example of `input_fn` (until it ends) as {key: value}.

    A model_fn whose predictions are one Tensor yields that tensor's rows. `predict_keys` limits the
    keys of a dict. All prediction tensors must share the batch (first) dimension.
    `yield_single_examples` False yields each batch as it is (a dict of arrays, or an array).

    Raises:
      ValueError: no checkpoint, an unknown predict key, or predictions of different batch sizes.
    """
    checkpoint_path = checkpoint_path or tf.train.latest_checkpoint(model_dir)
    if not checkpoint_path:
        raise ValueError(f"predict: no checkpoint in {model_dir}: train first, or give checkpoint_path.")
    settings = settings.in_dir(model_dir)
    with tf.Graph().as_default():
        _v1.set_random_seed(settings.tf_random_seed)
        _v1.train.get_or_create_global_step()
        features, _, input_hooks = calls.input_tensors(input_fn, ModeKeys.PREDICT, params, settings)
        spec = calls.model_spec(model_fn, features, None, ModeKeys.PREDICT, params, settings)
        fetches = _selected(spec.predictions, predict_keys)
        creator = _v1.train.ChiefSessionCreator(scaffold=spec.scaffold, checkpoint_filename_with_path=checkpoint_path,
                                                config=settings.session_config)
        with _v1.train.MonitoredSession(session_creator=creator,
                                        hooks=[*input_hooks, *hooks, *spec.prediction_hooks]) as session:
            while not session.should_stop():
                batch = session.run(fetches)
                if yield_single_examples:
                    yield from _rows(batch)
                else:
                    yield batch


def _selected(predictions, keys):
    if keys is None or not isinstance(predictions, dict):
        return predictions
    unknown = sorted(set(keys) - set(predictions))
    if unknown:
        raise ValueError(f"predict_keys {unknown} are not among the predictions {sorted(predictions)}.")
    return {key: predictions[key] for key in keys}


def _rows(batch):
    if not isinstance(batch, dict):
        yield from batch
        return
    sizes = {key: len(value) for key, value in batch.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"predictions have different batch sizes {sizes}: every prediction must have the "
                         "batch dimension first.")
    for i in range(next(iter(sizes.values()), 0)):
        yield {key: value[i] for key, value in batch.items()}
