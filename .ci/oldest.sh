#!/usr/bin/env bash
# CI, second job: the oldest library versions setup.cfg admits.
# Every install_requires is held to its lowest admitted release series (a bound
# >=X.Y means the newest X.Y.* patch; .ci/oldest_constraints.py derives the pins from
# setup.cfg, so they never drift). Test extras resolve to whatever fits those pins.
# Then the suite not marked slow runs there, beside the usual run on the newest.
#
#   .ci/oldest.sh                 venv in .venv-oldest (gitignored)
#   OLDEST_VENV=/tmp/v .ci/oldest.sh
#   PYTEST_WORKERS=0 .ci/oldest.sh tests/test_model.py   (extra args go to pytest)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${OLDEST_VENV:-.venv-oldest}"
WORKERS="${PYTEST_WORKERS:-2}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"

constraints="$(mktemp)"
trap 'rm -f "$constraints"' EXIT
"$PYTHON" .ci/oldest_constraints.py setup.cfg >"$constraints"
echo "== oldest admitted release series:"
grep -v '^#' "$constraints"

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
"$VENV/bin/python" -m pip install --quiet -c "$constraints" -e ".[test]"

echo "== resolved versions ($VENV, $("$VENV/bin/python" --version)):"
names="$(grep -v '^#' "$constraints" | sed 's/[=<>!~].*//' | tr 'A-Z_' 'a-z-' | paste -sd'|')"
"$VENV/bin/python" -m pip list --format=freeze \
  | grep -iE "^(${names})==" \
  | tee "$VENV/oldest-versions.txt"
# the old set must be consistent (pip's constraints already held each pin)
"$VENV/bin/python" -m pip check

"$VENV/bin/python" -m pytest -m "not slow" -n "$WORKERS" -p no:cacheprovider "$@"
