# Two commands take a fresh Debian machine with Python 3.11 to a running bot
# (`make run`) or a passing test suite (`make test`). Nothing but the package
# registries is contacted.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test bench demo system-deps clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed: install it (e.g. apt-get install python3.11 python3.11-venv) or set PYTHON=..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

system-deps:
	@sh scripts/system-deps.sh

run: system-deps $(STAMP)
	$(PY) -m bot

test: system-deps $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q

bench: system-deps $(STAMP)
	$(PY) -m bench

demo: system-deps $(STAMP)
	$(PY) -m demo

clean:
	rm -rf $(VENV) .pytest_cache
