"""`python -m aigw_conformance` runs the command line."""

from __future__ import annotations

from aigw_conformance.interrupt import main

raise SystemExit(main())
