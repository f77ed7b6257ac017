"""Credentials and extra-header values masked out of every text a report quotes (a gateway may echo them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from aigw_conformance.reports.model import DeepRun, TestResult
from aigw_conformance.suites.target import Target

MIN_MASKED = 4  # shorter values are no secrets, and masking them would mangle every message (`x-debug: 1`)
_CUT = "…"  # how excerpts end when they cut a body short


@dataclass(frozen=True)
class Masker:
    """Replaces each secret, and a cut-off start of one at the end of an excerpt, by `[masked <label>]`."""

    patterns: tuple[tuple[re.Pattern[str], str], ...] = ()

    @classmethod
    def of(cls, secrets: dict[str, str]) -> Masker:
        """From value → label; longer values first, so a secret containing another is masked whole."""
        chosen = sorted(((value, label) for value, label in secrets.items() if len(value) >= MIN_MASKED),
                        key=lambda item: -len(item[0]))
        return cls(tuple((_pattern(value), label) for value, label in chosen))

    def text(self, text: str) -> str:
        for pattern, label in self.patterns:
            text = pattern.sub(f"[masked {label}]", text)
        return text

    def result(self, result: TestResult) -> TestResult:
        if not self.patterns:
            return result
        return replace(
            result, message=self.text(result.message),
            failures=tuple(replace(f, message=self.text(f.message), request=self.text(f.request))
                           for f in result.failures),
            not_applicable=tuple(replace(n, message=self.text(n.message)) for n in result.not_applicable),
        )

    def deep(self, deep: DeepRun) -> DeepRun:
        return replace(deep, stop_reason=self.text(deep.stop_reason),
                       skipped={operation: self.text(why) for operation, why in deep.skipped.items()})


def _pattern(value: str) -> re.Pattern[str]:
    """The value anywhere, or a start of it (MIN_MASKED characters or more) where an excerpt was cut."""
    starts = "|".join(re.escape(value[:length]) for length in range(len(value) - 1, MIN_MASKED - 1, -1))
    return re.compile(re.escape(value) + (f"|(?:{starts})(?={_CUT}|$)" if starts else ""))


def secrets_of(target: Target) -> dict[str, str]:
    """Every credential the target holds, and every extra header's value, by what it is."""
    named = {
        "token": target.token, "api-key": target.api_key, "api-secret": target.api_secret,
        "client token": target.client_token, "second tenant token": target.second_token,
        "second tenant api-key": target.second_api_key, "second tenant api-secret": target.second_api_secret,
        "restricted token": target.restricted.no_access_token, "restricted models token":
            target.restricted.models_token, "limited client token": target.client.limited_token,
        "quota client token": target.client.quota_token,
        **{f"header {name}": value for name, value in target.headers.items()},
    }
    return {value: label for label, value in named.items() if value}


def masker_for(target: Target) -> Masker:
    return Masker.of(secrets_of(target))
