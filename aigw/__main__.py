"""`python -m aigw` runs the command line."""

from __future__ import annotations

from aigw.cli import main

raise SystemExit(main())
