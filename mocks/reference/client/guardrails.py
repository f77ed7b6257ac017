"""The `pii-checker` guardrail: email, phone and Luhn-checked card number detectors, on input and output."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from starlette.datastructures import Headers

from aigw_conformance.mocks.reference.client.errors import guardrail_block, invalid_request
from aigw_conformance.mocks.reference.settings import GatewaySettings

# Reference-only test hook: `x-aigw-test-output-pii: email|phone|credit_card` makes the gateway put a sample of
# that kind into the generated text (the second content delta of a stream), so the output guardrail has
# something to find. The mock's text never contains PII by itself. Off with `client_test_hooks=False`.
TEST_HOOK = "x-aigw-test-output-pii"
SAMPLES: dict[str, str] = {
    "email": "jane.doe@example.com",
    "phone": "+1 415-555-0134",
    "credit_card": "4111 1111 1111 1111",
}

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# 13 to 19 digits, optionally grouped by single spaces or hyphens; only Luhn-valid runs are card numbers.
_DIGIT_RUN = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
# +CC and grouped national numbers, e.g. +1 415-555-0134, (415) 555-0134, 415.555.0134, +44 20 7946 0958.
_PHONE = re.compile(
    r"(?<![\w+])(?<!\d\.)(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]?\d{3,4}(?!\w|\.\d)"
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _cards(text: str) -> bool:
    return any(luhn_valid(re.sub(r"\D", "", match.group())) for match in _DIGIT_RUN.finditer(text))


def _phones(text: str) -> bool:
    # Long digit runs (cards, account numbers) are not phone numbers, whether or not they pass Luhn.
    return _PHONE.search(_DIGIT_RUN.sub(" ", text)) is not None


DETECTORS: dict[str, Callable[[str], bool]] = {
    "email": lambda text: _EMAIL.search(text) is not None,
    "phone": _phones,
    "credit_card": _cards,
}


def scan(text: str, detectors: Iterable[str]) -> list[str]:
    """The PII categories found in `text`, in DETECTORS order."""
    enabled = set(detectors)
    return [name for name, found in DETECTORS.items() if name in enabled and found(text)]


def check_input(messages: list[dict[str, Any]], settings: GatewaySettings) -> None:
    """400 guardrail_block when any message's content (every role) holds PII."""
    if settings.has("client-guardrail-passes-pii"):
        return
    text = "\n".join(message["content"] for message in messages)
    categories = scan(text, settings.client_pii_detectors)
    if categories:
        raise guardrail_block(categories)


def output_sample(headers: Headers, settings: GatewaySettings) -> str | None:
    """The PII the test hook asks to put into the output, if any; 400 for an unknown kind."""
    kind = headers.get(TEST_HOOK)
    if kind is None or not settings.client_test_hooks:
        return None
    sample = SAMPLES.get(kind.strip().lower())
    if sample is None:
        raise invalid_request(f"{TEST_HOOK} must be one of {', '.join(SAMPLES)}, got {kind!r}",
                              code="invalid_test_hook")
    return sample


class OutputGuard:
    """Scans the generated text of each choice as it grows; `inject` is the test hook's sample."""

    def __init__(self, settings: GatewaySettings, inject: str | None, *, enabled: bool = True) -> None:
        self.detectors = settings.client_pii_detectors if enabled else frozenset()
        self.inject = inject
        self.texts: dict[int, str] = {}
        self.deltas = 0

    def feed(self, index: int, content: str) -> tuple[str, bool]:
        """The content to send (with the sample injected into the second delta) and whether PII is now present."""
        if self.inject is not None and self.deltas == 1:
            content, self.inject = f"{content} Reach me at {self.inject}.", None
        self.deltas += 1
        text = self.texts.get(index, "") + content
        self.texts[index] = text
        return content, bool(scan(text, self.detectors))

    def filter_completion(self, completion: dict[str, Any]) -> None:
        """A whole completion: each choice whose text holds PII gets content null, finish_reason content_filter."""
        for choice in completion.get("choices") or []:
            message = choice.get("message") if isinstance(choice, dict) else None
            if not isinstance(message, dict) or not isinstance(message.get("content"), str):
                continue
            if self.inject is not None:
                message["content"], self.inject = f"{message['content']} Reach me at {self.inject}.", None
            if scan(message["content"], self.detectors):
                message["content"] = None
                choice["finish_reason"] = "content_filter"
