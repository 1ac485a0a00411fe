"""The look: palettes for light and dark, the style sheet, icons from resources/."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication


def _resources() -> Path:
    """resources/ beside ui/ in a clone; else the installed `sluice_resources` package."""
    beside = Path(__file__).resolve().parent.parent / "resources"
    if (beside / "style.qss").is_file():
        return beside
    import sluice_resources

    return Path(sluice_resources.__file__).resolve().parent


RESOURCES = _resources()

LIGHT = {
    "window": "#f3f5f8", "panel": "#ffffff", "card": "#ffffff", "input": "#ffffff",
    "text": "#1d2633", "muted": "#667085", "border": "#dde2e8", "borderStrong": "#b9c1cc",
    "hover": "#f0f4fa", "pressed": "#e3e9f2", "disabled": "#eef0f3", "disabledText": "#a3abb6",
    "accent": "#1f5fbf", "accentHover": "#184f9f", "accentSoft": "#e8f0fc",
    "cardBg": "#f7f9fc", "cardHover": "#eef3fa",
    "green": "#1e7f45", "greenSoft": "#e6f4ec", "red": "#c2352f", "redSoft": "#fbeaea",
    "amber": "#d99a00", "amberText": "#8a6100", "amberSoft": "#fdf5dd", "onAccent": "#ffffff",
}
DARK = {
    "window": "#15191f", "panel": "#1c2129", "card": "#232a33", "input": "#1a1f26",
    "text": "#e6e9ee", "muted": "#9aa4b2", "border": "#323a46", "borderStrong": "#4a5563",
    "hover": "#2a323d", "pressed": "#313a46", "disabled": "#22272e", "disabledText": "#5f6875",
    "accent": "#3b7ddd", "accentHover": "#4a8bea", "accentSoft": "#1f2f47",
    "cardBg": "#222831", "cardHover": "#29313c",
    "green": "#4cc27a", "greenSoft": "#18301f", "red": "#ef6b63", "redSoft": "#3a1f1f",
    "amber": "#f0b429", "amberText": "#f0c35a", "amberSoft": "#3a3018", "onAccent": "#ffffff",
}
# Status dots: ok, failed, error, unknown, testing.
DOT = {"ok": "#2e9d57", "failed": "#d64545", "error": "#e0a100", "unknown": "#9aa0a6",
       "testing": "#2f7de1"}

_current = dict(LIGHT)


def colors() -> dict[str, str]:
    """The palette in force (the delegate paints with it)."""
    return _current


def _is_dark(theme: str) -> bool:
    if theme == "dark":
        return True
    if theme == "light":
        return False
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def apply(app: QApplication, theme: str = "system") -> None:
    """Apply the light, dark or system theme to the whole application."""
    palette_values = DARK if _is_dark(theme) else LIGHT
    _current.clear()
    _current.update(palette_values)
    if not app.property("sluiceStyled"):
        # Once: setting a style again re-polishes every live widget, and with the job
        # wizard's cell widgets open that crashed Qt (PySide6 6.11.3, offscreen).
        app.setStyle("Fusion")
        app.setProperty("sluiceStyled", True)
    palette = QPalette()
    # Every role a view paints with: a role left out keeps Qt's light default (the dark
    # theme's alternate table rows were near-white under light text).
    role = QPalette.ColorRole
    for which, key in ((role.Window, "window"), (role.Base, "input"),
                       (role.AlternateBase, "cardBg"), (role.Text, "text"),
                       (role.WindowText, "text"), (role.Button, "card"),
                       (role.ButtonText, "text"), (role.Highlight, "accent"),
                       (role.HighlightedText, "onAccent"), (role.ToolTipBase, "card"),
                       (role.ToolTipText, "text"), (role.PlaceholderText, "muted"),
                       (role.Link, "accent"), (role.BrightText, "onAccent"),
                       (role.Light, "card"), (role.Midlight, "hover"), (role.Mid, "border"),
                       (role.Dark, "borderStrong"), (role.Shadow, "window")):
        palette.setColor(which, QColor(palette_values[key]))
    for which, key in ((role.Text, "disabledText"), (role.WindowText, "disabledText"),
                       (role.ButtonText, "disabledText")):
        palette.setColor(QPalette.ColorGroup.Disabled, which, QColor(palette_values[key]))
    app.setPalette(palette)
    app.setStyleSheet(style_sheet(palette_values))


def style_sheet(values: dict[str, str]) -> str:
    template = (RESOURCES / "style.qss").read_text()
    values = {**values, "icons": (RESOURCES / "icons").as_posix()}
    return re.sub(r"@(\w+)", lambda m: values[m.group(1)], template)


@cache
def dot_icon(status: str | None) -> QIcon:
    """A connection's status dot as an icon for a list; None: a blank of the same size."""
    from PySide6.QtGui import QPainter, QPixmap

    pixmap = QPixmap(14, 14)
    pixmap.fill(Qt.GlobalColor.transparent)
    if status is not None:
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(DOT.get(status, DOT["unknown"])))
        painter.drawEllipse(2, 2, 10, 10)
        painter.end()
    return QIcon(pixmap)


@cache
def icon(name: str) -> QIcon:
    """An icon from resources/icons (e.g. "refresh.svg")."""
    return QIcon(str(RESOURCES / "icons" / name))


def spinner():
    """The app's busy indicator: a thin, endless bar (hidden until shown)."""
    from PySide6.QtWidgets import QProgressBar

    bar = QProgressBar()
    bar.setObjectName("spinner")
    bar.setRange(0, 0)
    bar.setTextVisible(False)
    bar.setFixedWidth(140)
    bar.hide()
    return bar


def set_tone(label, tone: str | None, text: str) -> None:
    """Show `text` in a status label coloured by tone (ok, failed, error, stale, busy), or
    hide the label when tone is None."""
    label.setVisible(tone is not None)
    label.setText(text)
    label.setProperty("tone", tone or "")
    label.style().unpolish(label)
    label.style().polish(label)


def type_icon(type_key: str) -> QIcon:
    return icon(f"types/{type_key}.svg")
