# Meldpunt: `make run` serves the app on http://127.0.0.1:5000, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/meldpunt db upgrade
	$(BIN)/meldpunt seed --demo
	$(BIN)/meldpunt serve --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Every speed target in one run: engine rates, then the queue, report-figure and timer benchmarks on
# bulk-loaded PostgreSQL data (about twelve minutes). BENCH_ARGS= runs the engine rates alone.
BENCH_ARGS ?= --serve-load --queues --figures --timers

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# Style (ruff) and the one-way layers between the packages (.importlinter, see the README's layout).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

clean:
	rm -rf $(VENV) instance *.egg-info
