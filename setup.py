"""Packaging for modelmaker: `pip install -e '.[test,current]'` from the repository root (what `make venv` does)."""

from setuptools import find_packages, setup


def _requirements(path):
    """Requirement lines of a pip requirements file, without comments and `-r` includes."""
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith(("#", "-r"))]


# The TensorFlow packages, in ranges that take both stacks: current TensorFlow (the default; pip picks the newest,
# and the [current] extra pins requirements-current.txt) and TensorFlow 2.15 with tensorflow-estimator (the
# [estimator] extra, requirements-tf2.15.txt). tf-keras provides the TF1 layers on TensorFlow without tf.estimator.
CURRENT_STACK = [
    "tensorflow>=2.15.1,<2.22",
    "tf-keras>=2.15,<2.22",
    "tensorflow-serving-api>=2.15.1,<2.22",
    "tensorboard>=2.15,<2.22",
]


setup(
    name="modelmaker",
    version="0.1.0",
    description="Estimator-style training, export and serving for current TensorFlow and TensorFlow 2.15",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11,<3.14",
    packages=find_packages(include=["modelmaker", "modelmaker.*"]),
    include_package_data=True,
    install_requires=_requirements("requirements-common.txt") + CURRENT_STACK,
    extras_require={
        "test": _requirements("requirements-test.txt"),
        # The default stack's exact pins (`make venv`).
        "current": _requirements("requirements-current.txt"),
        # The compatibility stack: TensorFlow 2.15 + tensorflow-estimator on Python 3.11 (`make venv-tf2.15`),
        # for `engine: estimator` and the parity tests.
        "estimator": _requirements("requirements-tf2.15.txt"),
    },
    entry_points={"console_scripts": ["modelmaker=modelmaker.commands.cli:main"]},
)
