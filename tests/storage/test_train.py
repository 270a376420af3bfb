"""End to end against the moto S3 server: remote data, remote outputs, resume, the CLI."""

import json
import os
import shutil

import pytest

from modelmaker import api
from modelmaker.commands import train
from modelmaker.storage import sync
from tests.storage.conftest import SECRET
from tests.storage import files_module

HERE = os.path.dirname(os.path.abspath(__file__))
TINY = os.path.join(HERE, "..", "modules", "tiny.py")
FILES = os.path.join(HERE, "files_module.py")
PARAMS = {"train_max_steps": 10, "save_checkpoints_steps": 5, "save_checkpoints_secs": None,
          "eval_throttle_secs": 0, "eval_steps": 2, "log_step_count_steps": 10}


def _upload_csv(fs, bucket, tmp_path):
    local = tmp_path / "csv"
    files_module.write_csv(str(local))
    fs.put(str(local) + "/", f"{bucket}/data/", recursive=True)
    return f"s3://{bucket}/data"


@pytest.mark.slow
def test_full_train_reads_remote_data_and_uploads_every_output(s3fs_client, bucket, tmp_path, capfd,
                                                                monkeypatch):
    data_url = _upload_csv(s3fs_client, bucket, tmp_path)
    pushes, real_push = [], sync.TrainUrl.push

    def push(self, *, soft=False):
        real_push(self, soft=soft)
        index = s3fs_client.cat_file(f"{bucket}/out/checkpoint").decode()
        pushes.append((soft, index.splitlines()[0]))
    monkeypatch.setattr(sync.TrainUrl, "push", push)

    result = api.fit(FILES, PARAMS, data_url=data_url, train_url=f"s3://{bucket}/out")

    # Uploaded after each checkpoint (steps 0, 5, 10), then once more after the export.
    assert [p for p in pushes if p[0]][:3] == [
        (True, f'model_checkpoint_path: "model.ckpt-{n}"') for n in (0, 5, 10)]
    assert pushes[-1][0] is False

    assert result.global_step == 10 and result.trained
    assert result.train_url == f"s3://{bucket}/out"
    assert result.export_dir == f"s3://{bucket}/out/export/{api.to_run_params(PARAMS)['export_name']}/1"
    names = {p[len(f"{bucket}/out/"):] for p in s3fs_client.find(f"{bucket}/out")}
    for name in ("checkpoint", "params.json", "result.json", "model.ckpt-10.index"):
        assert name in names
    assert any(n.startswith("events.out.tfevents") for n in names)
    assert any(n.startswith("eval/events.out.tfevents") for n in names)
    version = result.export_dir[len("s3://"):]
    assert s3fs_client.exists(f"{version}/saved_model.pb")
    assert s3fs_client.exists(f"{version}/variables/variables.index")
    # The copy of the user module is part of the published version (serve/predict use it).
    assert s3fs_client.exists(f"{version}/assets.extra/modelmaker_user_module/files_module.py")
    # The uploaded index names bare files, so another machine can resolve it.
    index = s3fs_client.cat_file(f"{bucket}/out/checkpoint").decode()
    assert 'model_checkpoint_path: "model.ckpt-10"' in index
    uploaded = json.loads(s3fs_client.cat_file(f"{bucket}/out/result.json"))
    assert uploaded["global_step"] == 10 and uploaded["train_url"] == f"s3://{bucket}/out"
    # Credentials appear nowhere: not in the records, not in the output.
    out, err = capfd.readouterr()
    for text in (out, err, s3fs_client.cat_file(f"{bucket}/out/params.json").decode(),
                 json.dumps(uploaded)):
        assert SECRET not in text
    assert "data_url s3://" in err


@pytest.mark.slow
def test_resume_from_remote_after_losing_the_local_cache(s3fs_client, bucket, capfd):
    train_url = f"s3://{bucket}/run"
    first = api.fit(TINY, PARAMS, train_url=train_url)
    assert first.global_step == 10
    shutil.rmtree(os.environ["MODELMAKER_CACHE_DIR"])  # a fresh machine

    second = api.fit(TINY, {**PARAMS, "train_max_steps": 20}, train_url=train_url)

    assert second.global_step == 20 and second.trained
    assert "resuming from step 10" in capfd.readouterr().err
    index = s3fs_client.cat_file(f"{bucket}/run/checkpoint").decode()
    assert 'model_checkpoint_path: "model.ckpt-20"' in index
    assert second.export_dir == first.export_dir[:-1] + "2"  # a new checkpoint, a new version

    # A finished job rerun on yet another machine trains nothing and reuses its export.
    shutil.rmtree(os.environ["MODELMAKER_CACHE_DIR"])
    third = api.fit(TINY, {**PARAMS, "train_max_steps": 20}, train_url=train_url)
    assert not third.trained and third.export_dir == second.export_dir


@pytest.mark.slow
def test_cli_modelarts_style_obs_run_with_cache_dir(s3fs_client, bucket, tmp_path, monkeypatch):
    data_url = _upload_csv(s3fs_client, bucket, tmp_path).replace("s3://", "obs://")
    # OBS-style setup: its own endpoint and key variables, no AWS_* at all.
    for name in ("ENDPOINT_URL", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY"):
        monkeypatch.setenv(f"OBS_{name}", os.environ[f"AWS_{name}"])
        monkeypatch.delenv(f"AWS_{name}")
    cache = tmp_path / "flag-cache"
    code = train.main(["--user_module", FILES, "--data_url", data_url, "--train_url",
                       f"obs://{bucket}/cli", "--cache_dir", str(cache), "--train_max_steps", "5",
                       "--save_checkpoints_steps", "5", "--eval_throttle_secs", "0",
                       "--eval_steps", "1", "--report"])
    assert code == 0
    assert (cache / "data" / "obs" / bucket / "data" / "train.csv").exists()
    assert s3fs_client.exists(f"{bucket}/cli/analysis/eval/model_analysis_results.json")
    assert s3fs_client.exists(f"{bucket}/cli/result.json")
    assert s3fs_client.exists(f"{bucket}/cli/export/model/1/saved_model.pb")
