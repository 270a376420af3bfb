"""An export keeps a copy of its user module, so `modelmaker predict` and `serve` find its
preprocess/postprocess from any folder, after the project is gone, and each version with the
hooks it was trained with: a file module named as the README does (`--user_module mymodel`),
a package folder, and the sibling module they import."""

import json
import os
import shutil
import textwrap

import pytest

import modelmaker
from modelmaker.engine import export as export_lib
from modelmaker import scaffold
from modelmaker.commands import serve as command

from ..conftest import FAST, TINY, run_cli
from .harness import Client
from .test_command import ServeProcess


@pytest.mark.slow
def test_image_template_answers_circle_from_another_folder_after_the_project_is_gone(tmp_path):
    project, machine, elsewhere = tmp_path / "proj", tmp_path / "machine2", tmp_path / "elsewhere"
    scaffold.create(project, template="image-classifier")
    trained = run_cli(["--user_module", "mymodel", "--random_seed", "0"], cwd=str(project))
    assert trained.returncode == 0, trained.stderr
    elsewhere.mkdir()
    for shape in ("circle", "triangle"):
        shutil.copy(project / "data" / "eval" / shape / f"{shape}_003.png",
                    elsewhere / f"{shape}.png")
    shutil.move(str(project / "output"), str(machine))  # the export alone, on "another machine"
    shutil.rmtree(project)
    base = str(machine / "export" / "model")

    predicted = run_cli(["predict", "--model", base, "--input", "circle.png", "triangle.png"],
                        module="modelmaker.cli", cwd=str(elsewhere))
    assert predicted.returncode == 0, predicted.stderr
    assert predicted.stdout.splitlines() == ['circle.png: "circle"', 'triangle.png: "triangle"']
    assert "not here" not in predicted.stderr

    server = ServeProcess(["--model_base_path", base], cwd=str(elsewhere))
    try:
        status, body, _ = Client(server.url()).post(
            "/modelmaker/v1/models/model:predict?filename=circle.png",
            (elsewhere / "circle.png").read_bytes())
    finally:
        server.stop()
    assert (status, body) == (200, {"predictions": ["circle"]})


PACKAGE_INIT = """
    from tinypkg.model import model_fn, train_input_fn, eval_input_fn, serving_input_receiver_fn
    from tinypkg.hooks import preprocess, postprocess
"""
HOOKS = """
    import numpy as np

    import labels  # a sibling module of the package, in the project folder


    def preprocess(raw, filename):
        return {"x": np.array([float(v) for v in raw.decode().split(",")], np.float32)}


    def postprocess(prediction):
        return labels.TAG + labels.NAMES[int(prediction["class_id"])]
"""


def _write_project(project, tag):
    (project / "tinypkg").mkdir(parents=True, exist_ok=True)
    (project / "tinypkg" / "__init__.py").write_text(textwrap.dedent(PACKAGE_INIT))
    shutil.copy(TINY, project / "tinypkg" / "model.py")
    (project / "tinypkg" / "hooks.py").write_text(textwrap.dedent(HOOKS))
    (project / "labels.py").write_text(f"TAG = {tag!r}\nNAMES = ['low', 'mid', 'high']\n")


@pytest.mark.slow
def test_package_module_and_its_sibling_travel_with_each_version(tmp_path, monkeypatch, capsys):
    project, out, elsewhere = tmp_path / "proj", tmp_path / "out", tmp_path / "elsewhere"
    _write_project(project, "v1:")
    first = modelmaker.fit(str(project / "tinypkg"), FAST, train_url=str(out))  # a folder path
    _write_project(project, "v2:")
    second = run_cli(["--user_module", "tinypkg", "--train_url", str(out), "--train_max_steps=20",
                      "--save_checkpoints_steps=10", "--eval_steps=1"], cwd=str(project))  # a name
    assert second.returncode == 0, second.stderr
    copy = os.path.join(first.export_dir, "assets.extra", "modelmaker_user_module")
    assert sorted(os.listdir(copy)) == ["labels.py", "tinypkg"]
    assert export_lib.read_marker(first.export_dir)["user_module_copy"] == "tinypkg"
    shutil.rmtree(project)
    elsewhere.mkdir()
    (elsewhere / "row.txt").write_text("2.0,2.0,0.5,0.1")
    monkeypatch.chdir(elsewhere)

    answers = []
    for version in ("1", "2", "1"):  # one process: each version imports its own copy
        assert command.predict_main(["--model", os.path.dirname(first.export_dir), "--input",
                                     "row.txt", "--model_version", version, "--format", "json"]) == 0
        answers.append(json.loads(capsys.readouterr().out)["predictions"][0])
    assert [a.split(":")[0] for a in answers] == ["v1", "v2", "v1"], answers
    assert all(a.split(":")[1] in ("low", "mid", "high") for a in answers)
