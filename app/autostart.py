"""Start Sluice at login, into the tray: an XDG autostart entry on Linux, a LaunchAgent on
macOS, a script in the Startup folder on Windows. One small module; `enable` writes the
entry, `disable` removes it, `enabled` says whether it is there."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from xml.sax.saxutils import escape

LABEL = "app.sluice.Sluice"  # macOS


def platform() -> str:
    return {"darwin": "macos", "win32": "windows"}.get(sys.platform, "linux")


def command() -> list[str]:
    """How this installation starts the app, into the tray."""
    installed = shutil.which("sluice")
    if installed:
        return [installed, "--tray"]
    return [sys.executable, str(Path(__file__).resolve().parents[1] / "main.py"), "--tray"]


def entry_path(system: str | None = None) -> Path:
    system = system or platform()
    home = Path.home()
    if system == "macos":
        return home / "Library" / "LaunchAgents" / f"{LABEL}.plist"
    if system == "windows":
        appdata = Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming")
        return appdata / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "Startup" / \
            "Sluice.cmd"
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return config / "autostart" / "sluice.desktop"


def entry_text(system: str, argv: list[str]) -> str:
    if system == "macos":
        args = "".join(f"\n        <string>{escape(a)}</string>" for a in argv)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
                '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
                '<plist version="1.0">\n<dict>\n'
                f"    <key>Label</key>\n    <string>{LABEL}</string>\n"
                f"    <key>ProgramArguments</key>\n    <array>{args}\n    </array>\n"
                "    <key>RunAtLoad</key>\n    <true/>\n"
                "</dict>\n</plist>\n")
    if system == "windows":
        quoted = " ".join(f'"{a}"' for a in argv)
        return f'@echo off\r\nstart "" {quoted}\r\n'
    return ("[Desktop Entry]\nType=Application\nName=Sluice\n"
            "Comment=Runs scheduled ETL jobs from the tray\n"
            f"Exec={' '.join(_exec_quote(a) for a in argv)}\nIcon=sluice\nTerminal=false\n"
            "X-GNOME-Autostart-enabled=true\n")


def _exec_quote(arg: str) -> str:
    """An argument of a desktop entry's Exec key (its own quoting: double quotes, with
    `"`, `` ` ``, `$` and `\\` escaped; `%` doubled)."""
    arg = arg.replace("%", "%%")
    if not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`'):
        return arg
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return f'"{escaped}"'


def enabled(system: str | None = None) -> bool:
    return entry_path(system).exists()


def enable(system: str | None = None, argv: list[str] | None = None) -> Path:
    system = system or platform()
    path = entry_path(system)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(entry_text(system, argv or command()), encoding="utf-8", newline="")
    return path


def disable(system: str | None = None) -> None:
    entry_path(system).unlink(missing_ok=True)
