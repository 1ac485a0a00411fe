"""Sluice installed as a user installs it: a wheel built from this tree, `pip install`ed into
a fresh virtual environment, started as the `sluice` command from another folder. (The
dependencies come from this environment through a .pth file, so the test builds and checks
Sluice's own wheel without downloading the world.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("install")
    dist = root / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w",
                    str(dist), str(ROOT)], check=True, timeout=600, capture_output=True)
    (wheel,) = dist.glob("sluice-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
                    str(wheel)], check=True, timeout=300, capture_output=True)
    shadow = root / "deps"
    shadow.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if entry.name.startswith(("__editable__", "sluice-", "sluice_")) or \
                entry.suffix == ".pth":
            continue  # this checkout's own (editable) Sluice
        (shadow / entry.name).symlink_to(entry)
    site = subprocess.run([str(python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "zz-deps.pth").write_text(f"{shadow}\n")
    return venv


def sluice(venv: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
    environ.update(SLUICE_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    return subprocess.run([str(venv / "bin" / "sluice"), *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env=environ)


def test_the_wheel_carries_the_style_sheet_icons_and_migrations(installed):
    (wheel,) = (installed.parent / "dist").glob("sluice-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"sluice_resources/style.qss", "sluice_resources/icons/sluice.svg",
            "sluice_resources/icons/types/postgresql.svg", "main.py",
            "app/store/migrations/env.py"} <= names
    assert not [n for n in names if n.startswith(("tests/", "bench/"))]


def test_the_installed_command_starts_the_app_and_the_cli(installed, tmp_path):
    smoke = sluice(installed, tmp_path, "--smoke")
    assert smoke.returncode == 0, smoke.stderr
    types = sluice(installed, tmp_path, "types", "--json")
    assert types.returncode == 0, types.stderr
    assert len(json.loads(types.stdout)) == 24
    where = subprocess.run([str(installed / "bin" / "python"), "-c",
                            "import ui.theme; print(ui.theme.RESOURCES)"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert str(installed) in where.stdout  # from the installed package, not this checkout


def test_the_package_list_names_every_package():
    """pyproject lists Sluice's packages (resources/ is mapped): none may be missing."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for top in ("app", "ui")
             for p in (ROOT / top).rglob("__init__.py")}
    assert listed == found | {"sluice_resources"}


def test_each_missing_driver_names_an_extra_that_installs_it():
    import tomllib

    from app.connectors.registry import TYPES

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    named = {t.driver.extra for t in TYPES if t.driver.extra}
    assert named == {"oracle", "mssql", "snowflake", "teradata", "db2", "mongodb", "cassandra",
                     "firestore", "aws"}
    for t in TYPES:
        if t.driver.extra:
            assert any(r.split("==")[0] == t.driver.package for r in extras[t.driver.extra])
    assert extras["all"] == [f"sluice[{','.join(sorted(named, key=list(extras).index))}]"]
