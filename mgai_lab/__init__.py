"""MGAI Lab: the application shell (Qt) — window, docks, worker, presets, export, CLI.

Importing this package is cheap and Qt-free; Qt is imported by the modules that need it.
"""

__version__ = "0.1.0"
