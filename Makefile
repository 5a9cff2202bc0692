# One-command developer loop. Every target runs the (idempotent) set-up first.
PY := .venv/bin/python
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: setup run test test-fast lint bench

setup:
	bash scripts/setup.sh

run: setup
	$(PY) app.py

test:
	WITH_TEST_LLM=1 bash scripts/setup.sh
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not integration and not browser"

lint: setup
	$(PY) -m ruff check rag tests benchmarks app.py
	$(PY) -m mypy rag

bench: setup
	$(PY) benchmarks/quality.py
