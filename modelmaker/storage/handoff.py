"""Provides `deliver` and `deliver_analysis`: a finished run's outputs copied where its platform reads them.

modelmaker writes everything into one model directory (`modelmaker.layout`). A platform that
splits checkpoints, events and the model (`modelmaker.platforms`) gets, at the end of a run:
the newest export copied to its model folder (SageMaker: `<SM_MODEL_DIR>/<N>/`; Vertex AI:
`AIP_MODEL_DIR` itself; ModelArts: `<train_url>/model/`), the TensorBoard event files to its
TensorBoard folder (keeping their relative paths), and `--report`'s analysis to its output
folder. Destinations may be local folders or s3://, obs://, ks3://, gs:// URLs.
"""

import os
import shutil

from modelmaker import layout, logs, platforms
from modelmaker.engine import export as export_lib
from modelmaker.storage import store as store_lib, urls
from modelmaker.storage.publish import local_files

_NOT_EVENTS = (layout.EXPORT_DIR, layout.ANALYSIS_DIR, layout.MODELARTS_MODEL_DIR)


def deliver(platform, *, model_dir, train_url, export_name, settings):
    """Copies the newest export of `export_name` and the event files in `model_dir` to the
    places `platform` names; returns the destinations written."""
    written = []
    target = platform.export_target(train_url)
    newest = export_lib.latest(layout.export_base(model_dir, export_name))
    if target and newest:
        if platform.export_layout == platforms.VERSIONS:
            target = _join(target, os.path.basename(newest))
        written.append(copy_files(local_files(newest), target, settings=settings))
        logs.info(f"export copied for {platform.name}: {target}")
    events_to = platform.locations.get(platforms.EVENTS_TO)
    if events_to:
        events = {rel: path for rel, path in local_files(model_dir).items()
                  if "tfevents" in os.path.basename(rel) and rel.split("/")[0] not in _NOT_EVENTS}
        written.append(copy_files(events, events_to, settings=settings))
        logs.info(f"TensorBoard events copied for {platform.name}: {events_to} ({len(events)} files)")
    return written


def deliver_analysis(platform, *, model_dir, settings):
    """Copies `<model_dir>/analysis/` into the platform's output folder (SageMaker:
    SM_OUTPUT_DATA_DIR/analysis/); returns the destination or None."""
    output = platform.locations.get(platforms.ANALYSIS_TO)
    analysis = os.path.join(model_dir, layout.ANALYSIS_DIR)
    if not output or not os.path.isdir(analysis):
        return None
    target = _join(output, layout.ANALYSIS_DIR)
    copy_files(local_files(analysis), target, settings=settings)
    logs.info(f"analysis copied for {platform.name}: {target}")
    return target


def copy_files(files, target, *, settings):
    """Copies `files` ({relative path: local path}) below `target`, a folder or a URL."""
    if urls.is_remote(target):
        loc = urls.parse(target, flag="the platform's destination")
        store_lib.open_store(loc, settings).put_many([(path, loc.join(rel)) for rel, path in files.items()])
        return target
    for rel, path in files.items():
        dest = os.path.join(target, *rel.split("/"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy2(path, dest)
    return target


def _join(target, name):
    return f"{target.rstrip('/')}/{name}" if urls.is_remote(target) else os.path.join(target, name)
