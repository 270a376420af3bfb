"""Provides the parameter sources: files (JSON or YAML), `--set key=value` and `--<key>=value` text."""

import json
import os
import re

import yaml

from modelmaker.config.defaults import example
from modelmaker.errors import ParamsError


class _NumberLoader(yaml.SafeLoader):
    """YAML's safe loader that also reads `1e-3`, `1E5`, `-2e+3`, `1.5e3` as numbers: YAML 1.1
    (PyYAML) needs a dot and a signed exponent, and reads them as text."""


_NumberLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."))


def read_yaml(text):
    """`yaml.safe_load` with every usual spelling of a number read as a number."""
    return yaml.load(text, Loader=_NumberLoader)  # noqa: S506 -- a SafeLoader subclass


def load_file(path):
    """Reads a parameters file (JSON, or YAML for .yaml/.yml) into a dict.

    Raises:
      ParamsError: the file is missing, unreadable, malformed (with line and column) or
        not a mapping.
    """
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ParamsError(f"cannot read the parameters file {path!r}: {e.strerror}. "
                          "Check the path given to --params.") from None
    if path.lower().endswith((".yaml", ".yml")):
        try:
            data = read_yaml(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise ParamsError(f"{path} is not valid YAML{at}: {getattr(e, 'problem', e)}. "
                              "Fix the file and run again.") from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ParamsError(f"{path} is not valid JSON at line {e.lineno}, column {e.colno}: "
                              f"{e.msg}.{_json_number_hint(text, e.pos)} Fix the file and run "
                              "again.") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParamsError(f"{path} must hold a JSON object of key to value, got "
                          f"{type(data).__name__}. Example: {{\"train_max_steps\": 1000}}.")
    return data


def _json_number_hint(text, pos):
    """A hint when a JSON parse error sits on a number written `.5` or `5.`."""
    start = max(text.rfind(c, 0, pos) for c in ":,[ \t\n") + 1
    if re.match(r"[-+]?(\.[0-9]|[0-9]+\.(?![0-9]))", text[start:pos + 3]):
        return " JSON numbers need digits on both sides of the dot (0.5, 5.0), or use a .yaml file."
    return ""


def parse_value(text):
    """Parses a command-line value as a YAML scalar or list (`1000`, `null`, `[1, 2]`, `0.1`,
    `1e-3`)."""
    if text in ("None", "none"):
        return None
    try:
        return read_yaml(text) if text.strip() else text
    except yaml.YAMLError:
        return text


def parse_assignment(text):
    """Splits `key=value` from `--set`; raises ParamsError naming the fix when `=` is missing."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ParamsError(f"--set {text!r} must look like key=value, e.g. --set train_max_steps=1000.")
    return key.strip(), parse_value(value)


def write_example(path):
    """Writes every reserved key at its default as JSON (parameters.json.example)."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(example(), f, indent=2)
        f.write("\n")


def default_params_file(cwd):
    """`<cwd>/parameters.json` when it exists, else None (used when no --params is given)."""
    path = os.path.join(cwd, "parameters.json")
    return path if os.path.isfile(path) else None
