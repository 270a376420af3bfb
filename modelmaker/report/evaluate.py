"""Provides `evaluate`: trained model -> per-split analysis files, figures and report.html.

    from modelmaker.report.evaluate import evaluate
    reports = evaluate("mymodel", data_url="data/", train_url="output/", split="both")
    print(reports[0].results["overall"]["accuracy"], reports[0].page)

Parameters merge as for training, with the run's own `<train_url>/params.json` under
them: defaults < params.json of the training run < the parameters given here. So the
input functions see the custom parameters the model was trained with.
"""

import dataclasses
import datetime
import os
from typing import Any, Mapping

from modelmaker import api, config as params_lib, environment as environment_lib, layout, logs, records, storage
from modelmaker.errors import CheckpointError, ParamsError
from modelmaker.user import module as user_module_lib

SPLITS = {"eval": ("eval",), "train": ("train",), "both": ("train", "eval")}
ANALYSIS_DIR = layout.ANALYSIS_DIR   # default output: <train_url>/analysis/<split>/
FIGURES = ("confusion_matrix.png", "per_class.png", "confidence.png", "worst_confused.png",
           "regression.png", "training_curves.png")


@dataclasses.dataclass(frozen=True)
class SplitReport:
    """What the report of one split wrote: its folder, results (as in the JSON) and files."""

    split: str
    folder: str
    results: Mapping[str, Any]
    files: tuple

    @property
    def page(self):
        return os.path.join(self.folder, "report.html")


def evaluate(user_module, params=None, *, data_url=None, train_url="output", split="eval",
             output=None, export=None, cache_dir=None, environment=None):
    """Evaluates a trained model on one or both splits and writes the report files.

    Args:
      user_module: a module object, dotted name or path (as for `fit`).
      params: a dict, a parameters file path, a `RunParams` or None.
      data_url: the dataset location handed to the input functions as `path`.
      train_url: the model directory of the training run (checkpoints, event files).
      split: "eval" (eval_input_fn), "train" (train_input_fn) or "both".
      output: the folder for the reports (default `<train_url>/analysis`); each split
        gets its own subfolder.
      export: evaluate the weights of this export folder instead of the newest checkpoint.
      cache_dir: the local cache for remote URLs, as for `fit`: a remote `data_url` is
        staged, a remote `train_url` pulled (checkpoint, params.json, event files) and the
        report uploaded to `<train_url>/analysis` (unless `output` is given).
      environment: the `modelmaker.environment.Environment` (None: read this process's now):
        the storage endpoints and credentials of remote URLs.

    Returns:
      A list of `SplitReport`, one per split.

    Raises:
      ModelmakerError: a user mistake (module, parameters, paths, outputs that do not fit).
    """
    if split not in SPLITS:
        raise ParamsError(f"split {split!r} is not one of {', '.join(SPLITS)}. "
                          "Use --split eval, train or both.")
    settings = (environment or environment_lib.read()).storage
    remote, model_dir = _model_dir(train_url, cache_dir=cache_dir, settings=settings, output=output)
    run_params = with_training_params(api.to_run_params(params, source="evaluate(params=...)"),
                                      model_dir)
    user = user_module_lib.load(user_module)
    data_path = api.local_data(data_url, cache_dir=cache_dir, settings=settings)
    from modelmaker.report import collect, events  # import TensorFlow
    checkpoint = _checkpoint(collect, model_dir, export, remote)
    curves = events.read_curves(model_dir)
    base = os.path.abspath(output) if output else os.path.join(model_dir, ANALYSIS_DIR)
    reports = [_split(collect, name, user, run_params, data_path=data_path, model_dir=model_dir,
                      checkpoint=checkpoint, folder=os.path.join(base, name), curves=curves)
               for name in SPLITS[split]]
    if remote and not output:
        logs.info(f"report uploaded to {remote.upload(ANALYSIS_DIR)}")
    return reports


def with_training_params(run_params, model_dir):
    """`run_params` on top of the training run's saved `params.json` (when there is one)."""
    path = os.path.join(model_dir, records.PARAMS_FILE)
    saved = records.read_json(path)
    if not isinstance(saved, dict):
        return run_params
    given = {}
    for key, value in run_params.values.items():
        if run_params.sources[key] != "defaults":
            given.setdefault(run_params.sources[key], {})[key] = value
    # Each key has one source, so the given layers never overlap and their order is free.
    layers = [params_lib.Layer(path, saved)]
    layers += [params_lib.Layer(source, values) for source, values in given.items()]
    return params_lib.resolve(layers)


def _split(collect, name, user, run_params, *, data_path, model_dir, checkpoint, folder, curves):
    """The `SplitReport` of split `name`, written to `folder`."""
    collected = collect.collect(user, run_params, data_path=data_path, model_dir=model_dir,
                                split=name, checkpoint=checkpoint)
    facts = {"split": name, "model_dir": model_dir, "checkpoint": checkpoint.source,
             "global_step": checkpoint.global_step, "user_module": user.origin,
             "capped": collected.capped, "repeats": collected.repeats, "samples_read": collected.read}
    return write_split(folder, collected, run_params, facts=facts, curves=curves)


def _model_dir(train_url, *, cache_dir, settings, output):
    """(remote train_url or None, local model directory); a remote one is pulled (checkpoint,
    params.json, event files), and must be writable unless the report goes to `output`."""
    if not storage.is_remote(train_url):
        return None, os.path.abspath(os.fspath(train_url))
    remote = storage.open_train_url(train_url, cache_dir=cache_dir, settings=settings,
                                    writable=output is None)
    return remote, remote.pull(events=True)


def _checkpoint(collect, model_dir, export, remote):
    """`collect.find_checkpoint`, naming a remote train_url by its URL, not its cache copy."""
    try:
        return collect.find_checkpoint(model_dir, export)
    except CheckpointError as e:
        raise (CheckpointError(str(e).replace(model_dir, remote.url)) if remote else e) from None


def write_split(folder, collected, run_params, *, facts, curves):
    """Analyses one split's `Collected` outputs and writes its files, figures and page.

    Args:
      folder: the split's output folder (created).
      collected: the `collect.Collected` of the split.
      run_params: the `RunParams` (report_* keys).
      facts: what ran (split, model_dir, checkpoint, ...), recorded under `run`.
      curves: the training curves (`events.read_curves`).

    Returns:
      A `SplitReport`.
    """
    from modelmaker.report import analysis, files, html, select
    arrays = select.select(collected.outputs, collected.labels, run_params,
                           origin=facts.get("user_module"), data_class_names=collected.class_names)
    if arrays.task == "classification":
        numbers = analysis.classification(arrays.labels, arrays.predictions,
                                          num_classes=arrays.num_classes,
                                          probabilities=arrays.probabilities,
                                          class_names=arrays.class_names)
    else:
        numbers = analysis.regression(arrays.labels, arrays.predictions)
    run = dict(facts, prediction_key=arrays.prediction_key, probability_key=arrays.probability_key,
               created=datetime.datetime.now().astimezone().isoformat(timespec="seconds"))
    results = {"run": run, **numbers}
    os.makedirs(folder, exist_ok=True)
    written = [files.write_results(folder, results),
               files.write_samples(folder, {"split": run["split"], "task": arrays.task,
                                            "class_names": arrays.class_names},
                                   files.samples(arrays, collected.names)),
               files.write_arrays(folder, arrays, collected.names)]
    figures = draw(folder, arrays, results, images=collected.images, curves=curves,
                   names=collected.names)
    names = [os.path.basename(p) for p in written + [path for _, path in figures]]
    written.append(html.write(folder, results=results, figures=figures, files=names))
    logs.info(f"report | {run['split']} | {summary(results)} | {written[-1]}")
    return SplitReport(split=run["split"], folder=folder, results=results, files=tuple(written))


def draw(folder, arrays, results, *, images, curves, names=None):
    """Draws the split's figures; returns [(title, path)] for those that had something to show."""
    from modelmaker.report import figures as fig
    for name in FIGURES:  # a figure left by an earlier report must not pass for this one's
        if os.path.exists(os.path.join(folder, name)):
            os.unlink(os.path.join(folder, name))
    path = {name: os.path.join(folder, name) for name in FIGURES}
    if arrays.task == "classification":
        correct = arrays.labels == arrays.predictions
        drawn = [
            ("Confusion matrix", fig.confusion_matrix(results["confusion_matrix"],
                                                      arrays.class_names, path["confusion_matrix.png"])),
            ("Per-class precision, recall, F1", fig.per_class(results["per_class"],
                                                              path["per_class.png"])),
            ("Confidence", arrays.confidence is not None and fig.confidence(
                arrays.confidence, correct, path["confidence.png"])),
            ("Most confident mistakes", images is not None and fig.worst_confused(
                images, arrays.labels, arrays.predictions, arrays.confidence, arrays.class_names,
                path["worst_confused.png"], sample_names=names))]
    else:
        drawn = [("Predicted vs true, residuals",
                  fig.regression(arrays.labels, arrays.predictions, path["regression.png"]))]
    drawn.append(("Training curves", fig.curves(curves, path["training_curves.png"])))
    return [(title, p) for title, p in drawn if p]


def summary(results):
    """One line of headline numbers, e.g. `accuracy 0.9712 | macro F1 0.9705`."""
    overall = results["overall"]
    if results["task"] == "classification":
        pairs = [("accuracy", overall["accuracy"]), ("macro F1", overall["macro_f1"])]
    else:
        pairs = [("MAE", overall["mae"]), ("RMSE", overall["rmse"]), ("R2", overall["r2"])]
    return " | ".join(f"{k} {v:.4f}" if v is not None else f"{k} n/a" for k, v in pairs)
