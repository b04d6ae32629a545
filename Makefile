# One command for the whole loop: `make check` (lint + tests), `make bench`, `make example`.
PY ?= .venv/bin/python

.venv/bin/python:
	python3 -m venv .venv && .venv/bin/pip install -e '.[test]'

example: .venv/bin/python
	.venv/bin/vaultkg build

test: .venv/bin/python
	$(PY) -m pytest

lint: .venv/bin/python
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy converters vaultkg

check: lint test

bench: .venv/bin/python
	$(PY) benchmarks/bench_build.py --sizes 1000 10000 40000
	$(PY) benchmarks/bench_validate.py --sizes 1000 10000 40000
	for n in 1000 10000 40000; do $(PY) benchmarks/bench_query.py --notes $$n --rdflib-budget 20 || exit 1; done
	for n in 1000 10000 40000; do $(PY) benchmarks/bench_load.py --notes $$n || exit 1; done
	$(PY) benchmarks/bench_site.py --sizes 1000 10000 40000

.PHONY: example test lint check bench
