# medaudit — two commands: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo-output
PATIENTS ?= 20000
MONTHS ?= 3
SERVE ?= 1
PORT ?= 8000

.PHONY: demo test bench lock lint venv clean

$(BIN)/uv:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip uv

$(VENV)/.installed: $(BIN)/uv requirements/lock.txt pyproject.toml
	$(BIN)/uv pip sync -q --python $(BIN)/python requirements/lock.txt
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

venv: $(VENV)/.installed

# generates a region, exports it as national centre tables, ingests, audits, evaluates, then serves
# the real-time API (SERVE=0 to stop after the audit)
demo: venv
	$(BIN)/medaudit demo --out $(DEMO_DIR) --patients $(PATIENTS) --months $(MONTHS) --port $(PORT) \
	  $(if $(filter 1,$(SERVE)),--serve,--no-serve)

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src

test: venv lint
	bash tests/setup_system.sh
	$(BIN)/pytest -n 2 --dist loadfile --durations=30

bench: venv
	$(BIN)/python -m benchmarks

lock: $(BIN)/uv
	$(BIN)/uv pip compile -q --python-version 3.11 --extra test --extra spark pyproject.toml -o requirements/lock.txt

clean:
	rm -rf $(VENV) $(DEMO_DIR)
