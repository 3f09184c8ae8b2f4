# The signage player's commands. `make demo` and `make test` work on a fresh Debian,
# Ubuntu or Raspberry Pi OS machine with only python3: they create .venv, install what is
# missing (Debian packages through apt-get when run as root), and are quick when all is there.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Debian packages the player and its tests need: fonts with CJK glyphs (and a Latin sans),
# fontconfig to find them, nginx for the end-to-end sync test.
DEB_PACKAGES := fonts-noto-cjk fonts-dejavu-core fontconfig nginx shellcheck

.PHONY: demo test lint unit system-deps venv sheet clean help bench soak

help:
	@echo "make demo   - install and play the bundled demo campaign (contact sheet when no display)"
	@echo "make test   - install everything the tests need and run the whole suite"
	@echo "make lint   - ruff and mypy"
	@echo "make soak   - a simulated week at 1000x with reloads and syncs, and 50 kill -9 runs (under 20 min)"
	@echo "make bench  - measure CPU, memory, frame times and more; writes bench/RESULTS.md (under 10 min)"
	@echo "make clean  - remove .venv and state/"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,video]'
	@touch $(STAMP)

system-deps:
	@./scripts/ensure-debs.sh $(DEB_PACKAGES)

test: system-deps $(STAMP)
	$(PY) -m ruff check player tests bench
	$(PY) -m mypy player
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check player tests bench
	$(PY) -m mypy player

soak: system-deps $(STAMP)
	$(PY) tests/faults/soak.py
	SIGNAGE_KILL_RUNS=50 $(PY) -m pytest -q tests/faults/test_clock_and_kill.py -k sigkill
	SIGNAGE_KILL_RUNS=50 $(PY) -m pytest -q tests/test_sync.py -k killed

bench: system-deps $(STAMP)
	@./scripts/ensure-debs.sh xvfb feh x11-utils
	$(PY) bench/run_all.py

demo: system-deps $(STAMP)
	@./scripts/demo.sh

clean:
	rm -rf $(VENV) state
