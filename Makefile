# CrossingWatch: `make run` scans the bundled sample; `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODEL_DIR := data/models/default
MODEL := $(MODEL_DIR)/model.json
CORPUS := $(sort $(wildcard data/corpus/*.jsonl))
DATA := $(wildcard data/lexicons/*.tsv data/normalise/*.tsv data/gazetteer/*.tsv src/crossingwatch/detect/*.py)
SAMPLE := data/samples/posts.jsonl
QUERY_MODEL := $(MODEL_DIR)/query_model.json
QUERY_DATA := $(wildcard data/queries/*.jsonl data/redirect/*.toml data/redirect/messages/*.toml)

.PHONY: setup model run test serve bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	bash scripts/system-packages.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

model: $(MODEL) $(QUERY_MODEL)

$(MODEL): $(STAMP) $(CORPUS) $(DATA)
	$(BIN)/crossingwatch train $(foreach f,$(CORPUS),--data $(f)) --cv-folds 3 --out $(MODEL_DIR)

$(QUERY_MODEL): $(MODEL) $(QUERY_DATA)
	$(BIN)/crossingwatch redirect --train --model-dir $(MODEL_DIR)

run: $(MODEL)
	@mkdir -p out
	$(BIN)/crossingwatch scan $(SAMPLE) --output out/predictions.jsonl --report out/report.html \
		--rejects out/rejects.jsonl --db out/crossingwatch.db
	@echo "predictions: out/predictions.jsonl  report: out/report.html  database: out/crossingwatch.db"

test: $(MODEL) $(QUERY_MODEL)
	$(BIN)/python -m pytest -q

serve: $(MODEL) $(QUERY_MODEL)
	@mkdir -p out
	$(BIN)/crossingwatch scan $(SAMPLE) --output out/serve-predictions.jsonl --db out/serve.db --quiet
	$(BIN)/crossingwatch cases open --db out/serve.db
	$(BIN)/crossingwatch networks build --db out/serve.db
	@$(BIN)/crossingwatch users add admin --role admin --db out/serve.db 2>/dev/null || true
	@echo "console login at http://127.0.0.1:8000/login -- name: admin, password (shown once):"
	@$(BIN)/crossingwatch users password admin --generate --db out/serve.db
	@echo "admin API token (valid 1 day, shown once):"
	@$(BIN)/crossingwatch tokens create admin --days 1 --db out/serve.db
	$(BIN)/crossingwatch serve --host 127.0.0.1 --port 8000 --db out/serve.db

bench: $(MODEL) $(QUERY_MODEL)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/scan_throughput.py
	$(BIN)/python benchmarks/match_pdq.py --n 1000000
	$(BIN)/python benchmarks/ocr.py
	$(BIN)/python benchmarks/cluster.py --n 200000
	$(BIN)/python benchmarks/redirect_latency.py
	$(BIN)/python benchmarks/api_load.py

clean:
	rm -rf out $(MODEL_DIR) .pytest_cache
