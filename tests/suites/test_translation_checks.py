"""The translation checks fail bad upstream records and pass good ones; the journal client reads a real mock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.openai.app import create_app as create_openai_app
from aigw_conformance.suites.checks import CHECKS, run_checks
from aigw_conformance.suites.checks.translation import UNSUPPORTED
from aigw_conformance.suites.exchange import Exchange, Probe
from aigw_conformance.suites.failures import TestSkipped
from aigw_conformance.suites.grounds import support_rows
from aigw_conformance.suites.target import Target, TargetError, load_target
from aigw_conformance.suites.upstream import Upstream, new_marker
from tests.suites.outcomes import outcome as run_check

ANSWER: dict[str, Any] = {
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}
SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


def exchange(request: dict[str, Any], mock: str | None, upstream: Any, *, provider: str = "openai",
             status: int = 200, answer: Any = None, betas: list[str] | None = None, **context: Any) -> Exchange:
    entry = None if mock is None else {"mock": mock, "json": upstream, "path": "/v1/x", "method": "POST",
                                       "betas": betas or []}
    body = json.dumps(ANSWER if answer is None else answer).encode()
    return Exchange(api="ai", operation="POST /chat/completions", method="POST", url="http://t/chat/completions",
                    request_headers={}, request_json={"model": "m", "messages": [], **request}, status=status,
                    headers=httpx.Headers({"content-type": "application/json"}), body=body, elapsed_s=0.01,
                    context={"upstream": entry, "provider": provider, **context})


def outcome(name: str, ex: Exchange) -> str | None:
    return run_check(name, ex, must_apply="never")


def grounds_of(name: str, ex: Exchange) -> list[tuple[str, str]]:
    """(quote or reason, kind) of each failure of check `name` on `ex`."""
    found = next(o for o in run_checks(ex, [name], auto=False) if o.check.name == name)
    return [(grounds.quote, grounds.kind) for _, grounds in found.failures]


def test_unsupported_parameters_must_not_reach_the_provider() -> None:
    asked = {"top_k": 40, "seed": 7, "temperature": 0.5}
    good = exchange(asked, "openai", {"seed": 7, "temperature": 0.5})
    assert outcome("translation.unsupported_dropped", good) is None
    assert "top_k" in (outcome("translation.unsupported_dropped", exchange(asked, "openai", {"top_k": 40})) or "")
    gemini_leak = exchange(asked, "gemini", {"generationConfig": {"seed": 7, "topK": 40}}, provider="gemini")
    assert "seed" in (outcome("translation.unsupported_dropped", gemini_leak) or "")
    gemini_ok = exchange(asked, "gemini", {"generationConfig": {"topK": 40}}, provider="gemini")
    assert outcome("translation.unsupported_dropped", gemini_ok) is None
    kept = exchange({"top_k": 40, "min_p": 0.1}, "selfhosted", {"top_k": 40, "min_p": 0.1}, provider="threatwinds")
    assert outcome("translation.unsupported_dropped", kept) is None
    refused = exchange(asked, "openai", {}, status=400)
    assert "400" in (outcome("translation.unsupported_dropped", refused) or "")
    assert "no chat request" in (outcome("translation.unsupported_dropped", exchange(asked, None, None)) or "")


def test_supported_parameters_arrive_in_native_names() -> None:
    asked = {"max_completion_tokens": 48, "temperature": 0.7, "top_p": 0.9, "top_k": 40, "stop": ["zz"],
             "tools": [{"type": "function", "function": {"name": "scan"}}]}
    gemini: dict[str, Any] = {"generationConfig": {"maxOutputTokens": 48, "temperature": 0.7, "topP": 0.9, "topK": 40,
                                   "stopSequences": ["zz"]}, "tools": [{"functionDeclarations": [{"name": "scan"}]}]}
    assert outcome("translation.supported_carried", exchange(asked, "gemini", gemini, provider="gemini")) is None
    snake = {"generation_config": {"max_output_tokens": 48, "temperature": 0.7, "top_p": 0.9, "top_k": 40,
                                   "stop_sequences": ["zz"]}, "tools": [{"function_declarations": [{"name": "scan"}]}]}
    assert outcome("translation.supported_carried", exchange(asked, "gemini", snake, provider="gemini")) is None
    leak = exchange({"seed": 7}, "gemini", {"generation_config": {"seed": 7}}, provider="gemini")
    assert "seed" in (outcome("translation.unsupported_dropped", leak) or "")  # Gemini reads either spelling
    gemini["generationConfig"]["maxOutputTokens"] = 24
    assert "max tokens" in (outcome("translation.supported_carried",
                                    exchange(asked, "gemini", gemini, provider="gemini")) or "")
    claude = {"max_tokens": 48, "temperature": 0.7, "top_p": 0.9, "top_k": 40, "stop_sequences": ["zz"],
              "tools": [{"name": "scan"}]}
    assert outcome("translation.claude_supported_carried",
                   exchange(asked, "anthropic", claude, provider="claude")) is None
    halved = {**claude, "temperature": 0.35}
    assert "temperature" in (outcome("translation.claude_supported_carried",
                                     exchange(asked, "anthropic", halved, provider="claude")) or "")
    extras = {"top_k": 40, "min_p": 0.05, "repetition_penalty": 1.1}
    lost = exchange(extras, "selfhosted", {"top_k": 40}, provider="threatwinds")
    assert "min_p" in (outcome("translation.supported_carried", lost) or "")
    schema = {"response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": SCHEMA}}}
    forced = {"tools": [{"name": "a", "input_schema": SCHEMA}], "tool_choice": {"type": "tool", "name": "a"}}
    assert outcome("translation.claude_supported_carried",
                   exchange(schema, "anthropic", forced, provider="claude")) is None
    assert "json_schema" in (outcome("translation.claude_supported_carried",
                                     exchange(schema, "anthropic", {}, provider="claude")) or "")


def test_claude_has_no_column_so_its_checks_are_conventions() -> None:
    """000's support table has no Claude column: the documented checks leave Claude alone, its twins judge it."""
    halved = exchange({"temperature": 0.7}, "anthropic", {"temperature": 0.35, "max_tokens": 48}, provider="claude")
    assert outcome("translation.supported_carried", halved) is None
    assert "temperature" in (outcome("translation.claude_supported_carried", halved) or "")
    leak = exchange({"seed": 7}, "anthropic", {"seed": 7}, provider="claude")
    assert outcome("translation.unsupported_dropped", leak) is None
    assert "seed" in (outcome("translation.claude_unsupported_dropped", leak) or "")
    assert CHECKS["translation.claude_supported_carried"].inferred and CHECKS["translation.service_tier"].inferred
    assert not CHECKS["translation.supported_carried"].inferred


def test_claude_json_schema_arrives_in_any_of_anthropics_forms() -> None:
    asked = {"response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": SCHEMA}}}
    beta = ["token-efficient-tools-2025-02-19", "structured-outputs-2025-11-13"]

    def carried(body: dict[str, Any], betas: list[str] | None = None) -> str | None:
        return outcome("translation.claude_supported_carried", exchange(asked, "anthropic", body, provider="claude",
                                                                 betas=betas))

    ga = {"output_config": {"format": {"type": "json_schema", "schema": SCHEMA}}}
    assert carried(ga) is None and carried(ga, beta) is None
    assert carried({"output_config": {"effort": "low", "format": {"type": "json_schema", "schema": SCHEMA}}}) is None
    output_format = {"output_format": {"type": "json_schema", "schema": SCHEMA}}
    assert carried(output_format, beta) is None
    unflagged = carried(output_format) or ""
    assert "json_schema" in unflagged and "without the anthropic-beta" in unflagged
    assert carried(output_format, ["token-efficient-tools-2025-02-19"]) is not None
    forced = {"tools": [{"name": "a", "input_schema": SCHEMA}], "tool_choice": {"type": "tool", "name": "a"}}
    assert carried(forced) is None
    assert carried({"system": "Answer in JSON with the key answer."}) is None
    other = {"type": "object", "properties": {"verdict": {"type": "string"}}}
    assert carried({"output_config": {"format": {"type": "json_schema", "schema": other}}}) is not None
    assert carried({"output_config": {"format": {"type": "json_object", "schema": SCHEMA}}}) is not None
    assert carried({"output_config": {"effort": "high"}}) is not None
    assert carried({}) is not None


def test_reasoning_budget_and_its_absence() -> None:
    asked = {"max_completion_tokens": 4400, "reasoning_effort": "low"}
    good = {"thinking": {"type": "enabled", "budget_tokens": 1100}}
    assert outcome("translation.reasoning_budget", exchange(asked, "anthropic", good, provider="claude")) is None
    wrong = {"thinking": {"type": "enabled", "budget_tokens": 2200}}
    assert "1100" in (outcome("translation.reasoning_budget", exchange(asked, "anthropic", wrong)) or "")
    gemini = {"generationConfig": {"thinkingConfig": {"thinkingBudget": 1100}}}
    assert outcome("translation.reasoning_budget", exchange(asked, "gemini", gemini)) is None
    snake = {"generation_config": {"thinking_config": {"thinking_budget": 1100}}}
    assert outcome("translation.reasoning_budget", exchange(asked, "gemini", snake)) is None
    assert outcome("translation.reasoning_budget", exchange(asked, "openai", {"reasoning_effort": "low"})) is None
    assert outcome("translation.reasoning_budget", exchange(asked, "openai", {"reasoning_effort": "high"})) is not None
    assert outcome("translation.reasoning_omitted", exchange({}, "anthropic", {"max_tokens": 9})) is None
    assert outcome("translation.reasoning_omitted", exchange({}, "anthropic", good)) is not None
    assert outcome("translation.reasoning_omitted", exchange({}, "openai", {"reasoning_effort": "medium"})) is not None


def test_service_tier_default_max_tokens_and_routing() -> None:
    tier = {"service_tier": "flex"}
    assert outcome("translation.service_tier", exchange(tier, "openai", tier)) is None
    assert outcome("translation.service_tier", exchange(tier, "openai", {})) is not None
    assert outcome("translation.default_max_tokens", exchange({}, "gemini", {"generationConfig": {
        "maxOutputTokens": 32768}}, model_max=65536)) is None
    assert "32768" in (outcome("translation.default_max_tokens", exchange({}, "gemini", {"generationConfig": {
        "maxOutputTokens": 65536}}, model_max=65536)) or "")
    assert outcome("translation.routed_to_provider", exchange({}, None, None, provider="threatwinds",
                                                              routed={"selfhosted": 1, "openai": 0})) is None
    assert outcome("translation.routed_to_provider", exchange({}, None, None, provider="threatwinds",
                                                              routed={"openai": 1})) is not None
    assert "threatwinds" in (outcome("translation.routed_to_provider", exchange(
        {}, None, None, provider="vllm", routed={"selfhosted": 1})) or "")


def test_upstream_500_and_content_filter_mapping() -> None:
    assert outcome("translation.upstream_500", exchange({}, "openai", {}, status=500)) is None
    assert "400" in (outcome("translation.upstream_500", exchange({}, "openai", {}, status=400)) or "")
    filtered = {**ANSWER, "choices": [{**ANSWER["choices"][0], "finish_reason": "content_filter"}]}
    assert outcome("translation.content_filter_finish", exchange({}, "gemini", {}, answer=filtered)) is None
    assert "stop" in (outcome("translation.content_filter_finish", exchange({}, "gemini", {})) or "")


@pytest.fixture(scope="module")
def mock_root() -> Iterator[str]:
    with ServerThread(create_openai_app("test-key"), name="openai-mock-journal") as server:
        yield server.base_url


@pytest.fixture
def probe() -> Iterator[Probe]:
    probe = Probe(timeout_s=10)
    yield probe
    probe.close()


def test_journal_client_finds_the_marked_request_and_scripts_faults(mock_root: str, probe: Probe) -> None:
    upstream, marker = Upstream({"openai": mock_root}, probe), new_marker()
    body = {"model": "gpt-5", "messages": [{"role": "user", "content": f"hi [{marker}]"}], "max_completion_tokens": 4}
    headers = {"authorization": "Bearer test-key"}
    httpx.post(f"{mock_root}/v1/chat/completions", json={**body, "messages": [{"role": "user", "content": "x"}]},
               headers=headers, timeout=10)
    assert httpx.post(f"{mock_root}/v1/chat/completions", json=body, headers=headers, timeout=10).status_code == 200
    found = upstream.chat_request("openai", marker)
    assert found is not None and found.json == body and found.is_chat
    assert found.betas == [] and "test-key" not in json.dumps(found.to_context())
    beta = {**headers, "anthropic-beta": "structured-outputs-2025-11-13, b-1"}
    marked = {**body, "messages": [{"role": "user", "content": f"beta [{marker}]"}]}
    httpx.post(f"{mock_root}/v1/chat/completions", json=marked, headers=beta, timeout=10)
    flagged = upstream.chat_request("openai", marker)
    assert flagged is not None and flagged.to_context()["betas"] == ["b-1", "structured-outputs-2025-11-13"]
    assert upstream.chat_request("openai", new_marker()) is None
    with upstream.fault("openai", {"kind": "status", "status": 500}):
        assert httpx.post(f"{mock_root}/v1/chat/completions", json=body, headers=headers, timeout=10).status_code == 500
    assert httpx.get(f"{mock_root}/__mock__/faults", timeout=10).json()["data"] == []  # removed on leaving
    with upstream.fault("openai", {"kind": "content_filter", "enabled": 1}):
        reply = httpx.post(f"{mock_root}/v1/chat/completions", json=body, headers=headers, timeout=10)
    assert reply.json()["choices"][0]["finish_reason"] == "content_filter"
    with pytest.raises(TestSkipped, match=r"\[upstream\]"):
        Upstream.of(Target(), probe)


def test_upstream_table_of_the_target_file(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[upstream]\nopenai = "http://127.0.0.1:9001/"\nselfhosted = "http://127.0.0.1:9004"\n')
    assert load_target(good).upstream == {"openai": "http://127.0.0.1:9001", "selfhosted": "http://127.0.0.1:9004"}
    for bad in ('[upstream]\nvllm = "http://127.0.0.1:1"\n', '[upstream]\nopenai = "127.0.0.1:1"\n'):
        (tmp_path / "bad.toml").write_text(bad)
        with pytest.raises(TargetError, match=r"\[upstream\]"):
            load_target(tmp_path / "bad.toml")


def test_each_failing_parameter_quotes_its_own_row_of_000s_support_table() -> None:
    """A leaked or mangled parameter's failure rests on that parameter's row (not on one fixed sentence), one
    failure per parameter; Claude's (no column) stay conventions."""
    sent = {"generationConfig": {"seed": 7, "responseLogprobs": True}}
    leak = exchange({"seed": 7, "logprobs": True}, "gemini", sent, provider="gemini")
    failures = dict(grounds_of("translation.unsupported_dropped", leak))
    assert set(failures) == {"logprobs Return token log probabilities Yes Yes No",
                             "seed Random seed for reproducibility Yes Yes No"}
    assert all(kind == "documented" for kind in failures.values())
    mangled = exchange({"temperature": 0.7, "stop": ["zz"]}, "openai", {"temperature": 1.0, "stop": ["zz"]})
    assert grounds_of("translation.supported_carried", mangled) == [
        ("temperature Sampling temperature (0.0-2.0, default: 1.0) Yes Yes Yes", "documented")]
    claude = exchange({"seed": 7}, "anthropic", {"seed": 7}, provider="claude")
    assert [kind for _, kind in grounds_of("translation.claude_unsupported_dropped", claude)] == ["convention"]


def test_the_unsupported_table_is_000s_no_cells() -> None:
    rows = support_rows()
    for column, provider in ((-2, "openai"), (-1, "gemini")):
        assert UNSUPPORTED[provider] == {name for name, row in rows.items() if row.split()[column] == "No"}, provider
    assert all(row.split()[-3] == "Yes" for row in rows.values())  # ThreatWinds (self-hosted) takes every one
