"""`modelmaker init`: templates listed and complete, projects created, nothing overwritten or escaped."""

import json
import os

import pytest

from modelmaker.commands import cli, init
from modelmaker import config as params_lib, scaffold
from modelmaker.errors import ScaffoldError

PROJECT_FILES = ("README.md", "mymodel.py", "parameters.json", "requirements.txt")


def test_every_template_folder_is_listed_and_every_listed_template_has_a_folder():
    folders = {d for d in os.listdir(scaffold.TEMPLATES_DIR)
               if os.path.isdir(os.path.join(scaffold.TEMPLATES_DIR, d)) and d != "__pycache__"}
    assert folders == set(scaffold.TEMPLATES)
    assert scaffold.DEFAULT_TEMPLATE in scaffold.TEMPLATES
    assert len(scaffold.TEMPLATES) >= 2


@pytest.mark.parametrize("name", list(scaffold.TEMPLATES))
def test_template_is_complete(name):
    files = scaffold.template_files(name)
    for required in PROJECT_FILES:
        assert required in files
    assert any(f.startswith("data" + os.sep) for f in files), "a sample dataset under data/"
    folder = os.path.join(scaffold.TEMPLATES_DIR, name)
    source = open(os.path.join(folder, "mymodel.py"), encoding="utf-8").read()
    for fn in ("model_fn", "train_input_fn", "eval_input_fn", "serving_input_receiver_fn"):
        assert f"def {fn}(" in source
    assert "CHANGE" in source, "the places to change are marked"
    readme = open(os.path.join(folder, "README.md"), encoding="utf-8").read()
    commands = readme.split("```")[1]
    assert "modelmaker init" in commands and "python -m modelmaker.train --user_module mymodel" in commands


@pytest.mark.parametrize("name", list(scaffold.TEMPLATES))
def test_template_parameters_set_only_what_differs_from_the_defaults(name):
    path = os.path.join(scaffold.TEMPLATES_DIR, name, "parameters.json")
    values = json.load(open(path, encoding="utf-8"))
    for key, value in values.items():
        if key in params_lib.DEFAULTS:
            assert value != params_lib.DEFAULTS[key].default, f"{key} repeats its default"
    resolved = params_lib.resolve([params_lib.Layer(path, values)])
    assert resolved["train_max_steps"] <= 1000 and resolved["eval_throttle_secs"] == 0


def test_create_writes_the_template_and_names_the_project(tmp_path):
    target = tmp_path / "myproject"
    written = scaffold.create(target)
    names = {os.path.relpath(p, target) for p in written}
    assert names == set(scaffold.template_files(scaffold.DEFAULT_TEMPLATE))
    readme = (target / "README.md").read_text()
    assert readme.startswith("# myproject\n") and "modelmaker init myproject\ncd myproject\n" in readme
    src = os.path.join(scaffold.TEMPLATES_DIR, scaffold.DEFAULT_TEMPLATE, "data", "train.csv")
    assert (target / "data" / "train.csv").read_bytes() == open(src, "rb").read()
    assert not [p for p in os.listdir(target) if ".partial-" in p]


def test_an_existing_empty_folder_is_used(tmp_path):
    scaffold.create(tmp_path, template="image-classifier")
    assert (tmp_path / "data" / "train" / "circle").is_dir()


def test_a_non_empty_folder_is_refused_and_left_alone(tmp_path):
    (tmp_path / "mymodel.py").write_text("mine")
    with pytest.raises(ScaffoldError, match="not empty.*--force"):
        scaffold.create(tmp_path)
    assert os.listdir(tmp_path) == ["mymodel.py"] and (tmp_path / "mymodel.py").read_text() == "mine"


def test_force_replaces_same_names_and_keeps_other_files(tmp_path):
    (tmp_path / "mymodel.py").write_text("mine")
    (tmp_path / "notes.txt").write_text("keep")
    scaffold.create(tmp_path, force=True)
    assert "def model_fn(" in (tmp_path / "mymodel.py").read_text()
    assert (tmp_path / "notes.txt").read_text() == "keep"


def test_a_file_as_target_is_refused(tmp_path):
    (tmp_path / "x").write_text("")
    with pytest.raises(ScaffoldError, match="not a folder"):
        scaffold.create(tmp_path / "x")


def test_a_symlink_leading_out_of_the_target_is_refused_before_anything_is_written(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "proj"
    target.mkdir()
    os.symlink(outside, target / "data")
    with pytest.raises(ScaffoldError, match="outside the project folder"):
        scaffold.create(target, force=True)
    assert os.listdir(outside) == [] and sorted(os.listdir(target)) == ["data"]


def test_names_with_dot_dot_are_rejected(tmp_path):
    with pytest.raises(ScaffoldError, match="outside the project folder"):
        scaffold._destination(str(tmp_path), os.path.join("..", "evil.py"))


def test_a_template_holding_a_symlink_is_refused(tmp_path):
    root = tmp_path / "templates"
    (root / scaffold.DEFAULT_TEMPLATE).mkdir(parents=True)
    os.symlink("/etc/hostname", root / scaffold.DEFAULT_TEMPLATE / "leak.txt")
    with pytest.raises(ScaffoldError, match="symlink"):
        scaffold.create(tmp_path / "proj", root=str(root))
    assert not (tmp_path / "proj").exists()


def test_unknown_template_suggests_the_near_one(tmp_path):
    with pytest.raises(ScaffoldError, match="did you mean 'image-classifier'"):
        scaffold.create(tmp_path / "p", template="image")
    assert not (tmp_path / "p").exists()


def test_main_list_create_and_refuse(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert init.main(["--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in scaffold.TEMPLATES) and "(default)" in out
    assert init.main(["proj", "--template", "image-classifier"]) == 0
    assert "python -m modelmaker.train --user_module mymodel" in capsys.readouterr().out
    assert init.main(["proj"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("modelmaker: error:") and "--force" in err and len(err.splitlines()) == 1
    assert init.main([]) == 2
    assert "give the project folder" in capsys.readouterr().err


def test_help_explains_every_flag(capsys):
    assert cli.main(["init", "--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--template", "--list", "--force", "DIR"):
        assert flag in out
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "init" in out and "modelmaker init myproject" in out
