# Two commands work on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: run test lint clean

$(PY):
	@echo "Creating the virtual environment $(VENV) with $(PYTHON)…"
	$(PYTHON) -m venv $(VENV)

# The app (core + its window) for `run`; the app plus test tools for `test`. Installing says
# what it does (the first time takes a minute or two: pyarrow, DuckDB, Qt).
$(VENV)/.app: pyproject.toml | $(PY)
	@echo "Installing Sluice and its dependencies into $(VENV) (the first time takes a minute or two)…"
	$(PY) -m pip install --progress-bar on -e '.[gui]'
	@touch $@ && echo "Installed. Starting Sluice…"

$(VENV)/.test: pyproject.toml | $(PY)
	@echo "Installing Sluice, its dependencies and the test tools into $(VENV) (the first time takes a few minutes)…"
	$(PY) -m pip install --progress-bar on -e '.[gui,test]'
	@touch $@ $(VENV)/.app && echo "Installed."

run: $(VENV)/.app
	$(PY) main.py

test: $(VENV)/.test
	$(PY) -m ruff check app ui tests main.py bench
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider

lint: $(VENV)/.test
	$(PY) -m ruff check app ui tests main.py bench

clean:
	rm -rf $(VENV) build *.egg-info
