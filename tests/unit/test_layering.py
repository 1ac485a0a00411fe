"""app/ never imports Qt (or ui/): the same core runs in the CLI, scheduler and cloud."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("PySide6", "shiboken6", "ui")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_under_app_imports_qt_or_ui():
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & set(FORBIDDEN))
                 for p in (ROOT / "app").rglob("*.py") if _imports(p) & set(FORBIDDEN)}
    assert offenders == {}


def test_importing_every_app_module_loads_no_qt():
    code = (
        "import importlib, pkgutil, sys, app\n"
        "for m in pkgutil.walk_packages(app.__path__, 'app.'):\n"
        "    if '.migrations' not in m.name: importlib.import_module(m.name)\n"
        "bad = [n for n in sys.modules if n.split('.')[0] in ('PySide6', 'shiboken6', 'ui')]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ui_reaches_data_only_through_services():
    deep = ("sqlalchemy", "psycopg2", "pymysql", "keyring", "google")
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & set(deep))
                 for p in (ROOT / "ui").rglob("*.py") if _imports(p) & set(deep)}
    assert offenders == {}


def _modules(path: Path) -> set[str]:
    """Every module `path` imports, in full (app.etl.runner), wherever the import stands."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_ui_reaches_the_engine_and_the_stores_only_through_services():
    """The registry's type descriptions stay open to ui/; the engine, the connectors'
    internals, the store and the secret backends are reached through app.services."""
    inner = ("app.etl", "app.connectors", "app.store", "app.secrets")
    allowed = ("app.connectors.registry",)
    offenders = {}
    for path in (ROOT / "ui").rglob("*.py"):
        bad = sorted(m for m in _modules(path)
                     if m.startswith(inner) and not m.startswith(allowed))
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


def test_no_module_imports_a_platform_lock_module_at_load():
    """fcntl (POSIX) and msvcrt (Windows) are imported where used, in app/locks.py, so the
    app imports on either platform."""
    offenders = []
    for path in [*(ROOT / "app").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]:
        tree = ast.parse(path.read_text(), str(path))
        for node in tree.body:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n.split(".")[0] in ("fcntl", "msvcrt") for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
