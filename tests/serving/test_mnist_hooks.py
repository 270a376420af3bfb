"""The MNIST example's preprocess/postprocess: `modelmaker predict --input <images>` prints
digits, the server's raw endpoint answers the same, and both equal TF's own loader run on
the preprocessed image. Trained briefly on generated digits (each lights its own rows)."""

import json
import os
import sys

import numpy as np
import tensorflow as tf

import modelmaker
from modelmaker.commands import serve as command
from modelmaker.serving import hooks as hooks_lib

from . import savedmodels
from .harness import Client, serving

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MNIST_DIR = os.path.join(REPO, "examples", "mnist")


def band_images(labels, seed):
    """Digit d lights rows 2d..2d+2 on a dark, noisy background."""
    rng = np.random.RandomState(seed)
    images = rng.randint(0, 40, (len(labels), 28, 28)).astype(np.uint8)
    for image, label in zip(images, labels):
        image[label * 2: label * 2 + 3, :] = 255
    return images


def write_data(folder):
    sys.path.insert(0, MNIST_DIR)
    import mnist_data
    rng = np.random.RandomState(0)
    for split, n in (("train", 512), ("test", 64)):
        labels = rng.randint(0, 10, n).astype(np.uint8)
        images_name, labels_name = mnist_data.FILES[split]
        mnist_data.write_idx(os.path.join(folder, images_name + ".gz"), band_images(labels, n))
        mnist_data.write_idx(os.path.join(folder, labels_name + ".gz"), labels)


def test_predict_prints_digits_and_the_raw_endpoint_agrees(tmp_path, capsys):
    data, images = tmp_path / "data", tmp_path / "images"
    data.mkdir(), images.mkdir()
    write_data(str(data))
    with open(os.path.join(MNIST_DIR, "parameters.json")) as f:
        params = dict(json.load(f), train_max_steps=80, save_checkpoints_steps=80, eval_steps=1)
    result = modelmaker.fit(os.path.join(MNIST_DIR, "mnist.py"), params, data_url=str(data),
                            train_url=str(tmp_path / "out"))
    for digit, image in enumerate(band_images(range(10), seed=7)):
        (images / f"{digit}.png").write_bytes(tf.io.encode_png(image[:, :, None]).numpy())
    big = 255 - np.kron(band_images([4], seed=8)[0], np.ones((3, 3), np.uint8))
    (images / "big.jpg").write_bytes(tf.io.encode_jpeg(big[:, :, None]).numpy())

    assert command.predict_main(["--model", os.path.dirname(result.export_dir),
                                 "--input", str(images)]) == 0
    printed = dict(line.rsplit(": ", 1) for line in capsys.readouterr().out.splitlines())
    printed = {os.path.basename(k): int(v) for k, v in printed.items()}

    hooks = hooks_lib.find(marker={"user_module": os.path.join(MNIST_DIR, "mnist.py")})
    for name, digit in printed.items():
        pixels = hooks.preprocess((images / name).read_bytes(), name)["images"]
        expected = savedmodels.eager_outputs(result.export_dir, {"images": pixels[None]})
        assert digit == int(expected["class_id"][0][0]), name
    assert sum(printed[f"{d}.png"] == d for d in range(10)) >= 8

    with serving(os.path.dirname(result.export_dir), name="mnist") as (url, _):
        status, body, _ = Client(url).post("/modelmaker/v1/models/mnist:predict?filename=3.png",
                                           (images / "3.png").read_bytes())
    assert status == 200 and body == {"predictions": [printed["3.png"]]}
