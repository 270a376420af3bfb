# modelmaker: `make demo` trains the MNIST example end to end; `make test` runs the test suite;
# `make test-fast` runs it without the tests marked slow (processes, clusters, pip, benchmarks).
# Both create .venv (Python 3.11, TensorFlow 2.15) on first use and are safe to run again.
# `make test-current` runs the suite on current TensorFlow (.venv-current, no tf.estimator).

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.modelmaker-installed
MNIST_DATA ?= ../shared/data/mnist-10k
DEMO_OUT ?= output/mnist-demo

VENV_CURRENT := .venv-current
PY_CURRENT := $(VENV_CURRENT)/bin/python
STAMP_CURRENT := $(VENV_CURRENT)/.modelmaker-installed

.PHONY: venv venv-current demo test test-current test-fast bench clean

venv: $(STAMP)

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "error: $(PYTHON) not found. modelmaker needs Python 3.11 (TensorFlow 2.15 supports 3.9-3.11)."; \
	  echo "       Install Python 3.11, or run: make PYTHON=/path/to/python3.11 $(MAKECMDGOALS)"; exit 2; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || { \
	  echo "error: $(PYTHON) is Python `$(PYTHON) -c 'import platform; print(platform.python_version())'`; modelmaker needs 3.11."; \
	  echo "       Run: make PYTHON=/path/to/python3.11 $(MAKECMDGOALS)"; exit 2; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(VENV)/bin/python setup.py requirements-common.txt requirements-test.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# The current TensorFlow stack (no tf.estimator; modelmaker's own engine). install_requires still pins TF 2.15,
# so the package goes in without its dependencies, and requirements-current.txt (the common requirements and the
# current TensorFlow pins) and requirements-test.txt beside it.
venv-current: $(STAMP_CURRENT)

$(PY_CURRENT):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found. Run: make PYTHON=/path/to/python3 venv-current"; exit 2; }
	$(PYTHON) -m venv $(VENV_CURRENT)

$(STAMP_CURRENT): $(PY_CURRENT) setup.py requirements-common.txt requirements-current.txt requirements-test.txt
	$(PY_CURRENT) -m pip install --quiet --upgrade pip
	$(PY_CURRENT) -m pip install --quiet -r requirements-current.txt -r requirements-test.txt
	$(PY_CURRENT) -m pip install --quiet --no-deps -e .
	@touch $(STAMP_CURRENT)

demo: $(STAMP)
	$(PY) examples/mnist/demo.py --data_url "$(MNIST_DATA)" --train_url "$(DEMO_OUT)"

test: $(STAMP)
	$(PY) -m pytest -q tests

test-current: $(STAMP_CURRENT)
	$(PY_CURRENT) -m pytest -q tests

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow" tests

# `make bench` adds the current-TensorFlow figures when .venv-current exists; `make bench-current`
# measures only those (building .venv-current first). See bench/README.md.
.PHONY: bench-current
bench: $(STAMP)
	$(PY) bench/run.py $(if $(wildcard $(PY_CURRENT)),--current_python $(PY_CURRENT))

bench-current: $(STAMP_CURRENT)
	$(PY_CURRENT) bench/run.py --only current --only current_floor --current_python $(PY_CURRENT)

clean:
	rm -rf output build dist *.egg-info .pytest_cache
