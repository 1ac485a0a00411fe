# Two commands work on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: run test lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# The app (core + its window) for `run`; the app plus test tools for `test`.
$(VENV)/.app: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[gui]'
	touch $@

$(VENV)/.test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[gui,test]'
	touch $@ $(VENV)/.app

run: $(VENV)/.app
	$(PY) main.py

test: $(VENV)/.test
	$(PY) -m ruff check app ui tests main.py bench
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider

lint: $(VENV)/.test
	$(PY) -m ruff check app ui tests main.py bench

clean:
	rm -rf $(VENV) build *.egg-info
