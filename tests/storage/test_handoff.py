"""Tests for `modelmaker.storage.handoff`: a finished run's export, events and analysis copied
to where SageMaker, Vertex AI and ModelArts read them, locally and to an object store."""

import os

import pytest

from modelmaker import environment, layout, platforms
from modelmaker.storage import handoff


def _run_folder(root):
    """A model directory as a finished run leaves it: two export versions, events, analysis."""
    model_dir = root / "run"
    for version in ("1", "2"):
        folder = model_dir / layout.EXPORT_DIR / "model" / version / "variables"
        folder.mkdir(parents=True)
        (folder.parent / "saved_model.pb").write_text(f"model {version}")
        (folder / "variables.index").write_text(version)
    (model_dir / "events.out.tfevents.1.host").write_text("train")
    (model_dir / layout.EVAL_DIR).mkdir()
    (model_dir / layout.EVAL_DIR / "events.out.tfevents.2.host").write_text("eval")
    (model_dir / "model.ckpt-6.index").write_text("ckpt")
    (model_dir / layout.ANALYSIS_DIR / "eval").mkdir(parents=True)
    (model_dir / layout.ANALYSIS_DIR / "eval" / "model_analysis_results.json").write_text("{}")
    return model_dir


def _tree(folder):
    return sorted(os.path.relpath(os.path.join(r, n), folder) for r, _, names in os.walk(folder) for n in names)


def _deliver(tmp_path, variables):
    """A finished run handed off to the platform `variables` describe; returns (platform, run folder)."""
    model_dir = _run_folder(tmp_path)
    platform = platforms.recognise(variables)
    handoff.deliver(platform, model_dir=str(model_dir), train_url=str(model_dir), export_name="model",
                    settings=environment.read({}).storage)
    return platform, model_dir


def test_sagemaker_gets_the_newest_version_and_the_analysis(tmp_path):
    platform, model_dir = _deliver(tmp_path, {"SM_MODEL_DIR": str(tmp_path / "ml" / "model"),
                                              "SM_OUTPUT_DATA_DIR": str(tmp_path / "ml" / "data")})
    assert _tree(tmp_path / "ml" / "model") == ["2/saved_model.pb", "2/variables/variables.index"]
    assert (tmp_path / "ml" / "model" / "2" / "saved_model.pb").read_text() == "model 2"
    handoff.deliver_analysis(platform, model_dir=str(model_dir), settings=environment.read({}).storage)
    assert _tree(tmp_path / "ml" / "data") == ["analysis/eval/model_analysis_results.json"]


def test_vertex_gets_a_flat_export_and_the_event_files(tmp_path):
    platform, model_dir = _deliver(tmp_path, {"AIP_MODEL_DIR": str(tmp_path / "gcs" / "model"),
                                              "AIP_TENSORBOARD_LOG_DIR": str(tmp_path / "gcs" / "logs")})
    assert _tree(tmp_path / "gcs" / "model") == ["saved_model.pb", "variables/variables.index"]
    assert _tree(tmp_path / "gcs" / "logs") == ["eval/events.out.tfevents.2.host", "events.out.tfevents.1.host"]
    assert handoff.deliver_analysis(platform, model_dir=str(model_dir), settings=None) is None


def test_nothing_is_copied_without_an_export_or_a_destination(tmp_path):
    platform = platforms.recognise({"SM_MODEL_DIR": str(tmp_path / "model")})
    assert handoff.deliver(platform, model_dir=str(tmp_path), train_url=str(tmp_path), export_name="model",
                           settings=None) == []
    assert not (tmp_path / "model").exists()


@pytest.mark.slow
def test_modelarts_gets_the_model_folder_in_an_object_store_train_url(s3_env, s3fs_client, bucket, tmp_path):
    model_dir = _run_folder(tmp_path)
    platform = platforms.recognise({"MA_JOB_DIR": "/job"})
    handoff.deliver(platform, model_dir=str(model_dir), train_url=f"s3://{bucket}/out", export_name="model",
                    settings=environment.read().storage)
    found = sorted(p.split("/", 1)[1] for p in s3fs_client.find(bucket))
    assert found == ["out/model/saved_model.pb", "out/model/variables/variables.index"]
