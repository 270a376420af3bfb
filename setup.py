"""Packaging for modelmaker: `pip install -e .[test]` from the repository root."""

from setuptools import find_packages, setup


def _requirements(path):
    """Requirement lines of a pip requirements file, without comments."""
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


setup(
    name="modelmaker",
    version="0.1.0",
    description="Estimator-style training, export and serving for TensorFlow 2.15",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.9,<3.12",
    packages=find_packages(include=["modelmaker", "modelmaker.*"]),
    include_package_data=True,
    install_requires=[
        # tf.estimator was removed in TensorFlow 2.16: this stack is the last one that has it.
        "tensorflow==2.15.1",
        "tensorflow-estimator==2.15.0",
        "tensorflow-datasets>=4.9,<5",
        # tensorflow-metadata>=1.15 needs protobuf 5, which breaks TensorFlow 2.15.
        "tensorflow-metadata<1.15",
        # tensorflow-datasets imports it when it downloads, without declaring it.
        "importlib_resources",
        "pyyaml>=6",
        "matplotlib>=3.7,<4",   # evaluation report figures
        # s3://, obs://, ks3:// staging (gs:// uses TensorFlow's own GCS support).
        "s3fs>=2026.9.0,<2027",
        "fsspec>=2026.9.0,<2027",
        # modelmaker serve: TF Serving's REST API on a well-kept HTTP stack.
        "starlette>=0.37",
        "uvicorn>=0.29",
        "httptools>=0.6",
        "uvloop>=0.19; sys_platform != 'win32'",
        "orjson>=3.9",
        "absl-py>=1.0",
        # modelmaker serve's gRPC API: TF Serving's own messages and service stubs. 2.15.1
        # matches TensorFlow 2.15.1 and keeps protobuf < 5 (pip check is clean).
        "tensorflow-serving-api==2.15.1",
        "grpcio>=1.24.3,<2",
        # modelmaker serve --monitoring_config_file: Prometheus metrics.
        "prometheus-client>=0.20",
    ],
    extras_require={
        "test": ["pytest>=7", "hypothesis>=6", "moto[server]>=5.2,<6", "jsonschema>=4"],
        # The current stack (`make venv-current`): install_requires still pins TF 2.15, so the Makefile installs
        # this list beside a --no-deps install of the package.
        "current": _requirements("requirements-current.txt"),
    },
    entry_points={"console_scripts": ["modelmaker=modelmaker.commands.cli:main"]},
)
