"""Start at login: the entry each platform reads, at the path it reads it from (Linux
written for real; macOS and Windows checked by content)."""

from __future__ import annotations

import plistlib

from app import autostart


def test_linux_writes_and_removes_an_xdg_autostart_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    argv = ["/opt/my apps/bin/python", "/srv/sluice/main.py", "--tray"]
    assert not autostart.enabled("linux")
    path = autostart.enable("linux", argv)
    assert path == tmp_path / "config" / "autostart" / "sluice.desktop"
    assert autostart.enabled("linux")
    entry = dict(line.split("=", 1) for line in path.read_text().splitlines()
                 if "=" in line)
    assert path.read_text().startswith("[Desktop Entry]\n")
    assert entry["Type"] == "Application" and entry["Name"] == "Sluice"
    assert entry["Exec"] == '"/opt/my apps/bin/python" /srv/sluice/main.py --tray'
    autostart.disable("linux")
    assert not path.exists() and not autostart.enabled("linux")
    autostart.disable("linux")  # already gone: nothing to do


def test_the_default_command_starts_this_installation_into_the_tray():
    argv = autostart.command()
    assert argv[-1] == "--tray"
    assert argv[0].endswith(("sluice", "python", "python3")) or "python" in argv[0]


def test_macos_gets_a_launch_agent(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    path = autostart.entry_path("macos")
    assert path == tmp_path / "Library" / "LaunchAgents" / "app.sluice.Sluice.plist"
    agent = plistlib.loads(autostart.entry_text("macos", ["/Applications/Sluice.app/x",
                                                          "--tray"]).encode())
    assert agent == {"Label": "app.sluice.Sluice", "RunAtLoad": True,
                     "ProgramArguments": ["/Applications/Sluice.app/x", "--tray"]}


def test_windows_gets_a_script_in_the_startup_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    path = autostart.entry_path("windows")
    assert path == (tmp_path / "Roaming" / "Microsoft" / "Windows" / "Start Menu" /
                    "Programs" / "Startup" / "Sluice.cmd")
    text = autostart.entry_text("windows", [r"C:\Program Files\Sluice\sluice.exe", "--tray"])
    assert text == '@echo off\r\nstart "" "C:\\Program Files\\Sluice\\sluice.exe" "--tray"\r\n'
