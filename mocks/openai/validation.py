"""Validate a Chat Completions request in OpenAI's order and wording; derive its deterministic identity."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aigw_conformance.mocks.core import identity, textgen
from aigw_conformance.mocks.openai import errors, logprobs, params, reasoning, structured, tools
from aigw_conformance.mocks.openai.catalogue import ModelSpec

DEFAULT_MAX_TOKENS = 4096
CREATED_EPOCH = 1_735_689_600  # 2025-01-01T00:00:00Z
CREATED_SPAN = 365 * 86_400
ROLES = ("system", "assistant", "user", "function", "tool", "developer")
KNOWN_PARAMETERS = frozenset({
    "audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs",
    "max_completion_tokens", "max_tokens", "messages", "metadata", "modalities", "model", "n",
    "parallel_tool_calls", "prediction", "presence_penalty", "prompt_cache_key", "reasoning_effort",
    "response_format", "safety_identifier", "seed", "service_tier", "stop", "store", "stream",
    "stream_options", "temperature", "tool_choice", "tools", "top_logprobs", "top_p", "user", "verbosity",
    "web_search_options",
})


@dataclass(frozen=True)
class ChatPlan:
    """A validated request: what to generate, and its identity. `id` and `created` are fresh per request unless
    `deterministic_ids`; then, with H = sha256 of the key-sorted compact JSON of the whole request body, `id` is
    `chatcmpl-` + the first 29 hex digits of H and `created` is CREATED_EPOCH (2025-01-01Z) + (first 4 bytes of H,
    big-endian) mod 365 days; each choice's text hashes model, messages, seed (null if absent) and choice index, so a
    token cap or `stop` only truncates it. Same body (seed included) -> the same response body but for `id`/`created`
    (byte-identical with `deterministic_ids`), streamed or not; `system_fingerprint` is `fp_` + 10 hex digits of
    sha256(model).

    `tools`: the function tools and tool choice (None: no tools); `response_format`: the JSON output asked for
    (None: text); `top_logprobs`: the alternatives per token when `logprobs` is on (None: off);
    `reasoning_effort`: set only for a reasoning model; `expose_reasoning`: return the reasoning text."""

    model: str
    messages: list[Any]
    n: int
    max_tokens: int
    stop: tuple[str, ...]
    seed: int | None
    stream: bool
    include_usage: bool
    id: str
    created: int
    tools: tools.ToolPlan | None = None
    response_format: structured.OutputFormat | None = None
    top_logprobs: int | None = None
    reasoning_effort: str | None = None
    expose_reasoning: bool = False
    content_filter: bool = False  # the `content_filter` fault: every choice ends with finish_reason content_filter
    refusal: bool = False  # the `refusal` fault: every choice declines (`message.refusal`, content null, `stop`)
    min_output_tokens: int = 0  # the `output_tokens` fault: text answers run on to at least this many tokens

    @property
    def system_fingerprint(self) -> str:
        return "fp_" + hashlib.sha256(self.model.encode("utf-8")).hexdigest()[:10]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    return "a string" if isinstance(value, str) else "an array" if isinstance(value, list) else "an object"


def _bad_type(param: str, expected: str, value: Any) -> errors.OpenAIError:
    return errors.invalid_request(
        f"Invalid type for '{param}': expected {expected}, but got {_kind(value)} instead.",
        param=param, code="invalid_type",
    )


def _integer(body: Mapping[str, Any], name: str, low: int, high: int | None = None) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad_type(name, "an integer", value)
    if value < low:
        raise errors.invalid_request(
            f"Invalid '{name}': integer below minimum value. Expected a value >= {low}, but got {value} "
            "instead.", param=name, code="integer_below_min_value")
    if high is not None and value > high:
        raise errors.invalid_request(
            f"Invalid '{name}': integer above maximum value. Expected a value <= {high}, but got {value} "
            "instead.", param=name, code="integer_above_max_value")
    return value


def _messages(body: Mapping[str, Any], strict: bool) -> list[Any]:
    if "messages" not in body:
        raise errors.invalid_request(
            "Missing required parameter: 'messages'.", param="messages", code="missing_required_parameter")
    messages = body["messages"]
    if not isinstance(messages, list):
        raise _bad_type("messages", "an array of objects", messages)
    if not messages:
        raise errors.invalid_request(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty "
            "array instead.", param="messages", code="empty_array")
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _bad_type(f"messages[{i}]", "an object", message)
        if "role" not in message:
            raise errors.invalid_request(f"Missing required parameter: 'messages[{i}].role'.",
                                         param=f"messages[{i}].role", code="missing_required_parameter")
        if message["role"] not in ROLES:
            raise errors.invalid_request(
                f"Invalid value: '{message['role']}'. Supported values are: 'system', 'assistant', 'user', "
                "'function', 'tool', and 'developer'.", param=f"messages[{i}].role", code="invalid_value")
        if strict and message["role"] == "tool" and not _answers_a_call(messages, i):
            raise errors.invalid_request(
                "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with "
                "'tool_calls'.", param=f"messages.[{i}].role")
        if isinstance(message.get("content"), list):
            _image_parts(message["content"], f"messages[{i}].content")
    return messages


def _answers_a_call(messages: list[Any], i: int) -> bool:
    """A `tool` message must follow (after other tool messages) an assistant message with `tool_calls`."""
    for earlier in reversed(messages[:i]):
        if not isinstance(earlier, dict) or earlier.get("role") != "tool":
            return isinstance(earlier, dict) and earlier.get("role") == "assistant" and bool(earlier.get("tool_calls"))
    return False


def _image_parts(parts: list[Any], where: str) -> None:
    """Image parts need an `image_url` object with a string `url`; `detail` is auto, low or high."""
    for j, part in enumerate(parts):
        if not isinstance(part, dict) or part.get("type") != "image_url":
            continue
        image, param = part.get("image_url"), f"{where}[{j}].image_url"
        if not isinstance(image, dict):
            raise (structured.missing(param) if image is None else _bad_type(param, "an object", image))
        if not isinstance(image.get("url"), str):
            raise (structured.missing(f"{param}.url") if image.get("url") is None
                   else _bad_type(f"{param}.url", "a string", image["url"]))
        _detail(image, param)


def _detail(image: dict[str, Any], param: str) -> None:
    detail = image.get("detail")
    if detail is not None and detail not in ("auto", "low", "high"):
        raise errors.invalid_request(
            f"Invalid value: '{detail}'. Supported values are: 'auto', 'low', and 'high'.",
            param=f"{param}.detail", code="invalid_value")


def _stop(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise _bad_type("stop", "a string or an array of strings", value)
    if len(value) > 4:
        raise errors.invalid_request(
            f"Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with "
            f"length {len(value)} instead.", param="stop", code="array_above_max_length")
    return tuple(value)


SERVICE_TIERS = ("auto", "default", "flex", "scale", "priority")


def _sampling(body: Mapping[str, Any]) -> None:
    """OpenAI's ranges for the sampling parameters, `service_tier` and `logit_bias` (400 naming the param)."""
    params.number(body, "temperature", 0, 2)
    params.number(body, "top_p", 0, 1)
    params.number(body, "frequency_penalty", -2, 2)
    params.number(body, "presence_penalty", -2, 2)
    params.choice(body, "service_tier", SERVICE_TIERS)
    bias = body.get("logit_bias")
    if bias is None:
        return
    if not isinstance(bias, dict):
        raise params.bad_type("logit_bias", "an object", bias)
    for token, value in bias.items():
        if not str(token).isdigit() or isinstance(value, bool) or not isinstance(value, int | float) \
                or not -100 <= value <= 100:
            raise errors.invalid_request(
                f"Invalid 'logit_bias': the bias for token {token!r} must be a number from -100 to 100.",
                param="logit_bias", code="invalid_value")


def _too_large(name: str, asked: int, limit: int) -> errors.OpenAIError:
    """OpenAI's words for a completion cap above the model's ("max_tokens is too large: 8192. This model supports
    at most 4096 completion tokens, whereas you provided 8192.", param `max_tokens`, code null; quoted in
    ChatGPTNextWeb/NextChat#3195 and algorithmicsuperintelligence/optillm#4); `name` is the field the request used."""
    return errors.invalid_request(
        f"{name} is too large: {asked}. This model supports at most {limit} completion tokens, whereas you provided "
        f"{asked}.", param=name)


def chat_identity(digest: bytes, *, deterministic: bool) -> tuple[str, int]:
    """`id` and `created` of an answer: derived from the body's `digest` (`ChatPlan`) or fresh
    (`mocks.core.identity`)."""
    derived = CREATED_EPOCH + int.from_bytes(digest[:4], "big") % CREATED_SPAN
    return ("chatcmpl-" + identity.material(digest, deterministic=deterministic).hex()[:29],
            identity.created(derived, deterministic=deterministic))


def parse(
    body: Any, models: Mapping[str, ModelSpec | int], *, strict: bool = True, expose_reasoning: bool = False,
    reasoning_limits: bool = False, deterministic_ids: bool = False,
) -> ChatPlan:
    """Validate `body` in OpenAI's order and wording; raises `OpenAIError` (400, or 404 unknown model).
    `models`: what the mock serves (a `ModelSpec` also caps the completion, as OpenAI does); `strict`: OpenAI's
    rules, where a vLLM-style server is lenient (unknown parameters, `reasoning_effort` on a model that does not
    reason, a `tool` message answering no call, `json_object` without the word "json" are refused);
    `expose_reasoning`: return the reasoning text, as a vLLM-style server does; `reasoning_limits`: OpenAI's
    reasoning models refuse what they do not support (`reasoning.refuse_unsupported`); `deterministic_ids`: `id`
    and `created` derived from the body (golden tests), else fresh per request (`chat_identity`)."""
    if not isinstance(body, dict):
        raise errors.invalid_json()
    unknown = sorted(set(body) - KNOWN_PARAMETERS) if strict else []
    if unknown:
        raise errors.invalid_request(f"Unrecognized request argument supplied: {unknown[0]}")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise errors.invalid_request("you must provide a model parameter")
    messages = _messages(body, strict)
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise _bad_type("stream", "a boolean", stream)
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise _bad_type("stream_options", "an object", options)
    if options is not None and not stream:
        raise errors.invalid_request(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.", param="stream_options"
        )
    n = _integer(body, "n", 1, 128) or 1
    cap, legacy_cap = _integer(body, "max_completion_tokens", 1), _integer(body, "max_tokens", 1)
    cap = legacy_cap if cap is None else cap
    seed = _integer(body, "seed", -(2**63), 2**63 - 1)
    stop = _stop(body.get("stop"))
    _sampling(body)
    top_logprobs = logprobs.parse(body)
    tool_plan = tools.parse(body)
    output = structured.parse(body, messages, strict=strict)
    effort = reasoning.effort(body)
    spec = models.get(model)
    if spec is None:
        raise errors.model_not_found(model)
    if isinstance(spec, ModelSpec) and cap is not None and cap > spec.max_output_tokens:
        raise _too_large("max_tokens" if legacy_cap == cap and "max_completion_tokens" not in body
                         else "max_completion_tokens", cap, spec.max_output_tokens)
    if reasoning_limits and reasoning.is_openai_reasoning_model(model):
        reasoning.refuse_unsupported(body)
    effort = reasoning.supported(model, effort, strict=strict)
    id, created = chat_identity(textgen.digest(body), deterministic=deterministic_ids)
    return ChatPlan(
        model=model, messages=messages, n=n, max_tokens=DEFAULT_MAX_TOKENS if cap is None else cap, stop=stop,
        seed=seed, stream=bool(stream), include_usage=bool((options or {}).get("include_usage")),
        id=id, created=created,
        tools=tool_plan, response_format=output, top_logprobs=top_logprobs, reasoning_effort=effort,
        expose_reasoning=expose_reasoning,
    )
