"""Smoke tests of examples/mnist: the IDX reader on files the test writes, and a short
training run of the example module on generated IDX data."""

import os
import sys

import numpy as np
import pytest

import modelmaker
from modelmaker.errors import DataError
from tests.conftest import REPO

MNIST_DIR = os.path.join(REPO, "examples", "mnist")
sys.path.insert(0, MNIST_DIR)
import mnist_data  # noqa: E402


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, suffix):
    images = np.random.RandomState(0).randint(0, 256, (7, 28, 28)).astype(np.uint8)
    labels = np.arange(7, dtype=np.uint8)
    mnist_data.write_idx(str(tmp_path / f"t10k-images-idx3-ubyte{suffix}"), images)
    mnist_data.write_idx(str(tmp_path / f"t10k-labels-idx1-ubyte{suffix}"), labels)
    assert mnist_data.has_split(str(tmp_path), "test") and not mnist_data.has_split(str(tmp_path), "train")
    got_images, got_labels = mnist_data.load_split(str(tmp_path), "test")
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_idx_reader_rejects_garbage(tmp_path):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(b"\x12\x34\x56\x78rest")
    with pytest.raises(ValueError, match="not an IDX file"):
        mnist_data.read_idx(str(path))
    path.write_bytes(bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big") + b"\x00" * 3)
    with pytest.raises(ValueError, match="header says"):
        mnist_data.read_idx(str(path))


def write_fake_mnist(folder, n_train=256, n_test=64):
    rng = np.random.RandomState(1)
    for split, n in (("train", n_train), ("test", n_test)):
        labels = rng.randint(0, 10, n).astype(np.uint8)
        # Each digit lights up its own row band, so the model can learn something.
        images = rng.randint(0, 40, (n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):
            images[i, label * 2: label * 2 + 3, :] = 255
        names = mnist_data.FILES[split]
        mnist_data.write_idx(os.path.join(folder, names[0] + ".gz"), images)
        mnist_data.write_idx(os.path.join(folder, names[1] + ".gz"), labels)


def test_example_trains_and_exports_both_heads(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_fake_mnist(str(data))
    import json
    with open(os.path.join(MNIST_DIR, "parameters.json")) as f:
        params = dict(json.load(f), train_max_steps=30, save_checkpoints_steps=15)
    result = modelmaker.fit(os.path.join(MNIST_DIR, "mnist.py"), params, data_url=str(data),
                            train_url=str(tmp_path / "out"))
    assert result.global_step == 30 and 0 <= result.metrics["accuracy"] <= 1
    import tensorflow as tf
    with tf.compat.v1.Session(graph=tf.Graph()) as sess:
        meta = tf.compat.v1.saved_model.load(sess, ["serve"], result.export_dir)
    assert {"serving_default", "predict_images"} <= set(meta.signature_def)
    assert set(meta.signature_def["predict_images"].outputs) == {"scores"}


def test_example_without_data_and_offline_fails_clearly(tmp_path, monkeypatch):
    def offline(split, data_dir=None):
        raise RuntimeError("downloading MNIST with tensorflow-datasets failed (no network)")
    monkeypatch.setattr(mnist_data, "download_split", offline)
    with pytest.raises(DataError, match="no --data_url was given and downloading MNIST"):
        modelmaker.fit(os.path.join(MNIST_DIR, "mnist.py"),
                       {"train_max_steps": 2, "batch_size": 8, "learning_rate": 0.01,
                        "save_checkpoints_steps": 1}, train_url=str(tmp_path / "out"))


@pytest.mark.skipif(not os.path.isdir(os.path.join(REPO, "..", "shared", "data", "mnist-10k")),
                    reason="../shared/data/mnist-10k is absent (real MNIST subset used only where present)")
def test_real_mnist_files_read():
    images, labels = mnist_data.load_split(os.path.join(REPO, "..", "shared", "data", "mnist-10k"), "test")
    assert images.shape == (2000, 28, 28) and labels.max() == 9
