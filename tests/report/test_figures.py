"""The figures are valid PNGs with real content; the curves come from real event files."""

import numpy as np
import pytest
import tensorflow as tf
from matplotlib import image as mpl_image

from modelmaker.report import analysis, events, figures

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png_with_content(path):
    """A PNG that decodes to a picture with more than a blank background."""
    with open(path, "rb") as f:
        assert f.read(8) == PNG_SIGNATURE, f"{path} is not a PNG"
    pixels = mpl_image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert pixels[..., :3].std() > 0.05, f"{path} is nearly uniform"
    assert len(np.unique(pixels[..., :3].reshape(-1, 3), axis=0)) > 20, f"{path} has too few colours"


@pytest.fixture
def classified():
    rng = np.random.RandomState(0)
    labels = rng.randint(0, 4, 200)
    predictions = np.where(rng.rand(200) < 0.7, labels, rng.randint(0, 4, 200))
    probs = rng.dirichlet(np.ones(4), 200)
    probs[np.arange(200), predictions] += 1
    probs /= probs.sum(axis=1, keepdims=True)
    return labels, predictions, probs


def test_classification_figures(classified, tmp_path):
    labels, predictions, probs = classified
    result = analysis.classification(labels, predictions, num_classes=4, probabilities=probs)
    names = ["ant", "bee", "cat", "dog"]
    images = np.random.RandomState(1).rand(200, 12, 12, 3)
    paths = [figures.confusion_matrix(result["confusion_matrix"], names, tmp_path / "cm.png"),
             figures.per_class(result["per_class"], tmp_path / "pc.png"),
             figures.confidence(probs.max(axis=1), labels == predictions, tmp_path / "conf.png"),
             figures.worst_confused(images[:50], labels, predictions, probs.max(axis=1), names,
                                    tmp_path / "worst.png")]
    for path in paths:
        assert_png_with_content(path)


def test_worst_confused_needs_a_mistake(tmp_path):
    same = np.array([0, 1, 1])
    assert figures.worst_confused(np.zeros((3, 8, 8)), same, same, None, ["a", "b"],
                                  tmp_path / "w.png") is None


def test_regression_figure(tmp_path):
    rng = np.random.RandomState(0)
    labels = rng.randn(300)
    assert_png_with_content(figures.regression(labels, labels + 0.3 * rng.randn(300), tmp_path / "r.png"))


def test_training_curves_from_event_files(tmp_path):
    for folder, tag, values in (("", "loss", [2.0, 1.0, 0.5]), ("eval", "accuracy", [0.3, 0.6, 0.9])):
        with tf.summary.create_file_writer(str(tmp_path / folder)).as_default():
            for step, value in enumerate(values):
                tf.summary.scalar(tag, value, step=step * 10)
    curves = events.read_curves(str(tmp_path))
    assert curves["train"]["loss"] == [(0, 2.0), (10, 1.0), (20, 0.5)]
    assert [v for _, v in curves["eval"]["accuracy"]] == pytest.approx([0.3, 0.6, 0.9])
    assert_png_with_content(figures.curves(curves, tmp_path / "curves.png"))
    assert figures.curves({}, tmp_path / "none.png") is None, "no events, no figure"


def test_a_cut_event_file_keeps_what_was_read(tmp_path):
    with tf.summary.create_file_writer(str(tmp_path)).as_default():
        for step in range(5):
            tf.summary.scalar("loss", 1.0 / (step + 1), step=step)
    (path,) = tmp_path.glob("events.out.tfevents.*")
    data = path.read_bytes()
    path.write_bytes(data[:-7])  # a writer killed mid-record
    points = events.read_curves(str(tmp_path))["train"]["loss"]
    assert [step for step, _ in points] == [0, 1, 2, 3]
