"""Packaging for modelmaker: `pip install -e .[test]` from the repository root."""

from setuptools import find_packages, setup


def _requirements(path):
    """Requirement lines of a pip requirements file, without comments and `-r` includes."""
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith(("#", "-r"))]


# The TensorFlow 2.15 stack, the default in this release: tf.estimator was removed in TensorFlow 2.16 and this is
# the last stack that has it. The current stack's pins are in requirements-current.txt (the [current] extra).
STACK_2_15 = [
    "tensorflow==2.15.1",
    "tensorflow-estimator==2.15.0",
    # 2.15.1 matches TensorFlow 2.15.1 and keeps protobuf < 5 (pip check is clean).
    "tensorflow-serving-api==2.15.1",
    # tensorflow-metadata>=1.15 needs protobuf 5, which breaks TensorFlow 2.15.
    "tensorflow-metadata<1.15",
]


setup(
    name="modelmaker",
    version="0.1.0",
    description="Estimator-style training, export and serving for TensorFlow 2.15 and current TensorFlow",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.9,<3.12",
    packages=find_packages(include=["modelmaker", "modelmaker.*"]),
    include_package_data=True,
    install_requires=_requirements("requirements-common.txt") + STACK_2_15,
    extras_require={
        "test": _requirements("requirements-test.txt"),
        # The current stack's pins. pip cannot combine them with install_requires' TensorFlow 2.15 pins, so
        # `make venv-current` installs the package with --no-deps and `-r requirements-current.txt` beside it.
        "current": _requirements("requirements-current.txt"),
    },
    entry_points={"console_scripts": ["modelmaker=modelmaker.commands.cli:main"]},
)
