# The two Quickstart commands (`make demo`, `make test`) install everything into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench install clean

$(BIN)/scrapy: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/scrapy

install: $(BIN)/scrapy

demo: install
	$(BIN)/python -m newscrawl.mirror.demo

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/crawl_bench.py

clean:
	rm -rf $(VENV) data/demo build *.egg-info
