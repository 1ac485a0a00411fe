# Two commands work on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: run test lint clean package package-test screenshots

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

# The one-folder app: dist/sluice/sluice (PyInstaller; ~1 minute). package-test builds it
# and starts it: --smoke, and a SQLite -> local warehouse job.
package: $(VENV)/.test
	$(PY) packaging/icons.py build/icons
	$(PY) -m PyInstaller packaging/sluice.spec --noconfirm --distpath dist --workpath build/pyinstaller
	@echo "Built dist/sluice/sluice"

package-test: package
	SLUICE_BUNDLE=dist/sluice/sluice QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider tests/integration/test_bundle.py

# README's pictures, made offscreen at a fixed size in both themes: docs/screenshots/*.png.
screenshots: $(VENV)/.test
	QT_QPA_PLATFORM=offscreen $(PY) packaging/screenshots.py docs/screenshots

clean:
	rm -rf $(VENV) build dist *.egg-info
