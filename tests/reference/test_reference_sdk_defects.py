"""Each defect that the official openai SDK trips over shows its symptom on the wire and in the SDK, and the
clean reference shows neither (the sdk-probes feature; suites/checks/sdk.py)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import openai
import pytest
from pydantic import BaseModel, ValidationError

from aigw_conformance.mocks.reference import DEFECTS, ReferenceStack
from aigw_conformance.suites import sse

SCAN = "Scan threatwinds.com for vulnerabilities with vulnerability_scan"
QUESTION = [{"role": "user", "content": SCAN}]
TOOL = {"type": "function", "function": {"name": "vulnerability_scan", "strict": True, "parameters": {
    "type": "object", "properties": {"domain": {"type": "string"}}, "required": ["domain"],
    "additionalProperties": False}}}
ASSESSMENT = {"type": "json_schema", "json_schema": {"name": "assessment", "strict": True, "schema": {
    "type": "object", "properties": {"summary": {"type": "string"}, "severity": {"enum": ["low", "high"]}},
    "required": ["summary", "severity"], "additionalProperties": False}}}


class Assessment(BaseModel):
    summary: str
    severity: str


class Scan(BaseModel):
    domain: str


class Probe:
    """A running stack, a raw client and the official SDK on it."""

    def __init__(self, stack: ReferenceStack) -> None:
        self.stack = stack
        self.http = httpx.Client(base_url=stack.base_url, timeout=30, trust_env=False,
                                 headers={"authorization": f"Bearer {stack.token}"})
        self.sdk = openai.OpenAI(base_url=stack.base_url, api_key=stack.token, max_retries=0, timeout=30)

    def chat(self, **fields: Any) -> dict[str, Any]:
        body = {"model": "gpt-5", "messages": QUESTION, "max_completion_tokens": 200, **fields}
        reply = self.http.post("/chat/completions", json=body)
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def stream_events(self) -> list[str]:
        body = {"model": "gpt-5", "messages": QUESTION, "max_completion_tokens": 24, "stream": True,
                "stream_options": {"include_usage": True}}
        reply = self.http.post("/chat/completions", json=body)
        assert reply.status_code == 200, reply.text
        return [event.data for event in sse.parse(reply.content).events]

    def close(self) -> None:
        self.http.close()
        self.sdk.close()


def _arguments_object(probe: Probe) -> bool:
    calls = probe.chat(tools=[TOOL], tool_choice="required")["choices"][0]["message"]["tool_calls"]
    on_wire = isinstance(calls[0]["function"]["arguments"], dict)
    tool = openai.pydantic_function_tool(Scan, name="vulnerability_scan")
    try:  # the SDK's parse json-decodes each call's arguments string into the tool's model
        with warnings.catch_warnings():  # pydantic warns while the SDK re-dumps the dict it kept as is
            warnings.simplefilter("ignore")
            probe.sdk.chat.completions.parse(model="gpt-5", messages=[{"role": "user", "content": SCAN}],
                                             max_completion_tokens=200, tools=[tool], tool_choice="required")
    except ValidationError as error:
        assert on_wire and "JSON input should be string" in str(error)
        return True
    assert not on_wire
    return False


def _status_200(probe: Probe) -> bool:
    reply = probe.http.get("/models/no-such-model")
    assert reply.json()["error"]["type"] == "not_found_error" and reply.headers["x-error-id"]
    try:
        probe.sdk.models.retrieve("no-such-model")
    except openai.NotFoundError:
        assert reply.status_code == 404
        return False
    assert reply.status_code == 200  # the SDK returned the error body as a `Model`
    return True


def _fenced(probe: Probe) -> bool:
    content: str = probe.chat(response_format=ASSESSMENT)["choices"][0]["message"]["content"]
    fenced = content.startswith("```json\n") and content.endswith("\n```")
    try:
        parsed = probe.sdk.chat.completions.parse(
            model="gpt-5", messages=[{"role": "user", "content": "Assess a phishing campaign"}],
            max_completion_tokens=200, response_format=Assessment)
    except ValidationError as error:
        assert "Invalid JSON" in str(error)
        return fenced
    assert not fenced and parsed.choices[0].message.parsed is not None
    return False


def _usage_after_done(probe: Probe) -> bool:
    events = probe.stream_events()
    after = events[events.index("[DONE]") + 1:]
    late = bool(after) and all("usage" in json.loads(data) for data in after)
    seen = list(probe.sdk.chat.completions.create(
        model="gpt-5", messages=[{"role": "user", "content": "Why XDR?"}], max_completion_tokens=24, stream=True,
        stream_options={"include_usage": True}))
    assert (seen[-1].usage is None) == late  # the SDK stops at [DONE]: the late usage chunk never reaches it
    return late


SYMPTOMS: dict[str, Callable[[Probe], bool]] = {
    "tool-call-arguments-object": _arguments_object,
    "error-status-200": _status_200,
    "json-schema-output-fenced": _fenced,
    "usage-after-done": _usage_after_done,
}


@pytest.fixture(scope="module")
def probes() -> Iterator[Callable[[str | None], Probe]]:
    """`probes(defect)`: a probe of a stack with that one defect (None: the clean reference), started once."""
    started: dict[str | None, Probe] = {}

    def get(defect: str | None) -> Probe:
        if defect not in started:
            started[defect] = Probe(ReferenceStack(defects=[] if defect is None else [defect]).start())
        return started[defect]

    yield get
    for probe in started.values():
        probe.close()
    with ThreadPoolExecutor() as pool:  # stopping a stack waits for uvicorn's shutdown; do them together
        list(pool.map(ReferenceStack.stop, [probe.stack for probe in started.values()]))


def test_every_symptom_names_a_defect_the_self_test_runs() -> None:
    assert set(SYMPTOMS) <= set(DEFECTS)


@pytest.mark.parametrize("defect", sorted(SYMPTOMS))
def test_the_defect_shows_its_symptom(probes: Callable[[str | None], Probe], defect: str) -> None:
    assert SYMPTOMS[defect](probes(defect)) is True


@pytest.mark.parametrize("defect", sorted(SYMPTOMS))
def test_the_clean_reference_does_not(probes: Callable[[str | None], Probe], defect: str) -> None:
    assert SYMPTOMS[defect](probes(None)) is False


def test_error_status_200_keeps_the_envelope_and_headers(probes: Callable[[str | None], Probe]) -> None:
    reply = probes("error-status-200").http.get("/models", headers={"authorization": "Bearer wrong"})
    assert reply.status_code == 200 and reply.json()["error"]["type"] == "authentication_error"
    assert reply.headers["x-error"] and reply.headers["x-error-id"].startswith("err_")


def test_streams_without_include_usage_are_untouched_by_usage_after_done(
        probes: Callable[[str | None], Probe]) -> None:
    reply = probes("usage-after-done").http.post("/chat/completions", json={
        "model": "gpt-5", "messages": QUESTION, "max_completion_tokens": 8, "stream": True})
    assert [event.data for event in sse.parse(reply.content).events][-1] == "[DONE]"
