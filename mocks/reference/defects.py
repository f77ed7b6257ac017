"""The realistic bugs the reference gateway can be switched into, and the legal variations (quirks)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

DEFECTS: dict[str, str] = {
    "no-done": "the SSE stream ends without the `data: [DONE]` terminator",
    "no-x-error-id": "error responses lack the `x-error-id` header",
    "no-x-error": "error responses lack the `x-error` header",
    "usage-total-off-by-one": "usage.total_tokens is prompt_tokens + completion_tokens + 1",
    "unstable-chunk-id": "every streamed chunk carries a different `id`",
    "temperature-unchecked": "temperature above 2 is accepted (clamped and forwarded) instead of a 400",
    "usage-chunk-unasked": "the usage-only chunk is streamed even when include_usage was not requested",
    "no-role-delta": "the first streamed delta carries no `role`",
    "key-without-secret-accepted": "a valid `api-key` without `api-secret` authenticates",
    "any-bearer-accepted": "any non-empty bearer token authenticates",
    "secret-without-key-accepted": "a valid `api-secret` without `api-key` authenticates (looked up by the secret)",
    "provider-refusals-relayed": "schema-valid requests a provider refuses (`tool_choice` without `tools`, `n: 2.0`, "
                                 "an orphan `tool` message, an empty turn for Claude) are forwarded as they are and "
                                 "the provider's 400 relayed",
    "mixed-credentials-400": "a request with both Authorization and api-key/api-secret is refused with 400 "
                             "(\"only one authentication method\"), even when one scheme is valid",
    "plain-text-errors": "error bodies are text/plain strings instead of the JSON envelope",
    "wrong-chunk-object": 'streamed chunks say `"object": "chat.completion"`',
    "stream-as-json-content-type": "the SSE response is served with `content-type: application/json`",
    "model-missing-owned-by": "models list and retrieve omit `owned_by`",
    "unknown-model-500": "an unknown model ID gives 500 instead of 404 (models retrieve and chat)",
    "created-drift": "`created` increments on every streamed chunk",
    "chunk-model-upstream-name": "the first chunk names the requested model, later chunks the upstream's dated name",
    "n-range-unchecked": "`n` outside 1..128 is accepted (clamped and forwarded) instead of a 400",
    "error-envelope-flat": 'error bodies are `{"message": ..., "code": ...}` without the `error` wrapper',
    "finish-reason-invalid": 'the final choice has `finish_reason: "end_turn"` (Anthropic\'s name leaked)',
    # What the official openai SDK cannot read (suites/checks/sdk.py, the sdk-probes feature).
    "tool-call-arguments-object": "the gateway parses tool-call `function.arguments` to check them and returns the "
                                  "parsed object, not the JSON string (non-streaming, every provider)",
    "error-status-200": "error responses are sent with status 200 (the JSON envelope and x-error headers intact)",
    "json-schema-output-fenced": "answers to a `json_schema` response_format are wrapped in a ```json Markdown "
                                 "fence (non-streaming)",
    "usage-after-done": "the usage-only chunk of include_usage is sent after `data: [DONE]`, not before it",
    # What answers say (suites/checks/output.py, tools.py): parameters lost on the way upstream, rewrites of the
    # answer, and the translation to Gemini's and Anthropic's wire formats ("xlate-", see XLATE_DEFECTS).
    "n-ignored": "`n` is not forwarded upstream: one choice comes back whatever `n` asked for",
    "stop-ignored": "`stop` is not forwarded upstream: answers run past their stop sequences",
    "length-reported-as-stop": "an answer cut at max_completion_tokens ends with finish_reason `stop`, not `length`",
    "max-completion-tokens-ignored": "only the legacy `max_tokens` is read: a `max_completion_tokens` limit is "
                                     "replaced by the model's default (OpenAI wire format)",
    "seed-not-deterministic": "`seed` is salted with a per-request nonce before forwarding (cache busting): the "
                              "same seed gives different answers (OpenAI wire format)",
    "tool-call-delta-repeats-name": "every streamed tool-call delta repeats the call's `id`, `type` and "
                                    "`function.name` (clients concatenate them)",
    "tool-call-delta-nulls": 'later streamed tool-call deltas carry `"id": null`, `"type": null` and '
                             '`"function": {"name": null, ...}`',
    "tool-args-invalid-json": "Gemini function-call args are rendered with Python's str() (single quotes), not "
                              "as JSON text, whole and streamed",
    "tool-calls-finish-stop": "Gemini answers that call functions end with finish_reason `stop` (Gemini's STOP "
                              "mapped without looking at the calls)",
    "tool-call-id-missing": "Gemini function calls get no `id` (Gemini sends none and the gateway makes none): "
                            "the first streamed tool-call delta and the whole answer's tool_calls lack it",
    "tool-result-id-dropped": "`tool_call_id` is dropped from tool messages: Gemini and Claude cannot match the "
                              "result to its call (a 400)",
    "response-format-dropped": "`response_format` is not forwarded upstream: JSON and schema requests get plain text",
    "reasoning-tokens-missing": "usage is cut to its three totals: completion_tokens_details.reasoning_tokens is lost",
    "image-part-dropped": "content arrays are flattened to their text before forwarding: images never reach the model",
    "count-off-by-one": "/chat/count answers one token more than the prompt_tokens of the same messages",
    "xlate-claude-no-max-tokens": "max_tokens is not sent to Anthropic unless the caller set one: its 400 "
                                  "`max_tokens: Field required` reaches the caller of a valid request",
    "xlate-gemini-finish-reason-raw": 'Gemini\'s finishReason passes through raw (`"STOP"`, `"MAX_TOKENS"`)',
    "xlate-claude-tool-args-object": "Claude tool_calls carry `function.arguments` as the input object, "
                                     "not a JSON string (non-streaming)",
    "xlate-reasoning-budget-wrong": "the thinking budget is not scaled by reasoning_effort: every level gets "
                                    "50% of max tokens (Claude and Gemini)",
    "xlate-count-claude-accepted": "/chat/count answers Claude models (counted with o200k_base) instead of "
                                   "the documented refusal",
    # What only the mock providers' request journals show (suites/checks/translation.py, the ai-translation profile).
    "xlate-gemini-seed-forwarded": "`seed` is sent to Gemini as generationConfig.seed although 000's table marks it "
                                   "unsupported there (Gemini's API takes it silently)",
    "xlate-selfhosted-extras-dropped": "self-hosted (threatwinds) models get OpenAI's support column: top_k, min_p "
                                       "and repetition_penalty are dropped although vLLM honours them",
    "xlate-claude-temperature-scaled": "temperature is halved for Anthropic (OpenAI's 0..2 squeezed onto 0..1): "
                                       "0.7 arrives as 0.35",
    "xlate-thinking-budget-of-model-max": "the thinking budget is a share of the model's maximum output, not of the "
                                          "request's max_completion_tokens (Claude and Gemini)",
    "xlate-reasoning-default-medium": "a request without reasoning_effort is sent upstream with reasoning_effort "
                                      "medium (thinking switched on by the gateway)",
    "xlate-service-tier-dropped": "`service_tier` is not forwarded to OpenAI: priority and flex requests run on the "
                                  "default tier",
    "xlate-default-max-tokens-full": "without max_completion_tokens the provider gets 100% of the model's maximum, "
                                     "not 000's 50%",
    "xlate-selfhosted-routed-to-openai": "self-hosted models (gpt-oss-20b) are routed to the OpenAI upstream by their "
                                         "name, not to the threatwinds backend their provider names",
    "xlate-upstream-5xx-as-400": "a provider's 5xx answer is reported as 400 invalid_request (the caller blamed for "
                                 "the provider's failure) instead of 500",
    "xlate-content-filter-as-stop": "a provider's content-filter finish (OpenAI content_filter, Anthropic refusal, "
                                    "Gemini SAFETY) is reported as finish_reason `stop`",
    # The client gateway (/api/client/v1, 002); every name starts with "client-" (see CLIENT_DEFECTS).
    "client-request-id-mismatch": "`X-Request-Id` carries a fresh `req_...` ID, not the one the JSON reply's "
                                  "`request_id` names: one request, two IDs",
    "client-no-x-request-id": "client gateway responses lack the `X-Request-Id` header",
    "client-guardrail-passes-pii": "the input PII guardrail is skipped: requests carrying PII are forwarded",
    "client-422-as-404": "a model key that is not an LLM (wrong category) gives 404 instead of 422",
    "client-429-no-retry-after": "rate limit and quota 429 responses lack `Retry-After`",
    "client-breaker-never-opens": "consecutive upstream failures never open the circuit breaker (no 503)",
    "client-stream-no-content-filter": "PII in streamed output is relayed; the stream never ends with content_filter",
    "client-request-id-fixed": "the ID generated for a request without `request_id` is made once at startup: "
                               "every such request gets the same one",
    "client-any-token-accepted": "any bearer token with the `cgt_` prefix authenticates (a prefix check only)",
    "client-missing-model-500": "a request without `model` crashes the handler (500) instead of a 400",
    "client-unknown-model-502": "an unknown model key is forwarded upstream: the provider's refusal gives 502 "
                                "instead of 404",
    "client-rate-limit-off-by-one": "the rate limiter admits one request more than the limit per window",
    # The data store and the voices list (001, inferred); names start with "store-" or "voices-" (see DATA_DEFECTS).
    "store-tenant-leak": "listing a store collection returns the records of every tenant, not only the caller's",
    "store-delete-any-tenant": "deleting a store record removes that key for every tenant, not only the caller's",
    "store-get-any-tenant": "reading a store record looks the key up in every tenant: another tenant's record is "
                            "returned when the caller has none (or its own is shadowed)",
    "store-create-200": "creating a store record answers 200 instead of 201 Created",
    "store-list-no-paging": "listing a store collection ignores `limit` and `after`: every record in one page, "
                            "`has_more` false",
    "store-value-as-string": "store records carry `value` as the JSON text the database holds, not the object",
    "store-delete-204": "deleting a store record answers 204 with no body instead of 200 with the deletion object",
    "store-delete-keeps-record": "deleting a store record answers `deleted: true` but leaves the record in place",
    "store-value-unchecked": "a store record whose `value` is not an object (a string, an array, null) is stored "
                             "instead of a 400",
    "voices-missing-id": "the voices list omits each voice's `id`",
    # Embeddings, audio and the dedicated endpoints (suites/checks/embeddings.py, audio.py, dedicated.py).
    "embeddings-order-shuffled": "embeddings come back in reverse input order (gathered as the fan-out finished)",
    "embeddings-dimensions-ignored": "`dimensions` is not forwarded upstream: every vector has the native length",
    "embeddings-base64-float64": "`encoding_format: base64` vectors are packed as float64, not float32",
    "embeddings-usage-missing": "the embeddings list is relayed without `usage`",
    "speech-wrong-content-type": "speech audio is served as `application/octet-stream`",
    "speech-wav-bad-size": "the WAV's RIFF size field holds the file's length instead of length - 8",
    "speech-unknown-voice-accepted": "an unknown `voice` falls back to the default voice instead of a 400",
    "transcription-drops-words": "the transcript loses its last word",
    "transcription-format-ignored": "transcription `response_format` is not forwarded: `text` is answered as JSON",
    "dedicated-model-500": "/chat/completions sends embedding and audio models upstream and relays their refusal "
                           "as a 500 provider error instead of a 400",
    "input-audio-dropped": "`input_audio` content parts are removed from chat messages before forwarding",
    # Requests the gateway admits or refuses (suites/checks/access.py) and what answers carry (answers.py).
    "content-type-ignored": "any request body is parsed as JSON whatever its Content-Type (text/plain, none)",
    "forbidden-as-401": "a valid credential without AI API access is refused with 401 instead of 403",
    "model-allowlist-ignored": "a credential's allowed models are not enforced: any model answers 200",
    "unknown-provider-500": "a `provider/model` ID naming an unknown provider crashes the provider lookup: 500, "
                            "not 404 (models retrieve and chat)",
    "capabilities-overstated": "the catalogue lists `chat` for embedding and audio models, which refuse "
                               "/chat/completions",
    "parallel-tool-calls-dropped": "`parallel_tool_calls` is not forwarded upstream: `false` still gets several "
                                   "calls in one answer",
    "logprobs-top-k-ignored": "`top_logprobs` is not forwarded upstream: every token comes with no alternatives",
    "logprobs-when-not-asked": "the gateway always asks OpenAI-format upstreams for logprobs (to score answers) "
                               "and passes them on unasked",
    "reasoning-text-dropped": "message.reasoning is removed from whole answers (only content is relayed)",
    "stream-reasoning-in-content": "streamed reasoning deltas are relayed as `content` deltas",
    "assistant-reasoning-refused": "an assistant message carrying `reasoning` (a replayed turn) is refused with 400",
    "client-tool-call-id-dropped": "client gateway messages are cut to role and content before forwarding: "
                                   "tool_call_id and tool_calls are lost and the provider refuses the tool result",
    "client-bare-tool-message-500": "a client gateway tool message without tool_call_id crashes the handler (500)",
    # False negatives found by running every provider path (suites/checks/identity.py, streaming_pace.py,
    # provider_limits.py, conformance/provider_path_tests.py).
    "upstream-id-passed-through": "the upstream's `id` and `created` are passed through: the mock providers derive "
                                  "them from the request body, so identical requests share one id and OpenAI-path "
                                  "answers carry a 2025 `created`",
    "model-reported-sibling": "answers name another model of the same provider than the one requested (gpt-5 -> "
                              "gpt-5-mini: a cost router's substitution, reported)",
    "client-upstream-429-as-502": "a provider's 429 (its rate limit) reaches the client gateway's caller as the 502 "
                                  "provider error, its Retry-After dropped",
    "stream-buffered": "streamed answers are buffered whole and delivered in one write when the upstream stream ends",
    "stream-failure-swallowed": "a provider failing mid-stream (a cut connection, a malformed event, a stall) is "
                                "hidden: the stream ends with a `stop` finish chunk and `data: [DONE]`, as a whole "
                                "answer would",
    "refusal-as-empty-stop": "a provider's refusal reaches the caller as an empty answer ending `stop`: OpenAI's "
                             "`refusal` text (message and streamed deltas) is dropped, Anthropic's `refusal` "
                             "stop_reason and Gemini's blocked prompt are mapped to `stop`",
    "empty-messages-gemini-padded": "`messages: []` for a Gemini model is padded with a blank user turn and answered "
                                    "200 (every other provider's path refuses it with 400)",
}

# The data store's and the voices list's defects, a view of DEFECTS (they were once kept apart from it).
DATA_DEFECTS: dict[str, str] = {name: text for name, text in DEFECTS.items()
                                if name.startswith(("store-", "voices-"))}
# The client gateway's defects, a view of DEFECTS (they were once kept apart from it).
CLIENT_DEFECTS: dict[str, str] = {name: text for name, text in DEFECTS.items() if name.startswith("client-")}
# The translation defects (Gemini's and Anthropic's wire formats, /chat/count), a view of DEFECTS (they were once
# kept apart from it, before the suite ran on Gemini and Claude models).
XLATE_DEFECTS: dict[str, str] = {name: text for name, text in DEFECTS.items() if name.startswith("xlate-")}
# How the client gateway behaves when its providers fail under load: caught by `aigw load chaos` scenarios, not
# by a conformance check (the self-test's catalogue is DEFECTS), so they are kept apart; CHAOS_CATCHES names the
# shipped scenario that fails on each (tests/load/test_load_chaos_defects.py proves it).
RESILIENCE_DEFECTS: dict[str, str] = {
    "resilience-breaker-never-closes": "an open circuit breaker never lets its half-open trial through: the "
                                       "provider's requests get 503 circuit_open long after it recovered",
    "resilience-retry-unbounded": "a provider's 429 or failure is retried at once, Retry-After ignored, up to "
                                  "20 times per request (a retry storm on a provider that asked to slow down)",
    "resilience-stream-failures-uncounted": "a stream that fails after its first byte (cut, broken, an upstream "
                                            "error mid-answer) counts as a success toward the circuit breaker",
}
CHAOS_CATCHES: dict[str, str] = {
    "resilience-breaker-never-closes": "provider-outage",
    "resilience-retry-unbounded": "rate-limited-provider",
    "resilience-stream-failures-uncounted": "flaky-streams",
    "client-upstream-429-as-502": "rate-limited-provider",
    "client-breaker-never-opens": "provider-outage",
}
ALL_DEFECTS: dict[str, str] = {**DEFECTS, **DATA_DEFECTS, **XLATE_DEFECTS, **RESILIENCE_DEFECTS}

QUIRKS: dict[str, str] = {
    "crlf": "SSE lines end with CRLF instead of LF",
    "comments": "`: keep-alive` comment lines are sent before and between SSE events",
}


def checked(names: Iterable[str], known: Mapping[str, str], kind: str) -> frozenset[str]:
    """`names` as a frozenset; ValueError naming the valid ones if any is unknown."""
    chosen = frozenset(names)
    unknown = sorted(chosen - known.keys())
    if unknown:
        valid = ", ".join(sorted(known))
        raise ValueError(f"unknown {kind} {', '.join(unknown)}; valid {kind}s are: {valid}")
    return chosen
