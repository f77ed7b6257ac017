"""The Anthropic mock driven by the official `anthropic` SDK and raw httpx over loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigw_conformance.mocks.anthropic import wire
from aigw_conformance.mocks.anthropic.app import create_app
from aigw_conformance.mocks.anthropic.messages import (
    IMAGE_TOKENS,
    MESSAGE_OVERHEAD,
    SYSTEM_OVERHEAD,
    TOOL_PROMPT_TOKENS,
)
from aigw_conformance.mocks.core import jsongen
from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.core.tokens import count_tokens

MODEL = "claude-haiku-4-5"  # the SDK warns (DeprecationWarning, an error here) on claude-sonnet-4-5
SYSTEM = "You are a SOC assistant."
MESSAGES: list[Any] = [{"role": "user", "content": "What is XDR in cybersecurity?"}]
AUTH = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
WEATHER: dict[str, Any] = {
    "name": "get_weather", "description": "Current weather at a place.",
    "input_schema": {
        "type": "object", "required": ["location"],
        "properties": {
            "location": {"type": "string", "minLength": 2, "maxLength": 40},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 14},
            "when": {"type": "string", "format": "date-time"},
            "alerts": {"type": "array", "items": {"type": "string", "format": "email"}, "minItems": 1,
                       "maxItems": 3, "uniqueItems": True},
            "where": {"type": "object", "required": ["lat", "lon"], "additionalProperties": False, "properties": {
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "lon": {"type": "number", "exclusiveMinimum": -180, "exclusiveMaximum": 180, "multipleOf": 0.5}}},
        },
    },
}
LOOKUP: dict[str, Any] = {"name": "lookup_ip", "input_schema": {
    "type": "object", "properties": {"ip": {"type": "string", "format": "ipv4"}}, "required": ["ip"]}}

try:  # anthropic 2.x runs on httpx2 and does not wrap a cut stream; older releases run on httpx
    import httpx2

    CUT_STREAM: tuple[type[BaseException], ...] = (httpx.RemoteProtocolError, httpx2.RemoteProtocolError,
                                                   anthropic.APIConnectionError)
except ImportError:  # pragma: no cover - depends on the installed SDK
    CUT_STREAM = (httpx.RemoteProtocolError, anthropic.APIConnectionError)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    app = create_app(strict_models=True, deterministic_ids=True)  # the catalogue only; ids derived (golden-like)
    with ServerThread(app, name="anthropic-mock") as server:
        yield server.base_url


@pytest.fixture
def client(base_url: str) -> Iterator[anthropic.Anthropic]:
    """Closed after the test: an unclosed client leaves its pooled socket to the GC, which fails a later test."""
    with anthropic.Anthropic(base_url=base_url, api_key="k", max_retries=0, timeout=10) as sdk_client:
        yield sdk_client


def post(base_url: str, body: Any, headers: dict[str, str] | None = None, path: str = "/v1/messages") -> httpx.Response:
    return httpx.post(f"{base_url}{path}", json=body, headers={**AUTH, **(headers or {})}, timeout=10)


def body(**extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 1024, "messages": MESSAGES, **extra}


def validate(schema: dict[str, Any], value: Any) -> None:
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    jsonschema.Draft202012Validator(schema, format_checker=checker).validate(value)


def test_non_stream_message_has_anthropic_shape_and_exact_usage(client: anthropic.Anthropic) -> None:
    raw = client.messages.with_raw_response.create(**body(system=SYSTEM))
    assert raw.headers["request-id"].startswith("req_011")
    reply = raw.parse()
    assert reply.id.startswith("msg_01") and len(reply.id) == 28
    assert reply.type == "message" and reply.role == "assistant" and reply.model == MODEL
    assert reply.stop_reason == "end_turn" and reply.stop_sequence is None
    [block] = reply.content
    assert block.type == "text" and 8 <= count_tokens(block.text) <= 60
    expected_input = SYSTEM_OVERHEAD + count_tokens(SYSTEM) + MESSAGE_OVERHEAD + count_tokens(MESSAGES[0]["content"])
    assert reply.usage.input_tokens == expected_input
    assert reply.usage.output_tokens == count_tokens(block.text)
    assert reply.usage.cache_creation_input_tokens == 0 and reply.usage.cache_read_input_tokens == 0


def test_sdk_stream_matches_the_whole_message(client: anthropic.Anthropic) -> None:
    whole = client.messages.create(**body(system=SYSTEM))
    with client.messages.stream(**body(system=SYSTEM)) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == whole.content[0].text  # type: ignore[union-attr]
    assert final.to_dict(exclude_none=True) == whole.to_dict(exclude_none=True)


def test_raw_stream_events_come_in_anthropic_order(base_url: str) -> None:
    reply = post(base_url, body(stream=True))
    assert reply.headers["content-type"].startswith("text/event-stream") and reply.headers["request-id"]
    names = [line[7:] for line in reply.text.split("\n") if line.startswith("event: ")]
    events = list(wire.iter_events(reply.iter_lines()))
    assert names == [e["type"] for e in events]
    deltas = len(names) - 6
    assert names == ["message_start", "content_block_start", "ping", *["content_block_delta"] * deltas,
                     "content_block_stop", "message_delta", "message_stop"]
    start, end = events[0], events[-2]
    assert start["type"] == "message_start" and start["message"]["content"] == []
    assert start["message"]["stop_reason"] is None and start["message"]["usage"]["output_tokens"] == 1
    assert end["type"] == "message_delta" and end["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert end["usage"] == {"output_tokens": deltas}
    assert wire.accumulate(events) == post(base_url, body()).json()


def test_auto_tool_use_when_the_user_names_the_tool(client: anthropic.Anthropic, base_url: str) -> None:
    ask = [{"role": "user", "content": "Please call get_weather for Paris."}]
    reply = client.messages.create(**body(messages=ask, tools=[WEATHER, LOOKUP]))
    assert reply.stop_reason == "tool_use"
    text, call = reply.content
    assert text.type == "text" and call.type == "tool_use"
    assert call.id.startswith("toolu_01") and call.name == "get_weather"
    validate(WEATHER["input_schema"], call.input)
    assert reply.usage.output_tokens == count_tokens(text.text) + count_tokens(wire.sse.dumps(call.input))
    events = list(wire.iter_events(post(base_url, body(messages=ask, tools=[WEATHER, LOOKUP], stream=True)).text
                                   .splitlines()))
    partial = [e["delta"]["partial_json"] for e in events
               if e["type"] == "content_block_delta" and e["delta"]["type"] == "input_json_delta"]
    assert partial[0] == "" and json.loads("".join(partial)) == call.input
    answer = [*ask, {"role": "assistant", "content": [b.to_dict() for b in reply.content]},
              {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "18C, clear"}]}]
    follow_up = client.messages.create(**body(messages=answer, tools=[WEATHER, LOOKUP]))
    assert follow_up.stop_reason == "end_turn" and [b.type for b in follow_up.content] == ["text"]


@pytest.mark.parametrize(
    ("text", "choice", "called"),
    [
        ("What is the weather?", {"type": "auto"}, []),
        ("Use LOOKUP_IP and get_weather.", {"type": "auto"}, ["get_weather", "lookup_ip"]),
        ("Use lookup_ip and get_weather.", {"type": "auto", "disable_parallel_tool_use": True}, ["get_weather"]),
        ("Use get_weathers.", {"type": "auto"}, []),
        ("Anything.", {"type": "any"}, ["get_weather"]),
        ("Anything about lookup_ip.", {"type": "any"}, ["lookup_ip"]),
        ("Use get_weather.", {"type": "tool", "name": "lookup_ip"}, ["lookup_ip"]),
        ("Use get_weather.", {"type": "none"}, []),
    ],
)
def test_tool_choice_rule(client: anthropic.Anthropic, text: str, choice: Any, called: list[str]) -> None:
    reply = client.messages.create(**body(messages=[{"role": "user", "content": text}], tools=[WEATHER, LOOKUP],
                                          tool_choice=choice))
    calls = [b for b in reply.content if b.type == "tool_use"]
    assert [c.name for c in calls] == called
    assert reply.stop_reason == ("tool_use" if called else "end_turn")
    assert any(b.type == "text" for b in reply.content) == (choice["type"] in ("auto", "none"))
    for call in calls:
        validate((WEATHER if call.name == "get_weather" else LOOKUP)["input_schema"], call.input)


def _schemas() -> st.SearchStrategy[dict[str, Any]]:
    small = st.integers(-50, 50)
    leaves = st.one_of(
        st.builds(lambda lo, span: {"type": "integer", "minimum": lo, "maximum": lo + span}, small, st.integers(0, 9)),
        st.builds(lambda lo, step: {"type": "integer", "minimum": lo, "multipleOf": step}, small, st.integers(1, 7)),
        st.builds(lambda lo: {"type": "number", "exclusiveMinimum": lo, "exclusiveMaximum": lo + 1}, small),
        st.builds(lambda lo, span: {"type": "string", "minLength": lo, "maxLength": lo + span},
                  st.integers(0, 20), st.integers(0, 5)),
        st.sampled_from([{"type": "boolean"}, {"type": "null"}, {"type": "string", "format": "email"},
                         {"type": "string", "format": "uuid"}, {"type": "string", "format": "date"}]),
        st.lists(st.text(max_size=5), min_size=1, max_size=4, unique=True).map(lambda v: {"enum": v}),
    )

    def extend(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        arrays = st.builds(lambda items, lo: {"type": "array", "items": items, "minItems": lo, "maxItems": lo + 2},
                           inner, st.integers(0, 3))
        objects = st.dictionaries(st.text("abcxyz_", min_size=1, max_size=6), inner, max_size=4).flatmap(
            lambda props: st.builds(lambda req: {"type": "object", "properties": props, "required": sorted(req)},
                                    st.sets(st.sampled_from(sorted(props))) if props else st.just(set())))
        return st.one_of(arrays, objects)

    return st.recursive(leaves, extend, max_leaves=8)


@settings(max_examples=100, deadline=None)
@given(schema=_schemas(), seed=st.binary(max_size=8))
def test_generated_instances_validate_against_their_schema(schema: dict[str, Any], seed: bytes) -> None:
    value = jsongen.generate(schema, seed.hex())  # the one generator the mock draws tool inputs from
    validate(schema, value)
    assert jsongen.generate(schema, seed.hex()) == value


def test_thinking_block_comes_first_within_budget(client: anthropic.Anthropic, base_url: str) -> None:
    request = body(max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 1024})
    reply = client.messages.create(**request)
    thinking, text = reply.content
    assert thinking.type == "thinking" and thinking.signature and text.type == "text"
    assert 0 < count_tokens(thinking.thinking) <= 1024
    assert reply.usage.output_tokens == count_tokens(thinking.thinking) + count_tokens(text.text)
    events = list(wire.iter_events(post(base_url, {**request, "stream": True}).iter_bytes()))
    kinds = [e["delta"]["type"] for e in events if e["type"] == "content_block_delta"]
    assert kinds[0] == "thinking_delta" and kinds.index("signature_delta") == kinds.count("thinking_delta")
    assert wire.accumulate(events) == post(base_url, request).json()
    for bad, message in [
        ({"budget_tokens": 1024}, "`max_tokens` must be greater than `thinking.budget_tokens`"),
        ({"budget_tokens": 1023}, "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"),
    ]:
        refused = post(base_url, body(thinking={"type": "enabled", **bad}))
        assert refused.status_code == 400 and refused.json()["error"]["message"].startswith(message)


def test_stop_sequence_and_max_tokens(client: anthropic.Anthropic, base_url: str) -> None:
    full = client.messages.create(**body()).content[0].text  # type: ignore[union-attr]
    stop = " " + full.split(" ")[2]
    cut = client.messages.create(**body(stop_sequences=["zzz-never", stop]))
    assert cut.stop_reason == "stop_sequence" and cut.stop_sequence == stop
    assert cut.content[0].text == full[: full.index(stop)]  # type: ignore[union-attr]
    streamed = list(wire.iter_events(post(base_url, body(stop_sequences=[stop], stream=True)).iter_lines()))
    assert streamed[-2] == wire.message_delta("stop_sequence", stop, count_tokens(full[: full.index(stop)]))
    short = client.messages.create(**body(max_tokens=3))
    assert short.stop_reason == "max_tokens" and short.usage.output_tokens == 3
    assert count_tokens(short.content[0].text) == 3  # type: ignore[union-attr]
    tool = client.messages.create(**body(max_tokens=2, tools=[WEATHER], tool_choice={"type": "any"}))
    assert tool.stop_reason == "max_tokens" and tool.content == []


def test_count_tokens_equals_usage_input_tokens(client: anthropic.Anthropic) -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
    conversation: list[Any] = [
        {"role": "user", "content": [{"type": "text", "text": "Is this screenshot phishing?"}, image]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "lookup_ip",
                                           "input": {"ip": "192.0.2.1"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "known bad"}]},
    ]
    cases: list[dict[str, Any]] = [
        {"messages": MESSAGES}, {"messages": MESSAGES, "system": [{"type": "text", "text": SYSTEM}]},
        {"messages": conversation, "tools": [WEATHER, LOOKUP]},
        {"messages": conversation, "tools": [LOOKUP], "tool_choice": {"type": "any"}},
    ]
    for case in cases:
        counted = client.messages.count_tokens(model=MODEL, **case).input_tokens
        assert counted == client.messages.create(model=MODEL, max_tokens=64, **case).usage.input_tokens
    with_image = client.messages.count_tokens(model=MODEL, messages=conversation[:1]).input_tokens
    assert with_image == MESSAGE_OVERHEAD + count_tokens("Is this screenshot phishing?") + IMAGE_TOKENS
    tools_only = client.messages.count_tokens(model=MODEL, messages=MESSAGES, tools=[LOOKUP]).input_tokens
    assert tools_only - client.messages.count_tokens(model=MODEL, messages=MESSAGES).input_tokens == (
        TOOL_PROMPT_TOKENS["auto"] + count_tokens(json.dumps(LOOKUP, sort_keys=True, separators=(",", ":"))))


def test_validation_errors_use_anthropic_shape_and_wording(client: anthropic.Anthropic, base_url: str) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(model=MODEL, messages=MESSAGES, max_tokens=anthropic.omit)  # type: ignore[call-overload]
    assert caught.value.response.json() == {
        "type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"}}
    assert caught.value.request_id and caught.value.request_id.startswith("req_011")
    for bad, message in [
        (body(temperature=1.5), "temperature: Input should be less than or equal to 1"),
        (body(top_k=3, seed=1), "seed: Extra inputs are not permitted"),
        (body(messages=[{"role": "system", "content": "x"}]), "messages.0.role: Input should be 'user' or 'assistant'"),
        (body(messages=[]), "messages: at least one message is required"),
        (body(max_tokens=64_001), "max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens"),
        (body(tool_choice={"type": "any"}), "tool_choice may only be specified while providing tools."),
        (body(messages=[{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_9"}]}]),
         "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_9."),
        (body(tools=[{"name": "bad name", "input_schema": {"type": "object"}}]),
         "tools.0.custom.name: String should match pattern"),
    ]:
        refused = post(base_url, bad)
        assert refused.status_code == 400, bad
        assert refused.json()["error"]["message"].startswith(message)
    fault = post(base_url, body(), {"x-mock-status": "abc"})
    assert fault.status_code == 400 and fault.json()["error"]["message"].startswith("x-mock-status")
    nowhere = httpx.get(f"{base_url}/v1/nowhere", headers=AUTH)
    assert nowhere.status_code == 404 and nowhere.json()["error"]["type"] == "not_found_error"


def test_unknown_model_is_404_not_found_error(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as caught:
        client.messages.create(**body(model="claude-nope"))
    assert caught.value.type == "not_found_error" and caught.value.api_message == "model: claude-nope"
    with pytest.raises(anthropic.NotFoundError):
        client.models.retrieve("claude-nope")


def test_auth_takes_x_api_key_or_bearer_and_optionally_a_fixed_key() -> None:
    with ServerThread(create_app(api_key="secret"), name="anthropic-mock-auth") as server:
        wrong = anthropic.Anthropic(base_url=server.base_url, api_key="wrong", max_retries=0, timeout=10)
        with wrong, pytest.raises(anthropic.AuthenticationError) as caught:
            wrong.messages.create(**body())
        assert caught.value.type == "authentication_error" and caught.value.api_message == "invalid x-api-key"
        with anthropic.Anthropic(base_url=server.base_url, api_key="secret", max_retries=0, timeout=10) as right:
            assert right.messages.create(**body()).content
        assert post(server.base_url, body(), {"x-api-key": "secret"}).status_code == 200
        missing = httpx.post(f"{server.base_url}/v1/messages", json=body())
        assert missing.status_code == 401 and missing.headers["request-id"]
        assert missing.json()["error"] == {"type": "authentication_error", "message": "x-api-key header is required"}


@pytest.mark.parametrize(
    ("status", "error", "kind"),
    [(400, anthropic.BadRequestError, "invalid_request_error"), (403, anthropic.PermissionDeniedError,
     "permission_error"), (413, anthropic.ContentTooLargeError, "request_too_large"),
     (429, anthropic.RateLimitError, "rate_limit_error"), (500, anthropic.InternalServerError, "api_error"),
     (529, anthropic.OverloadedError, "overloaded_error")],
)
def test_injected_status_uses_anthropic_error_shape(
    client: anthropic.Anthropic, status: int, error: type[anthropic.APIStatusError], kind: str
) -> None:
    with pytest.raises(error) as caught:
        client.messages.create(**body(), extra_headers={"x-mock-status": str(status)})
    assert caught.value.status_code == status and caught.value.type == kind
    assert set(caught.value.response.json()) == {"type", "error"} and caught.value.request_id
    if status == 429:
        headers = caught.value.response.headers
        assert headers["retry-after"] == "1" and headers["anthropic-ratelimit-requests-remaining"] == "0"
        assert headers["anthropic-ratelimit-requests-limit"] and headers["anthropic-ratelimit-requests-reset"]
    if status == 529:
        assert isinstance(caught.value, anthropic.InternalServerError)


@pytest.mark.parametrize("stream", [False, True])
def test_same_request_gives_identical_bytes(base_url: str, stream: bool) -> None:
    request = body(stream=stream, tools=[WEATHER], messages=[{"role": "user", "content": "get_weather please"}])
    first, second = post(base_url, request), post(base_url, request)
    assert first.status_code == 200 and first.content == second.content
    assert post(base_url, {**request, "system": "other"}).content != first.content


def test_models_are_listed_paged_and_retrievable(client: anthropic.Anthropic, base_url: str) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids == ["claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-1"]
    page = httpx.get(f"{base_url}/v1/models", params={"limit": 1, "after_id": ids[0]}, headers=AUTH).json()
    assert page == {"data": [wire.model_info("claude-sonnet-4-5", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z")],
                    "has_more": True, "first_id": "claude-sonnet-4-5", "last_id": "claude-sonnet-4-5"}
    model = client.models.retrieve("claude-opus-4-1")
    assert model.type == "model" and model.display_name == "Claude Opus 4.1"


def test_disconnect_and_latency_faults(base_url: str, client: anthropic.Anthropic) -> None:
    received: list[wire.StreamEvent] = []
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream(
        "POST", f"{base_url}/v1/messages", json=body(stream=True),
        headers={**AUTH, "x-mock-disconnect-after": "4"}, timeout=10,
    ) as reply:
        assert reply.status_code == 200
        received.extend(wire.iter_events(reply.iter_lines()))
    assert len(received) == 4 and received[-1]["type"] == "content_block_delta"
    with pytest.raises(CUT_STREAM), client.messages.stream(  # the SDK does not wrap a cut stream
        **body(), extra_headers={"x-mock-disconnect-after": "3"}
    ) as stream:
        stream.get_final_message()
    started = time.perf_counter()
    timed = post(base_url, body(stream=True, max_tokens=4),
                 {"x-mock-delay-ms": "40", "x-mock-ttft-ms": "40", "x-mock-itl-ms": "10"})
    assert timed.status_code == 200 and time.perf_counter() - started >= 0.04 + 0.04 + 3 * 0.01
    assert timed.text.endswith('event: message_stop\ndata: {"type":"message_stop"}\n\n')


def test_journal_records_each_request_until_reset(base_url: str) -> None:
    assert httpx.post(f"{base_url}/__mock__/reset").status_code == 200
    post(base_url, body(), {"x-trace": "abc"})
    [entry] = httpx.get(f"{base_url}/__mock__/journal").json()["data"]
    assert entry["method"] == "POST" and entry["path"] == "/v1/messages" and entry["json"] == body()
    assert entry["headers"]["x-trace"] == "abc" and entry["headers"]["anthropic-version"] == "2023-06-01"
    assert httpx.post(f"{base_url}/__mock__/reset").json() == {"reset": True, "cleared": 1}
    assert httpx.get(f"{base_url}/__mock__/journal").json()["data"] == []


def test_iter_events_reads_any_framing_and_rejects_a_broken_stream(base_url: str) -> None:
    raw = post(base_url, body(stream=True)).content
    expected = list(wire.iter_events([raw]))
    crlf = raw.replace(b"\n", b"\r\n").replace(b"event: ping", b": keep-alive\r\nevent: ping")
    for framed in (raw, crlf, raw.replace(b"\n", b"\r")):
        assert list(wire.iter_events([framed[i : i + 7] for i in range(0, len(framed), 7)])) == expected
        assert list(wire.iter_events(framed.decode().splitlines())) == expected
    unknown = b'event: future_event\ndata: {"type":"future_event"}\n\n'
    assert list(wire.iter_events([unknown + raw])) == expected
    with pytest.raises(wire.StreamFormatError):
        list(wire.iter_events(['event: message_stop', 'data: {"type":"ping"}', '']))
    with pytest.raises(wire.StreamFormatError):
        wire.accumulate(expected[:-1])
    with pytest.raises(wire.StreamErrorEvent) as caught:
        wire.accumulate([*expected[:3], wire.error_event("overloaded_error", "Overloaded")])
    assert caught.value.error["type"] == "overloaded_error"
