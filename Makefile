# The two Quickstart commands (`make demo`, `make test`) install everything into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench install system clean

# Debian packages the tests and the demo need, installed when missing: a real Redis for the
# distributed crawl (tests start their own redis-server on 127.0.0.1), and headless Chromium
# with CJK fonts for the reading room's browser tests and screenshots.
SYSTEM_PACKAGES := redis-server chromium fonts-noto-cjk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(BIN)/scrapy: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/scrapy

install: $(BIN)/scrapy system

system:
	@{ command -v redis-server && command -v chromium && fc-list :lang=zh | grep -q .; } >/dev/null 2>&1 || { \
	  echo "Installing Debian packages: $(SYSTEM_PACKAGES)"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive sh -c "apt-get update -qq && apt-get install -y -qq $(SYSTEM_PACKAGES)"; }

demo: install
	$(BIN)/python -m newscrawl.mirror.demo

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/crawl_bench.py

clean:
	rm -rf $(VENV) data/demo build *.egg-info
