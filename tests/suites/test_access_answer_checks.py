"""The access and answer checks (403, Content-Type, providers, capabilities, logprobs, reasoning text, parallel
tool calls, client tool messages) pass good exchanges and fail hand-built bad ones; restricted credentials load."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.restricted import Restrictions
from aigw_conformance.suites.selftest import reference_settings
from aigw_conformance.suites.target import TargetError, load_target
from tests.suites.outcomes import outcome
from tests.suites.test_output_checks import chunk, completion, exchange


def reply(status: int, body: Any = None, *, api: str = "ai", context: dict[str, Any] | None = None,
          request_headers: dict[str, str] | None = None) -> Exchange:
    return Exchange(api=api, operation="POST /chat/completions", method="POST", url="http://t/chat/completions",
                    request_headers=dict(request_headers or {}), request_json={"model": "m", "messages": []},
                    status=status, body=json.dumps(body or {}).encode(), elapsed_s=0.01, context=dict(context or {}),
                    headers=httpx.Headers({"content-type": "application/json"}))


ERROR = {"error": {"message": "no", "type": "invalid_request_error"}}
ANSWER = completion({"message": {"content": "ok"}})


@pytest.mark.parametrize(("name", "good", "bad"), [
    ("http.content_type_400", 400, (200, 404, 500)),
    ("auth.no_access_403", 403, (401, 200)),
    ("auth.model_not_allowed_403", 403, (200, 401)),
    ("models.unknown_provider_404", 404, (500, 400)),
])
def test_status_checks(name: str, good: int, bad: tuple[int, ...]) -> None:
    assert outcome(name, reply(good, ERROR)) is None
    for status in bad:
        assert outcome(name, reply(status, ANSWER if status == 200 else ERROR)) is not None
    assert "401 says it is not" in (outcome("auth.no_access_403", reply(401, ERROR)) or "")


def test_content_type_refused_with_400_or_415() -> None:
    """000 documents 400; 415 is HTTP's own status for the media type (decision content_type.status): both refuse,
    and errors.status_documented does not hold a 415 for a non-JSON Content-Type against the documented list."""
    plain = {"content-type": "text/plain"}
    assert outcome("http.content_type_400", reply(415, ERROR, request_headers=plain)) is None
    assert outcome("errors.status_documented", reply(415, ERROR, request_headers=plain)) is None
    assert "415 is not documented" in (outcome("errors.status_documented", reply(
        415, ERROR, request_headers={"content-type": "application/json"})) or "")
    assert "expected 400 or 415" in (outcome("http.content_type_400", reply(200, ANSWER, request_headers=plain)) or "")


def test_capability_honoured() -> None:
    claimed = {"capability": "chat", "model": "m", "claimed": True}
    assert outcome("models.capability_honoured", reply(200, ANSWER, context=claimed)) is None
    assert "lists the `chat` capability" in (outcome("models.capability_honoured",
                                                     reply(400, ERROR, context=claimed)) or "")
    tools = {**claimed, "capability": "tools-use"}
    assert "no tool call" in (outcome("models.capability_honoured", reply(200, ANSWER, context=tools)) or "")
    called = completion({"message": {"content": None, "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}, "finish": "tool_calls"})
    assert outcome("models.capability_honoured", reply(200, called, context=tools)) is None
    unclaimed = {**claimed, "claimed": False}
    for refused in (400, 403, 404):  # one rule with models.dedicated_endpoint_refused (errors.DEDICATED_MODEL_REFUSALS)
        assert outcome("models.capability_honoured", reply(refused, ERROR, context=unclaimed)) is None
    assert "does not list `chat`" in (outcome("models.capability_honoured", reply(200, ANSWER, context=unclaimed))
                                      or "")


def _entry(token: str, logprob: float, k: int) -> dict[str, Any]:
    top = [{"token": token, "logprob": logprob, "bytes": list(token.encode())}] + [
        {"token": f" alt{j}", "logprob": logprob - 1 - j, "bytes": list(f" alt{j}".encode())} for j in range(k - 1)]
    return {"token": token, "logprob": logprob, "bytes": list(token.encode()), "top_logprobs": top[:k]}


def _with_logprobs(entries: list[dict[str, Any]] | None, content: str = "The SOC") -> dict[str, Any]:
    answer = completion({"message": {"content": content}},
                        usage={"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7})
    answer["choices"][0]["logprobs"] = None if entries is None else {"content": entries}
    return answer


def test_logprobs_content() -> None:
    asked = {"logprobs": True, "top_logprobs": 2}
    good = _with_logprobs([_entry("The", -0.1, 2), _entry(" SOC", -0.2, 2)])
    assert outcome("logprobs.content", exchange(asked, good)) is None
    no_top = _with_logprobs([{**_entry("The", -0.1, 2), "top_logprobs": []}, _entry(" SOC", -0.2, 2)])
    assert "top_logprobs=2" in (outcome("logprobs.content", exchange(asked, no_top)) or "")
    positive = _with_logprobs([_entry("The", 0.5, 2), _entry(" SOC", -0.2, 2)])
    assert "<= 0" in (outcome("logprobs.content", exchange(asked, positive)) or "")
    missing = _with_logprobs(None)
    assert "no logprobs.content" in (outcome("logprobs.content", exchange(asked, missing)) or "")
    short = _with_logprobs([_entry("The", -0.1, 2)])
    assert "spell" in (outcome("logprobs.content", exchange(asked, short)) or "")
    streamed = [chunk(role="assistant", content=""), chunk(content="The"), chunk(content=" SOC"), chunk(finish="stop")]
    streamed[1]["choices"][0]["logprobs"] = {"content": [_entry("The", -0.1, 2)]}
    streamed[2]["choices"][0]["logprobs"] = {"content": [_entry(" SOC", -0.3, 2)]}
    assert outcome("logprobs.content", exchange(asked, streamed, stream=True)) is None


def test_logprobs_absent_unless_requested() -> None:
    assert outcome("logprobs.absent_unless_requested", exchange({}, _with_logprobs(None))) is None
    assert outcome("logprobs.absent_unless_requested", exchange({}, ANSWER)) is None
    unasked = _with_logprobs([_entry("The", -0.1, 0), _entry(" SOC", -0.2, 0)])
    assert "did not ask" in (outcome("logprobs.absent_unless_requested", exchange({}, unasked)) or "")


def test_reasoning_text_returned() -> None:
    effort = {"reasoning_effort": "medium"}
    good = completion({"message": {"content": "Answer.", "reasoning": "First, I should clarify."}})
    assert outcome("reasoning.text_returned", exchange(effort, good)) is None
    assert "message.reasoning" in (outcome("reasoning.text_returned", exchange(effort, ANSWER)) or "")
    streamed = [chunk(role="assistant", content=""), chunk(reasoning="Let me think."), chunk(content="Answer."),
                chunk(finish="stop")]
    assert outcome("reasoning.text_returned", exchange(effort, streamed, stream=True)) is None
    as_content = [chunk(role="assistant", content=""), chunk(content="Let me think."), chunk(content="Answer."),
                  chunk(finish="stop")]
    assert "delta.reasoning" in (outcome("reasoning.text_returned", exchange(effort, as_content, stream=True)) or "")


def test_assistant_reasoning_accepted() -> None:
    assert outcome("reasoning.assistant_accepted", reply(200, ANSWER)) is None
    assert outcome("reasoning.assistant_accepted", reply(400, ERROR)) is not None


def test_parallel_honoured() -> None:
    def calls(count: int) -> dict[str, Any]:
        return completion({"message": {"content": None, "tool_calls": [
            {"id": f"c{i}", "type": "function", "function": {"name": f"f{i}", "arguments": "{}"}}
            for i in range(count)]}, "finish": "tool_calls"})

    single = {"parallel_tool_calls": False, "tool_choice": "required"}
    assert outcome("tools.parallel_honoured", exchange(single, calls(1))) is None
    assert "2 tool calls" in (outcome("tools.parallel_honoured", exchange(single, calls(2))) or "")
    assert "no tool call" in (outcome("tools.parallel_honoured", exchange(single, calls(0))) or "")


def test_client_tool_messages() -> None:
    answered = reply(200, ANSWER, api="client")
    assert outcome("client.tool_result_answered", answered) is None
    assert outcome("client.tool_result_answered", reply(400, ERROR, api="client")) is not None
    assert outcome("client.tool_message_handled", answered) is None
    assert outcome("client.tool_message_handled", reply(400, ERROR, api="client")) is None
    assert outcome("client.tool_message_handled", reply(500, ERROR, api="client")) is not None
    other = {"error": {"message": "no", "type": "provider_error"}}
    assert "invalid_request_error" in (outcome("client.tool_message_handled", reply(400, other, api="client")) or "")


def test_restricted_credentials_load_and_reach_the_reference(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[auth.restricted]\ntoken = "no-ai"\n[auth.restricted_models]\ntoken = "mini"\n'
                    'allowed = "gpt-5-mini"\ndenied = "gpt-5"\n', encoding="utf-8")
    target = load_target(path)
    assert target.restricted == Restrictions("no-ai", "mini", "gpt-5-mini", "gpt-5")
    overrides = reference_settings(target)
    assert overrides["no_access_tokens"] == ("no-ai",) and overrides["token_models"] == {"mini": ("gpt-5-mini",)}
    path.write_text('[auth.restricted_models]\ntoken = "mini"\nallowed = "gpt-5-mini"\n', encoding="utf-8")
    with pytest.raises(TargetError, match="denied"):
        load_target(path)
    path.write_text("[auth]\n", encoding="utf-8")
    assert "no_access_tokens" not in reference_settings(load_target(path))
