# Set-up and everyday commands. Every target creates the virtual environment if it is missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# One BLAS thread per process: samplers run chains in parallel on a 2-core machine.
THREADS := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=2

.PHONY: venv demo test test-fast lint fuzz docs bench-smoke clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# The main job on the bundled Mirabal-design example: writes an HTML report to demo_output/.
demo: $(STAMP)
	$(THREADS) MPLBACKEND=Agg $(VENV)/bin/mirabal-stats demo --output demo_output

# Lint and format check, then the whole suite: docstring examples, the fast property profile and
# the MCMC-marked tests (small draws) included.
test: $(STAMP) lint
	$(THREADS) MPLBACKEND=Agg $(PY) -m pytest -ra -q

lint: $(STAMP)
	$(VENV)/bin/ruff check mirabal_stats tests benchmarks docs
	$(VENV)/bin/ruff format --check mirabal_stats tests benchmarks docs

# The long property-based run (issue 14): many more generated cases than the CI profile.
fuzz: $(STAMP)
	$(THREADS) MPLBACKEND=Agg HYPOTHESIS_PROFILE=long $(PY) -m pytest -q tests/properties

# Without MCMC: for quick iterations.
test-fast: $(STAMP)
	$(THREADS) MPLBACKEND=Agg $(PY) -m pytest -ra -q -m "not mcmc and not slow and not browser"

docs: $(STAMP)
	$(PY) -m pip install --quiet -e ".[docs]"
	$(THREADS) MPLBACKEND=Agg $(PY) -m sphinx -b html docs docs/_build/html

clean:
	rm -rf docs/_build demo_output .pytest_cache
