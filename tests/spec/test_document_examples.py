"""The seed documents' own examples pass: every answer through every applicable check, every request the spec."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
import yaml

from aigw_conformance.spec.examples import Example, extract, seed_examples
from aigw_conformance.spec.loader import (
    API_PREFIXES,
    SEEDS_DIR,
    SPEC_PATH,
    match_operation,
    request_body_schema,
    validator_for_schema,
)
from aigw_conformance.suites.checks import run_checks
from aigw_conformance.suites.exchange import Exchange
from tests.spec.replay import PAIRINGS, Pairing, api_and_path, by_id, exchange_for

# Fixed counts: a parse regression (a block missed, a cURL cut short) changes them and fails here.
EXPECTED_KINDS = {
    "000": {"json": 6, "curl": 9},
    "001": {"json": 4, "curl": 5, "stream": 1, "illustration": 1},
    "002": {"json": 3, "curl": 1, "stream": 1, "illustration": 1},
}
# Request fragments (000's and 001's response_format and stream options) are validated inside the smallest
# documented request: 000's Example 1 body without its optional max_completion_tokens.
FRAGMENT_BASE = {"model": "gpt-5", "messages": [{"role": "user", "content": "What is 2+2?"}]}
FRAGMENTS = ("000:L82", "000:L92", "001:L171", "001:L180", "001:L190", "001:L214")
REQUEST_BODIES = ("000:L23", "002:L6")
AI_AUTH = ({"Authorization"}, {"api-key", "api-secret"})  # 000: "either Authorization header OR API key/secret"


def decisions() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load(SPEC_PATH.with_name("traceability.yaml").read_text(
        encoding="utf-8"))["decisions"]
    return loaded


def ruled_conventions() -> set[tuple[str, str]]:
    """(example ID, check) pairs that a decision rules convention failures."""
    return {(entry["example"], entry["check"]) for decision in decisions() for entry in decision.get("convention", [])}


def documented_failures(pairing: Pairing, exchange: Exchange) -> tuple[list[str], set[str]]:
    """(failures the documents ground, the checks that failed) of one replayed answer: a failure is a convention
    when its check is inferred or a decision rules it so for this example."""
    ruled = ruled_conventions()
    grounded, failed = [], set()
    for outcome in run_checks(exchange):
        if outcome.failure is None:
            continue
        failed.add(outcome.check.name)
        if not outcome.check.inferred and (pairing.answer, outcome.check.name) not in ruled:
            grounded.append(f"{outcome.check.name}: {outcome.failure}")
    return grounded, failed


def test_every_example_is_extracted_with_its_kind() -> None:
    counts: dict[str, Counter[str]] = {}
    for example in seed_examples():
        counts.setdefault(example.id[:3], Counter())[example.kind] += 1
    assert {seed: dict(kinds) for seed, kinds in counts.items()} == EXPECTED_KINDS
    assert len(seed_examples()) == 32


def test_each_curl_keeps_its_method_url_headers_and_body() -> None:
    examples = by_id()
    models = examples["001:L61"]
    assert (models.method, models.url, models.headers, models.value) == (
        "GET", "https://apis.threatwinds.com/api/ai/v1/models", {"Authorization": "Bearer <token>"}, None)
    keyed = examples["000:L134"]
    assert keyed.headers == {"accept": "application/json", "api-key": "your-api-key",
                             "api-secret": "your-api-secret", "Content-Type": "application/json"}
    assert keyed.value["model"] == "gpt-oss-20b"
    client = examples["002:L84"]  # the heading glued on after the body (`}'Python`) is not part of it
    assert client.value == {"model": "gpt-4", "messages": [{"role": "user", "content": "Hello"}]}
    stream = examples["002:L55"]
    assert stream.status_line == "HTTP/1.1 200 OK"
    assert stream.headers == {"Content-Type": "text/event-stream", "X-Request-Id": "req_abc123"}
    assert stream.value[-1] == "[DONE]" and len(stream.value) == 4


def test_extraction_notices_a_lost_block() -> None:
    text = (SEEDS_DIR / "000_3222256926808af7.txt").read_text(encoding="utf-8")
    damaged = text.replace("curl -X POST 'https://apis.threatwinds.com", "curl-X POST 'https://apis.threatwinds.com", 1)
    assert len(extract("000_3222256926808af7.txt", damaged)) == len(extract("000_3222256926808af7.txt", text)) - 1


@pytest.mark.parametrize("pairing", PAIRINGS, ids=[pairing.answer for pairing in PAIRINGS])
def test_each_answer_example_passes_every_check_the_documents_ground(pairing: Pairing) -> None:
    exchange = exchange_for(pairing, by_id())
    grounded, _ = documented_failures(pairing, exchange)
    assert grounded == []


def test_every_answer_example_is_replayed() -> None:
    answers = {e.id for e in seed_examples() if e.kind == "stream" or (e.kind == "json" and e.id not in
                                                                        {*FRAGMENTS, *REQUEST_BODIES})}
    assert answers == {pairing.answer for pairing in PAIRINGS}


def test_every_ruled_convention_still_fails_and_names_a_replayed_example() -> None:
    """A decision's convention entry that no longer fails (or names no example) is stale: it must go."""
    pairings = {pairing.answer: pairing for pairing in PAIRINGS}
    stale = []
    for example_id, check_name in sorted(ruled_conventions()):
        if example_id not in pairings:
            stale.append(f"{example_id}: not a replayed example")
            continue
        _, failed = documented_failures(pairings[example_id], exchange_for(pairings[example_id], by_id()))
        if check_name not in failed:
            stale.append(f"{example_id} {check_name}: passes now")
    assert stale == []


def test_every_decision_quotes_the_documents_verbatim() -> None:
    def flat(text: str) -> str:
        return re.sub(r"\s+", " ", text).strip()

    texts = {seed.name: flat(seed.read_text(encoding="utf-8")) for seed in SEEDS_DIR.glob("00*.txt")}
    problems = []
    for decision in decisions():
        if not decision.get("ruling") or not decision.get("quotes"):
            problems.append(f"{decision.get('id')}: needs quotes and a ruling")
        for quote in decision.get("quotes", []):
            if flat(quote["quote"]) not in texts.get(quote["source"], ""):
                problems.append(f"{decision['id']}: not verbatim in {quote['source']}: {quote['quote']!r}")
    assert problems == []
    ids = [decision["id"] for decision in decisions()]
    assert len(ids) == len(set(ids))


def _request_errors(api: str, path: str, body: Any) -> list[str]:
    matched = match_operation(api, "POST", path)  # type: ignore[arg-type]
    assert matched is not None, path
    prefix = API_PREFIXES[api]  # type: ignore[index]
    validator = validator_for_schema(request_body_schema(prefix + matched[0], "post"))
    return [error.message[:160] for error in validator.iter_errors(body)]


@pytest.mark.parametrize("example", [e for e in seed_examples() if e.kind == "curl"], ids=lambda e: e.id)
def test_each_curl_request_is_one_the_spec_accepts_with_the_headers_shown(example: Example) -> None:
    api, path = api_and_path(example.url)
    assert match_operation(api, example.method, path) is not None  # type: ignore[arg-type]
    shown = set(example.headers)
    if api == "ai":
        assert any(scheme <= shown for scheme in AI_AUTH), shown
    else:
        assert example.headers["Authorization"].startswith("Bearer ")
    if example.value is not None:
        assert example.headers.get("Content-Type") == "application/json"
        assert _request_errors(api, path, example.value) == []


@pytest.mark.parametrize("example_id", [*REQUEST_BODIES, *FRAGMENTS])
def test_each_request_body_and_fragment_validates(example_id: str) -> None:
    example = by_id()[example_id]
    api = "client" if example_id.startswith("002") else "ai"
    body = example.value if example_id in REQUEST_BODIES else {**FRAGMENT_BASE, **example.value}
    assert _request_errors(api, "/chat/completions", body) == []

