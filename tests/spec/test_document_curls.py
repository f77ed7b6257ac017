"""Every cURL of the seed documents, sent as shown (placeholders filled) to the reference: every check it meets."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from aigw_conformance.mocks.reference.stack import ReferenceStack
from aigw_conformance.spec.examples import Example, seed_examples
from aigw_conformance.suites.checks import run_checks
from aigw_conformance.suites.exchange import Exchange, Probe
from tests.spec.replay import api_and_path

CURLS = [example for example in seed_examples() if example.kind == "curl"]


@pytest.fixture(scope="module")
def stack() -> Iterator[ReferenceStack]:
    with ReferenceStack() as started:
        yield started


@pytest.fixture(scope="module")
def probe() -> Iterator[Probe]:
    made = Probe(timeout_s=30.0)
    try:
        yield made
    finally:
        made.client.close()


def filled(headers: dict[str, str], stack: ReferenceStack) -> dict[str, str]:
    """The headers as shown, with the documents' placeholders replaced by the reference's credentials."""
    placeholders = {"<token>": stack.token, "your-api-key": stack.api_key, "your-api-secret": stack.api_secret,
                    "cgt_your_token": stack.client_token}
    out = {}
    for name, value in headers.items():
        for placeholder, real in placeholders.items():
            value = value.replace(placeholder, real)
        out[name] = value
    return out


def send(example: Example, stack: ReferenceStack, probe: Probe) -> Exchange:
    api, path = api_and_path(example.url)
    base = stack.base_url if api == "ai" else stack.client_base_url
    assert urlsplit(example.url).path.endswith(path)
    return probe.send(api, base, example.method, path, headers=filled(example.headers, stack),
                      json_body=example.value, label=f"{example.id} as shown")


@pytest.mark.parametrize("example", CURLS, ids=[example.id for example in CURLS])
def test_each_curl_is_answered_and_passes_every_check_the_documents_ground(
        example: Example, stack: ReferenceStack, probe: Probe) -> None:
    exchange = send(example, stack, probe)
    outcomes = run_checks(exchange, explicit=["http.success"])
    grounded = [f"{outcome.check.name}: {outcome.failure}" for outcome in outcomes
                if outcome.failure is not None and not outcome.check.inferred]
    assert grounded == []
    assert exchange.status == 200 and len(outcomes) > 1  # more than http.success looked at the answer


def test_a_curl_with_a_wrong_placeholder_fails_a_documented_check(stack: ReferenceStack, probe: Probe) -> None:
    """The replay can fail: the same cURL with its placeholder left unfilled is refused (401)."""
    example = next(example for example in CURLS if example.id == "000:L288")
    exchange = probe.send("ai", stack.base_url, example.method, "/chat/completions", headers=dict(example.headers),
                          json_body=example.value, label="placeholder token")
    failed = {outcome.check.name for outcome in run_checks(exchange, explicit=["http.success"]) if outcome.failure}
    assert "http.success" in failed
