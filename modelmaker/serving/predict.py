"""Provides `run`: `modelmaker predict` in this process, on the code paths the server uses.

JSON and CSV inputs go through the same request conversion as POST :predict; raw files
go through the user's preprocess/postprocess as on the raw endpoint. So a prediction
printed here equals the one the server answers for the same input.
"""

from modelmaker.engine import export as export_lib
from modelmaker import logs
from modelmaker.errors import DataError
from modelmaker.serving import codec, hooks as hooks_lib, model as model_lib, rawinput, response
from modelmaker.serving import versions as versions_lib
from modelmaker.serving.errors import ServingError


def run(*, model_path, inputs, version=None, signature_name="", user_module=None,
        batch_size=64, as_json=False):
    """Predictions for the files `inputs`, as the lines to print.

    Args:
      model_path: an export base path or one version folder.
      inputs: file or folder paths.
      version: the version of a base path to use (None: the newest).
      signature_name: the signature to run ("" = serving_default, or a JSON request's own).
      user_module: a module with preprocess/postprocess (None: the recorded one).
      batch_size: raw files per model run.
      as_json: one `{"predictions": [...]}` document instead of "input: prediction" lines.

    Raises:
      ModelmakerError: no such model or version, unreadable inputs, or inputs that do
        not fit the signature (the message names the input file).
    """
    model = load(model_path, version)
    try:
        hooks = hooks_lib.find(explicit=user_module, marker=model.marker, version_dir=model.path,
                               log=logs.info)
        signature = model.signature(signature_name)
        results, pending = [], []  # pending: raw files waiting to fill a batch
        for source in rawinput.read(inputs, signature) + [None]:
            if source is not None and source.raw is not None:
                pending.append(source)
                if len(pending) < batch_size:
                    continue
            if pending:
                results.extend(_predict_raw(model, hooks, signature, pending))
                pending = []
            if source is not None and source.request is not None:
                results.extend(_predict_request(model, source, signature_name))
    finally:
        model.close()
    if as_json:
        return [response.dumps({"predictions": [value for _, value in results]}).decode()]
    return [f"{label}: {response.dumps(value).decode()}" for label, value in results]


def load(model_path, version=None):
    """Loads the newest (or the given) version under `model_path`.

    Raises:
      DataError: there is no such version.
    """
    found = versions_lib.discover(model_path)
    if not found:
        raise DataError(f"no SavedModel under {model_path}: expected saved_model.pb there or in "
                        "a version folder named by a number (e.g. 1/). Train and export first.")
    chosen = max(found) if version is None else version
    if chosen not in found:
        raise DataError(f"version {version} not found under {model_path}; there are "
                        f"{sorted(found)}.")
    path = found[chosen]
    return model_lib.load(path, version=chosen, marker=export_lib.read_marker(path))


def _predict_request(model, source, signature_name):
    try:
        key = signature_name or codec.signature_key(source.request)
        signature = model.signature(key)
        inputs, row = codec.predict_inputs(source.request, signature.inputs)
        outputs = model.run(signature, inputs)
    except ServingError as e:
        raise DataError(f"--input {source.label}: {e}") from None
    def shown(values):  # one output: its bare value, as the server's JSON has it
        values = response.prediction(values)
        return next(iter(values.values())) if len(values) == 1 else values
    if not row:
        return [(source.label, shown(outputs))]
    return [(f"{source.label}[{i}]", shown(p)) for i, p in enumerate(hooks_lib.split(outputs))]


def _predict_raw(model, hooks, signature, sources):
    try:
        items = [hooks_lib.instance(hooks, s.raw, s.filename, signature) for s in sources]
        outputs = model.run(signature, hooks_lib.batch(items, signature))
    except ServingError as e:
        names = ", ".join(s.label for s in sources[:3]) + (", ..." if len(sources) > 3 else "")
        raise DataError(f"--input {names}: {e}") from None
    predictions = hooks_lib.split(outputs)
    return [(s.label, hooks_lib.finish(hooks, p)) for s, p in zip(sources, predictions)]
