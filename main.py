"""Sluice entry point: the GUI by default, headless sub-commands otherwise."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] not in ("--smoke", "--tray"):
        from app.cli import main as cli_main

        return cli_main(argv)
    from ui.app import run_gui

    # --tray: started at login, straight into the tray (see app.autostart)
    return run_gui(smoke="--smoke" in argv, tray_only="--tray" in argv)


if __name__ == "__main__":
    sys.exit(main())
