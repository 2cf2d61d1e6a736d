"""Frozen GUI entry point (thin: all logic lives in app.main)."""

from app.main import main

raise SystemExit(main())
