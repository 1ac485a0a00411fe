"""Sluice core: everything that runs without Qt (GUI, CLI, scheduler and cloud share it)."""

__version__ = "0.1.0"
