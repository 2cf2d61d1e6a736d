"""Bundled data (event maps, templates, styles, icons, the demo case); not code."""
