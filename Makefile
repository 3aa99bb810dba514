# Two entry points: `make demo` and `make test`. Both set up the virtualenv themselves.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
CBEC   := $(VENV)/bin/cbec
DEMO_DIR ?= demo-world
DEMO_N   ?= 20000
WORKSPACE ?= workspace

.PHONY: setup demo test lint clean neo4j neo4j-stop neo4j-jars

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,ml,app,cases]'
	touch $@

demo: setup
	$(CBEC) generate --declarations $(DEMO_N) --seed 7 --out $(DEMO_DIR) --force
	$(CBEC) load $(DEMO_DIR) --workspace $(WORKSPACE)
	@echo
	@echo "Explore the graph: $(CBEC) search 'Li Na'   (then: neighbours, shared, path; see README)"

test: setup
	$(PY) -m pytest -q -n 2 --durations=10

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) $(WORKSPACE) $(DEMO_DIR) .pytest_cache

# A local Neo4j 5.26 Community server (Java 17 + Maven; jars from Maven Central, cached in ~/.m2):
# `make neo4j` starts it on 127.0.0.1:7687 and prints the NEO4J_* settings (also in
# .neo4j-local/env); `make neo4j-stop` stops it. The tests start their own (see docs/neo4j.md).
neo4j-jars: setup
	$(PY) -m graph.store.neo4j_local_server prepare

neo4j: setup
	$(PY) -m graph.store.neo4j_local_server start

neo4j-stop: setup
	$(PY) -m graph.store.neo4j_local_server stop
