# Two commands for a fresh machine (see README):
#   make train   install into .venv, then train, evaluate and save the reference model
#   make test    install into .venv, then run the whole test suite
# Everything installs from this repository's own files (setup.cfg extras).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= 2

# Beside a checkout in this workplace, ../shared/data holds MNIST; elsewhere the
# loader uses its per-user cache and downloads once. A value you set wins.
SHARED_DATA := $(abspath ../shared/data)
ifneq ($(wildcard $(SHARED_DATA)/mnist.npz),)
export SKMNIST_DATA_HOME ?= $(SHARED_DATA)
endif
export TF_CPP_MIN_LOG_LEVEL ?= 2

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
# report is opened in a headless browser) and PostgreSQL (search workers share a
# study; the tests start their own throwaway servers on 127.0.0.1, no system service).
# Installed here when missing, which needs root, as on CI. Elsewhere install them
# yourself, or skip those tests with SKMNIST_SKIP_BROWSER=1 / SKMNIST_SKIP_POSTGRES=1.
system-packages:
	@missing=""; \
	if [ "$$SKMNIST_SKIP_BROWSER" != 1 ] && ! { command -v chromium && command -v chromedriver; } >/dev/null; then \
	  missing="$$missing chromium chromium-driver"; fi; \
	if [ "$$SKMNIST_SKIP_POSTGRES" != 1 ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  missing="$$missing postgresql"; fi; \
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
