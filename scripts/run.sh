#!/usr/bin/env bash
# Install the project into .venv and start the web app on its embedded defaults
# (scripted customer, heuristic scorer, SQLite in ./data) — no API key, no network needed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
export GRADIO_ANALYTICS_ENABLED=False
exec .venv/bin/simulator serve "$@"
