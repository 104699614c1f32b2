# Meldpunt: `make run` serves the app on http://127.0.0.1:5000, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint clean messages vendor

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

# Every speed target in one run: engine rates, then the queue, report-figure, timer and location benchmarks on
# bulk-loaded PostgreSQL data (about twelve minutes). BENCH_ARGS= runs the engine rates alone.
BENCH_ARGS ?= --serve-load --queues --figures --timers --location --http-load

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# Style (ruff) and the one-way layers between the packages (.importlinter, see the README's layout).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

clean:
	rm -rf $(VENV) instance *.egg-info

# The gettext catalogues (web/translations, see web/i18n.py): extract the texts from the code and templates
# (babel.cfg), add new ones to the nl and en catalogues, compile the .mo files that are committed with them.
# New msgids arrive with an empty msgstr: fill in the Dutch (usually the msgid itself) and the English;
# tests/test_i18n_catalogue.py fails until both are there and the .mo files are current.
BABEL_KEYWORDS := -k translate -k translate_plural:1,2 -k translate_in:2 -k N_ -k N_plural:1,2 -k Problem:2 -k fail:2
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output --width 110 \
		--project Meldpunt --version 0.1.0 -o $(VENV)/messages.pot .
	$(BIN)/pybabel update -i $(VENV)/messages.pot -d web/translations --no-fuzzy-matching --ignore-obsolete --width 110
	# one fixed date in the header, so that a run without new texts changes no file (the .mo files included)
	sed -i 's/^"POT-Creation-Date: .*/"POT-Creation-Date: 2026-12-06 00:00+0000\\n"/' web/translations/*/LC_MESSAGES/messages.po
	$(BIN)/pybabel compile -d web/translations --statistics

# The front-end libraries (Leaflet, its marker clustering; axe-core for the tests) from the npm registry into web/static/vendor, each
# checked against its sha512 integrity; the files are committed, so `make run` needs only Python.
vendor: $(STAMP)
	$(BIN)/python -m web.vendoring
