"""Loads test user modules for the graph engine, as modelmaker loads a user module (install() first)."""

import functools
import importlib.util
import os

import pytest

from modelmaker import estimator
from tests.conftest import REPO


def load(name):
    """tests/modules/<name>.py as a fresh module, after providing tf.estimator where TensorFlow lacks it."""
    estimator.install()
    path = os.path.join(REPO, "tests", "modules", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"engine_test_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class User:
    """A user module's four functions, with the input functions' `path` bound (the engine passes params)."""

    def __init__(self, name):
        self.module = load(name)
        self.model_fn = self.module.model_fn
        self.train_input_fn = functools.partial(self.module.train_input_fn, None)
        self.eval_input_fn = functools.partial(self.module.eval_input_fn, None)
        self.serving_input_receiver_fn = self.module.serving_input_receiver_fn


@pytest.fixture
def user():
    return User


class CountRuns(estimator.SessionRunHook):
    """Counts the session runs of one phase."""

    def __init__(self):
        self.runs = 0

    def after_run(self, run_context, run_values):
        self.runs += 1
