"""Importing this package registers every check; `CHECKS` maps each name to its definition."""

from __future__ import annotations

from suites.checks import (
    auth,
    chat,
    client,
    errors,
    http,
    models,
    output,
    schema,
    sdk,
    store,
    stream,
    tools,
    validation,
    voices,
)
from suites.checks.registry import CHECKS, Check, CheckOutcome, run_checks

__all__ = ["CHECKS", "Check", "CheckOutcome", "auth", "chat", "client", "errors", "http", "models", "output",
           "run_checks", "schema", "sdk", "store", "stream", "tools", "validation", "voices"]
