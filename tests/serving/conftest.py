"""Fixtures: the tiny SavedModels of savedmodels.py, each as version 1 of its own base path."""

import os

import pytest

from . import savedmodels


@pytest.fixture(scope="session")
def bases(tmp_path_factory):
    """{kind: base path} with version 1 of each tiny model (multi, text, parsing, linear)."""
    root = tmp_path_factory.mktemp("serving-models")
    out = {}
    for kind, build in (("multi", savedmodels.multi), ("text", savedmodels.text),
                        ("parsing", savedmodels.parsing),
                        ("linear", lambda p: savedmodels.linear(p, 1.0))):
        base = os.path.join(root, kind)
        build(os.path.join(base, "1"))
        out[kind] = base
    return out
