"""Findings: a run's failures grouped by check and grounds, each with the tests it broke and one example exchange."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aigw_conformance.reports.grounds_text import describe_grounds, grounds_words

if TYPE_CHECKING:  # the model imports this module; names only for the type checker
    from aigw_conformance.reports.model import FailureRecord, TestResult

SEVERITY_ORDER = ("critical", "high", "medium", "low")  # anything else (older or custom severities) ranks after
NO_CHECK = "(test failed)"  # a failed test with no failure record (e.g. it sent no request)
# How suites describe an exchange at the start of a failure message: `POST /chat/completions (label) → 200: `;
# found anywhere, since collapsed failures quote their first one ("3 of 9 generated requests failed; first: …").
_EXCHANGE = re.compile(r"\b(?P<request>(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\S*(?: \(.*?\))?)"
                       r" → (?P<status>\d{3}): ")
EXCERPT_CHARS = 300


@dataclass(frozen=True)
class Finding:
    """One distinct deviation: every failure of one check on one kind of grounds, across the tests it broke.

    `test`, `request`, `status` and `message` are its representative: the first failure (in run order) whose
    exchange is known, else the first failure."""

    check: str
    severity: str
    grounds: str  # "documented" or "convention"
    tests: tuple[str, ...]  # IDs of the tests it broke, in run order
    failures: int  # failure records behind it (a test may fail one check on several exchanges)
    test: str
    request: str  # the representative's request line, e.g. `POST /chat/completions (gpt-5, streamed)`; "" unknown
    status: str  # the representative's response status, e.g. "200"; "" unknown (no response, older report)
    message: str  # the representative's failure message, in full
    source: str = ""
    quote: str = ""
    # Each distinct sentence (or convention) its failures rest on, with the tests that broke it; the representative's
    # first. One check may enforce several (a range check: each parameter's own row).
    sentences: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    @property
    def count(self) -> int:
        """How many tests it broke."""
        return len(self.tests)

    @property
    def exchange(self) -> str:
        """`REQUEST → STATUS`, or "" when the representative's exchange is unknown."""
        return f"{self.request} → {self.status}" if self.request and self.status else self.request

    def excerpt(self, limit: int = EXCERPT_CHARS) -> str:
        """The failure message without its exchange description, whitespace collapsed, cut at a word to `limit`."""
        return textwrap.shorten(detail(self.message), limit, placeholder=" …")

    def quoted(self, limit: int = 200) -> str:
        """The grounds' words: `001: "the quote"` (documented) or the reason (convention); "" when not recorded;
        when its failures rest on several sentences, how many more (each failed test names its own)."""
        words = grounds_words(self.grounds, self.source, self.quote, limit)
        return words + self._more() if words else words

    def grounds_note(self, limit: int = 200) -> str:
        """`documented (001: "the quote")`, `convention: the reason`, or the bare grounds when no quote was recorded;
        with how many more sentences its failures rest on."""
        return describe_grounds(self.grounds, self.source, self.quote, limit) + self._more() if self.grounds else ""

    def _more(self) -> str:
        more = len(self.sentences) - 1
        return f" and {more} more sentence{'' if more == 1 else 's'} (each failed test quotes its own)" if more > 0 \
            else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check, "severity": self.severity, "grounds": self.grounds, "tests": self.count,
            "failures": self.failures, "source": self.source, "quote": self.quote,
            "example": {"test": self.test, "request": self.request, "status": self.status,
                        "excerpt": self.excerpt()},
            "test_ids": list(self.tests),
            "sentences": [{"source": source, "quote": quote, "test_ids": list(tests)}
                          for source, quote, tests in self.sentences],
        }


def grounds_of(failure: FailureRecord) -> str:
    """The failure's grounds; a record without them (older reports) is documented unless `inferred`."""
    if failure.grounds in ("documented", "convention"):
        return failure.grounds
    return "convention" if failure.inferred else "documented"


def exchange_of(failure: FailureRecord) -> tuple[str, str]:
    """(request line, status) of the failure: its recorded fields, else parsed from its message."""
    if failure.request:
        return failure.request, failure.status
    return _parse(failure.message)


def _parse(message: str) -> tuple[str, str]:
    found = _EXCHANGE.search(message)
    return (found["request"], found["status"]) if found else ("", "")


def detail(message: str) -> str:
    """`message` without the exchange description it quotes (what failed, not where)."""
    found = _EXCHANGE.search(message)
    return message[:found.start()] + message[found.end():] if found else message


def severity_rank(severity: str) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


@dataclass(frozen=True)
class _Failure:
    test: str
    check: str
    severity: str
    grounds: str
    request: str
    status: str
    message: str
    source: str = ""
    quote: str = ""


def _failures(result: TestResult) -> Iterable[_Failure]:
    """Each failure of a failed test; one with no failure record stands for itself under NO_CHECK."""
    if not result.failures:
        yield _Failure(result.id, NO_CHECK, "", "documented", *_parse(result.message), result.message)
    for failure in result.failures:
        yield _Failure(result.id, failure.check, failure.severity, grounds_of(failure), *exchange_of(failure),
                       failure.message, failure.source, failure.quote)


def findings_of(results: Iterable[TestResult]) -> list[Finding]:
    """The distinct deviations in `results`: failed tests' failures grouped by (check, grounds); most severe first,
    then documented before convention, then most tests broken. Not-applicable outcomes are not failures."""
    groups: dict[tuple[str, str], list[_Failure]] = {}
    for result in results:
        if result.outcome == "failed":
            for failure in _failures(result):
                groups.setdefault((failure.check, failure.grounds), []).append(failure)
    found = [_finding(members) for members in groups.values()]
    return sorted(found, key=lambda f: (severity_rank(f.severity), f.grounds != "documented", -f.count, f.check))


def _finding(members: list[_Failure]) -> Finding:
    example = next((member for member in members if member.request), members[0])
    severity = min((member.severity for member in members), key=severity_rank)
    tests = tuple(dict.fromkeys(member.test for member in members))
    by_sentence: dict[tuple[str, str], list[str]] = {(example.source, example.quote): []}
    for member in members:
        by_sentence.setdefault((member.source, member.quote), []).append(member.test)
    sentences = tuple((source, quote, tuple(dict.fromkeys(tested))) for (source, quote), tested in by_sentence.items())
    return Finding(example.check, severity, example.grounds, tests, len(members), example.test, example.request,
                   example.status, example.message, example.source, example.quote, sentences)
