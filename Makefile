# Taorui Quant (韬睿量化) — the two commands of the README, and their helpers.
#   make up     set up, build the demo data store if missing, start the hub (foreground)
#   make test   set up (with test tools) and run the whole test suite
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin
STORE ?= var/store
# e.g. make up DEMO_ARGS="--symbols 500 --days 250"
DEMO_ARGS ?=

# A Python >= 3.12 (zarr >= 3.2 needs it), preferring 3.12: python3.12 on PATH, a pyenv
# 3.12 (then 3.13), python3 itself, or Debian/Ubuntu's python3.12 installed on demand.
# Each candidate is run, since pyenv shims exist for versions that are not active.
define find_python
ok() { "$$@" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }; \
if ok python3.12; then command -v python3.12; exit 0; fi; \
if command -v pyenv >/dev/null 2>&1; then \
  for v in $$(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[2-9](\.[0-9]+)?$$' | sort -V); do \
    p="$$(pyenv root)/versions/$$v/bin/python3"; if ok "$$p"; then echo "$$p"; exit 0; fi; done; fi; \
if ok python3; then command -v python3; exit 0; fi; \
if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
  apt-get update -qq >&2 && apt-get install -y -qq python3.12 python3.12-venv >&2 \
    && ok python3.12 && { command -v python3.12; exit 0; }; fi; \
echo "no Python >= 3.12 found; install python3.12 (with venv) and retry" >&2; exit 1
endef

# Debian/Ubuntu packages the platform needs: CJK fonts so charts and reports render Chinese,
# Chromium to print PDF reports, poppler-utils to check them (pdftoppm, pdftotext).
SYSTEM_PACKAGES := fonts-noto-cjk fontconfig chromium poppler-utils
# Debian packages only the tests need, installed without recommends: Xfce and TigerVNC for
# the desktop check, desktop-file-utils for the Linux launcher (tests/images/), PostgreSQL
# for the platform database tests (tests/integration/platform/).
TEST_SYSTEM_PACKAGES := xfce4 xfce4-terminal dbus-x11 tigervnc-standalone-server desktop-file-utils \
  postgresql
APT_FLAGS ?=

.PHONY: help up test lint typecheck venv proxy system-deps test-system-deps clean-venv
help:
	@echo "make up    - install, build the demo store in $(STORE) if missing, start the hub"
	@echo "make test  - install with test tools and run lint, type checks and the tests"

$(BIN)/python:
	@py=$$($(find_python)) && echo "using $$py" && $$py -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[compute,vendors,notebook,platform,broker,dev,hub]"
	$(BIN)/python -m hub.kernelspec
	$(BIN)/python -m hub.lab_settings
	@touch $@

# The configurable-http-proxy the hub drives, pinned by hub/proxy/package-lock.json.
PROXY_STAMP := hub/proxy/node_modules/.installed
$(PROXY_STAMP): hub/proxy/package-lock.json
	cd hub/proxy && npm ci --no-audit --no-fund --loglevel=error
	@touch $@
proxy: $(PROXY_STAMP)

venv: $(VENV)/.installed

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing$$missing"; apt-get update -qq && apt-get install -y -qq $(APT_FLAGS) $$missing >/dev/null; \
	  else echo "note: install these Debian/Ubuntu packages for full function:$$missing"; fi; \
	fi

test-system-deps:
	@DEBIAN_FRONTEND=noninteractive $(MAKE) --no-print-directory system-deps \
	  SYSTEM_PACKAGES="$(TEST_SYSTEM_PACKAGES)" APT_FLAGS=--no-install-recommends

up: venv proxy system-deps
	@if [ ! -f "$(STORE)/quantlib-store.json" ]; then \
	  $(BIN)/quantlib data demo --store $(STORE) $(DEMO_ARGS); fi
	$(BIN)/quantlib data info --store $(STORE)
	TAORUI_DATA_STORE="$${TAORUI_DATA_STORE:-$(STORE)}" $(BIN)/python -m hub.launch

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

test: venv proxy system-deps test-system-deps lint typecheck
	$(BIN)/python -m pytest -n 2

clean-venv:
	rm -rf $(VENV)
