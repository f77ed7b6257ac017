"""Importing this package registers every check; `CHECKS` maps each name to its definition."""

from __future__ import annotations

from suites.checks import auth, chat, errors, http, models, schema, stream, validation
from suites.checks.registry import CHECKS, Check, CheckOutcome, run_checks

__all__ = ["CHECKS", "Check", "CheckOutcome", "auth", "chat", "errors", "http", "models", "run_checks", "schema",
           "stream", "validation"]
