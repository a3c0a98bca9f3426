#!/usr/bin/env bash
# Install the project with its test extras into .venv and run the whole test suite.
# Browser tests need Debian's chromium (+ a CJK font for screenshots), the two-replica test
# Debian's haproxy; install what is missing when root with apt.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-noto-cjk)
[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]} (apt)..."
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
export GRADIO_ANALYTICS_ENABLED=False
# Build the reader's models once (cached by corpus digest) so parallel test workers only load them.
.venv/bin/python -m simulator.language
exec .venv/bin/python -m pytest -n 2 -q "$@"
