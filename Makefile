# Impfportal: `make run` for the quick start, `make test` for the whole suite,
# `make bench` for the benchmarks (bench/README.md).
PYTHON ?= $(shell command -v python3.13 2>/dev/null || echo /root/.pyenv/versions/3.13.0/bin/python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The demo's port: `make run PORT=8001`. Links in the printed SMS follow it.
PORT ?= 8000
DEV_ENV := DEBUG=true DATABASE_URL=sqlite:///$(CURDIR)/db.sqlite3 SMS_BACKEND=sms.backends.console.ConsoleBackend PORTAL_URL=http://127.0.0.1:$(PORT)

.PHONY: run test lint format messages services browser cluster-tools cluster assets lock clean bench bench-exchange bench-sms bench-cluster bench-voice bench-morning

$(STAMP): requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $(STAMP)

# Re-pin after changing the dependencies in pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip install --quiet uv==0.13.8
	$(BIN)/uv pip compile pyproject.toml -q --python-version 3.13 --no-header -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml -q --python-version 3.13 --no-header --extra dev -o requirements-dev.lock

run: $(STAMP)
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py load_demo_data
	PATH="$(CURDIR)/$(BIN):$$PATH" $(DEV_ENV) $(BIN)/honcho -f Procfile.dev start --port $(PORT)

services:
	bash scripts/ensure-services.sh

# Chromium (Debian's) and the npm packages, for the browser tests.
browser:
	bash scripts/ensure-browser.sh

# HAProxy and PgBouncer from Debian (PostgreSQL's own binaries make the replica),
# for `make cluster` and the fault tests in tests/cluster/.
cluster-tools:
	bash scripts/ensure-cluster-tools.sh

# The production roles for real on this machine (README, "Scaling out"): 3 web
# nodes behind HAProxy, PgBouncer, a streaming replica, Redis, 2 dispatchers,
# 2 task workers. Ctrl+C stops them all. CLUSTER_ARGS="--port-base 18500 --workers 3"
cluster: $(STAMP) services cluster-tools
	$(BIN)/python scripts/cluster.py $(CLUSTER_ARGS)

# Rebuild static/vendor/kern/ (committed) from @kern-ux/native after changing its version.
assets: $(STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python scripts/build_assets.py

test: $(STAMP) services browser cluster-tools
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=tests.settings
	$(BIN)/python scripts/check_messages.py
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

# Each benchmark makes and drops its own database; wrk is installed from Debian if missing.
bench: $(STAMP) services
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: $(STAMP)
	$(DEV_ENV) $(BIN)/python manage.py makemessages -l de --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=test-artifacts --no-obsolete
	$(DEV_ENV) $(BIN)/python manage.py compilemessages --ignore=.venv -l de

# The waiting-list exchange under load (own database, dropped afterwards). The issue's
# size: make bench-exchange BENCH_ARGS="--entries 100000 --cancellations 1000"
bench-exchange: $(STAMP) services
	$(BIN)/python bench/exchange.py $(BENCH_ARGS)
# SMS outbox drain: 70,000 notifications through the real Twilio SDK against a fake server.
bench-sms: $(STAMP) services
	$(BIN)/python bench/sms_drain.py $(BENCH_ARGS)
# The voice line: 1,000 simulated calls walk the waiting-list menu through signed webhooks.
bench-voice: $(STAMP) services
	$(BIN)/python bench/voice.py $(BENCH_ARGS)
# Bookings through HAProxy against 1 and then 3 web nodes (PgBouncer, replica).
bench-cluster: $(STAMP) services cluster-tools
	$(BIN)/python bench/cluster.py $(BENCH_ARGS)
# The opening morning through the waiting room (5,000 residents by default; smaller:
# make bench-morning BENCH_ARGS="--residents 1500 --pre-seconds 60 --post-seconds 30").
bench-morning: $(STAMP) services
	$(BIN)/python bench/morning.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 node_modules test-artifacts
