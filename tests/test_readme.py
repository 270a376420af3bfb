"""The README cannot drift from the code: the errors it quotes under "Coming from tf.estimator" are the
ones modelmaker prints, every flag in its command lines is one its verb accepts, and its links to its
own sections resolve."""

import os
import re

import pytest
import tensorflow as tf

import modelmaker.estimator
from modelmaker.commands import args as args_lib, cli, evaluate, init, launch, serve, train
from modelmaker.estimator import has_real_estimator
from tests.conftest import REPO, run_cli

README = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()
PROJECT = "/home/me/proj"  # the README's stand-in for the folder that holds mymodel.py


def _section(title):
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _blocks(text):
    """The fenced code blocks of `text`, each as a list of lines."""
    return [block.splitlines() for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M)]


def _code_lines(text):
    return [line for block in _blocks(text) for line in block]


COMING = _section("Coming from tf.estimator")
QUOTED = [line for line in _code_lines(COMING) if line.startswith("modelmaker: error:")]

# The modules behind the quoted lines: each as a user would write it, in mymodel.py.
INPUTS = '''

def train_input_fn(path, params):
    return tf.data.Dataset.from_tensors(({"x": [[1.0, 2.0, 3.0, 4.0]]}, [0]))


eval_input_fn = train_input_fn
'''
MODULES = {
    "canned": 'import tensorflow as tf\n\ncolumns = [tf.compat.v1.feature_column.numeric_column("x", shape=[4])]\n'
              "classifier = tf.estimator.DNNClassifier(hidden_units=[16], feature_columns=columns, n_classes=3)\n"
              + INPUTS,
    "subclass": "import tensorflow as tf\n\n\nclass MyEstimator(tf.estimator.Estimator):\n"
                "    def __init__(self, model_dir=None, params=None):\n"
                "        super().__init__(model_fn=self._model_fn, model_dir=model_dir, params=params)\n"
                + INPUTS,
    "contrib": "import tensorflow as tf\nslim = tf.contrib.slim\n" + INPUTS,
}
NO_MODEL_FN = "does not define `model_fn`"
# What tells the quoted lines apart: one per module above, and the line TensorFlow 2.15 prints instead.
MARKERS = {"canned": "tf.estimator.DNNClassifier is not available",
           "subclass": "tf.estimator.Estimator is not available", "contrib": "no attribute 'contrib'"}


def _expected(case):
    """The README line this stack prints for `case`."""
    real = case != "contrib" and has_real_estimator()  # tf.estimator has the class; a model_fn is still needed
    (line,) = [q for q in QUOTED if (NO_MODEL_FN if real else MARKERS[case]) in q]
    return line


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(MODULES))
def test_each_quoted_error_is_what_train_prints(tmp_path, case):
    project = tmp_path / "proj"
    project.mkdir()
    (project / "mymodel.py").write_text(MODULES[case])
    proc = run_cli(["--user_module", "mymodel", "--train_url", str(tmp_path / "out")], cwd=str(project))
    assert proc.returncode == 2, proc.stderr
    printed = [line.replace(str(project), PROJECT) for line in proc.stderr.splitlines()
               if line.startswith("modelmaker: error:")]
    assert printed == [_expected(case)], proc.stderr


@pytest.mark.parametrize("name", ["DNNClassifier", "Estimator"])
def test_the_quoted_attribute_errors_are_modelmakers(name):
    with pytest.raises(AttributeError) as e:
        getattr(modelmaker.estimator, name)
    assert f"AttributeError: {str(e.value).rstrip('.')}. This error is in your code" in COMING
    if not has_real_estimator():  # current TensorFlow: tf.estimator is modelmaker.estimator
        modelmaker.estimator.install()
        with pytest.raises(AttributeError, match=re.escape(str(e.value))):
            getattr(tf.estimator, name)


def test_the_quoted_contrib_error_is_tensorflows():
    with pytest.raises(AttributeError) as e:
        tf.contrib  # noqa: B018  (the attribute access is the test)
    assert f"AttributeError: {str(e.value).rstrip('.')}. This error is in your code" in COMING


def test_every_quoted_line_is_one_of_the_checked_cases():
    markers = [*MARKERS.values(), NO_MODEL_FN]
    assert sorted(tuple(m for m in markers if m in line) for line in QUOTED) == sorted((m,) for m in markers)


# verb -> its parser; the lines in README code blocks that start with one of these are checked.
PARSERS = {
    "python -m modelmaker.train": train.train_parser,
    "modelmaker train": train.train_parser,
    "modelmaker check": args_lib.build_parser,
    "modelmaker evaluate": evaluate.build_parser,
    "modelmaker init": init.build_parser,
    "modelmaker launch": launch.build_parser,
    "modelmaker serve": serve.serve_parser,
    "modelmaker predict": serve.predict_parser,
}


def _commands():
    """(verb, argument text) of each modelmaker command line in the README's code blocks, with its
    continuation lines (after a backslash, or indented) joined and comments dropped."""
    found, current = [], None
    for line in _typed_lines() + [""]:
        if current is not None and (current.endswith("\\") or line.startswith("    ")):
            current = current.rstrip("\\") + " " + line.strip()
            continue
        if current is not None:
            found.append(current)
            current = None
        if line.startswith(("modelmaker ", "python -m modelmaker.train")):
            current = re.split(r"\s+#\s", line, maxsplit=1)[0].rstrip()
    return [_verb(text) for text in found]


def _typed_lines():
    """The lines of the README's code blocks a user types: in a block with `$ ` prompts, only those
    (and their continuations); the rest is output."""
    lines = []
    for block in _blocks(README):
        if any(line.startswith("$ ") for line in block):
            block = [line.removeprefix("$ ") if line.startswith("$ ") else "" if not line.startswith("    ")
                     else line for line in block]
        lines += block + [""]
    return lines


def _verb(command):
    """(verb, the arguments' text) of one command line."""
    for verb in PARSERS:
        if command.startswith(verb + " "):
            return verb, command[len(verb):]
    return command.split()[1], ""


def _flags(text):
    return re.findall(r"(?<![\w<])--[A-Za-z][\w-]*", text)


def test_every_flag_in_the_readme_commands_is_accepted():
    commands = _commands()
    assert len(commands) > 20, commands
    unknown = []
    for verb, text in commands:
        if verb not in PARSERS:
            assert verb in cli.VERBS or verb == "--help", f"README runs `modelmaker {verb}`, which is not a verb"
            continue
        own, _, forwarded = text.partition(" -- ")  # launch hands what follows `--` to train
        for flags, parser in ((_flags(own), PARSERS[verb]()), (_flags(forwarded), train.train_parser())):
            unknown += [f"{verb}: {flag}" for flag in flags if flag not in parser._option_string_actions]
    assert unknown == []


def _slug(heading):
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_links_to_sections_resolve():
    anchors = {_slug(h) for h in re.findall(r"^#+ (.*)$", README, re.M)}
    links = set(re.findall(r"\]\(#([^)]+)\)", README))
    assert links and links <= anchors, sorted(links - anchors)
    files = set(re.findall(r"\]\(((?:docs|examples)/[\w/.]+)\)", README))
    assert files and sorted(f for f in files if not os.path.exists(os.path.join(REPO, f))) == []
