"""Test-only helpers importable as ``helpers.*`` (tests/ is on pythonpath)."""
