"""Sluice's Qt user interface. Reaches data only through app.services."""
