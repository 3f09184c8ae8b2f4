# The signage player's commands. `make demo` and `make test` work on a fresh Debian,
# Ubuntu or Raspberry Pi OS machine with only python3: they create .venv, install what is
# missing (Debian packages through apt-get when run as root), and are quick when all is there.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Debian packages the player needs: fonts for CJK, Arabic, Hebrew, Thai and colour emoji (and
# a Latin sans), fontconfig to find them, and Mesa's GL (the GPU path; SDL's offscreen driver
# gives it a real renderer).
DEB_PACKAGES := fonts-noto-cjk fonts-noto-core fonts-noto-color-emoji fonts-dejavu-core fontconfig libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri
# And what only the tests need: nginx for the end-to-end sync test, shellcheck for the
# install scripts, Xvfb for the tests on a real X server. `make demo` does not install them.
TEST_DEB_PACKAGES := nginx shellcheck xvfb chromium

.PHONY: demo test lint unit system-deps test-deps venv sheet clean help bench soak lock box-test

help:
	@echo "make demo   - install and play the bundled demo campaign (contact sheet when no display)"
	@echo "make test   - install everything the tests need and run the whole suite"
	@echo "make lint   - ruff and mypy"
	@echo "make soak   - a simulated week at 1000x with reloads and syncs, and 50 kill -9 runs (under 20 min)"
	@echo "make bench  - measure CPU, memory, frame times and more; writes bench/RESULTS.md (about 31 min)"
	@echo "make lock   - regenerate the hash-locked requirements files (uv)"
	@echo "make box-test - boot the install on an emulated Debian console machine and read its screen"
	@echo "make clean  - remove .venv and state/"

# Every install takes its Python packages from a lock file with hashes, so every screen and
# every test run has the same bytes: requirements.txt (a screen: runtime and video) and
# requirements-test.txt (that and the test tools). `make lock` regenerates both with uv,
# for every platform at once (x86_64 and aarch64 alike).
LOCK      := requirements.txt
TEST_LOCK := requirements-test.txt
PIP       := $(PY) -m pip install --quiet --disable-pip-version-check

venv: $(STAMP)

$(STAMP): $(TEST_LOCK) pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --require-hashes --no-deps -r $(TEST_LOCK)
	@# The project itself is the one thing not in the lock: built with the locked setuptools
	@# (whose notice that an editable install is an editable install says nothing here).
	PYTHONWARNINGS="ignore:Editable installation" $(PIP) --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# uv resolves once for every platform and Python the project supports (--universal).
# setuptools goes in too: installs build the project with it and download nothing unpinned.
UV_COMPILE = $(VENV)-tools/bin/uv pip compile pyproject.toml - --universal --python-version 3.11 \
	--generate-hashes --no-header --quiet --system-certs
lock:
	@test -x $(VENV)-tools/bin/uv || ($(PYTHON) -m venv $(VENV)-tools && $(VENV)-tools/bin/pip install --quiet uv)
	echo 'setuptools>=68' | $(UV_COMPILE) --extra video -o $(LOCK)
	echo 'setuptools>=68' | $(UV_COMPILE) --extra video --extra test -o $(TEST_LOCK)

system-deps:
	@./scripts/ensure-debs.sh $(DEB_PACKAGES)

test-deps:
	@./scripts/ensure-debs.sh $(TEST_DEB_PACKAGES)

test: system-deps test-deps $(STAMP)
	$(PY) -m ruff check player tests bench
	$(PY) -m mypy player
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check player tests bench
	$(PY) -m mypy player
	$(VENV)/bin/lint-imports --no-cache

soak: system-deps test-deps $(STAMP)
	$(PY) tests/faults/soak.py
	SIGNAGE_KILL_RUNS=50 $(PY) -m pytest -q tests/faults/test_clock_and_kill.py -k sigkill
	SIGNAGE_KILL_RUNS=50 $(PY) -m pytest -q tests/test_sync.py -k killed

bench: system-deps $(STAMP)
	@./scripts/ensure-debs.sh xvfb feh x11-utils
	$(PY) bench/run_all.py

# The emulated signage box (tests/box/): a Debian 12 console machine built with debootstrap,
# the README's install run inside it, booted under QEMU, its real screen read. ARCH=arm64
# boots the same box as a generic arm64 board (Raspberry Pi OS is arm64; slow under TCG).
ARCH ?= amd64
BOX_DEBS_amd64 := qemu-system-x86
BOX_DEBS_arm64 := qemu-system-arm qemu-user-static
box-test: system-deps test-deps $(STAMP)
	@./scripts/ensure-debs.sh debootstrap e2fsprogs openssh-client socat $(BOX_DEBS_$(ARCH))
	$(PY) tests/box/run.py --arch $(ARCH)

demo: system-deps $(STAMP)
	@./scripts/demo.sh

clean:
	rm -rf $(VENV) state
