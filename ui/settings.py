"""The GUI's own settings (window geometry, splitter, theme), kept beside the store."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from app import paths

THEMES = {"system": "Follow the system", "light": "Light", "dark": "Dark"}


def ui_settings() -> QSettings:
    """An ini file in the data directory, so SLUICE_HOME moves it along with the store."""
    return QSettings(str(paths.data_dir() / "ui.ini"), QSettings.Format.IniFormat)


def theme_name() -> str:
    value = ui_settings().value("appearance/theme", "system")
    return value if value in THEMES else "system"


def set_theme_name(name: str) -> None:
    settings = ui_settings()
    settings.setValue("appearance/theme", name)
    save(settings)


def save(settings: QSettings) -> None:
    """Write the settings now; the file is the user's own (0600, like the store)."""
    from pathlib import Path

    from app.paths import make_private

    settings.sync()
    make_private(Path(settings.fileName()))
