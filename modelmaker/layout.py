"""Names every file and folder modelmaker writes inside a train_url, each once.

    <train_url>/
      params.json  result.json                  the run records (`modelmaker.records`)
      best.json  early_stopping.json            training controls' state (`modelmaker.controls`)
      best_claims/<step>                        which task writes the best export of a step
      modelmaker_done.json                      the chief's done-marker (`modelmaker.cluster.done`)
      modelmaker_done.<task>.json               a worker's done-marker (ps tasks wait for them)
      modelmaker_stop.json                      the step synchronous trainers stop after (`cluster.sync_stop`)
      modelmaker_stop.<task>.json               a synchronous worker's request to stop (a signal)
      model.ckpt-<step>.*                       checkpoints
      eval/                                     evaluation events (TensorBoard, tuning metric)
      export/<export_name>/<N>/                 SavedModel versions, each with modelmaker_export.json
      export/best/<N>/                          best export versions, each with modelmaker_best.json
      analysis/<split>/                         the evaluation report (`modelmaker evaluate`)
      model/                                    on ModelArts: the final export, the folder it imports
"""

import os

PARAMS_FILE = "params.json"               # the resolved parameters of the last run
RESULT_FILE = "result.json"               # what the last run produced (`records.FitResult`)
BEST_RECORD = "best.json"                 # best_export's best score so far
BEST_CLAIMS = "best_claims"               # best_claims/<step>: the one task exporting that step
EARLY_STOPPING_STATE = "early_stopping.json"
DONE_MARKER = "modelmaker_done.json"      # training in this train_url has ended
STOP_MARKER = "modelmaker_stop.json"      # the agreed step synchronous trainers stop after
CHECKPOINT_BASENAME = "model.ckpt"        # the prefix Estimator's CheckpointSaverHook uses
EVAL_DIR = "eval"                         # evaluation summaries of an unnamed evaluation
EXPORT_DIR = "export"                     # export/<name>/<N>/
BEST_EXPORT_NAME = "best"                 # export/best/<N>/
EXPORT_MARKER = "modelmaker_export.json"  # beside saved_model.pb: step, checkpoint, user module
BEST_VERSION_RECORD = "modelmaker_best.json"  # beside saved_model.pb in export/best/<N>/
STAGING_PREFIX = ".staging-"              # an export being written; never a version
ANALYSIS_DIR = "analysis"                 # analysis/<split>/
MODELARTS_MODEL_DIR = "model"             # ModelArts imports the SavedModel in <train_url>/model


def done_marker(task=None):
    """The done-marker's file name: the chief's, or that of `task` (e.g. 'worker_0')."""
    return DONE_MARKER if task is None else f"modelmaker_done.{task}.json"


def joined_marker(task):
    """The file name a worker of parameter-server training writes once its session is ready (e.g.
    'worker_0'): the chief waits for them before its first step (`engine.graph.between_graph`)."""
    return f"modelmaker_joined.{task}.json"


def stop_request(task):
    """The file name of `task`'s (e.g. 'worker_0') request that synchronous training stop."""
    return f"modelmaker_stop.{task}.json"


def eval_dir(model_dir, name=None):
    """The folder evaluation `name` writes its events to (None: the unnamed evaluation)."""
    return os.path.join(model_dir, EVAL_DIR if not name else f"{EVAL_DIR}_{name}")


def export_base(model_dir, name):
    """`<model_dir>/export/<name>`: the base path a server is pointed at."""
    return os.path.join(model_dir, EXPORT_DIR, name)
