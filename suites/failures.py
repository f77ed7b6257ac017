"""Typed check failures: what went wrong, how bad it is, and what a person should do about it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from aigw_conformance.reports.grounds_text import describe_grounds

GroundsKind = Literal["documented", "convention"]
# A failure, skip or transport message is cut to this many characters: it quotes what the target sent (an excerpt,
# a field, a header, a curl to reproduce), and one 15 MB line quoted in every report once made 912 MB of reports.
MAX_MESSAGE_CHARS = 4000


def capped(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text` cut to `limit` characters, saying how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit:,} more characters cut]"


class Severity(StrEnum):
    """How badly a failure breaks clients: critical breaks every client, low is cosmetic."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class Grounds:
    """Why a failure is one. `documented`: `source` is the seed file and `quote` its verbatim sentence.
    `convention`: an inferred spec element or an OpenAI convention; `source` names it, `quote` gives the reason."""

    kind: GroundsKind
    source: str
    quote: str

    @classmethod
    def documented(cls, source: str, quote: str) -> Grounds:
        return cls("documented", source, quote)

    @classmethod
    def convention(cls, reason: str, source: str = "convention") -> Grounds:
        return cls("convention", source, reason)

    @property
    def inferred(self) -> bool:
        return self.kind == "convention"

    def describe(self, width: int = 160) -> str:
        """`documented (000: "…")` or `convention: the reason`, the quote or reason cut to `width` characters."""
        return describe_grounds(self.kind, self.source, self.quote, width)


FailurePart = tuple[str, Grounds | None]  # one failure's message and its grounds (None: the check's own)


class CheckFailed(AssertionError):
    """Raised by a check; the registry attaches the check's name, severity and (unless given) grounds.

    `parts` holds several failures of one check with their own grounds (e.g. a schema violation on a documented
    element and one on an inferred element); by default the one `message` with `grounds`."""

    def __init__(self, message: str, grounds: Grounds | None = None, *, parts: Sequence[FailurePart] = ()) -> None:
        message = capped(message)
        super().__init__(message)
        self.message = message
        self.grounds = grounds
        self.parts: tuple[FailurePart, ...] = (tuple((capped(text), why) for text, why in parts)
                                               or ((message, grounds),))


class TestSkipped(Exception):
    """Raised by a conformance test that cannot run against this target, with the reason."""

    __test__ = False

    def __init__(self, reason: str) -> None:
        reason = capped(reason)
        super().__init__(reason)
        self.reason = reason


class TargetUnreachable(Exception):
    """The target did not answer at the transport level (refused, reset, timed out, too large, redirected)."""

    def __init__(self, reason: str) -> None:
        reason = capped(reason)
        super().__init__(reason)
        self.reason = reason


class RunBudgetSpent(TargetUnreachable):
    """The whole run's wall-clock budget (`--max-run-s`) ran out: the request was cut short or not sent. A transport
    failure for every handler of one (the test stops); the runner records it as `run.budget`, not `transport`."""
