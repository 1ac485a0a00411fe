"""Sluice entry point: the GUI by default, headless sub-commands otherwise."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] not in ("--smoke", "--tray"):
        from app.cli import main as cli_main

        return cli_main(argv)
    try:
        import PySide6  # noqa: F401 - the window's toolkit, an extra of the core
    except ImportError:
        print("sluice: the app's window needs the GUI extra: pip install 'sluice[gui]'. The "
              "command line works without it (sluice --help).", file=sys.stderr)
        return 2
    from ui.app import run_gui

    # --tray: started at login, straight into the tray (see app.autostart)
    return run_gui(smoke="--smoke" in argv, tray_only="--tray" in argv)


if __name__ == "__main__":
    sys.exit(main())
