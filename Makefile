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

# Two workers (pytest-xdist; each has its own SQLite file and PostgreSQL schema), the 15 slowest steps shown.
# TEST_WORKERS=0 runs in one process; PYTEST_ARGS='-m "not slow"' leaves out fuzzing and browsers.
TEST_WORKERS ?= 2

test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --durations=15 $(PYTEST_ARGS)

# Every speed target in one run: engine rates, then the queue, report-figure and timer benchmarks on
# bulk-loaded PostgreSQL data (about twelve minutes). BENCH_ARGS= runs the engine rates alone.
BENCH_ARGS ?= --serve-load --queues --figures --timers

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance *.egg-info
