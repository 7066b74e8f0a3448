# Tanggap: `make run` serves the demo on 127.0.0.1:8000; `make test` runs every check and test.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgresql://postgres@127.0.0.1:5432/tanggap

# A Python >= 3.12: python3.13, python3.12, python3, then pyenv's own installs.
find_python = for c in python3.13 python3.12 python3 $$HOME/.pyenv/versions/3.13*/bin/python3 \
	$$HOME/.pyenv/versions/3.12*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do \
	if command -v "$$c" >/dev/null 2>&1 && "$$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; \
	then echo "$$c"; break; fi; done

.PHONY: run test lint test-sqlite test-postgres browser services clean

$(BIN)/python:
	@py="$$($(find_python))"; \
	if [ -z "$$py" ]; then echo "Tanggap needs Python 3.12 or newer; none was found (tried python3.13, python3.12, python3, ~/.pyenv/versions)." >&2; exit 1; fi; \
	echo "Creating $(VENV) with $$py ($$($$py --version))"; \
	"$$py" -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

run: $(VENV)/.installed
	$(BIN)/tanggap run --demo-data --host $(HOST) --port $(PORT)

browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null) \
		|| { echo "Could not install chromium with apt-get" >&2; [ "$$CI" != "true" ] || exit 1; }; \
	fi

# The IMAP tests start Debian's Dovecot themselves (tests/inboxes/dovecot.py); no service is enabled.
services:
	@if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then \
		echo "Installing Debian's dovecot-imapd for the IMAP tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null) \
		|| { echo "Could not install dovecot-imapd with apt-get" >&2; [ "$$CI" != "true" ] || exit 1; }; \
	fi

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	TANGGAP_ENV=test TANGGAP_DATA_DIR=$$(mktemp -d) $(BIN)/tanggap manage makemigrations --check --dry-run

test-sqlite: $(VENV)/.installed-test
	TANGGAP_ENV=test TANGGAP_DATA_DIR=$$(mktemp -d) $(BIN)/pytest

test-postgres: $(VENV)/.installed-test
	@if $(BIN)/python -c "import psycopg; psycopg.connect('$(subst /tanggap,/postgres,$(PG_URL))', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== PostgreSQL"; \
		TANGGAP_ENV=test TANGGAP_DATA_DIR=$$(mktemp -d) TANGGAP_DATABASE_URL=$(PG_URL) $(BIN)/pytest; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL is not reachable at $(PG_URL); under CI it is required." >&2; exit 1; \
	else \
		echo "PostgreSQL is not reachable at $(PG_URL): skipping the PostgreSQL run."; \
	fi

test: browser services $(VENV)/.installed-test
	$(MAKE) lint
	@echo "== SQLite"
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
