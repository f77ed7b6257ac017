"""Every failure carries its grounds: a seed document's verbatim quote, or a convention with its reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from aigw_conformance.cli import main
from aigw_conformance.spec.loader import SEEDS_DIR
from aigw_conformance.suites.checks import CHECKS, run_checks
from aigw_conformance.suites.checks.shapes import require_schema
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import CheckFailed, Grounds
from aigw_conformance.suites.grounds import check_grounds, exchange_grounds, item_grounds, traceability_items

# Every registered check and the kind of its default grounds (resolved from spec/traceability.yaml): a new check, or
# a change of one's grounds, must be accounted for here.
DOCUMENTED = frozenset({
    "identity.unique_id", "identity.created_recent", "sse.incremental_delivery",
    "auth.api_key_accepted", "auth.bearer_accepted", "auth.key_without_secret_401", "auth.missing_credentials_401",
    "auth.model_not_allowed_403", "auth.no_access_403", "auth.wrong_bearer_401", "auth.wrong_key_401",
    "auth.secret_without_key_401", "auth.mixed_credentials_200_or_401", "schema.positive_data_acceptance",
    "chat.assistant_role", "chat.choice_indices", "chat.finish_reason", "chat.object", "chat.response_shape",
    "chat.usage_arithmetic", "client.bad_request_400", "client.breaker_open_503", "client.guardrail_block",
    "client.invalid_token_401", "client.non_llm_422", "client.quota_exceeded_429", "client.rate_limited_429",
    "client.request_id_echoed", "client.request_id_generated", "client.tool_message_handled",
    "client.tool_result_answered", "client.unknown_model_404", "client.x_request_id", "count.unsupported_refused",
    "errors.status_documented", "errors.x_error", "errors.x_error_id", "http.bad_request_400",
    "http.content_type_400", "http.success", "logprobs.absent_unless_requested", "logprobs.content",
    "models.capability_honoured", "models.dedicated_endpoint_refused", "models.list_shape",
    "models.retrieve_matches_list", "models.retrieve_shape", "models.unknown_404", "models.unknown_provider_404",
    "output.completion_within_limit", "output.length_finish", "output.seed_deterministic", "output.stop_honoured",
    "reasoning.assistant_accepted", "reasoning.budget", "reasoning.text_returned", "reasoning.tokens_reported",
    "schema.content_type_conformance", "schema.negative_data_rejection", "schema.not_a_server_error",
    "schema.response_headers_conformance", "schema.response_schema_conformance", "schema.status_code_conformance",
    "sdk.parses_completion", "sdk.parses_models", "sdk.parses_stream", "sdk.parses_structured_output",
    "sdk.parses_tool_calls", "sdk.stream_matches_chunks", "sdk.typed_error", "sse.choice_indices", "sse.chunk_object",
    "sse.chunk_schema", "sse.content_type", "sse.done_last", "sse.finish_reason",
    "sse.framing", "sse.stable_created", "sse.stable_id", "sse.stable_model", "sse.usage_arithmetic",
    "sse.usage_chunk_iff_requested", "structured.json_object", "structured.json_schema", "tools.arguments_valid",
    "tools.finish_reason", "tools.parallel_honoured", "tools.result_answered", "translation.content_filter_finish",
    "translation.refusal_relayed",
    "translation.default_max_tokens", "translation.reasoning_budget", "translation.routed_to_provider",
    "translation.supported_carried", "translation.unsupported_dropped",
    "translation.upstream_500", "validation.accepts_in_range", "validation.rejects_out_of_range",
    "vision.image_counted",
})

CONVENTION = frozenset({
    "translation.service_tier", "sse.first_delta_role", "tools.stream_first_delta", "tools.stream_later_deltas",
    "tools.stream_no_nulls",
    "client.x_request_id_on_json", "translation.claude_supported_carried", "sse.finish_reason_given",
    "translation.claude_unsupported_dropped",
    "identity.model_requested", "client.provider_429_relayed", "sse.upstream_failure_visible",
    "audio_input.counted", "audio_input.refused_400", "client.output_content_filter", "client.retry_after",
    "client.x_request_id_on_error", "count.matches_usage", "embeddings.base64_matches_float",
    "embeddings.deterministic", "embeddings.dimensions", "embeddings.input_order", "embeddings.one_per_input",
    "embeddings.rejects_invalid", "embeddings.response_shape", "embeddings.usage", "errors.envelope",
    "errors.json_content_type", "sdk.error_body_readable", "speech.content_type", "speech.round_trip",
    "speech.unknown_voice_400", "speech.wav_valid", "store.create_201", "store.deleted_shape", "store.list_page",
    "store.list_shape", "store.not_found_404", "store.record_shape", "store.rejects_invalid",
    "store.tenant_isolation", "transcription.rejects_invalid", "transcription.response_shape",
    "translation.reasoning_omitted", "voices.list_shape",
})


def _collapsed(text: str) -> str:
    return " ".join(text.split())


def _in_seed(grounds: Grounds) -> bool:
    return _collapsed(grounds.quote) in _collapsed((SEEDS_DIR / grounds.source).read_text(encoding="utf-8"))


def test_every_registered_check_is_accounted_for_with_its_grounds() -> None:
    resolved = {name: check.default_grounds.kind for name, check in CHECKS.items()}
    assert DOCUMENTED.isdisjoint(CONVENTION)
    assert set(resolved) == DOCUMENTED | CONVENTION, "a check is missing from (or stale in) this table"
    assert {name for name, kind in resolved.items() if kind == "documented"} == DOCUMENTED


def test_every_documented_quote_is_verbatim_in_its_seed_file() -> None:
    grounds = [check.default_grounds for check in CHECKS.values()] + [item_grounds(i) for i in traceability_items()]
    documented = [g for g in grounds if not g.inferred]
    assert documented
    missing = [g for g in documented if not _in_seed(g)]
    assert not missing, missing[:3]


def test_a_convention_names_its_reason() -> None:
    for check in CHECKS.values():
        grounds = check.default_grounds
        if grounds.inferred:
            assert len(grounds.quote) >= 20 and grounds.source, (check.name, grounds)


def test_a_check_no_item_lists_is_a_convention() -> None:
    grounds = check_grounds("nobody.lists_this_check")
    assert grounds.inferred and "no documented item" in grounds.quote


def _parts(component: str, instance: Any) -> list[tuple[str, Grounds | None]]:
    with pytest.raises(CheckFailed) as raised:
        require_schema(component, instance, "the body")
    return list(raised.value.parts)


def test_a_schema_failure_only_on_error_param_is_a_convention() -> None:
    parts = _parts("ErrorResponse", {"error": {"message": "m", "type": "t", "param": 5, "code": None}})
    assert len(parts) == 1
    message, grounds = parts[0]
    assert "error/param" in message
    assert grounds is not None and grounds.kind == "convention" and "error.param" in grounds.quote
    assert grounds.source.endswith("/properties/param")


CHOICE = {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
USAGE = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
COMPLETION = {"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": [CHOICE], "usage": USAGE}


def test_a_missing_documented_required_field_is_documented_with_its_quote() -> None:
    parts = _parts("ChatCompletionResponse", {key: value for key, value in COMPLETION.items() if key != "choices"})
    assert len(parts) == 1
    message, grounds = parts[0]
    assert "'choices' is a required property" in message
    assert grounds == Grounds.documented("000_3222256926808af7.txt", "choices array Generated response choices")
    assert _in_seed(grounds)


def test_one_check_emits_a_documented_and_a_convention_failure() -> None:
    model = {"id": "m", "object": "model", "created": "yesterday", "provider": "p", "capabilities": [],
             "max_input_tokens": 1, "max_completion_tokens": 1, "max_total_tokens": 2}  # owned_by missing
    parts = _parts("ModelList", {"object": "list", "data": [model]})
    kinds = [grounds.kind for _, grounds in parts if grounds is not None]
    assert kinds == ["documented", "convention"]
    assert "owned_by" in parts[0][0] and "created" in parts[1][0] and "created" not in parts[0][0]


def _exchange(operation: str, status: int, body: Any, api: str = "ai") -> Exchange:
    method, path = operation.split()
    return Exchange(api=api, operation=operation, method=method, url="http://t" + path, request_headers={},
                    request_json={"model": "m", "messages": [{"role": "user", "content": "hi"}]}, status=status,
                    headers=httpx.Headers({"content-type": "application/json"}), body=json.dumps(body).encode(),
                    elapsed_s=0.0)


def test_the_registry_records_each_failure_with_its_own_grounds() -> None:
    broken = dict(COMPLETION, choices=[dict(CHOICE, finish_reason=None)], usage=dict(USAGE, total_tokens="2"))
    del broken["id"]
    outcome = next(o for o in run_checks(_exchange("POST /chat/completions", 200, broken))
                   if o.check.name == "chat.response_shape")
    assert [grounds.kind for _, grounds in outcome.failures] == ["documented"]
    assert outcome.failure == outcome.failures[0][0] and "POST /chat/completions" in outcome.failure


def test_grounds_follow_the_operation_of_the_exchange() -> None:
    # http.success documents chat (000) but the audio sub-paths are inferred: a failure there is a convention
    assert exchange_grounds("http.success", False, "ai", "POST /audio/speech").inferred
    on_chat = exchange_grounds("http.success", False, "ai", "POST /chat/completions")
    assert on_chat.kind == "documented" and _in_seed(on_chat)
    assert exchange_grounds("http.success", False, "ai", "GET /no/such/path") == check_grounds("http.success")


@pytest.mark.parametrize(("defect", "test", "strict", "code"), [
    ("model-missing-owned-by", "models.list", False, 1),  # owned_by: 001 quotes it
    ("error-envelope-flat", "errors.malformed_json", False, 0),  # the error body is inferred (OpenAI's)
    ("error-envelope-flat", "errors.malformed_json", True, 1),
])
def test_the_gate_fails_on_documented_failures_and_on_conventions_only_when_strict(
        tmp_path: Path, defect: str, test: str, strict: bool, code: int) -> None:
    args = ["check", "--quiet", "--defect", defect, "--test", test, "--report-dir", str(tmp_path)]
    assert main([*args, "--strict"] if strict else args) == code
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["version"] == "1.2"
    failures = [f for r in report["results"] for f in r["failures"]]
    assert failures and all(f["grounds"] in ("documented", "convention") for f in failures)
    assert all(f["inferred"] == (f["grounds"] == "convention") for f in failures)
    documented = [f for f in failures if f["grounds"] == "documented"]
    assert bool(documented) == (code == 1 and not strict)
    assert all(_in_seed(Grounds.documented(f["source"], f["quote"])) for f in documented)


def test_a_documented_failure_on_an_operation_the_documents_never_name_is_a_convention() -> None:
    """GET /models/{id} and the audio, voices and store paths are inferred: a shape failure there is a convention;
    the rules that hold on every endpoint (authentication, the error headers) stay documented."""
    from aigw_conformance.suites.grounds import on_operation, unnamed_operation

    quoted = Grounds.documented("001_eb78a9cb4e331ac7.txt",
                                "Check model details to see specific limits for each model.")
    for operation in ("GET /models/gpt-5", "POST /audio/speech", "GET /audio/voices", "PUT /store/notes/k1"):
        assert unnamed_operation("ai", operation), operation
        assert on_operation("models.retrieve_shape", quoted, "ai", operation).inferred, operation
        assert on_operation("auth.wrong_bearer_401", quoted, "ai", operation) == quoted
        assert on_operation("errors.x_error_id", quoted, "ai", operation) == quoted
    for operation in ("GET /models", "POST /chat/completions", "POST /chat/count", "POST /embeddings"):
        assert unnamed_operation("ai", operation) is None, operation
        assert on_operation("models.list_shape", quoted, "ai", operation) == quoted


def test_every_range_test_names_the_item_of_its_parameter_and_that_item_lists_its_checks() -> None:
    """A range failure quotes its parameter's sentence (context `about`): each item a range test names lists both
    range checks (an item that did not would silently fall back to another parameter's quote)."""
    from aigw_conformance.suites.conformance.provider_path_tests import INVALID
    from aigw_conformance.suites.conformance.validation_tests import RANGES
    from aigw_conformance.suites.grounds import about_grounds

    named = [f"chat.param.{r.name}" for r in RANGES] + ["chat.param.max_completion_tokens"]
    named += [f"chat.param.{next(iter(change))}" for _, _, change, check in INVALID if check.startswith("validation.")]
    for item_id in named:
        for check in ("validation.rejects_out_of_range", "validation.accepts_in_range"):
            grounds = about_grounds(check, False, item_id)
            assert grounds is not None and grounds.kind == "documented" and _in_seed(grounds), (item_id, check)
            assert grounds.quote.startswith(item_id.removeprefix("chat.param.") + " "), (item_id, grounds.quote)


@pytest.mark.parametrize(("defect", "test", "quoted"), [
    ("temperature-unchecked", "validation.temperature", "temperature float No Sampling temperature (0.0 to 2.0"),
    ("n-range-unchecked", "provider_path.n_zero", "n integer No Number of completions to generate (1-128"),
])
def test_a_range_failure_quotes_the_sentence_of_the_parameter_sent_out_of_range(
        tmp_path: Path, defect: str, test: str, quoted: str) -> None:
    """Not the first range item's sentence (it was max_completion_tokens' for every parameter)."""
    assert main(["check", "--quiet", "--defect", defect, "--test", test, "--report-dir", str(tmp_path)]) == 1
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    failures = [f for r in report["results"] for f in r["failures"] if f["check"] == "validation.rejects_out_of_range"]
    assert failures and all(f["quote"].startswith(quoted) and f["grounds"] == "documented" for f in failures), failures
    ranges = [finding for finding in report["findings"] if finding["check"] == "validation.rejects_out_of_range"]
    assert [finding["quote"][:len(quoted)] for finding in ranges] == [quoted]


@pytest.mark.parametrize(("status", "quote"), [
    (401, "401 Unauthorized Missing or invalid authentication credentials"),
    (404, "404 Not Found Model or provider not found"),
    (400, "400 Bad Request Invalid parameters, validation error, empty messages, or malformed JSON"),
])
def test_a_wrong_sdk_exception_quotes_the_row_of_the_status_that_was_due(status: int, quote: str) -> None:
    """Not "Model Management List and query available AI models" for every status; the auto checks on the same
    exchange keep their own grounds (the mapping names sdk.typed_error only)."""
    from aigw_conformance.suites.checks.sdk import SdkCall
    from aigw_conformance.suites.conformance.sdk_tests import STATUS_ITEMS
    from aigw_conformance.suites.grounds import ABOUT

    exchange = _exchange("GET /models", 500, {"detail": "boom"})
    exchange.context.update(sdk=SdkCall("client.models.list()", None, ValueError("boom"), KeyError, status),
                            **{ABOUT: {"sdk.typed_error": STATUS_ITEMS[status]}})
    outcomes = {o.check.name: o for o in run_checks(exchange, ["sdk.typed_error"])}
    assert [(grounds.kind, grounds.quote) for _, grounds in outcomes["sdk.typed_error"].failures] == [
        ("documented", quote)]
    assert _in_seed(outcomes["sdk.typed_error"].failures[0][1])
    plain = _exchange("GET /models", 500, {"detail": "boom"})
    plain.context.update(sdk=SdkCall("client.models.list()", None, ValueError("boom"), KeyError, status))
    others = {o.check.name: o for o in run_checks(plain, ["sdk.typed_error"])}
    for name, outcome in outcomes.items():
        if name != "sdk.typed_error":
            assert outcome.failures == others[name].failures, name


@pytest.mark.parametrize(("check", "api", "operation", "quote"), [
    ("client.invalid_token_401", "client", "POST /chat/completions", "| 401 | Invalid API token |"),
    ("client.unknown_model_404", "client", "POST /chat/completions", "| 404 | Model not found |"),
    ("chat.usage_arithmetic", "ai", "POST /chat/completions",
     "usage.total_tokens integer Sum of prompt and completion tokens"),
    ("models.list_shape", "ai", "GET /models",
     "The response includes all active models with their provider, capabilities, and token limits."),
])
def test_a_check_quotes_the_sentence_it_most_directly_enforces(check: str, api: str, operation: str,
                                                               quote: str) -> None:
    """`primary_for` in spec/traceability.yaml: not the first item that happens to list the check (the endpoint's
    heading for a 401, max_tokens' alias row for usage arithmetic)."""
    grounds = exchange_grounds(check, False, api, operation)
    assert (grounds.kind, grounds.quote) == ("documented", quote) and _in_seed(grounds)
    assert check_grounds(check) == grounds


def test_a_model_entry_without_provider_quotes_the_sentence_that_lists_the_provider() -> None:
    entry = {"id": "gpt-5", "object": "model", "created": 1, "owned_by": "openai", "capabilities": ["chat"],
             "max_input_tokens": 1, "max_completion_tokens": 1, "max_total_tokens": 2}
    failed = next(o for o in run_checks(_exchange("GET /models", 200, {"object": "list", "data": [entry]}))
                  if o.check.name == "models.list_shape")
    assert [grounds.quote for _, grounds in failed.failures] == [
        "The response includes all active models with their provider, capabilities, and token limits."]


def test_a_status_of_001s_api_wide_table_on_an_operation_the_spec_leaves_it_out_of_is_a_convention() -> None:
    """001's Error Codes table is the AI API's: a 400 on GET /models is outside the spec's per-operation inference
    (convention); a status no table lists (422) is a documented failure."""
    def grounds_of(status: int) -> list[str]:
        outcome = next(o for o in run_checks(_exchange("GET /models", status, {"error": {"message": "x"}}))
                       if o.check.name == "errors.status_documented")
        return [grounds.kind for _, grounds in outcome.failures]

    assert grounds_of(400) == ["convention"] and grounds_of(404) == ["convention"]
    assert grounds_of(422) == ["documented"] and grounds_of(401) == []
