# Set-up is part of every target: a fresh clone needs only `make run` or `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Test processes: a file's tests stay on one worker (its module fixtures start once); the
# shipped documents' index is built once and shared (tests/conftest.py).
TEST_WORKERS ?= 2
# The development questions join the load test's when ../shared is beside the clone.
LOAD_QUESTIONS ?= tests/fixtures/refusal_calibration.jsonl $(wildcard ../shared/eval/dev.jsonl ../shared/eval/dev2.jsonl)

.PHONY: run test install model index lint eval bench load-test clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11（$(PYTHON) 未找到）"; exit 1; }
	# uv where it can be had (pip otherwise); the CPU build of torch first: any other spec
	# pulls a multi-GB CUDA build. Each step prints how long it took.
	bash scripts/setup_venv.sh $(PYTHON) $(VENV)
	touch $(STAMP)

install: $(STAMP)

model: install
	$(PY) -m assistant fetch-model

index: model
	$(PY) -m assistant ingest

# app.py builds or updates the index before it serves: in one process, so the model and
# the libraries load once (`make index` alone builds it without serving).
run: model
	$(PY) app.py

test: model balancer embedding-server
	# The browser tests drive Debian's chromium (never a downloaded one); a CJK font keeps
	# screenshots and charts readable. matplotlib re-scans fonts when its cache is gone.
	# The scale-out test runs real replicas behind Debian's HAProxy (`balancer`).
	@test -x /usr/bin/chromium || { DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei && \
		rm -f $$HOME/.cache/matplotlib/fontlist-*.json; }
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

lint: install
	$(VENV)/bin/ruff check assistant benchmarks scripts tests app.py
	$(VENV)/bin/ruff format --check assistant benchmarks scripts tests app.py

eval: index
	$(PY) -m assistant eval ../shared/eval/dev.jsonl --baseline

bench: index
	$(PY) -m benchmarks

load-test: index
	# Through the OpenAI-compatible API of app.py, 1,000 questions each run: distinct
	# questions (no query-vector cache) by 1 client and by 32 at once, then an enrolment-season
	# mix where a few repeat often (cache as shipped); fails on any error or on server memory
	# growth beyond noise (about ten minutes on 2 cores).
	$(PY) scripts/load_test.py --season --clients 32 --questions 1000 --questions-file $(LOAD_QUESTIONS)

clean:
	rm -rf $(VENV) data

# Scale-out: N replicas of app.py behind HAProxy (Debian's package, installed when missing),
# sharing one Chroma server, on 127.0.0.1:7860 (docs/scale-out.md).
REPLICAS ?= 2
MATRIX_QUESTIONS ?= 200

.PHONY: balancer scale-out load-matrix

balancer:
	@test -x /usr/sbin/haproxy || { DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy; }

scale-out: index balancer
	# The server's index is seeded from the local one `make index` built; Ctrl-C stops all.
	$(PY) scripts/scale_out.py --replicas $(REPLICAS) --seed-index

load-matrix: index balancer
	# Replicas {1, 2} × clients {1, 8, 32} in one run, $(MATRIX_QUESTIONS) questions per cell.
	$(PY) scripts/load_test.py --matrix --questions $(MATRIX_QUESTIONS) --questions-file $(LOAD_QUESTIONS)

# A real OpenAI-compatible embedding server (Infinity) in a virtual environment of its own
# (its pins differ from the app's), for the remote-engine test and docs/remote-embedding.md.
EMBEDDING_SERVER_VENV ?= .venv-infinity
REMOTE_CHUNKS ?= 10000

.PHONY: embedding-server bench-remote

embedding-server:
	@test -x $(EMBEDDING_SERVER_VENV)/bin/infinity_emb || \
		bash scripts/setup_venv.sh $(PYTHON) $(EMBEDDING_SERVER_VENV) 'infinity-emb[server,torch]==0.0.78'

# 10,000 chunks ingested through Infinity on loopback (float32, CPU), with the stored
# vectors' agreement with the local float32 model (docs/remote-embedding.md).
bench-remote: model embedding-server
	$(PY) -m benchmarks.remote_ingest --chunks $(REMOTE_CHUNKS)
