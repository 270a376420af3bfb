# modelmaker: `make demo` trains the MNIST example end to end; `make test` runs the test suite;
# `make test-fast` runs it without the tests marked slow (processes, clusters, pip, benchmarks).
# They use .venv, the default stack: current TensorFlow + tf-keras (requirements-current.txt) on the newest of
# python3.13, python3.12 and python3.11 that runs (`make PYTHON=/path/to/python3.12 ...` chooses).
# `make test-compat` runs the suite on .venv-tf2.15, the compatibility stack: TensorFlow 2.15.1 +
# tensorflow-estimator on Python 3.11 (`make PYTHON_COMPAT=/path/to/python3.11 ...`), parity tests included.
# Each target creates its venv on first use and is safe to run again; a venv is reinstalled when setup.py or a
# requirements file changes.

# The Pythons the default stack takes, newest first. A name on PATH is not enough (a pyenv shim exists for
# versions it cannot run): each must start and be 3.11-3.13.
PYTHONS := python3.13 python3.12 python3.11
SUPPORTED := (3, 11) <= sys.version_info[:2] <= (3, 13)
COMPAT_SUPPORTED := sys.version_info[:2] == (3, 11)
# `$(call runs,python,condition)`: the python when it starts and the condition holds, else nothing.
runs = $(if $(1),$(shell $(1) -c 'import sys; sys.exit(0 if $(2) else 1)' >/dev/null 2>&1 && echo $(1)))
# Looked for once, and only when a target creates .venv (the first expansion replaces PYTHON by what it found).
PYTHON ?= $(eval PYTHON := $(firstword $(foreach p,$(PYTHONS),$(call runs,$(p),$(SUPPORTED)))))$(PYTHON)
PYTHON_COMPAT ?= python3.11
TRIED = $(if $(filter command line environment,$(origin PYTHON)),PYTHON=$(PYTHON) does not start or is not \
  Python 3.11-3.13,tried $(PYTHONS) on PATH)
NO_PYTHON = no Python 3.11, 3.12 or 3.13 runs here ($(TRIED)). The default stack (current TensorFlow) needs one \
  of them: install it, or run: make PYTHON=/path/to/python3.12 $(or $(MAKECMDGOALS),venv)
NO_PYTHON_COMPAT = $(PYTHON_COMPAT) does not start or is not Python 3.11. The compatibility stack (TensorFlow 2.15 + \
  tensorflow-estimator) needs Python 3.11, as TensorFlow 2.15 has no wheels for 3.12 or later: install it, or \
  run: make PYTHON_COMPAT=/path/to/python3.11 $(or $(MAKECMDGOALS),venv-tf2.15)

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.modelmaker-installed
VENV_COMPAT := .venv-tf2.15
PY_COMPAT := $(VENV_COMPAT)/bin/python
STAMP_COMPAT := $(VENV_COMPAT)/.modelmaker-installed
MNIST_DATA ?= ../shared/data/mnist-10k
DEMO_OUT ?= output/mnist-demo

.PHONY: venv venv-tf2.15 demo test test-fast test-compat bench clean

venv: $(STAMP)

$(PY):
	$(if $(call runs,$(PYTHON),$(SUPPORTED)),,$(error $(NO_PYTHON)))
	@echo "make: $(VENV) on $(PYTHON) (Python $(shell $(PYTHON) -c 'import platform; print(platform.python_version())'))"
	$(PYTHON) -m venv $(VENV)

# A .venv made by an older checkout holds TensorFlow 2.15 and tensorflow-estimator: the upgrade to the current
# pins leaves the latter behind, so it is removed (a no-op elsewhere).
$(STAMP): $(PY) setup.py requirements-common.txt requirements-current.txt requirements-tf2.15.txt requirements-test.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,current]'
	@! $(PY) -m pip show --quiet tensorflow-estimator >/dev/null 2>&1 || $(PY) -m pip uninstall --quiet --yes tensorflow-estimator
	@touch $(STAMP)

venv-tf2.15: $(STAMP_COMPAT)

$(PY_COMPAT):
	$(if $(call runs,$(PYTHON_COMPAT),$(COMPAT_SUPPORTED)),,$(error $(NO_PYTHON_COMPAT)))
	@echo "make: $(VENV_COMPAT) on $(PYTHON_COMPAT) (Python $(shell $(PYTHON_COMPAT) -c 'import platform; print(platform.python_version())'))"
	$(PYTHON_COMPAT) -m venv $(VENV_COMPAT)

$(STAMP_COMPAT): $(PY_COMPAT) setup.py requirements-common.txt requirements-current.txt requirements-tf2.15.txt requirements-test.txt
	$(PY_COMPAT) -m pip install --quiet --upgrade pip
	$(PY_COMPAT) -m pip install --quiet -e '.[test,estimator]'
	@touch $(STAMP_COMPAT)

demo: $(STAMP)
	$(PY) examples/mnist/demo.py --data_url "$(MNIST_DATA)" --train_url "$(DEMO_OUT)"

test: $(STAMP)
	$(PY) -m pytest -q tests

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow" tests

# The whole suite on the compatibility stack; the tests marked `estimator` (parity with tf.estimator,
# `engine: estimator`) run there, as tensorflow-estimator imports.
test-compat: $(STAMP_COMPAT)
	$(PY_COMPAT) -m pytest -q tests

# On the default stack; adds the TensorFlow 2.15 figures when .venv-tf2.15 exists. See bench/README.md.
bench: $(STAMP)
	$(PY) bench/run.py$(if $(wildcard $(PY_COMPAT)), --compat_python $(PY_COMPAT))

clean:
	rm -rf output build dist *.egg-info .pytest_cache
