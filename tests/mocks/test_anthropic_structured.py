"""Structured output in the Anthropic mock: GA `output_config.format` and the beta `output_format` (under the
`anthropic-beta: structured-outputs-2025-11-13` header), whole and streamed, raw and through the `anthropic` SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

import anthropic
import httpx
import jsonschema
import pydantic
import pytest

from aigw_conformance.mocks.anthropic import wire
from aigw_conformance.mocks.anthropic.app import create_app
from aigw_conformance.mocks.anthropic.validation import STRUCTURED_OUTPUTS_BETA
from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.core.tokens import count_tokens

MODEL = "claude-haiku-4-5"
MESSAGES: list[Any] = [{"role": "user", "content": "Classify this alert: beacon to 203.0.113.7 every 60 s."}]
AUTH = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
BETA = {"anthropic-beta": STRUCTURED_OUTPUTS_BETA}
SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["severity", "summary", "indicators", "score"],
    "properties": {
        "severity": {"type": "string", "enum": ["low", "medium", "high"]},
        "summary": {"type": "string"},
        "indicators": {"type": "array", "items": {"type": "string", "format": "ipv4"}},
        "score": {"type": "integer"},
        "verdict": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
}
GA = {"output_config": {"format": {"type": "json_schema", "schema": SCHEMA}}}
BETA_FORMAT = {"output_format": {"type": "json_schema", "schema": SCHEMA}}
LOOKUP: dict[str, Any] = {"name": "lookup_ip", "input_schema": {
    "type": "object", "properties": {"ip": {"type": "string", "format": "ipv4"}}, "required": ["ip"]}}


class Verdict(pydantic.BaseModel):
    severity: Literal["low", "medium", "high"]
    summary: str
    indicators: list[str]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with ServerThread(create_app(deterministic_ids=True), name="anthropic-structured") as server:
        yield server.base_url


@pytest.fixture
def client(base_url: str) -> Iterator[anthropic.Anthropic]:
    """Closed after the test: an unclosed client leaves its pooled socket to the GC, which fails a later test."""
    with anthropic.Anthropic(base_url=base_url, api_key="k", max_retries=0, timeout=10) as sdk_client:
        yield sdk_client


def post(base_url: str, body: Any, headers: dict[str, str] | None = None, path: str = "/v1/messages") -> httpx.Response:
    return httpx.post(f"{base_url}{path}", json=body, headers={**AUTH, **(headers or {})}, timeout=10)


def body(**extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 512, "messages": MESSAGES, **extra}


def valid(schema: dict[str, Any], text: str) -> Any:
    value = json.loads(text)
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    jsonschema.Draft202012Validator(schema, format_checker=checker).validate(value)
    return value


def refusal(reply: httpx.Response) -> str:
    assert reply.status_code == 400, reply.text
    payload = reply.json()
    assert payload["type"] == "error" and payload["error"]["type"] == "invalid_request_error"
    message: str = payload["error"]["message"]
    return message


@pytest.mark.parametrize(("extra", "headers"), [(GA, {}), (BETA_FORMAT, BETA), (GA, BETA)],
                         ids=["ga", "beta", "ga-with-beta-header"])
def test_whole_and_streamed_answers_are_schema_valid_json(
    base_url: str, extra: dict[str, Any], headers: dict[str, str]
) -> None:
    whole = post(base_url, body(**extra), headers)
    assert whole.status_code == 200, whole.text
    message = whole.json()
    [block] = message["content"]
    assert block["type"] == "text" and message["stop_reason"] == "end_turn" and message["stop_sequence"] is None
    valid(SCHEMA, block["text"])
    assert message["usage"]["output_tokens"] == count_tokens(block["text"])
    streamed = post(base_url, body(**extra, stream=True), headers)
    events = list(wire.iter_events(streamed.iter_lines()))
    deltas = [e["delta"] for e in events if e["type"] == "content_block_delta"]
    assert deltas and all(d["type"] == "text_delta" for d in deltas)
    assert "".join(d["text"] for d in deltas if d["type"] == "text_delta") == block["text"]
    assert events[-2] == wire.message_delta("end_turn", None, len(deltas))
    assert len(deltas) == message["usage"]["output_tokens"]
    assert wire.accumulate(events) == message


def test_the_answer_is_deterministic_and_follows_the_schema(base_url: str) -> None:
    first, again = post(base_url, body(**GA)), post(base_url, body(**GA))
    assert first.content == again.content
    other = {"type": "object", "required": ["count"], "properties": {"count": {"type": "integer", "minimum": 7}}}
    reply = post(base_url, body(output_config={"format": {"type": "json_schema", "schema": other}}))
    assert valid(other, reply.json()["content"][0]["text"])["count"] >= 7
    scalar = {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "minItems": 2}
    listed = post(base_url, body(output_config={"format": {"type": "json_schema", "schema": scalar}}))
    assert len(valid(scalar, listed.json()["content"][0]["text"])) >= 2


def test_beta_output_format_needs_the_beta_header(base_url: str) -> None:
    assert refusal(post(base_url, body(**BETA_FORMAT))) == "output_format: Extra inputs are not permitted"
    other_beta = {"anthropic-beta": "token-efficient-tools-2025-02-19"}
    assert refusal(post(base_url, body(**BETA_FORMAT), other_beta)) == "output_format: Extra inputs are not permitted"
    listed = {"anthropic-beta": f"token-efficient-tools-2025-02-19, {STRUCTURED_OUTPUTS_BETA}"}
    assert post(base_url, body(**BETA_FORMAT), listed).status_code == 200
    both = post(base_url, body(**GA, **BETA_FORMAT), BETA)
    assert refusal(both).startswith("Both output_format and output_config.format were provided.")
    counted = post(base_url, {k: v for k, v in body(**BETA_FORMAT).items() if k != "max_tokens"}, BETA,
                   path="/v1/messages/count_tokens")
    assert counted.status_code == 200
    assert refusal(post(base_url, {k: v for k, v in body(**BETA_FORMAT).items() if k != "max_tokens"},
                        path="/v1/messages/count_tokens")) == "output_format: Extra inputs are not permitted"


def test_lenient_mock_ignores_output_format_without_the_header() -> None:
    with ServerThread(create_app(strict=False), name="anthropic-lenient") as server:
        plain = post(server.base_url, body(**BETA_FORMAT))
        assert plain.status_code == 200
        with pytest.raises(ValueError):
            json.loads(plain.json()["content"][0]["text"])
        valid(SCHEMA, post(server.base_url, body(**BETA_FORMAT), BETA).json()["content"][0]["text"])


@pytest.mark.parametrize(("field", "value", "message"), [
    ("output_config", "json", "output_config: Input should be a valid dictionary"),
    ("output_config", {"format": {"schema": SCHEMA}}, "output_config.format.type: Field required"),
    ("output_config", {"format": {"type": "json_object", "schema": SCHEMA}},
     "output_config.format.type: Input should be 'json_schema'"),
    ("output_config", {"format": {"type": "json_schema"}}, "output_config.format.schema: Field required"),
    ("output_config", {"format": {"type": "json_schema", "schema": "object"}},
     "output_config.format.schema: Input should be a valid dictionary"),
    ("output_config", {"format": {"type": "json_schema", "schema": {"type": "nope"}}},
     "output_config.format.schema: JSON schema is invalid."),
    ("output_config", {"format": {"type": "json_schema", "schema": SCHEMA, "name": "x"}},
     "output_config.format.name: Extra inputs are not permitted"),
    ("output_config", {"effort": "extreme"}, "output_config.effort: Input should be"),
    ("output_config", {"style": "terse"}, "output_config.style: Extra inputs are not permitted"),
    ("output_config", {"format": {"type": "json_schema", "schema": {"type": "string", "minLength": 9,
                                                                    "maxLength": 2}}},
     "The output format's JSON schema cannot be satisfied"),
    ("output_format", {"type": "text"}, "output_format.type: Input should be 'json_schema'"),
    ("output_format", {"type": "json_schema", "schema": {"type": 5}}, "output_format.schema: JSON schema is invalid."),
])
def test_invalid_formats_are_native_400s(base_url: str, field: str, value: Any, message: str) -> None:
    for stream in (False, True):
        assert refusal(post(base_url, body(**{field: value}, stream=stream), BETA)).startswith(message)


def test_usage_counts_the_schema_and_the_json(client: anthropic.Anthropic, base_url: str) -> None:
    plain = client.messages.count_tokens(model=MODEL, messages=MESSAGES).input_tokens
    counted = client.messages.count_tokens(model=MODEL, messages=MESSAGES, output_config=GA["output_config"])
    assert counted.input_tokens == plain + count_tokens(json.dumps(SCHEMA, sort_keys=True, separators=(",", ":")))
    reply = post(base_url, body(**GA)).json()
    assert reply["usage"]["input_tokens"] == counted.input_tokens
    beta = post(base_url, body(**BETA_FORMAT), BETA).json()
    assert beta["usage"]["input_tokens"] == counted.input_tokens


def test_stop_sequences_and_max_tokens_cut_the_json(base_url: str) -> None:
    full = post(base_url, body(**GA)).json()["content"][0]["text"]
    short = post(base_url, body(**GA, max_tokens=4)).json()
    assert short["stop_reason"] == "max_tokens" and short["usage"]["output_tokens"] == 4
    assert full.startswith(short["content"][0]["text"]) and count_tokens(short["content"][0]["text"]) == 4
    events = list(wire.iter_events(post(base_url, body(**GA, max_tokens=4, stream=True)).iter_lines()))
    assert wire.accumulate(events) == short
    stop = '"summary"'
    cut = post(base_url, body(**GA, stop_sequences=["zzz-never", stop])).json()
    assert cut["stop_reason"] == "stop_sequence" and cut["stop_sequence"] == stop
    assert cut["content"][0]["text"] == full[: full.index(stop)]
    assert cut["usage"]["output_tokens"] == count_tokens(full[: full.index(stop)])


def test_thinking_comes_before_the_json_and_tool_turns_carry_no_json(base_url: str) -> None:
    thinking = {"type": "enabled", "budget_tokens": 1024}
    reply = post(base_url, body(**GA, max_tokens=2048, thinking=thinking)).json()
    assert [b["type"] for b in reply["content"]] == ["thinking", "text"]
    valid(SCHEMA, reply["content"][1]["text"])
    asked = [{"role": "user", "content": "Run lookup_ip on 203.0.113.7."}]
    tool_turn = post(base_url, body(**GA, messages=asked, tools=[LOOKUP])).json()
    assert [b["type"] for b in tool_turn["content"]] == ["tool_use"] and tool_turn["stop_reason"] == "tool_use"
    unnamed = post(base_url, body(**GA, tools=[LOOKUP])).json()
    assert [b["type"] for b in unnamed["content"]] == ["text"]
    valid(SCHEMA, unnamed["content"][0]["text"])


def test_sdk_typed_output_config_whole_and_streamed(client: anthropic.Anthropic) -> None:
    whole = client.messages.create(model=MODEL, max_tokens=512, messages=MESSAGES,
                                   output_config={"format": {"type": "json_schema", "schema": SCHEMA}})
    assert whole.stop_reason == "end_turn" and whole.content[0].type == "text"
    valid(SCHEMA, whole.content[0].text)
    with client.messages.stream(model=MODEL, max_tokens=512, messages=MESSAGES,
                                output_config={"format": {"type": "json_schema", "schema": SCHEMA}}) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == whole.content[0].text
    assert final.to_dict(exclude_none=True) == whole.to_dict(exclude_none=True)
    raw = client.messages.create(model=MODEL, max_tokens=512, messages=MESSAGES,
                                 extra_body={"output_config": {"format": {"type": "json_schema", "schema": SCHEMA}}})
    assert raw.to_dict() == whole.to_dict()


def test_sdk_parse_validates_into_the_model(client: anthropic.Anthropic) -> None:
    parsed = client.messages.parse(model=MODEL, max_tokens=512, messages=MESSAGES, output_format=Verdict)
    verdict = parsed.parsed_output
    assert isinstance(verdict, Verdict) and verdict.severity in ("low", "medium", "high")
    assert parsed.content[0].type == "text"
    assert Verdict.model_validate_json(parsed.content[0].text) == verdict


def test_sdk_beta_header_and_output_format(client: anthropic.Anthropic) -> None:
    reply = client.messages.create(model=MODEL, max_tokens=512, messages=MESSAGES, extra_headers=BETA,
                                   extra_body=BETA_FORMAT)
    assert reply.stop_reason == "end_turn" and reply.content[0].type == "text"
    valid(SCHEMA, reply.content[0].text)
    beta = client.beta.messages.create(model=MODEL, max_tokens=512, messages=MESSAGES,
                                       betas=[STRUCTURED_OUTPUTS_BETA], extra_body=BETA_FORMAT)
    assert beta.content[0].type == "text" and beta.content[0].text == reply.content[0].text
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(model=MODEL, max_tokens=512, messages=MESSAGES, extra_body=BETA_FORMAT)
    assert caught.value.response.json() == {"type": "error", "error": {
        "type": "invalid_request_error", "message": "output_format: Extra inputs are not permitted"}}
