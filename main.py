"""Sluice entry point: the GUI by default, headless sub-commands otherwise."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] not in ("--smoke",):
        from app.cli import main as cli_main

        return cli_main(argv)
    from ui.app import run_gui

    return run_gui(smoke="--smoke" in argv)


if __name__ == "__main__":
    sys.exit(main())
