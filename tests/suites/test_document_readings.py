"""Readings the documents contradict, fixed: vendor extensions are legal, n=128 only where n is honoured."""

from __future__ import annotations

import json
from typing import Any

import httpx

from aigw_conformance.suites.conformance.validation_tests import RANGES
from aigw_conformance.suites.exchange import Exchange
from tests.suites.outcomes import outcome

MODEL = {"id": "gpt-5", "object": "model", "created": 1, "owned_by": "openai", "provider": "openai",
         "capabilities": ["chat"], "max_input_tokens": 1000, "max_completion_tokens": 100, "max_total_tokens": 1100}


def retrieved(body: dict[str, Any], listed: dict[str, Any], status: int = 200) -> Exchange:
    return Exchange(api="ai", operation="GET /models/gpt-5", method="GET", url="http://t/models/gpt-5",
                    request_headers={}, request_json=None, status=status, body=json.dumps(body).encode(),
                    elapsed_s=0.01, context={"listed": listed},
                    headers=httpx.Headers({"content-type": "application/json"}))


def test_a_vendor_s_extension_on_either_side_is_not_compared() -> None:
    """Decision vendor_extensions: a field the documents do not name may be on the record and not the entry."""
    extended = {**MODEL, "x_vendor_pricing": {"input": 1.25}, "context_window": 400_000}
    assert outcome("models.retrieve_matches_list", retrieved(extended, MODEL)) is None
    assert outcome("models.retrieve_matches_list", retrieved(MODEL, extended)) is None
    changed = {**extended, "max_completion_tokens": 50}
    assert "['max_completion_tokens']" in (outcome("models.retrieve_matches_list", retrieved(changed, MODEL)) or "")
    assert "gives 404" in (outcome("models.retrieve_matches_list", retrieved({}, MODEL, status=404)) or "")


def test_validation_n_sends_128_only_to_a_model_that_honours_n() -> None:
    """Decision n.restricted: n=128 is inside 1-128 but a provider may restrict it; 0 and 129 are refused by all."""
    documented = next(entry for entry in RANGES if entry.name == "n")
    assert {"n": 128} in documented.honoured and {"n": 128} not in documented.inside
    assert {"n": 1} in documented.inside and {"n": 129} in documented.outside and {"n": 0} in documented.outside
