# One-line entry points (see README). Each target builds its own virtual environment first.
PYTHON ?= $(shell command -v python3.12 || command -v python3.13 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test venv clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 12), "Python 3.12 or newer is required (found %s)" % sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) -m model run params/baseline.toml --out results/baseline

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup

clean:
	rm -rf $(VENV) results .pytest_cache
