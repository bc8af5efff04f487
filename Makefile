# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
# Where `make run` listens: this machine only. To serve a network, keep it and put a reverse proxy
# in front (README, "Phục vụ trong mạng nội bộ"); `make run ADDRESS=0.0.0.0` exposes the app itself.
ADDRESS ?= 127.0.0.1

.PHONY: run test db bench cluster cluster-stop

$(VENV)/.stamp-runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.stamp-dev: $(VENV)/.stamp-runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Creates or migrates data/health.duckdb (or $$INDICATORS_DB) and loads the seed catalogue;
# existing rows are kept.
db: $(VENV)/.stamp-runtime
	$(PY) -m indicators init-db

# indicators.web.serve is `streamlit run app.py` without the first-visit "Page not found" (see it).
run: db
	$(PY) -m indicators.web.serve --server.address $(ADDRESS) --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

# The suite on pytest-xdist workers (2: CI's machine has 2 cores; serial ~17 min, 2 workers ~11).
# A test file runs whole on one worker (--dist loadfile): its module fixtures (an app server,
# a cluster) start once. INDICATORS_TEST_WORKERS=0 runs it in this one process.
INDICATORS_TEST_WORKERS ?= 2
# pytest exits 5 when it collects no test: that is a failure of the suite, not a pass.
test: $(VENV)/.stamp-dev
	$(PY) -m pytest -n $(INDICATORS_TEST_WORKERS) --dist loadfile; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

bench: $(VENV)/.stamp-runtime
	$(PY) -m indicators bench --format json

# A local cluster (scripts/cluster.sh): a throw-away PostgreSQL, N app processes on it and nginx
# in front, sticky per browser, at http://127.0.0.1:$(CLUSTER_PORT); logs and data in $(CLUSTER_DIR).
N ?= 2
CLUSTER_PORT ?= 8600
CLUSTER_DIR ?= tmp/cluster
cluster: $(VENV)/.stamp-runtime
	scripts/cluster.sh start $(CLUSTER_DIR) $(N) $(CLUSTER_PORT)

cluster-stop:
	scripts/cluster.sh stop $(CLUSTER_DIR)
