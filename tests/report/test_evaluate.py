"""End to end: `modelmaker train --report` and `modelmaker evaluate` on tiny trained models."""

import json
import os

import numpy as np
import pytest

from modelmaker.commands import cli
from modelmaker import fit, config as params_lib
from modelmaker.errors import CheckpointError
from modelmaker.report import evaluate as report
from tests.conftest import FAST, TINY, flags, run_cli
from tests.report.test_figures import assert_png_with_content

RESULTS, SAMPLES, ARRAYS = "model_analysis_results.json", "all_samples.json", "tmp_model_analysis.npz"
TINY_EVAL_SAMPLES = 64  # tests/modules/tiny.py: eval_input_fn yields 64 samples

REGRESSION = '''
import numpy as np
import tensorflow as tf

def _data(n, seed):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 2).astype("float32")
    return {"x": x}, (2 * x[:, 0] - x[:, 1] + 0.1 * rng.randn(n)).astype("float32")

def model_fn(features, labels, mode, params):
    value = tf.keras.layers.Dense(1)(features["x"])
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"predictions": value})
    loss = tf.reduce_mean(tf.square(value[:, 0] - labels))
    train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(
        loss, global_step=tf.compat.v1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

def train_input_fn(path, params):
    return tf.data.Dataset.from_tensor_slices(_data(256, 0)).repeat().batch(32)

def eval_input_fn(path, params):
    return tf.data.Dataset.from_tensor_slices(_data(params["n_eval"], 1)).batch(32)

def serving_input_receiver_fn():
    x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
    return tf.estimator.export.ServingInputReceiver({"x": x}, {"x": x})
'''

IMAGES = '''
import numpy as np
import tensorflow as tf

def _data(n, seed):
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 2, n).astype("int32")
    images = rng.rand(n, 8, 8).astype("float32")
    images[labels == 1, 2:6, 2:6] += 1.0  # class 1: a bright square
    names = np.array([f"img_{i:03d}.png" for i in range(n)])
    return {"image": images, "file": names}, labels

def model_fn(features, labels, mode, params):
    logits = tf.keras.layers.Dense(2)(tf.reshape(features["image"], [-1, 64]))
    predictions = {"class_id": tf.argmax(logits, axis=1), "probabilities": tf.nn.softmax(logits)}
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions=predictions)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train_op = tf.compat.v1.train.GradientDescentOptimizer(0.05).minimize(
        loss, global_step=tf.compat.v1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

def train_input_fn(path, params):
    return tf.data.Dataset.from_tensor_slices(_data(128, 0)).repeat().batch(16)

def eval_input_fn(path, params):
    return tf.data.Dataset.from_tensor_slices(_data(48, 1)).batch(16)

def serving_input_receiver_fn():
    image = tf.compat.v1.placeholder(tf.float32, [None, 8, 8], name="image")
    return tf.estimator.export.ServingInputReceiver({"image": image}, {"image": image})
'''


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`modelmaker train --report` on the tiny classifier; returns (train_url, process)."""
    out = tmp_path_factory.mktemp("report") / "out"
    # eval_steps null: the evaluation, and so the eval report, covers all 64 samples.
    proc = run_cli(["train", "--user_module", TINY, "--train_url", str(out), "--report",
                    *flags(dict(FAST, eval_steps=None))], module="modelmaker.cli")
    assert proc.returncode == 0, proc.stderr
    return out, proc


def read_split(folder):
    with open(folder / RESULTS) as f:
        results = json.load(f)
    with open(folder / SAMPLES) as f:
        samples = json.load(f)
    return results, samples, np.load(folder / ARRAYS)


@pytest.mark.slow
def test_train_report_writes_the_eval_report(trained):
    out, proc = trained
    folder = out / "analysis" / "eval"
    results, samples, arrays = read_split(folder)
    assert results["task"] == "classification" and results["run"]["split"] == "eval"
    assert results["run"]["global_step"] == FAST["train_max_steps"]
    assert results["num_samples"] == len(samples["samples"]) == TINY_EVAL_SAMPLES
    assert np.sum(results["confusion_matrix"]) == TINY_EVAL_SAMPLES
    # The three files agree with each other.
    labels, predictions = arrays["label_list"], arrays["predictions"]
    assert results["overall"]["accuracy"] == pytest.approx(np.mean(labels == predictions))
    assert [s["label"] for s in samples["samples"]] == labels.tolist()
    assert [s["prediction"] for s in samples["samples"]] == arrays["pred_list"].argmax(axis=1).tolist()
    assert arrays["pred_list"].shape == (TINY_EVAL_SAMPLES, 3), "pred_list holds the probabilities"
    assert json.loads(str(arrays["label_map_dict"])) == {"0": "0", "1": "1", "2": "2"}
    for name in ("confusion_matrix.png", "per_class.png", "confidence.png", "training_curves.png"):
        assert_png_with_content(folder / name)
    assert not (folder / "worst_confused.png").exists(), "tiny's inputs are not images"
    page = (folder / "report.html").read_text()
    assert page.count("src='data:image/png;base64,") == 4
    assert f"{results['overall']['accuracy']:.4f}" in page
    assert "report | eval | accuracy" in proc.stderr


@pytest.mark.slow
def test_evaluate_cli_both_splits_to_an_output_folder(trained, tmp_path):
    out, _ = trained
    code = cli.main(["evaluate", "--user_module", TINY, "--train_url", str(out), "--split", "both",
                     "--output", str(tmp_path / "rep"), "--report_max_samples=40"])
    assert code == 0
    train_results, train_samples, _ = read_split(tmp_path / "rep" / "train")
    assert train_results["run"]["split"] == "train"
    assert train_results["num_samples"] == 40 and train_results["run"]["capped"] is True, \
        "train_input_fn repeats forever: report_max_samples stops it"
    eval_results, _, _ = read_split(tmp_path / "rep" / "eval")
    assert eval_results["num_samples"] == 40
    assert [s["index"] for s in train_samples["samples"]] == list(range(40))


@pytest.mark.slow
def test_evaluate_an_export_gives_the_checkpoint_numbers(trained, tmp_path):
    out, _ = trained
    (report_,) = report.evaluate(TINY, train_url=str(out), export=str(out / "export" / "model"),
                                 output=str(tmp_path))
    checkpoint_results, _, _ = read_split(out / "analysis" / "eval")
    assert report_.results["run"]["checkpoint"] == str(out / "export" / "model" / "1")
    assert report_.results["confusion_matrix"] == checkpoint_results["confusion_matrix"]


def test_without_a_checkpoint_the_error_is_one_line(tmp_path, capsys):
    assert cli.main(["evaluate", "--user_module", TINY, "--train_url", str(tmp_path)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("modelmaker: error: ") and "holds no checkpoint to evaluate" in line
    with pytest.raises(CheckpointError):
        report.evaluate(TINY, train_url=str(tmp_path))


def test_on_sagemaker_the_checkpoints_folder_is_the_train_url(tmp_path, capsys, monkeypatch):
    (tmp_path / "checkpoints").mkdir()
    monkeypatch.setenv("SM_MODEL_DIR", str(tmp_path / "model"))
    assert cli.main(["evaluate", "--user_module", TINY]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "checkpoints") in err and "holds no checkpoint to evaluate" in err, err


def test_regression_report(write_module, tmp_path):
    module = write_module(REGRESSION, name="regress")
    fit(module, dict(FAST, train_max_steps=40, n_eval=50), train_url=str(tmp_path / "out"))
    # n_eval comes from the training run's params.json; the output folder is the default.
    (report_,) = report.evaluate(module, train_url=str(tmp_path / "out"))
    results, samples, arrays = read_split(tmp_path / "out" / "analysis" / "eval")
    assert results["task"] == "regression" and results["num_samples"] == 50
    overall = results["overall"]
    residuals = arrays["pred_list"].ravel() - arrays["label_list"].ravel()
    assert overall["mae"] == pytest.approx(np.abs(residuals).mean())
    assert overall["rmse"] == pytest.approx(np.sqrt((residuals ** 2).mean()))
    assert overall["r2"] > 0.5, "40 steps of SGD fit a linear target"
    assert samples["samples"][0]["residual"] == pytest.approx(float(residuals[0]), abs=1e-6)
    assert_png_with_content(tmp_path / "out" / "analysis" / "eval" / "regression.png")
    assert "R²" in (tmp_path / "out" / "analysis" / "eval" / "report.html").read_text()


def test_training_params_sit_under_the_given_ones(tmp_path):
    (tmp_path / "params.json").write_text(json.dumps({"save_checkpoints_steps": 5,
                                                      "save_checkpoints_secs": None,
                                                      "batch": 5, "lr": 0.1}))
    given = params_lib.resolve([params_lib.Layer("the command line", {"batch": 3})])
    merged = report.with_training_params(given, str(tmp_path))
    assert (merged["batch"], merged["lr"], merged["save_checkpoints_steps"]) == (3, 0.1, 5)
    assert merged.sources["lr"].endswith("params.json")


def test_evaluate_is_a_verb():
    assert "evaluate" in cli.VERBS


def test_image_inputs_names_and_class_names(write_module, tmp_path):
    module = write_module(IMAGES, name="images")
    fit(module, dict(FAST, train_max_steps=3), train_url=str(tmp_path / "out"))
    (report_,) = report.evaluate(module, {"report_name_key": "file",
                                          "class_names": ["plain", "square"]},
                                 train_url=str(tmp_path / "out"))
    folder = tmp_path / "out" / "analysis" / "eval"
    results, samples, arrays = read_split(folder)
    assert results["class_names"] == ["plain", "square"]
    first = samples["samples"][0]
    assert first["name"] == "img_000.png" and first["label_name"] in ("plain", "square")
    assert arrays["name_list"][:2].tolist() == ["img_000.png", "img_001.png"]
    if results["overall"]["accuracy"] < 1:  # a mistake to show (3 steps leave plenty)
        assert_png_with_content(folder / "worst_confused.png")
        assert "Most confident mistakes" in (folder / "report.html").read_text()


@pytest.mark.slow
def test_a_repeating_train_input_counts_each_sample_once(trained, tmp_path, capfd):
    out, _ = trained
    code = cli.main(["evaluate", "--user_module", TINY, "--train_url", str(out), "--split", "train",
                     "--output", str(tmp_path / "rep"), "--report_max_samples=400"])
    assert code == 0
    results, samples, arrays = read_split(tmp_path / "rep" / "train")
    # tiny.py's train_input_fn repeats 256 samples forever: 400 read, each of the 256 kept once.
    assert results["num_samples"] == len(samples["samples"]) == len(arrays["label_list"]) == 256
    assert results["run"]["repeats"] is True and results["run"]["samples_read"] == 400
    assert np.sum(results["confusion_matrix"]) == 256
    err = capfd.readouterr().err
    assert ("report | train | 256 distinct samples from" in err
            and "(train_input_fn repeats: 400 samples read, each distinct sample kept once; stopped "
                "at report_max_samples)" in err), err
