# Set-up and everyday commands. Every target creates the virtual environment if it is missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# One BLAS thread per process: samplers run chains in parallel on a 2-core machine.
THREADS := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=2

.PHONY: venv demo test test-fast docs bench-smoke clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# The main job on the bundled Mirabal-design example: writes an HTML report to demo_output/.
demo: $(STAMP)
	$(THREADS) MPLBACKEND=Agg $(VENV)/bin/mirabal-stats demo --output demo_output

# The whole suite, MCMC-marked tests included (small draws).
test: $(STAMP)
	$(THREADS) MPLBACKEND=Agg $(PY) -m pytest -ra -q

# Without MCMC: for quick iterations.
test-fast: $(STAMP)
	$(THREADS) MPLBACKEND=Agg $(PY) -m pytest -ra -q -m "not mcmc and not slow"

docs: $(STAMP)
	$(PY) -m pip install --quiet -e ".[docs]"
	$(THREADS) MPLBACKEND=Agg $(PY) -m sphinx -b html docs docs/_build/html

clean:
	rm -rf docs/_build demo_output .pytest_cache
