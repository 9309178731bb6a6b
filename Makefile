# Two commands for a fresh machine (see README):
#   make train   install into .venv, then train, evaluate and save the reference model
#   make test    install into .venv, then run the whole test suite
# Everything installs from this repository's own files (setup.cfg extras).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= 2

# MNIST comes from the loader's own places: $SKMNIST_DATA_HOME if you set it, else
# ~/.cache/skmnist, then Keras's cache (~/.keras/datasets/mnist.npz), else one
# verified download into the data home (see README, "The data").

.PHONY: install system-packages train test docs bench clean

$(BIN)/skmnist: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e ".[test,docs]"
	touch $@

install: $(BIN)/skmnist

train: install
	$(BIN)/skmnist train --random-state 0 --output mnist-pipeline.joblib

# Debian packages the test suite drives for real: Chromium and ChromeDriver (the HTML
# report is opened in a headless browser), PostgreSQL (search workers share a
# study; the tests start their own throwaway servers on 127.0.0.1, no system service)
# and dataset-fashion-mnist (Fashion-MNIST in /usr/share/datasets/fashion-mnist; the
# loader downloads it otherwise). Installed here when missing, which needs root, as on
# CI. Elsewhere install them yourself, or skip those tests with SKMNIST_SKIP_BROWSER=1
# / SKMNIST_SKIP_POSTGRES=1 / SKMNIST_SKIP_FASHION=1.
system-packages:
	@missing=""; \
	if [ "$$SKMNIST_SKIP_BROWSER" != 1 ] && ! { command -v chromium && command -v chromedriver; } >/dev/null; then \
	  missing="$$missing chromium chromium-driver"; fi; \
	if [ "$$SKMNIST_SKIP_POSTGRES" != 1 ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  missing="$$missing postgresql"; fi; \
	if [ "$$SKMNIST_SKIP_FASHION" != 1 ] && [ ! -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ]; then \
	  missing="$$missing dataset-fashion-mnist"; fi; \
	if [ -n "$$missing" ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

test: install system-packages
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

docs: install
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) docs/_build docs/auto_examples docs/generated build *.egg-info
