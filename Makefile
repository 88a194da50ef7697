# `make run` serves the app as the Procfile does; `make test` sets everything up and runs the suite;
# `make bench` measures it under load (docs/PERFORMANCE.md). Python 3.11+ (scripts/ensure-venv.sh).
VENV ?= .venv
PYTHON ?= python3
PORT ?= 8000
BIN := $(VENV)/bin
# The benchmark's FastAPI peer (bench/peer/app.py) lives in a virtual environment of its own.
PEER_VENV ?= .venv-peer

.PHONY: run test bench demo install install-test system-deps redis-deps bench-deps clean

# burki_sip/devredis.py checks the settings first (gunicorn parses WEB_CONCURRENCY itself as it is
# imported: only this check turns every bad value into one line), then serves gunicorn on
# REDIS_URL or, without one (or Sentinels), on a redis-server of its own, installed here if missing.
run: install
	@[ -n "$$REDIS_URL$$REDIS_SENTINELS" ] || sh scripts/ensure-redis-server.sh
	@HOST=127.0.0.1 PORT=$(PORT) $(BIN)/python -m burki_sip.devredis $(BIN)/gunicorn wsgi:app

test: install-test system-deps
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install system-deps bench-deps
	PEER_PYTHON=$(PEER_VENV)/bin/python $(BIN)/python bench/run.py

# Real SIP calls through the reference Kamailio bridge (docs/sip-bridge.md); Ctrl-C stops it all.
demo: install
	sh scripts/ensure-redis-server.sh
	sh scripts/ensure-sip-tools.sh
	$(BIN)/python examples/kamailio/demo.py

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

$(VENV)/.installed: requirements.txt setup.cfg setup.py
	PYTHON=$(PYTHON) sh scripts/ensure-venv.sh $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

system-deps: redis-deps
	sh scripts/ensure-sip-tools.sh
	sh scripts/ensure-chromium.sh

redis-deps:
	sh scripts/ensure-redis-server.sh

bench-deps: $(PEER_VENV)/.installed
	sh scripts/ensure-wrk.sh

$(PEER_VENV)/.installed: bench/requirements.txt
	PYTHON=$(PYTHON) sh scripts/ensure-venv.sh $(PEER_VENV)
	$(PEER_VENV)/bin/pip install -q -r bench/requirements.txt
	touch $@

clean:
	rm -rf $(VENV) $(PEER_VENV) .pytest_cache .hypothesis *.egg-info .burki-sip
