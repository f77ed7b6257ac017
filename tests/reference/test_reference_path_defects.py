"""The reference's own ids and timestamps, the model it names, its relay of a stream, its validation on every
provider's path, and the defects that break them (each shows its symptom; the clean reference does not)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from symptoms import probes_fixture, symptom_tests
from test_transport import relay_gated_stream

from aigw_conformance.mocks.reference import ReferenceStack
from conftest import ErrorCheck, StreamReader

MODELS = ("gpt-5", "gpt-oss-20b", "gemini-3-flash", "claude-haiku-4-5")  # one per upstream wire format
OWN_ID = re.compile(r"^chatcmpl-[0-9a-f]{28}$")
SKEW_S = 300  # as identity.CREATED_TOLERANCE_S: `created` is the gateway's clock, not a wall-clock measurement


def _chat(model: str = "gpt-5", **changes: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "Why XDR?"}], "max_completion_tokens": 8,
            **changes}


@pytest.mark.parametrize("model", MODELS)
def test_identical_requests_get_their_own_ids_and_the_current_time(
        client: httpx.Client, read_stream: StreamReader, model: str) -> None:
    whole = [client.post("/chat/completions", json=_chat(model)).json() for _ in range(2)]
    streams = [read_stream(client.post("/chat/completions", json=_chat(model, stream=True))) for _ in range(2)]
    ids = [answer["id"] for answer in whole] + [chunks[0]["id"] for chunks in streams]
    assert all(OWN_ID.match(found) for found in ids) and len(set(ids)) == 4, ids
    assert all(len({chunk["id"] for chunk in chunks}) == 1 for chunks in streams)
    created = [answer["created"] for answer in whole] + [chunk["created"] for c in streams for chunk in c]
    assert all(abs(value - time.time()) < SKEW_S for value in created), created
    assert {answer["model"] for answer in whole} | {c["model"] for s in streams for c in s} == {model}


def test_the_ai_api_answers_a_provider_429_with_the_documented_500(client: httpx.Client,
                                                                   check_error: ErrorCheck) -> None:
    """000/001 list no 429: a provider's rate limit is their '500 ... Provider error' on the AI API."""
    reply = client.post("/chat/completions", json=_chat(), headers={"x-mock-status": "429", "x-mock-retry-after": "7"})
    check_error(reply, 500, code="provider_error")


def test_the_client_gateway_relays_a_provider_429_with_its_retry_after(stack: ReferenceStack) -> None:
    headers = {"authorization": f"Bearer {stack.client_token}"}
    with httpx.Client(base_url=stack.client_base_url, headers=headers, timeout=30, trust_env=False) as http:
        for stream in (False, True):
            body = {"model": "gpt-4", "messages": [{"role": "user", "content": "Hi"}], "stream": stream}
            reply = http.post("/chat/completions", json=body,
                              headers={"x-mock-status": "429", "x-mock-retry-after": "7"})
            assert (reply.status_code, reply.headers.get("retry-after")) == (429, "7"), reply.text
            assert reply.json()["error"]["code"] == "upstream_rate_limited" and reply.headers["x-request-id"]
        reply = http.post("/chat/completions", json={**body, "stream": False}, headers={"x-mock-status": "429"})
        assert (reply.status_code, reply.headers.get("retry-after")) == (429, "1")  # the mock's own default


@pytest.mark.parametrize("buffered", [False, True])
def test_a_buffered_stream_is_one_write_and_a_relayed_one_is_not(buffered: bool) -> None:
    """The upstream sends its third event only after the gateway wrote something: relayed, that is the first two
    events; buffered (the stream-buffered defect), only the response head, and then every event at once."""
    messages = relay_gated_stream(b"\n\n", buffered=buffered)
    bodies = [message["body"] for message in messages if message.get("body")]
    assert bodies == ([b"data: 1\n\ndata: 2\n\ndata: 3\n\n"] if buffered else
                      [b"data: 1\n\ndata: 2\n\n", b"data: 3\n\n"])


class Probe:
    def __init__(self, stack: ReferenceStack) -> None:
        self.http = httpx.Client(base_url=stack.base_url, timeout=30, trust_env=False,
                                 headers={"authorization": f"Bearer {stack.token}"})


def _same_id_twice(probe: Probe) -> bool:
    first, again = (probe.http.post("/chat/completions", json=_chat()).json() for _ in range(2))
    return bool(first["id"] == again["id"]) and abs(first["created"] - time.time()) > SKEW_S


def _sibling_named(probe: Probe) -> bool:
    named = {model: probe.http.post("/chat/completions", json=_chat(model)).json()["model"] for model in MODELS}
    return all(named[model] != model for model in MODELS)


def _empty_messages_answered(probe: Probe) -> bool:
    statuses = {model: probe.http.post("/chat/completions", json={"model": model, "messages": []}).status_code
                for model in MODELS}
    assert set(statuses.values()) <= {200, 400}, statuses
    return statuses == {**dict.fromkeys(MODELS, 400), "gemini-3-flash": 200}


SYMPTOMS: dict[str, Callable[[Probe], bool]] = {
    "upstream-id-passed-through": _same_id_twice,
    "model-reported-sibling": _sibling_named,
    "empty-messages-gemini-padded": _empty_messages_answered,
}
COVERED = frozenset(SYMPTOMS) | {"stream-buffered"}  # its symptom: the buffered-stream test above

probes = probes_fixture(Probe)
test_the_defect_shows_its_symptom, test_the_clean_reference_does_not = symptom_tests(SYMPTOMS)
