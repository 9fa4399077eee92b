# Two commands take a fresh Debian machine with Python 3.11 to a running bot
# (`make run`) or a passing test suite (`make test`), each installing what it
# needs and nothing more. Nothing but the package registries is contacted.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
# What pip installed, and from which pyproject.toml: `make run` needs the bot's packages only,
# the rest also the test tools. Either is installed again when pyproject.toml changes.
STAMP_RUN  := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
FAST   := not browser and not e2e and not slow and not bot
# `make test` spreads the suite over this many pytest-xdist workers: much of it waits on processes,
# browsers and clocks (the demo alone waits minutes for a session to end), so two workers on two cores
# finish in well under the time of one.
TEST_WORKERS ?= 2

.PHONY: run test test-fast bench demo translations system-deps system-deps-test clean

define install
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed: install it (e.g. apt-get install python3.11 python3.11-venv) or set PYTHON=..."; exit 1; }
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '$(1)'
endef

$(STAMP_RUN): pyproject.toml
	$(call install,.)
	@touch $@

# The test tools on top of the bot's packages (so `make run` after it installs nothing more).
$(STAMP_TEST): pyproject.toml
	$(call install,.[test])
	@touch $@ $(STAMP_RUN)

# The Debian packages the bot needs (libzbar0, fonts); the `-test` one adds Chromium for the browser tests.
system-deps:
	@sh scripts/system-deps.sh run

system-deps-test:
	@sh scripts/system-deps.sh test

run: system-deps $(STAMP_RUN)
	$(PY) -m bot

# CI's command: lint, format check and the whole suite.
test: system-deps-test $(STAMP_TEST)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q -n $(TEST_WORKERS)

# While you work: the fast layer alone (rules, use cases called directly, domain, files, wording), without
# the tests marked bot, browser, e2e or slow (tests/conftest.py), in under half a minute. `make test` before you push.
test-fast: system-deps $(STAMP_TEST)
	$(PY) -m pytest -q -m "$(FAST)"

bench: system-deps $(STAMP_TEST)
	$(PY) -m bench

# The rehearsal photographs the scanner Mini App when Chromium is there.
demo: system-deps-test $(STAMP_TEST)
	$(PY) -m demo

# Translators: extract the English messages into bot/locale/messages.pot, merge them into every
# language's messages.po, and compile the .mo files the bot reads (README "Languages").
translations: $(STAMP_RUN)
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k N_ --add-comments=Translators: --no-location \
		--sort-output --project=event-attendance-bot --copyright-holder="the project's authors" \
		-o bot/locale/messages.pot .
	$(VENV)/bin/pybabel -q update -i bot/locale/messages.pot -d bot/locale -D messages --no-fuzzy-matching
	$(VENV)/bin/pybabel compile --statistics -d bot/locale -D messages

clean:
	rm -rf $(VENV) .pytest_cache
