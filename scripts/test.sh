#!/usr/bin/env bash
# Install the project with its test extras into .venv and run the whole test suite.
# Browser tests need Debian's chromium (+ a CJK font for screenshots); install it when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing chromium and fonts-noto-cjk (apt)..."
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
export GRADIO_ANALYTICS_ENABLED=False
# Build the reader's models once (cached by corpus digest) so parallel test workers only load them.
.venv/bin/python -m simulator.language
exec .venv/bin/python -m pytest -n 2 -q "$@"
