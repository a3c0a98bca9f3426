#!/usr/bin/env bash
# Install the project into .venv and start the web app on its embedded defaults
# (scripted customer, heuristic scorer, SQLite in ./data) — no API key, no network needed.
# pip runs only when pyproject.toml changed since the last install (a hash in .venv/.installed):
# an editable install picks up code changes by itself, and pip takes ~30 s even with nothing to do.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
STAMP=.venv/.installed
[ -x .venv/bin/python ] || "$PY" -m venv .venv
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ] || [ ! -x .venv/bin/simulator ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e .
  echo "$want" > "$STAMP"
fi
export GRADIO_ANALYTICS_ENABLED=False
exec .venv/bin/simulator serve "$@"
