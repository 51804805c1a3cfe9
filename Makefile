# salesnb: two commands on a fresh machine
#   make review   set up .venv and run the main job on the bundled demo data
#   make test     set up .venv and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# pytest-xdist workers for make test (the CI machine has 2 cores); TEST_WORKERS=0: one process
TEST_WORKERS ?= 2
STAMP  := $(VENV)/.installed

.PHONY: setup review test lint bench demo-data clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# Main job: the quarterly review of the bundled demo data; PDFs and summary.json in reports/2026Q3/.
QUARTER ?= 2026Q3
review: $(STAMP)
	$(BIN)/salesnb check data/demo
	$(BIN)/salesnb review --data data/demo --quarter $(QUARTER) --out reports/$(QUARTER)

test: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest -n $(TEST_WORKERS)

lint: $(STAMP)
	$(BIN)/ruff check salesnb tests bench
	$(BIN)/ruff format --check salesnb tests bench

bench: $(STAMP)
	$(BIN)/python bench/bench_demo_check.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_review.py
	$(BIN)/python bench/bench_pareto.py
	$(BIN)/python bench/bench_run_pareto.py
	$(BIN)/python bench/bench_scale.py
	$(BIN)/python bench/bench_100m.py  # 100M order lines: ~1 GB of Parquet (written once), about an hour

# Rewrite the committed demo data set (seeded: the bytes only change when the generator does).
demo-data: $(STAMP)
	$(BIN)/salesnb demo --out data/demo --force

clean:
	rm -rf build .pytest_cache
