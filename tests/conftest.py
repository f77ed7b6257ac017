"""Guards for the whole test run: see leak_guard (leftover threads and child processes fail the session)."""

from __future__ import annotations

from leak_guard import pytest_sessionfinish

__all__ = ["pytest_sessionfinish"]
