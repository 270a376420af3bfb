"""`modelmaker check` and `modelmaker evaluate` take the object-storage URLs that `train` takes,
through the same staging and cache, with the same one-line errors (issue 16, item 5)."""

import json
import os

import pytest

from modelmaker import api
from modelmaker.commands import check
from modelmaker.commands import evaluate as evaluate_command
from tests.storage.conftest import SECRET, free_port
from tests.storage.test_train import FILES, PARAMS, _upload_csv

CHECK_FAST = ["--eval_steps", "1", "--eval_throttle_secs", "0"]


@pytest.mark.slow
def test_check_stages_remote_data_and_reads_the_remote_train_url(s3fs_client, bucket, tmp_path, capsys):
    data_url = _upload_csv(s3fs_client, bucket, tmp_path)
    code = check.main(["--user_module", FILES, "--data_url", data_url,
                       "--train_url", f"s3://{bucket}/out", *CHECK_FAST])
    out = capsys.readouterr().out
    assert code == 0, out
    staged = os.path.join(os.environ["MODELMAKER_CACHE_DIR"], "data", "s3", bucket, "data")
    assert f"{data_url} staged to {staged}" in out
    assert f"s3://{bucket}/out can be read" in out
    assert os.path.isfile(os.path.join(staged, "train.csv"))  # the cache train uses
    assert not s3fs_client.exists(f"{bucket}/out"), "check writes nothing to --train_url"


def _failed_row(out, name):
    return next(line for line in out.splitlines() if line.startswith(name) and " fail " in line)


@pytest.mark.slow
def test_check_gives_trains_one_line_errors_for_credentials_and_endpoint(s3_env, bucket, monkeypatch,
                                                                         capsys):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert check.main(["--user_module", FILES, "--data_url", f"s3://{bucket}/data"]) == 2
    row = _failed_row(capsys.readouterr().out, "data_url")
    assert "cannot list s3://" in row and "Unable to locate credentials" in row and "AWS_PROFILE" in row

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTESTING")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    assert check.main(["--user_module", FILES, "--train_url", f"s3://{bucket}/out"]) == 2
    out = capsys.readouterr().out
    row = _failed_row(out, "train_url")
    assert "Could not connect" in row and "from AWS_ENDPOINT_URL" in row
    assert SECRET not in out


@pytest.mark.slow
def test_evaluate_reads_remote_data_and_train_url_and_uploads_the_report(s3fs_client, bucket, tmp_path,
                                                                         capfd):
    data_url = _upload_csv(s3fs_client, bucket, tmp_path)
    train_url = f"s3://{bucket}/run"
    trained = api.fit(FILES, dict(PARAMS, eval_steps=None), data_url=data_url, train_url=train_url)
    cache = os.environ["MODELMAKER_CACHE_DIR"]
    os.rename(cache, cache + "-old")  # another machine: nothing cached

    code = evaluate_command.main(["--user_module", FILES, "--data_url", data_url,
                                  "--train_url", train_url])
    err = capfd.readouterr().err
    assert code == 0, err
    results = json.loads(s3fs_client.cat_file(f"{bucket}/run/analysis/eval/model_analysis_results.json"))
    assert results["run"]["global_step"] == 10
    assert results["overall"]["accuracy"] == trained.metrics["accuracy"]
    assert s3fs_client.exists(f"{bucket}/run/analysis/eval/report.html")
    assert f"report uploaded to {train_url}/analysis" in err
    local = os.path.join(cache, "train", "s3", bucket, "run")
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(local)), "curves pulled"
    assert os.path.isfile(os.path.join(cache, "data", "s3", bucket, "data", "eval.csv"))


@pytest.mark.slow
def test_evaluate_without_credentials_is_one_line_exit_2(s3_env, bucket, monkeypatch, capfd):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    code = evaluate_command.main(["--user_module", FILES, "--train_url", f"s3://{bucket}/run"])
    err = capfd.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith(f"modelmaker: error: cannot write to s3://{bucket}/run: Unable to locate")


@pytest.mark.slow
def test_evaluate_a_remote_train_url_without_checkpoints_names_the_url(s3_env, bucket, tmp_path, capfd):
    code = evaluate_command.main(["--user_module", FILES, "--train_url", f"s3://{bucket}/empty",
                                  "--output", str(tmp_path / "report")])
    errors = [line for line in capfd.readouterr().err.splitlines() if "error" in line]
    assert code == 2 and len(errors) == 1, errors
    assert f"--train_url 's3://{bucket}/empty' holds no checkpoint to evaluate" in errors[0]
    assert os.environ["MODELMAKER_CACHE_DIR"] not in errors[0]
