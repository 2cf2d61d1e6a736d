"""Widgets of the main window: query bar, grid, docks."""
