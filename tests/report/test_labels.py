"""The report speaks the user's labels: class names from the data (a dataset's `class_names`)
or the `class_names` parameter, samples named by file (`report_name_key`), and a per-class
chart that still shows differences when every class scores near 1."""

import json
import re

import numpy as np
import pytest
from matplotlib import image as mpl_image

from modelmaker.commands import cli
from modelmaker import fit, scaffold
from tests.conftest import FAST, run_cli

# Predicts the `hint` feature, which is the label except for sample 0 (an ant taken for a bee):
# precision ant 1, bee 20/21, cat 1; recall ant 19/20, bee 1, cat 1. Its datasets carry
# class_names, as tf.keras.utils.image_dataset_from_directory's do.
NEAR_PERFECT = '''
import numpy as np
import tensorflow as tf

def _data(params):
    labels = (np.arange(60) % 3).astype("int32")
    hint = labels.copy()
    hint[0] = 1
    files = np.array([f"{'abc'[l]}/{i:02d}.png" for i, l in enumerate(labels)])
    return {"hint": hint, "file": files}, labels

def model_fn(features, labels, mode, params):
    bias = tf.compat.v1.get_variable("bias", [3], initializer=tf.compat.v1.zeros_initializer())
    logits = 10.0 * tf.one_hot(features["hint"], 3) + bias
    predictions = {"class_id": tf.argmax(logits, axis=1), "probabilities": tf.nn.softmax(logits)}
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions=predictions)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train_op = tf.compat.v1.train.GradientDescentOptimizer(0.01).minimize(
        loss, global_step=tf.compat.v1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

def _named(dataset, params):
    dataset.class_names = params.get("dataset_class_names", ["ant", "bee", "cat"])
    return dataset

def train_input_fn(path, params):
    return _named(tf.data.Dataset.from_tensor_slices(_data(params)).repeat().batch(16), params)

def eval_input_fn(path, params):
    return _named(tf.data.Dataset.from_tensor_slices(_data(params)).batch(16), params)

def serving_input_receiver_fn():
    hint = tf.compat.v1.placeholder(tf.int32, [None], name="hint")
    return tf.estimator.export.ServingInputReceiver({"hint": hint}, {"hint": hint})
'''

TAB_BLUE = np.array([31, 119, 180]) / 255  # matplotlib's first colour: the precision bars


def read(folder):
    with open(folder / "model_analysis_results.json", encoding="utf-8") as f:
        results = json.load(f)
    with open(folder / "all_samples.json", encoding="utf-8") as f:
        samples = json.load(f)
    return results, samples, np.load(folder / "tmp_model_analysis.npz")


def bar_heights(path, colour):
    """Pixel heights of the bars drawn in `colour` (runs of columns at least 8 px wide and
    15 px tall: the legend's small patch is not a bar)."""
    pixels = mpl_image.imread(str(path))[..., :3]
    mask = np.all(np.abs(pixels - colour) < 0.02, axis=-1)
    columns = np.flatnonzero(mask.any(axis=0))
    runs = np.split(columns, np.flatnonzero(np.diff(columns) > 1) + 1)
    heights = []
    for run in runs:
        rows = np.flatnonzero(mask[:, run[len(run) // 2]])
        if len(run) >= 8 and rows.size and rows[-1] - rows[0] >= 15:
            heights.append(rows[-1] - rows[0] + 1)
    return heights


def evaluate(*args):
    return cli.main(["evaluate", *args])


def test_class_names_from_the_data_the_parameter_and_a_readable_chart(write_module, tmp_path, capsys):
    module = write_module(NEAR_PERFECT, name="nearly")
    out = tmp_path / "out"
    fit(module, dict(FAST, train_max_steps=2), train_url=str(out))

    assert evaluate("--user_module", module, "--train_url", str(out), "--set",
                    "report_name_key=file") == 0
    folder = out / "analysis" / "eval"
    results, samples, arrays = read(folder)
    assert results["class_names"] == ["ant", "bee", "cat"], "the dataset's class_names"
    assert [r["name"] for r in results["per_class"]] == ["ant", "bee", "cat"]
    assert results["most_confused"] == [{"label": "ant", "prediction": "bee", "count": 1}]
    first = samples["samples"][0]
    assert (first["name"], first["label_name"], first["prediction_name"]) == ("a/00.png", "ant", "bee")
    assert json.loads(str(arrays["label_map_dict"])) == {"0": "ant", "1": "bee", "2": "cat"}
    assert arrays["name_list"][:2].tolist() == ["a/00.png", "b/01.png"]

    # Precision 1, 0.952, 1: on an axis from 0 the bars differ by 5%; the chart must show it.
    heights = bar_heights(folder / "per_class.png", TAB_BLUE)
    assert len(heights) == 3, heights
    assert (max(heights) - min(heights)) / max(heights) > 0.3, heights

    # The parameter wins over the data; the parameter's older name still sets it.
    for key in ("class_names", "report_class_names"):
        assert evaluate("--user_module", module, "--train_url", str(out), "--output",
                        str(tmp_path / key), "--set", f"{key}=[fourmi, abeille, chat]") == 0
        assert read(tmp_path / key / "eval")[0]["class_names"] == ["fourmi", "abeille", "chat"]

    capsys.readouterr()
    assert evaluate("--user_module", module, "--train_url", str(out), "--set",
                    "dataset_class_names=ant") == 2
    err = capsys.readouterr().err
    assert "returned a dataset whose class_names is 'ant'; it must be a list of names" in err


@pytest.mark.slow
def test_image_template_report_names_classes_by_folder_and_samples_by_file(tmp_path):
    project = tmp_path / "proj"
    scaffold.create(project, template="image-classifier")
    out = tmp_path / "out"
    done = run_cli(["--user_module", "mymodel", "--train_url", str(out), "--set", "train_max_steps=4",
                    "--set", "save_checkpoints_steps=4", "--report"], cwd=str(project))
    assert done.returncode == 0, done.stderr[-3000:]
    results, samples, arrays = read(out / "analysis" / "eval")
    assert results["class_names"] == ["circle", "square", "triangle"]
    assert len(samples["samples"]) == 30
    for sample in samples["samples"]:
        folder = re.fullmatch(r"(circle|square|triangle)/\1_\d{3}\.png", sample["name"])
        assert folder and folder.group(1) == sample["label_name"], sample
    assert json.loads(str(arrays["label_map_dict"]))["2"] == "triangle"
