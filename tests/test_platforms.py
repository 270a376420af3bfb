"""Tests for the platform table (`modelmaker.platforms`): each platform's environment mapped onto
modelmaker's locations and parameters, and, through `python -m modelmaker.train` in a
subprocess, data read from and checkpoints, events and the export written where SageMaker,
Vertex AI and ModelArts expect them (temporary folders stand in for /opt/ml and gs://)."""

import glob
import json
import os

import pytest

from modelmaker import environment, platforms
from modelmaker.errors import ParamsError
from tests.conftest import REPO, run_cli
from tests.modules.channels import write_csv

CHANNELS = os.path.join(REPO, "tests", "modules", "channels.py")
FAST = {"train_max_steps": 6, "save_checkpoints_steps": 3, "eval_steps": 1, "eval_throttle_secs": 0}


def test_sagemaker_maps_channels_hyperparameters_model_and_output_folders(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    env = {"SM_MODEL_DIR": str(tmp_path / "model"), "SM_CHANNEL_TRAIN": "/d/train",
           "SM_CHANNEL_TRAINING": "/d/training", "SM_CHANNEL_VALIDATION": "/d/val",
           "SM_HPS": '{"learning_rate": "0.05", "batch_size": 16, "name": "x"}',
           "SM_OUTPUT_DATA_DIR": "/o/data", "PATH": "/bin"}
    p = platforms.recognise(env)
    assert p.name == "SageMaker" and p.banner().startswith("platform: SageMaker (")
    assert "SM_MODEL_DIR" in p.signs and "PATH" not in p.signs
    assert p.locations["data_url"] == "/d/training", "the `training` channel wins over `train`"
    assert p.sources["data_url"] == "SageMaker SM_CHANNEL_TRAINING"
    assert p.locations["train_url"] == str(tmp_path / "checkpoints"), "/opt/ml/checkpoints when there"
    assert p.export_target("ignored") == str(tmp_path / "model") and p.export_layout == platforms.VERSIONS
    assert p.locations["failure_file"] == "/opt/ml/output/failure"
    assert dict(p.layers) == {"SageMaker SM_HPS": {"learning_rate": 0.05, "batch_size": 16, "name": "x"},
                              "SageMaker SM_CHANNEL_VALIDATION": {"eval_data_url": "/d/val"}}


def test_sagemaker_without_checkpoints_folder_or_known_channel_names(tmp_path):
    p = platforms.recognise({"SM_MODEL_DIR": str(tmp_path / "model"), "SM_CHANNEL_IMAGES": "/d/img",
                             "SM_CHANNEL_EVAL": "/d/eval", "SM_OUTPUT_DATA_DIR": "/o/data",
                             "SM_OUTPUT_DIR": "/o"})
    assert p.locations["data_url"] == "/d/img", "the only channel that is not an evaluation channel"
    assert p.locations["train_url"] == "/o/data/model_dir"
    assert p.locations["failure_file"] == "/o/failure"


def test_vertex_maps_its_folders_and_cluster_spec():
    spec = {"cluster": {"workerpool0": ["h0:2222"], "workerpool1": ["h1:2222"], "workerpool2": ["h2:2222"]},
            "task": {"type": "workerpool1", "index": 0}, "environment": "cloud"}
    env = environment.read({"AIP_MODEL_DIR": "gs://b/model", "AIP_CHECKPOINT_DIR": "gs://b/ckpt",
                            "AIP_TENSORBOARD_LOG_DIR": "gs://b/logs", "CLUSTER_SPEC": json.dumps(spec),
                            "AIP_TRAINING_DATA_URI": "gs://b/ds/training-*", "AIP_VALIDATION_DATA_URI": "gs://b/v"})
    p = env.platform
    assert p.name == "Vertex AI" and p.export_layout == platforms.FLAT
    assert p.locations == {"data_url": "gs://b/ds", "train_url": "gs://b/ckpt", "export_to": "gs://b/model",
                           "events_to": "gs://b/logs"}
    assert dict(p.layers) == {"Vertex AI AIP_VALIDATION_DATA_URI": {"eval_data_url": "gs://b/v"}}
    cluster = env.cluster()
    assert (cluster.task_type, cluster.task_index) == ("worker", 0)
    assert cluster.jobs == {"chief": ("h0:2222",), "worker": ("h1:2222",), "ps": ("h2:2222",)}


def test_vertex_leaves_a_bigquery_table_to_the_input_functions():
    p = platforms.recognise({"AIP_TRAINING_DATA_URI": "bq://project.dataset.table", "AIP_MODEL_DIR": "/m"})
    assert "data_url" not in p.locations and p.locations["export_to"] == "/m"


def test_tf_config_wins_over_cluster_spec_and_a_bad_spec_is_named():
    env = environment.read({"CLUSTER_SPEC": "{not json", "TF_CONFIG": '{"cluster": {}, "task": {}}'})
    assert env.platform.name == "Vertex AI" and env.tf_config_source == "TF_CONFIG"
    with pytest.raises(ParamsError, match="CLUSTER_SPEC is not Vertex AI's cluster spec"):
        environment.read({"CLUSTER_SPEC": "{not json"})


def test_modelarts_local_and_malformed_hyperparameters():
    p = platforms.recognise({"MA_JOB_DIR": "/home/ma-user/modelarts/user-job-dir", "HOME": "/root"})
    assert p.name == "ModelArts" and p.signs == ("MA_JOB_DIR",)
    assert p.export_target("obs://b/out/") == "obs://b/out/model"
    assert platforms.recognise({"HOME": "/root", "MAIL": "x"}) is platforms.LOCAL_PLATFORM
    assert platforms.LOCAL_PLATFORM.banner() is None
    with pytest.raises(ParamsError, match="SM_HPS must be a JSON object"):
        platforms.recognise({"SM_HPS": "[1]"})


def test_docs_show_the_table_of_the_code():
    with open(os.path.join(REPO, "docs", "platforms.md"), encoding="utf-8") as f:
        assert platforms.table_markdown() in f.read(), "run platforms.table_markdown() and paste it"


def _files(folder, pattern):
    return sorted(os.path.relpath(p, folder) for p in glob.glob(os.path.join(folder, pattern), recursive=True))


def _trained(folder):
    """Checkpoints and training and evaluation events in `folder` (a train_url)."""
    return (_files(folder, "model.ckpt-6.index") and _files(folder, "events.out.tfevents.*")
            and _files(folder, "eval/events.out.tfevents.*"))


@pytest.mark.slow
def test_sagemaker_job(tmp_path):
    ml = tmp_path / "opt_ml"  # /opt/ml
    write_csv(str(ml / "input" / "data" / "training"))
    write_csv(str(ml / "input" / "data" / "eval"))
    os.remove(ml / "input" / "data" / "training" / "eval.csv")  # each file in one channel only
    os.remove(ml / "input" / "data" / "eval" / "train.csv")
    (ml / "checkpoints").mkdir()
    env = {"SM_MODEL_DIR": str(ml / "model"), "SM_CHANNEL_TRAINING": str(ml / "input" / "data" / "training"),
           "SM_CHANNEL_EVAL": str(ml / "input" / "data" / "eval"), "SM_OUTPUT_DIR": str(ml / "output"),
           "SM_OUTPUT_DATA_DIR": str(ml / "output" / "data"), "SM_HPS": json.dumps(dict(FAST, lr="0.05"))}
    proc = run_cli(["--user_module", CHANNELS, "--lr", "0.05", "--report"], cwd=str(tmp_path), env=env)
    assert proc.returncode == 0, proc.stderr
    assert "platform: SageMaker (SM_CHANNEL_EVAL, SM_CHANNEL_TRAINING, SM_HPS, SM_MODEL_DIR" in proc.stderr
    assert f"data_url {ml}/input/data/training (from SageMaker SM_CHANNEL_TRAINING)" in proc.stderr
    assert _trained(str(ml / "checkpoints")), os.listdir(ml / "checkpoints")
    assert _files(str(ml / "model"), "*/saved_model.pb") == ["1/saved_model.pb"]
    assert _files(str(ml / "output" / "data"), "analysis/eval/model_analysis_results.json")
    params = json.loads((ml / "checkpoints" / "params.json").read_text())
    assert params["train_max_steps"] == 6 and params["lr"] == 0.05
    assert params["eval_data_url"] == str(ml / "input" / "data" / "eval")
    assert not (ml / "output" / "failure").exists()


@pytest.mark.slow
def test_sagemaker_failure_file_and_exit_code(tmp_path):
    env = {"SM_MODEL_DIR": str(tmp_path / "model"), "SM_OUTPUT_DIR": str(tmp_path / "output"),
           "SM_HPS": json.dumps({"train_max_steps": "many"})}
    proc = run_cli(["--user_module", CHANNELS], cwd=str(tmp_path), env=env)
    assert proc.returncode == 2, proc.stderr
    failure = (tmp_path / "output" / "failure").read_text()
    assert "train_max_steps" in failure and "SageMaker SM_HPS" in failure and "exit code 2" in failure


@pytest.mark.slow
def test_vertex_job(tmp_path):
    gcs = tmp_path / "gcs"  # gs://bucket
    write_csv(str(gcs / "data" / "training"))
    write_csv(str(gcs / "data" / "validation"))
    os.remove(gcs / "data" / "training" / "eval.csv")
    env = {"AIP_MODEL_DIR": str(gcs / "out" / "model"), "AIP_CHECKPOINT_DIR": str(gcs / "out" / "checkpoints"),
           "AIP_TENSORBOARD_LOG_DIR": str(gcs / "out" / "logs"),
           "AIP_TRAINING_DATA_URI": str(gcs / "data" / "training" / "train-*"),
           "AIP_VALIDATION_DATA_URI": str(gcs / "data" / "validation")}
    proc = run_cli(["--user_module", CHANNELS, *[f"--{k}={v}" for k, v in FAST.items()]],
                   cwd=str(tmp_path), env=env)
    assert proc.returncode == 0, proc.stderr
    assert "platform: Vertex AI (AIP_CHECKPOINT_DIR, AIP_MODEL_DIR" in proc.stderr
    assert _trained(str(gcs / "out" / "checkpoints"))
    assert _files(str(gcs / "out" / "model"), "saved_model.pb") == ["saved_model.pb"]
    assert _files(str(gcs / "out" / "logs"), "events.out.tfevents.*")
    assert _files(str(gcs / "out" / "logs"), "eval/events.out.tfevents.*")


@pytest.mark.slow
def test_modelarts_job(tmp_path):
    write_csv(str(tmp_path / "obs" / "data"))
    train_url = tmp_path / "obs" / "out"
    proc = run_cli(["--user_module", CHANNELS, "--data_url", str(tmp_path / "obs" / "data"),
                    "--train_url", str(train_url), "--init_method", "tcp://127.0.0.1:1",
                    *[f"--{k}={v}" for k, v in FAST.items()]], cwd=str(tmp_path),
                   env={"MA_JOB_DIR": str(tmp_path / "job")})
    assert proc.returncode == 0, proc.stderr
    assert "platform: ModelArts (MA_JOB_DIR)" in proc.stderr
    assert "ignoring arguments modelmaker does not use: --init_method tcp://127.0.0.1:1" in proc.stderr
    assert _trained(str(train_url))
    assert _files(str(train_url), "export/model/1/saved_model.pb")
    assert _files(str(train_url), "model/saved_model.pb") == ["model/saved_model.pb"]
