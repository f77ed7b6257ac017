"""Typed check failures: what went wrong, how bad it is, and what a person should do about it."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """How badly a failure breaks clients: critical breaks every client, low is cosmetic."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class CheckFailed(AssertionError):
    """Raised by a check; the registry attaches the check's name and severity."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TestSkipped(Exception):
    """Raised by a conformance test that cannot run against this target, with the reason."""

    __test__ = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TargetUnreachable(Exception):
    """The target did not answer at the transport level (refused, reset, timed out, too large)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
