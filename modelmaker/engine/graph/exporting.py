"""`export_saved_model`: a SavedModel of one checkpoint, with the signatures Estimator writes.

The serving_input_receiver_fn (any of the four receiver forms) feeds the model_fn in PREDICT mode;
`signatures.build` turns its export_outputs into SignatureDefs; the checkpoint's variables and the
graph's assets go in with `saved_model.Builder`. The export is written to `<base>/temp-<N>` and then
renamed to `<base>/<N>` (N: the Unix time, unique in base), so a reader never sees half of one.
"""

import os
import time

import tensorflow as tf

from modelmaker.engine.graph import calls, signatures
from modelmaker.engine.graph.settings import RunSettings
from modelmaker.estimator import ModeKeys

_v1 = tf.compat.v1


def export_saved_model(model_fn, serving_input_receiver_fn, *, model_dir, export_dir_base, params=None,
                       settings=RunSettings(), checkpoint_path=None, assets_extra=None):
    """Exports a checkpoint and returns the export's directory, `<export_dir_base>/<timestamp>`.

    Args:
      model_fn: the user's model_fn (called in PREDICT mode with the receiver's features, labels None).
      serving_input_receiver_fn: returns a ServingInputReceiver or TensorServingInputReceiver
        (modelmaker.estimator's or tf.estimator's).
      model_dir: where the checkpoints are; checkpoint_path: the one to export (None: the newest).
      export_dir_base: the folder that holds one numbered folder per export.
      params, settings: as for `train`.
      assets_extra: {path inside assets.extra/: source file} copied into the export.

    Raises:
      ValueError: no checkpoint, a receiver_fn that returns something else, or no servable signature.
    """
    checkpoint_path = checkpoint_path or tf.train.latest_checkpoint(model_dir)
    if not checkpoint_path:
        raise ValueError(f"export: no checkpoint in {model_dir}: train first, or give checkpoint_path.")
    export_dir = _numbered_dir(export_dir_base)
    temp_dir = os.path.join(export_dir_base, f"temp-{os.path.basename(export_dir)}")
    settings = settings.in_dir(model_dir)
    with tf.Graph().as_default():
        _v1.set_random_seed(settings.tf_random_seed)
        _v1.train.get_or_create_global_step()
        receiver = _receiver(serving_input_receiver_fn)
        spec = calls.model_spec(model_fn, receiver.features, None, ModeKeys.PREDICT, params, settings)
        signature_map = signatures.build(receiver.receiver_tensors, spec.export_outputs,
                                         receiver.receiver_tensors_alternatives)
        if not signature_map:
            raise ValueError("export: no servable signature: each export output failed for the receiver "
                             f"({sorted(spec.export_outputs)}); see the log lines above.")
        _write(spec, signature_map, checkpoint_path, temp_dir, settings)
    _copy_assets_extra(temp_dir, assets_extra or {})
    tf.io.gfile.rename(temp_dir, export_dir)
    return export_dir


def _receiver(serving_input_receiver_fn):
    receiver = serving_input_receiver_fn()
    if not calls.is_receiver(receiver):
        raise ValueError(f"serving_input_receiver_fn {getattr(serving_input_receiver_fn, '__name__', '')} must "
                         "return a tf.estimator.export.ServingInputReceiver or TensorServingInputReceiver, got "
                         f"{type(receiver).__name__}.")
    return receiver


def _write(spec, signature_map, checkpoint_path, temp_dir, settings):
    """Restores the checkpoint into a session and saves graph, variables and assets to `temp_dir`."""
    scaffold = spec.scaffold
    saver = scaffold.saver or _v1.train.Saver(sharded=True)
    local_init_op = scaffold.local_init_op if scaffold.local_init_op is not None \
        else _v1.train.Scaffold.default_local_init_op()
    with _v1.Session(config=settings.session_config) as session:
        try:
            saver.restore(session, checkpoint_path)
        except tf.errors.NotFoundError as error:
            raise ValueError(f"export: the PREDICT graph of model_fn has variables that checkpoint "
                             f"{checkpoint_path} lacks ({error.message.splitlines()[0]}): build the same variables "
                             "in every mode.") from None
        builder = _v1.saved_model.Builder(temp_dir)
        builder.add_meta_graph_and_variables(
            session, [tf.saved_model.SERVING], signature_def_map=signature_map,
            assets_collection=_v1.get_collection(_v1.GraphKeys.ASSET_FILEPATHS), main_op=local_init_op,
            saver=saver, strip_default_attrs=True)
        builder.save(as_text=False)


def _numbered_dir(base):
    """`<base>/<Unix time>`, one second later per existing export of that second (no waiting)."""
    number = int(time.time())
    while tf.io.gfile.exists(os.path.join(base, str(number))) or \
            tf.io.gfile.exists(os.path.join(base, f"temp-{number}")):
        number += 1
    return os.path.join(base, str(number))


def _copy_assets_extra(export_dir, assets_extra):
    for relative, source in assets_extra.items():
        target = os.path.join(export_dir, "assets.extra", relative)
        tf.io.gfile.makedirs(os.path.dirname(target))
        tf.io.gfile.copy(source, target, overwrite=True)
