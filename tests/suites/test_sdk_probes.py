"""The official SDK probes (sdk-probes): each sdk.* check passes what the SDK read well and fails, in the SDK's own
words, what it could not; the probes run through the bounded probe, with a key pair too, and report transport
failures as such."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest
from openai.types import Model
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from aigw_conformance.mocks.reference import ReferenceStack
from aigw_conformance.suites.checks import run_checks
from aigw_conformance.suites.checks.sdk import SdkCall
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.runner import run
from aigw_conformance.suites.target import Target
from tests.suites.outcomes import outcome as run_check

COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1704067200, "model": "gpt-5",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hello"}}],
    "usage": {"prompt_tokens": 8, "completion_tokens": 1, "total_tokens": 9},
}


def chunk(content: str | None, finish: str | None = None, **override: Any) -> dict[str, Any]:
    delta = {} if content is None else {"content": content}
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1704067200, "model": "gpt-5",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **override}


USAGE_CHUNK = chunk(None, choices=[], usage={"prompt_tokens": 8, "completion_tokens": 2, "total_tokens": 10})
STREAM = [chunk("Hel"), chunk("lo"), chunk(None, "stop"), USAGE_CHUNK]


def exchange(recorded: SdkCall, *, body: bytes = b"{}", status: int = 200, stream: bool = False) -> Exchange:
    request: dict[str, Any] = {"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}]}
    if stream:
        request.update(stream=True, stream_options={"include_usage": True})
    content_type = "text/event-stream" if stream else "application/json"
    return Exchange(api="ai", operation="POST /chat/completions", method="POST", url="http://t/chat/completions",
                    request_headers={}, request_json=request, status=status,
                    headers=httpx.Headers({"content-type": content_type}), body=body, elapsed_s=0.01,
                    context={"sdk": recorded})


def sse(chunks: list[dict[str, Any]], *, late: tuple[dict[str, Any], ...] = ()) -> bytes:
    events = [f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"]
    return "".join(events + [f"data: {json.dumps(c)}\n\n" for c in late]).encode()


def outcome(name: str, ex: Exchange) -> str | None:
    return run_check(name, ex, must_apply="never")


def test_a_well_read_completion_passes_and_a_lenient_one_fails_with_the_sdk_type_error() -> None:
    good = ChatCompletion.construct(**COMPLETION)
    assert outcome("sdk.parses_completion", exchange(SdkCall("create()", good))) is None
    leaked = {**COMPLETION, "choices": [{**COMPLETION["choices"][0], "finish_reason": "end_turn"}]}
    found = outcome("sdk.parses_completion", exchange(SdkCall("create()", ChatCompletion.construct(**leaked))))
    assert found and "does not match the SDK's type ChatCompletion" in found and "finish_reason" in found


def test_an_sdk_exception_is_quoted() -> None:
    error = ValueError("Invalid JSON: expected value at line 1 column 1")
    found = outcome("sdk.parses_structured_output", exchange(SdkCall("parse(response_format=X)", error=error)))
    assert found == ("the openai SDK could not read the structured output: `parse(response_format=X)` raised "
                     "ValueError: Invalid JSON: expected value at line 1 column 1")


def test_stream_checks_pass_a_whole_stream_and_catch_a_usage_chunk_after_done() -> None:
    seen = [ChatCompletionChunk.construct(**c) for c in STREAM]
    whole = exchange(SdkCall("create(stream=True)", seen), body=sse(STREAM), stream=True)
    assert outcome("sdk.parses_stream", whole) is None and outcome("sdk.stream_matches_chunks", whole) is None
    late = exchange(SdkCall("create(stream=True)", seen[:-1]), body=sse(STREAM[:-1], late=(USAGE_CHUNK,)),
                    stream=True)
    assert "no chunk the SDK yielded carries usage" in (outcome("sdk.parses_stream", late) or "")
    assert "the SDK yielded 3 chunks but the stream holds 4" in (outcome("sdk.stream_matches_chunks", late) or "")


def test_usage_the_sdk_never_yields_is_documented_and_a_usage_chunk_with_choices_a_convention() -> None:
    def grounds_of(chunks: list[dict[str, Any]]) -> list[str]:
        seen = [ChatCompletionChunk.construct(**c) for c in chunks]
        ex = exchange(SdkCall("create(stream=True)", seen), body=sse(chunks), stream=True)
        found = next(o for o in run_checks(ex, ["sdk.parses_stream"], auto=False))
        return [grounds.kind for _, grounds in found.failures]

    assert grounds_of(STREAM[:-1]) == ["documented"]
    with_choices = {**USAGE_CHUNK, "choices": [{"index": 0, "delta": {}, "finish_reason": None}]}
    assert grounds_of([*STREAM[:-1], with_choices]) == ["convention"]
    assert grounds_of(STREAM) == []


def test_a_stream_cut_by_an_sdk_error_reports_how_far_it_got() -> None:
    seen = [ChatCompletionChunk.construct(**STREAM[0])]
    cut = exchange(SdkCall("create(stream=True)", seen, openai.APIError("boom", httpx.Request("POST", "http://t"),
                                                                          body=None)), stream=True)
    assert "raised APIError: boom after 1 chunks" in (outcome("sdk.parses_stream", cut) or "")


def test_models_need_the_sdk_model_fields() -> None:
    record = {"id": "gpt-5", "object": "model", "created": 1, "owned_by": "openai", "provider": "openai"}
    assert outcome("sdk.parses_models", exchange(SdkCall("list()", [Model.construct(**record)]))) is None
    del record["owned_by"]
    assert "owned_by" in (outcome("sdk.parses_models", exchange(SdkCall("list()", [Model.construct(**record)])))
                          or "")
    assert "yielded no model" in (outcome("sdk.parses_models", exchange(SdkCall("list()", []))) or "")


def test_typed_errors() -> None:
    response = httpx.Response(404, json={"error": {"message": "nope", "type": "not_found_error"}},
                              request=httpx.Request("GET", "http://t/models/x"))
    error = openai.NotFoundError("Error code: 404", response=response,
                                 body={"message": "nope", "type": "not_found_error"})
    right = SdkCall("retrieve('x')", error=error, expected_error=openai.NotFoundError, expected_status=404)
    assert outcome("sdk.typed_error", exchange(right, status=404)) is None
    assert outcome("sdk.error_body_readable", exchange(right, status=404)) is None
    silent = SdkCall("retrieve('x')", expected_error=openai.NotFoundError, expected_status=404)
    assert "raised nothing: the gateway answered 200" in (outcome("sdk.typed_error", exchange(silent)) or "")
    wrong = SdkCall("retrieve('x')", error=openai.InternalServerError(
        "Error code: 500", response=response, body="oops"),
        expected_error=openai.NotFoundError, expected_status=404)
    assert "not the SDK's NotFoundError for 404" in (outcome("sdk.typed_error", exchange(wrong, status=500)) or "")
    assert "`err.body` is 'oops'" in (outcome("sdk.error_body_readable", exchange(wrong, status=500)) or "")


@pytest.fixture(scope="module")
def stack() -> Any:
    with ReferenceStack() as running:
        yield running


def test_the_probes_pass_the_reference_with_a_key_pair_only(stack: ReferenceStack) -> None:
    target = Target(name="pair", base_url=stack.base_url, api_key=stack.api_key, api_secret=stack.api_secret,
                    models={"chat": "gpt-5"})
    report = run(target, only=["sdk."])
    assert {r.id: r.outcome for r in report.results} == {
        "sdk.models": "passed", "sdk.chat": "passed", "sdk.stream": "passed", "sdk.tools": "passed",
        "sdk.structured_output": "passed", "sdk.error_authentication": "passed", "sdk.error_bad_request": "passed",
        "sdk.error_not_found": "passed"}, [r.message for r in report.results]


def test_a_model_without_tools_use_is_skipped_with_the_reason(stack: ReferenceStack) -> None:
    target = Target(name="t", base_url=stack.base_url, token=stack.token,
                    models={"chat": "gpt-5", "tools": "text-embedding-3-small"})
    [result] = run(target, only=["sdk.tools"]).results
    assert result.outcome == "skipped" and "has the 'tools-use' capability" in result.message


def test_an_unreachable_target_is_a_transport_failure_not_an_sdk_one() -> None:
    target = Target(name="gone", base_url="http://127.0.0.1:9/api/ai/v1", token="t", models={"chat": "gpt-5"},
                    timeout_s=2)
    [result] = run(target, only=["sdk.chat"]).results
    assert result.outcome == "failed" and [f.check for f in result.failures] == ["transport"]
