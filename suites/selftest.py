"""The defect self-test: the suite must fail the named checks on each defect and pass the clean reference."""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from aigw_conformance.mocks.reference.defects import DEFECTS
from aigw_conformance.mocks.reference.settings import GatewaySettings
from aigw_conformance.mocks.reference.stack import ReferenceStack
from aigw_conformance.reports.model import Report
from aigw_conformance.suites.runner import run
from aigw_conformance.suites.target import Target, TargetError
from aigw_conformance.suites.upstream import PROVIDER_MOCKS

# Each defect of the reference and the checks that must catch it (every one of them must fail).
EXPECTED_CATCHES: dict[str, tuple[str, ...]] = {
    "no-done": ("sse.done_last",),
    "no-x-error-id": ("errors.x_error_id", "schema.response_headers_conformance"),
    "no-x-error": ("errors.x_error", "schema.response_headers_conformance"),
    "usage-total-off-by-one": ("chat.usage_arithmetic", "sse.usage_arithmetic"),
    "unstable-chunk-id": ("sse.stable_id",),
    "temperature-unchecked": ("validation.rejects_out_of_range",),
    "usage-chunk-unasked": ("sse.usage_chunk_iff_requested",),
    "no-role-delta": ("sse.first_delta_role",),
    "key-without-secret-accepted": ("auth.key_without_secret_401",),
    "any-bearer-accepted": ("auth.wrong_bearer_401",),
    "secret-without-key-accepted": ("auth.secret_without_key_401",),
    "mixed-credentials-400": ("auth.mixed_credentials_200_or_401",),
    "provider-refusals-relayed": ("schema.positive_data_acceptance",),
    "plain-text-errors": ("errors.json_content_type", "errors.envelope", "sdk.error_body_readable"),
    "wrong-chunk-object": ("sse.chunk_object", "sse.chunk_schema", "sdk.parses_stream"),
    "stream-as-json-content-type": ("sse.content_type",),
    "model-missing-owned-by": ("models.list_shape", "models.retrieve_shape", "sdk.parses_models"),
    "unknown-model-500": ("models.unknown_404", "sdk.typed_error"),
    "created-drift": ("sse.stable_created",),
    "chunk-model-upstream-name": ("sse.stable_model",),
    "n-range-unchecked": ("validation.rejects_out_of_range",),
    "error-envelope-flat": ("errors.envelope", "sdk.error_body_readable"),
    "finish-reason-invalid": ("chat.finish_reason", "sse.finish_reason", "sdk.parses_completion", "sdk.parses_stream"),
    "tool-call-arguments-object": ("sdk.parses_tool_calls", "chat.response_shape"),
    "error-status-200": ("sdk.typed_error", "auth.wrong_bearer_401", "models.unknown_404",
                         "validation.rejects_out_of_range"),
    "json-schema-output-fenced": ("sdk.parses_structured_output",),
    "usage-after-done": ("sdk.stream_matches_chunks", "sdk.parses_stream", "sse.done_last"),
    "n-ignored": ("chat.choice_indices", "sse.choice_indices"),
    "stop-ignored": ("output.stop_honoured",),
    "length-reported-as-stop": ("output.length_finish",),
    "max-completion-tokens-ignored": ("output.completion_within_limit", "output.length_finish"),
    "seed-not-deterministic": ("output.seed_deterministic",),
    "tool-call-delta-repeats-name": ("tools.stream_later_deltas",),
    "tool-call-delta-nulls": ("tools.stream_no_nulls",),
    "tool-args-invalid-json": ("tools.arguments_valid",),
    "tool-calls-finish-stop": ("tools.finish_reason",),
    "tool-call-id-missing": ("tools.stream_first_delta",),
    "tool-result-id-dropped": ("tools.result_answered",),
    "response-format-dropped": ("structured.json_object", "structured.json_schema"),
    "reasoning-tokens-missing": ("reasoning.tokens_reported",),
    "image-part-dropped": ("vision.image_counted",),
    "count-off-by-one": ("count.matches_usage",),
    "xlate-claude-no-max-tokens": ("http.success",),
    "xlate-gemini-finish-reason-raw": ("chat.finish_reason", "sse.finish_reason", "output.length_finish"),
    "xlate-claude-tool-args-object": ("tools.arguments_valid",),
    "xlate-reasoning-budget-wrong": ("reasoning.budget",),
    "xlate-count-claude-accepted": ("count.unsupported_refused",),
    "xlate-gemini-seed-forwarded": ("translation.unsupported_dropped",),
    "xlate-selfhosted-extras-dropped": ("translation.supported_carried",),
    "xlate-claude-temperature-scaled": ("translation.claude_supported_carried",),
    "xlate-thinking-budget-of-model-max": ("translation.reasoning_budget",),
    "xlate-reasoning-default-medium": ("translation.reasoning_omitted",),
    "xlate-service-tier-dropped": ("translation.service_tier",),
    "xlate-default-max-tokens-full": ("translation.default_max_tokens",),
    "xlate-selfhosted-routed-to-openai": ("translation.routed_to_provider",),
    "xlate-upstream-5xx-as-400": ("translation.upstream_500",),
    "xlate-content-filter-as-stop": ("translation.content_filter_finish",),
    "client-request-id-mismatch": ("client.request_id_echoed",),
    "client-no-x-request-id": ("client.x_request_id", "client.x_request_id_on_json", "client.x_request_id_on_error"),
    "client-guardrail-passes-pii": ("client.guardrail_block",),
    "client-422-as-404": ("client.non_llm_422",),
    "client-429-no-retry-after": ("client.retry_after",),
    "client-breaker-never-opens": ("client.breaker_open_503",),
    "client-stream-no-content-filter": ("client.output_content_filter",),
    "client-request-id-fixed": ("client.request_id_generated",),
    "client-any-token-accepted": ("client.invalid_token_401",),
    "client-missing-model-500": ("client.bad_request_400",),
    "client-unknown-model-502": ("client.unknown_model_404",),
    "client-rate-limit-off-by-one": ("client.rate_limited_429",),
    "store-tenant-leak": ("store.tenant_isolation",),
    "store-delete-any-tenant": ("store.tenant_isolation",),
    "store-get-any-tenant": ("store.tenant_isolation",),
    "store-create-200": ("store.create_201", "errors.status_documented"),
    "store-list-no-paging": ("store.list_page", "store.list_shape"),
    "store-value-as-string": ("store.record_shape", "store.list_shape", "schema.response_schema_conformance"),
    "store-delete-204": ("store.deleted_shape", "errors.status_documented"),
    "store-delete-keeps-record": ("store.not_found_404",),
    "store-value-unchecked": ("store.rejects_invalid",),
    "voices-missing-id": ("voices.list_shape", "schema.response_schema_conformance"),
    "embeddings-order-shuffled": ("embeddings.one_per_input", "embeddings.input_order"),
    "embeddings-dimensions-ignored": ("embeddings.dimensions",),
    "embeddings-base64-float64": ("embeddings.base64_matches_float",),
    "embeddings-usage-missing": ("embeddings.response_shape", "embeddings.usage"),
    "speech-wrong-content-type": ("speech.content_type",),
    "speech-wav-bad-size": ("speech.wav_valid",),
    "speech-unknown-voice-accepted": ("speech.unknown_voice_400",),
    "transcription-drops-words": ("speech.round_trip",),
    "transcription-format-ignored": ("transcription.response_shape",),
    "dedicated-model-500": ("models.dedicated_endpoint_refused",),
    "input-audio-dropped": ("audio_input.counted", "audio_input.refused_400"),
    "content-type-ignored": ("http.content_type_400",),
    "forbidden-as-401": ("auth.no_access_403",),
    "model-allowlist-ignored": ("auth.model_not_allowed_403",),
    "unknown-provider-500": ("models.unknown_provider_404",),
    "capabilities-overstated": ("models.capability_honoured",),
    "parallel-tool-calls-dropped": ("tools.parallel_honoured",),
    "logprobs-top-k-ignored": ("logprobs.content",),
    "logprobs-when-not-asked": ("logprobs.absent_unless_requested",),
    "reasoning-text-dropped": ("reasoning.text_returned",),
    "stream-reasoning-in-content": ("reasoning.text_returned",),
    "assistant-reasoning-refused": ("reasoning.assistant_accepted",),
    "client-tool-call-id-dropped": ("client.tool_result_answered",),
    "client-bare-tool-message-500": ("client.tool_message_handled",),
    "upstream-id-passed-through": ("identity.unique_id", "identity.created_recent"),
    "model-reported-sibling": ("identity.model_requested",),
    "client-upstream-429-as-502": ("client.provider_429_relayed",),
    "stream-buffered": ("sse.incremental_delivery",),
    "stream-failure-swallowed": ("sse.upstream_failure_visible",),
    "refusal-as-empty-stop": ("translation.refusal_relayed",),
    "empty-messages-gemini-padded": ("http.bad_request_400",),
}

# Legal variations of the wire format: the suite must pass the reference with each of them on.
QUIRK_SETS: tuple[tuple[str, ...], ...] = (("crlf", "comments"),)


@dataclass(frozen=True)
class SelfTestRow:
    """One run of the suite against the reference with some defects or quirks switched on."""

    name: str
    expected: tuple[str, ...]
    failed_checks: frozenset[str]
    report: Report

    @property
    def missed(self) -> tuple[str, ...]:
        return tuple(check for check in self.expected if check not in self.failed_checks)

    @property
    def ok(self) -> bool:
        if not self.expected:  # a clean or quirky reference: no check may fail
            return not self.failed_checks
        return not self.missed


def reference_settings(target: Target) -> dict[str, Any]:
    """GatewaySettings overrides that give the bundled reference what the target file's `[client]` options say:
    `limited_token` its own token with a rate limit of `rate_limit` requests, `quota_token` its own token with
    a quota one request uses up, and `breaker_threshold`. The main client token keeps the generous defaults, so
    the rest of the suite never trips them; `[auth.restricted]`'s token no AI API access and
    `[auth.restricted_models]`'s token only its `allowed` model. TargetError when the options cannot be given to
    the reference."""
    options = target.client
    tokens = [*([target.client_token] if target.client_token else []), *GatewaySettings().client_tokens]
    rate_limits: dict[str, int] = {}
    quotas: dict[str, int] = {}
    if options.rate_limit is not None:
        if not options.limited_token:
            raise TargetError("to start the reference, [client] rate_limit needs [client] limited_token: the "
                              "reference gives that token the small limit, so the other tests keep theirs")
        tokens.append(options.limited_token)
        rate_limits[options.limited_token] = options.rate_limit
    if options.quota_token:
        tokens.append(options.quota_token)
        quotas[options.quota_token] = 1  # one token: the first request's usage uses it up
    overrides: dict[str, Any] = {"client_tokens": tuple(dict.fromkeys(tokens)),
                                 "client_token_rate_limits": rate_limits, "client_token_quotas": quotas}
    if options.breaker_threshold is not None:
        overrides["client_breaker_threshold"] = options.breaker_threshold
    restricted = target.restricted  # [auth.restricted...]: the reference gives those tokens fewer rights
    if restricted.no_access_token:
        overrides["no_access_tokens"] = (restricted.no_access_token,)
    if restricted.model_rules():
        overrides["token_models"] = restricted.model_rules()
    return overrides


def reference_stack(target: Target, *, defects: Iterable[str] = (), quirks: Iterable[str] = ()) -> ReferenceStack:
    """A (not yet started) reference set up for `target`; ValueError for unknown switches or unusable options.
    Its test hooks are on: the suite's fault and output-guardrail tests send `x-mock-*` and the PII hook."""
    return ReferenceStack(defects=tuple(defects), quirks=tuple(quirks), test_hooks=True, **reference_settings(target))


def stack_upstream(stack: ReferenceStack) -> dict[str, str]:
    """The `[upstream]` roots of the stack's own mocks (not those replaced by a provider URL given to it)."""
    return {mock: stack.mock_url(provider) for provider, mock in PROVIDER_MOCKS.items()
            if provider not in stack.provider_urls and stack.mock_base_url}


def pointed_at(target: Target, stack: ReferenceStack) -> Target:
    """`target` with the running reference's base URLs and mock roots, and its credentials where the target names
    none."""
    return target.with_overrides(
        base_url=stack.base_url, client_base_url=stack.client_base_url, token=target.token or stack.token,
        api_key=target.api_key or stack.api_key, api_secret=target.api_secret or stack.api_secret,
        client_token=target.client_token or stack.client_token,
        second_token=None if target.second_tenant_headers() else stack.second_token,
        upstream={**stack_upstream(stack), **target.upstream},
    )


def run_against_reference(target: Target, *, defects: Iterable[str] = (), quirks: Iterable[str] = ()) -> Report:
    """Start a reference with the given switches, run the suite against it, stop it."""
    with reference_stack(target, defects=defects, quirks=quirks) as stack:
        return run(pointed_at(target, stack))


Planned = tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # name, defects, quirks, expected


def _run_planned(target: Target, planned: Planned) -> SelfTestRow:
    name, defect_names, quirks, expected = planned
    report = run_against_reference(target, defects=defect_names, quirks=quirks)
    return SelfTestRow(name, expected, frozenset(report.failed_checks()), report)


def _ignore_sigint() -> None:
    """Pool workers leave Ctrl-C (sent to the whole foreground process group) to the parent, which decides."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def selftest(
    target: Target,
    defects: Iterable[str] | None = None,
    progress: Callable[[SelfTestRow], None] | None = None,
    *,
    jobs: int = 1,
    should_stop: Callable[[], bool] = lambda: False,
) -> list[SelfTestRow]:
    """Run the suite on the clean reference, on each quirk set, and on each defect; `jobs` runs that many
    references at once, each in its own process (the suite is CPU-bound Python, so threads would not help).
    Once `should_stop()` says so, no further run starts: the runs under way finish and only the finished rows
    are returned. An exception raised meanwhile (a signal's) stops the worker processes at once."""
    unknown = sorted(set(DEFECTS) ^ set(EXPECTED_CATCHES))
    if unknown:
        raise ValueError(f"defects and expected catches disagree on: {unknown}")
    plan: list[Planned] = [("clean", (), (), ())]
    plan += [("quirks:" + "+".join(quirks), (), quirks, ()) for quirks in QUIRK_SETS]
    chosen = list(DEFECTS) if defects is None else list(defects)
    plan += [(f"defect:{name}", (name,), (), EXPECTED_CATCHES[name]) for name in chosen]
    if jobs <= 1:
        rows = []
        for planned in plan:
            if should_stop():
                break
            rows.append(_run_planned(target, planned))
            if progress:
                progress(rows[-1])
        return rows
    done: dict[str, SelfTestRow] = {}
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_ignore_sigint)
    try:
        futures = [pool.submit(_run_planned, target, planned) for planned in plan]
        for future in as_completed(futures):
            if future.cancelled():
                continue
            row = future.result()
            done[row.name] = row
            if progress:
                progress(row)
            if should_stop():
                for pending in futures:
                    pending.cancel()  # the ones not started; the running ones finish
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        for child in multiprocessing.active_children():
            child.terminate()
            child.join(timeout=10)
        raise
    pool.shutdown(wait=True)
    return [done[planned[0]] for planned in plan if planned[0] in done]


def mutation_score(rows: list[SelfTestRow]) -> tuple[int, int]:
    """(defects caught, defects run)."""
    defect_rows = [row for row in rows if row.expected]
    return sum(row.ok for row in defect_rows), len(defect_rows)
