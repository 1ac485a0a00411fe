"""Sluice's resources: the style sheet, icons (one tile per connection type), the app icon.

Installed as the package `sluice_resources` (see pyproject.toml), so a wheel, pipx and the
PyInstaller bundle carry them; found through `ui.theme.RESOURCES`."""
