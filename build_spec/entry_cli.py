"""Frozen CLI entry point (thin: all logic lives in forensics.cli.main)."""

from forensics.cli.main import main

raise SystemExit(main())
