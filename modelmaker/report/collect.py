"""Provides `collect`: run a trained model over one split and gather its outputs with the labels.

The engine's `predict` (like `Estimator.predict`) drops labels, so the split's input function is wrapped to carry the
labels along as extra features, and the model_fn is wrapped to take them out again before
the user's model_fn sees the features and to add them to the predictions. Labels and
predictions therefore come out of the same session run, batch by batch, and stay aligned
whatever the input function does (shuffling included). The sample names
(`report_name_key`) and images (`report_image_key`) ride along the same way. Class names
come from the dataset's `class_names` attribute when it has one (as Keras'
`image_dataset_from_directory` sets it).

The report reads what an evaluation reads: a Dataset or iterator tensors to their end
(or `eval_steps` batches of the eval split when set, or `report_max_samples`), constant tensors once. An input that repeats forever is read up
to `report_max_samples`, and each distinct sample (by a fingerprint of its features and
labels) is kept once.
"""

import dataclasses
import os
import time
from typing import Mapping, Optional

import tensorflow as tf

from modelmaker import engine, logs
from modelmaker.engine import checkpoints, export as export_lib
from modelmaker.user import inputs, returns
from modelmaker.report import batches
from modelmaker.report.batches import FINGERPRINT, IMAGE, LABEL, NAME, Collected  # noqa: F401
from modelmaker.errors import CheckpointError, DataError, ParamsError, UserModuleError

_FEATURES = "modelmaker/features"  # a features tensor (not a dict), wrapped so labels can join it


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """The weights a report evaluates: a checkpoint prefix, its step, and what was asked for."""

    path: str
    global_step: Optional[int]
    source: str  # the checkpoint itself, or the export folder it was taken from


def find_checkpoint(model_dir, export_dir=None):
    """The newest checkpoint in `model_dir`, or the variables of an export folder.

    Args:
      model_dir: the train_url.
      export_dir: an export version folder (`export/<name>/<N>`) or its base
        (`export/<name>`, newest version), or None for the newest checkpoint.

    Raises:
      CheckpointError: there is no checkpoint in `model_dir`.
      DataError: `export_dir` holds no SavedModel.
    """
    if export_dir:
        version = os.path.abspath(export_dir)
        if not os.path.isfile(os.path.join(version, "saved_model.pb")):
            version = export_lib.latest(version)
        if version is None:
            raise DataError(f"--export {export_dir!r} holds no SavedModel (no saved_model.pb and no "
                            "numbered version folder). Point it at <train_url>/export/<name>/<N> "
                            "or at <train_url>/export/<name> for the newest version.")
        # An Estimator export's variables are a name-based checkpoint the model_fn can restore.
        step = (export_lib.read_marker(version) or {}).get("global_step")
        return Checkpoint(os.path.join(version, "variables", "variables"), step, version)
    path = checkpoints.latest(model_dir)
    if path is None:
        raise CheckpointError(
            f"--train_url {model_dir!r} holds no checkpoint to evaluate. Train first "
            f"(modelmaker train ... --train_url {model_dir}), or pass --export with an export folder.")
    return Checkpoint(path, checkpoints.step(model_dir), path)


def collect(user, params, *, data_path, model_dir, split, checkpoint):
    """Runs the model at `checkpoint` over the `split` input function.

    Args:
      user: the checked `UserModule`.
      params: the `RunParams` (report_* keys, and what the user's functions read).
      data_path: the path handed to the input function.
      model_dir: the train_url (the engine's model_dir; nothing is written there).
      split: "eval" (eval_input_fn) or "train" (train_input_fn).
      checkpoint: a `Checkpoint` from `find_checkpoint`.

    Returns:
      A `Collected`.

    Raises:
      UserModuleError: the input does not yield (features, labels) or yields nothing.
      ParamsError: `report_name_key` / `report_image_key` is not a feature.
      CheckpointError: the checkpoint does not fit the model the user module builds.
    """
    name = {"eval": "eval_input_fn", "train": "train_input_fn"}[split]
    started = time.time()
    found = {}  # what the input function's dataset says about itself
    predictions, repeats = _predict(user, params, data_path=data_path, model_dir=model_dir,
                                    split=split, checkpoint=checkpoint, found=found)
    try:
        # The evaluation reads eval_steps batches when set: the report covers the same samples.
        steps = params["eval_steps"] if split == "eval" else None
        read = batches.read(predictions, params["report_max_samples"], max_batches=steps)
        collected = batches.assemble(*read, repeats=repeats)
        collected = dataclasses.replace(collected, class_names=found.get("class_names"))
    except (tf.errors.NotFoundError, tf.errors.InvalidArgumentError) as e:
        if "Restoring from checkpoint failed" not in e.message:
            raise
        raise CheckpointError(
            f"the weights in {checkpoint.source} do not fit the model that {user.origin} builds: "
            f"{_first_line(e.message)}. Evaluate with the user module that trained them.") from None
    if collected.count == 0:
        raise UserModuleError(f"`{name}` in {user.origin} yielded no samples; the report needs "
                              "at least one.")
    capped = "stopped at report_max_samples" if collected.capped else ""
    if repeats:
        capped = (f"{name} repeats: {collected.read} samples read, each distinct sample kept "
                  f"once{'; ' * bool(capped)}{capped}")
    logs.info(f"report | {split} | {collected.count} {'distinct ' * repeats}samples from "
              f"{checkpoint.source} in {time.time() - started:.1f}s{f' ({capped})' if capped else ''}")
    return collected


def _predict(user, params, *, data_path, model_dir, split, checkpoint, found):
    """(the generator of prediction batches, labels (and names, images) included, whether the
    input repeats forever); the dataset's class names go to `found`."""
    fn, name = {"eval": (user.eval_input_fn, "eval_input_fn"),
                "train": (user.train_input_fn, "train_input_fn")}[split]
    inner = returns.input_fn(fn, name=name, path=data_path, params=params.as_dict,
                             origin=user.origin)

    def wrap(checked):
        return _passthrough(checked, name_key=params["report_name_key"],
                            image_key=params["report_image_key"], input_name=name)

    predictor = engine.build(user=user, params=params, model_dir=model_dir, data_path=data_path)
    repeats = inputs.length(inner).batches == inputs.INFINITE
    return predictor.predict(_with_labels(inner, name, user.origin, found, repeats=repeats),
                             checkpoint=checkpoint.path, wrap=wrap), repeats


def _with_labels(inner, name, origin, found, *, repeats=False):
    """The input_fn: the user's (features, labels) merged into one features dict (with each
    sample's fingerprint when the input `repeats`); the dataset's class names go to `found`."""
    def merged(features, labels):
        out = merge(features, labels)
        return {**out, FINGERPRINT: _fingerprint(out)} if repeats else out

    def input_fn():
        result = inner()
        found["class_names"] = _class_names(result, name, origin)
        if not isinstance(result, tf.data.Dataset):
            if inputs.of_result(result).advances:
                # Iterator tensors advance every run and end with their data: read to the end,
                # as the evaluation does.
                return merged(*result)
            # Constant tensors are one batch; evaluating them once, not until
            # report_max_samples, keeps each sample once in the report.
            return tf.data.Dataset.from_tensors(merge(*result))
        spec = result.element_spec
        if not (isinstance(spec, tuple) and len(spec) == 2):
            raise UserModuleError(
                f"`{name}` in {origin} yields elements shaped {spec}; the report needs "
                "(features, labels) pairs to compare predictions with labels.")
        return result.map(tf.autograph.experimental.do_not_convert(merged))
    return input_fn


def _class_names(result, name, origin):
    """The dataset's `class_names` attribute (names by class id), or None."""
    names = getattr(result, "class_names", None)
    if names is None:
        return None
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, (str, bytes)) for n in names):
        raise UserModuleError(f"`{name}` in {origin} returned a dataset whose class_names is "
                              f"{names!r}; it must be a list of names by class id, e.g. "
                              "[\"circle\", \"square\"], or absent.")
    return [batches.text(n) for n in names]


def merge(features, labels):
    """One features dict holding the user's features and the labels under reserved keys."""
    merged = dict(features) if isinstance(features, Mapping) else {_FEATURES: features}
    if isinstance(labels, Mapping):
        merged.update({f"{LABEL}/{key}": value for key, value in labels.items()})
    else:
        merged[LABEL] = labels
    return merged


def _fingerprint(merged):
    """[N, 8] uint8: a fingerprint of each sample's features and labels (a batch of N)."""
    parts = [tf.fingerprint(merged[key]) for key in sorted(merged)
             if isinstance(merged[key], tf.Tensor) and merged[key].shape.rank]
    return tf.fingerprint(tf.concat(parts, axis=1))


def _passthrough(checked, *, name_key, image_key, input_name):
    """Wraps the checked model_fn: labels (and names, images) go around it into predictions."""
    def model_fn(features, labels, mode, params, config):
        carried = {k: v for k, v in features.items() if k.startswith(LABEL) or k == FINGERPRINT}
        own = {k: v for k, v in features.items() if k not in carried}
        own = own[_FEATURES] if _FEATURES in own else own
        spec = checked(own, labels, mode, params, config)
        predictions = spec.predictions
        if not isinstance(predictions, Mapping):
            predictions = {"predictions": predictions}
        if name_key:
            carried[NAME] = _feature(own, name_key, "report_name_key", input_name)
        image = (_feature(own, image_key, "report_image_key", input_name) if image_key
                 else _find_image(own))
        if image is not None:
            carried[IMAGE] = image
        return spec._replace(predictions={**predictions, **carried})
    return model_fn


def _feature(features, key, param, input_name):
    if isinstance(features, Mapping) and key in features:
        return features[key]
    have = ", ".join(sorted(features)) if isinstance(features, Mapping) else "one unnamed tensor"
    raise ParamsError(f"`{param}` ({key!r}) is not a feature of `{input_name}` (its features: {have}). "
                      f"Set {param} to one of them, or to null.")


def _find_image(features):
    """The first feature shaped like a batch of images: [N, H, W] or [N, H, W, 1|3|4], H, W >= 8."""
    candidates = features.values() if isinstance(features, Mapping) else [features]
    for tensor in candidates:
        if not isinstance(tensor, tf.Tensor) or not (tensor.dtype.is_floating or tensor.dtype.is_integer):
            continue
        shape = tensor.shape
        if shape.rank == 4 and shape[3] in (1, 3, 4) or shape.rank == 3:
            height, width = shape[1], shape[2]
            if height is not None and width is not None and height >= 8 and width >= 8:
                return tensor
    return None


def _first_line(text):
    return text.strip().splitlines()[0] if text.strip() else text
