"""Provides `fit()`: load -> validate -> train_and_evaluate -> export -> result.

    import modelmaker
    result = modelmaker.fit("mymodel", {"train_max_steps": 1000},
                            data_url="data/", train_url="output/")
    print(result.metrics["accuracy"], result.export_dir)
"""

import os
import time
from typing import Mapping

from modelmaker import config as params_lib, environment as environment_lib, logs, platforms, storage
from modelmaker.errors import DataError, ParamsError
from modelmaker.records import FitResult  # noqa: F401 (what fit returns)
from modelmaker.user import module as user_module_lib


def fit(user_module, params=None, *, data_url=None, train_url="output", cache_dir=None, verbose=False,
        faults=None, environment=None):
    """Trains, evaluates and exports a user module, resuming from `train_url` if it holds checkpoints.

    Args:
      user_module: a module object, a dotted module name, or a path to a .py file or package.
      params: a dict of parameters, a path to a JSON/YAML parameters file, a `RunParams`,
        or None for the defaults.
      data_url: the dataset location handed to the input functions as `path` (None: the
        input functions get None and choose their own data).
      train_url: the model directory: checkpoints, TensorBoard events, exports, records.
        `data_url` and `train_url` may be s3://, obs://, ks3:// or gs:// URLs (see
        docs/storage.md): data is staged to the cache, outputs are uploaded.
      cache_dir: the local cache for remote URLs (default: MODELMAKER_CACHE_DIR, else /cache
        when writable, else a folder in the temp dir).
      verbose: keep TensorFlow's own INFO/WARNING output.
      faults: a `modelmaker.faults.Faults` that kills the process at a chosen moment
        (fault-tolerance tests only).
      environment: the `modelmaker.environment.Environment` the command line read (None: read
        this process's environment now): TF_CONFIG, storage settings, and the platform, whose
        folders get copies of the export and events at the end (`hand_off`).

    Returns:
      A `FitResult`; None on the worker, ps and evaluator tasks of a TF_CONFIG cluster (only
      the chief writes records and exports).

    Raises:
      ModelmakerError: a user mistake (bad module, parameters, paths or TF_CONFIG); nothing
        is trained.
    """
    started = time.time()
    run_params = to_run_params(params)
    env = environment if environment is not None else environment_lib.read()
    cluster = env.cluster()  # TF_CONFIG, checked before anything is created
    data_path = None if storage.is_remote(data_url) else check_data_url(data_url)
    logs.setup(verbose)  # imports TensorFlow: after the checks that need none
    user = user_module_lib.load(user_module)
    # Remote URLs: check credentials and endpoint, stage the data, pull the latest checkpoint.
    remote = (storage.open_train_url(train_url, cache_dir=cache_dir, settings=env.storage)
              if storage.is_remote(train_url) else None)
    if storage.is_remote(data_url):
        data_path = local_data(data_url, cache_dir=cache_dir, settings=env.storage)
    model_dir = remote.pull() if remote else prepare_train_url(train_url)
    from modelmaker import runner
    from modelmaker.user import code_errors  # imports TensorFlow
    with code_errors.translated():  # an op of the user's failing in a session: their error
        result = runner.run(user=user, params=run_params, data_path=data_path, model_dir=model_dir,
                            started=started, faults=faults, cluster=cluster, remote=remote)
    return hand_off(result, env, model_dir=model_dir, train_url=train_url, params=run_params)


def hand_off(result, env, *, model_dir, train_url, params):
    """Returns `result`; on SageMaker, Vertex AI and ModelArts, first copies the export (and
    the event files) where the platform reads them (`storage.handoff`, docs/platforms.md)."""
    if result is not None and env.platform.name != platforms.LOCAL:
        from modelmaker.storage import handoff
        handoff.deliver(env.platform, model_dir=model_dir, train_url=train_url,
                        export_name=params["export_name"], settings=env.storage)
    return result


def to_run_params(params, *, source="fit(params=...)"):
    """RunParams from what `fit()` accepts: None, a dict, a file path or a RunParams."""
    if isinstance(params, params_lib.RunParams):
        return params
    if params is None:
        return params_lib.resolve([])
    if isinstance(params, (str, os.PathLike)):
        path = os.fspath(params)
        return params_lib.resolve([params_lib.Layer(path, params_lib.load_file(path))])
    if isinstance(params, Mapping):
        return params_lib.resolve([params_lib.Layer(source, dict(params))])
    raise ParamsError(f"params must be a dict, a path to a parameters file or None, got "
                      f"{type(params).__name__}. Example: fit('mymodel', {{'train_max_steps': 1000}}).")


def local_data(data_url, *, settings, cache_dir=None):
    """The local path the input functions get, for every verb: a remote `data_url` staged
    into the cache (`storage.stage_data`, with the storage `settings` of
    `modelmaker.environment`), a local one checked (`check_data_url`)."""
    if storage.is_remote(data_url):
        return storage.stage_data(data_url, cache_dir=cache_dir, settings=settings)
    return check_data_url(data_url)


def check_data_url(data_url):
    """The data path as a string, after checking that a local path exists (None passes)."""
    if data_url is None:
        return None
    path = os.fspath(data_url)
    if not os.path.exists(path):
        raise DataError(f"--data_url {path!r} does not exist. Point it at the folder that holds "
                        "your dataset, or leave it out if your input functions find their own data.")
    return os.path.abspath(path)


def prepare_train_url(train_url):
    """Creates the model directory if needed and checks that it is writable; returns its path."""
    if not train_url:
        raise DataError("--train_url is empty. Give the folder for checkpoints and exports, "
                        "e.g. --train_url output/mymodel.")
    path = os.path.abspath(os.fspath(train_url))
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, f".write-test-{os.getpid()}")
        with open(probe, "w"):
            pass
        os.unlink(probe)
    except OSError as e:
        raise DataError(f"--train_url {path!r} is not writable ({e.strerror}). Choose a folder "
                        "you can write to, or fix its permissions.") from None
    return path
