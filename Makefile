# Two commands take a fresh Debian machine with Python 3.11 to a running bot
# (`make run`) or a passing test suite (`make test`). Nothing but the package
# registries is contacted.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test bench demo translations system-deps clean

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

# Translators: extract the English messages into bot/locale/messages.pot, merge them into every
# language's messages.po, and compile the .mo files the bot reads (README "Languages").
translations: $(STAMP)
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k N_ --add-comments=Translators: --no-location \
		--sort-output --project=event-attendance-bot --copyright-holder="the project's authors" \
		-o bot/locale/messages.pot .
	$(VENV)/bin/pybabel -q update -i bot/locale/messages.pot -d bot/locale -D messages --no-fuzzy-matching
	$(VENV)/bin/pybabel compile --statistics -d bot/locale -D messages

clean:
	rm -rf $(VENV) .pytest_cache
