"""The feature each check belongs to: a check of an undeclared or exempt feature never fails another test."""

from __future__ import annotations

import re

from aigw_conformance.suites.features import Feature, profile_of

F = Feature
# Checks of the API's base contract, which every target owes whatever it declares: no feature sets them aside
CORE: frozenset[str] = frozenset({
    "errors.status_documented", "errors.json_content_type", "errors.envelope", "http.success",
    "http.bad_request_400", "http.content_type_400",
})
# Exact names first, then the longest matching prefix
BY_NAME: dict[str, Feature] = {
    "errors.x_error": F.ERROR_HEADERS, "errors.x_error_id": F.ERROR_HEADERS,
    "sse.usage_chunk_iff_requested": F.STREAM_USAGE, "sse.usage_arithmetic": F.STREAM_USAGE,
    "output.seed_deterministic": F.SEED_DETERMINISM,
    "auth.api_key_accepted": F.API_KEY_AUTH, "auth.wrong_key_401": F.API_KEY_AUTH,
    "auth.key_without_secret_401": F.API_KEY_AUTH, "auth.no_access_403": F.PERMISSIONS,
    "auth.secret_without_key_401": F.API_KEY_AUTH, "auth.mixed_credentials_200_or_401": F.API_KEY_AUTH,
    "auth.model_not_allowed_403": F.PERMISSIONS,
    "client.x_request_id": F.CLIENT_REQUEST_ID, "client.x_request_id_on_error": F.CLIENT_REQUEST_ID,
    "client.x_request_id_on_json": F.CLIENT_REQUEST_ID,
    "client.request_id_echoed": F.CLIENT_REQUEST_ID, "client.request_id_generated": F.CLIENT_REQUEST_ID,
    "client.guardrail_block": F.GUARDRAILS, "client.output_content_filter": F.GUARDRAILS,
    "translation.upstream_500": F.UPSTREAM_FAULTS, "translation.content_filter_finish": F.UPSTREAM_FAULTS,
    "client.provider_429_relayed": F.UPSTREAM_FAULTS, "sse.upstream_failure_visible": F.UPSTREAM_FAULTS,
    "translation.refusal_relayed": F.UPSTREAM_FAULTS,
}
BY_PREFIX: dict[str, Feature] = {
    "audio_input.": F.AUDIO_INPUT, "auth.": F.BEARER_AUTH, "chat.": F.CHAT, "client.": F.CLIENT_CHAT,
    "count.": F.TOKEN_COUNTING, "embeddings.": F.EMBEDDINGS, "identity.": F.CHAT, "logprobs.": F.CHAT,
    "models.": F.MODELS,
    "output.": F.CHAT, "reasoning.": F.REASONING, "schema.": F.SCHEMA_FUZZING, "sdk.": F.SDK_PROBES,
    "speech.": F.AUDIO, "sse.": F.CHAT_STREAMING, "store.": F.DATA_STORE, "structured.": F.STRUCTURED_OUTPUT,
    "tools.": F.TOOLS, "transcription.": F.AUDIO, "translation.": F.UPSTREAM_JOURNAL,
    "validation.": F.PARAMETER_VALIDATION, "vision.": F.VISION, "voices.": F.VOICES,
}
# The feature an operation belongs to (AI API paths relative to the base; the longest matching prefix wins): a
# request to an operation of an undeclared or exempt feature (the harness's catalogue lookup when `models` is
# exempt, an auth probe of /chat/count when counting is) cannot fail a test, whatever check it trips.
OPERATIONS: dict[str, Feature] = {
    "GET /models": F.MODELS, "POST /chat/count": F.TOKEN_COUNTING, "POST /embeddings": F.EMBEDDINGS,
    "POST /audio/speech": F.AUDIO, "POST /audio/transcriptions": F.AUDIO, "GET /audio/voices": F.VOICES,
    "GET /store": F.DATA_STORE, "POST /store": F.DATA_STORE, "PUT /store": F.DATA_STORE,
    "DELETE /store": F.DATA_STORE,
}
# schemathesis's header check names the spec's required headers a response lacks; only x-error ones belong to
# `error-headers` (its failure reads "...: Missing required response headers: ... - `x-error`\n  reproduce: ...")
_MISSING = "Missing required response headers:"
_NAMED = re.compile(r"`([^`]+)`")


def feature_of(check_name: str) -> Feature | None:
    """The feature `check_name` belongs to; None for the CORE contract (and for a name nothing here knows)."""
    if check_name in CORE:
        return None
    if check_name in BY_NAME:
        return BY_NAME[check_name]
    prefixes = [prefix for prefix in BY_PREFIX if check_name.startswith(prefix)]
    return BY_PREFIX[max(prefixes, key=len)] if prefixes else None


def failure_feature(check_name: str, message: str, api: str = "ai") -> Feature | None:
    """The feature one failure of `check_name` on an exchange with `api` is about: its check's, except
    schemathesis's header check when every header it misses is an `x-error` one (the error-headers feature); on the
    client gateway an AI API feature's check (chat shape, SSE, tools) belongs to client-chat or client-streaming."""
    feature = _feature_of_failure(check_name, message)
    if api != "client" or feature is None or profile_of(feature).api == "client":
        return feature
    streaming = feature in (F.CHAT_STREAMING, F.STREAM_USAGE) or check_name.startswith("tools.stream_")
    return F.CLIENT_STREAMING if streaming else F.CLIENT_CHAT


def _feature_of_failure(check_name: str, message: str) -> Feature | None:
    if check_name == "schema.response_headers_conformance":
        titles = message.split("\n  reproduce:")[0].split(" → ", 1)[-1].split("; ")  # one per schemathesis failure
        named = [name.lower() for title in titles for name in _NAMED.findall(title.partition(_MISSING)[2])]
        if all(_MISSING in title for title in titles) and named and all(n.startswith("x-error") for n in named):
            return F.ERROR_HEADERS
    return feature_of(check_name)


def operation_feature(api: str, operation: str) -> Feature | None:
    """The feature an AI API `operation` ("GET /models/gpt-5") belongs to; None for chat and the client gateway."""
    if api != "ai":
        return None
    method, _, path = operation.partition(" ")
    path = "/" + path.split("?")[0].lstrip("/")
    matches = [key for key in OPERATIONS if key.startswith(method + " ") and
               (path == key.partition(" ")[2] or path.startswith(key.partition(" ")[2] + "/"))]
    return OPERATIONS[max(matches, key=len)] if matches else None
