"""Validate a GenerateContentRequest in Google's wording and derive its identity."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from aigw_conformance.mocks.core import identity, textgen
from aigw_conformance.mocks.gemini import errors, tooling
from aigw_conformance.mocks.gemini.fields import check_known, field, floating, integer, message, path, string, strings
from aigw_conformance.mocks.gemini.schema import SchemaError, camel, to_json_schema

TOP_LEVEL = ("contents", "systemInstruction", "tools", "toolConfig", "safetySettings", "generationConfig",
             "cachedContent", "model", "labels", "serviceTier", "store")
GENERATION = ("temperature", "topP", "topK", "candidateCount", "maxOutputTokens", "stopSequences",
              "responseLogprobs", "logprobs", "presencePenalty", "frequencyPenalty", "seed", "responseMimeType",
              "responseSchema", "responseJsonSchema", "responseModalities", "mediaResolution", "speechConfig",
              "thinkingConfig", "imageConfig", "enableEnhancedCivicAnswers", "enableAffectiveDialog")
THINKING = ("thinkingBudget", "includeThoughts", "thinkingLevel")
DATA_FIELDS = ("text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode",
               "codeExecutionResult")
PART_FIELDS = (*DATA_FIELDS, "thought", "thoughtSignature", "videoMetadata", "partMetadata", "mediaResolution")
MIME_TYPES = ("text/plain", "application/json", "application/xml", "application/yaml", "text/x.enum")
MAX_CANDIDATES = 8
MAX_STOP_SEQUENCES = 5
MAX_THINKING_BUDGET = 32_768


@dataclass(frozen=True)
class GeneratePlan:
    """A validated request. Determinism: H = sha256 of the key-sorted compact JSON of {model, request body};
    `response_id` is the unpadded base64url of H's first 16 bytes (22 characters). Texts are seeded by model,
    {systemInstruction, contents}, seed and candidate index, so `maxOutputTokens` or `stopSequences` only
    truncate them. `thinking_budget`: 0 no thinking, -1 dynamic, > 0 at most that many thought tokens."""

    model: str
    contents: list[Any]
    system: dict[str, Any] | None
    tools: list[Any]
    tooling: tooling.Tooling
    candidate_count: int
    max_output_tokens: int
    stop: tuple[str, ...]
    seed: int | None
    mime_type: str
    response_schema: Any
    thinking_budget: int
    include_thoughts: bool
    response_id: str
    safety_block: bool = False  # the `content_filter` fault: every candidate ends with finishReason SAFETY
    prompt_blocked: bool = False  # the `refusal` fault: the prompt is blocked (promptFeedback), no candidates
    min_output_tokens: int = 0  # the `output_tokens` fault: a text answer runs on to at least this many tokens


def content(item: Any, where: str, *, strict: bool = True, system: bool = False) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise errors.invalid_json(f"Invalid value at '{where}' (type.googleapis.com/google.ai.generativelanguage"
                                  ".v1beta.Content): expected an object.")
    check_known(item, ("role", "parts"), where, strict)
    if not system and item.get("role") not in (None, "", "user", "model"):
        raise errors.invalid_argument("Please use a valid role: user, model.", field=f"{where}.role")
    parts = item.get("parts")
    if not isinstance(parts, list) or not parts:
        raise errors.invalid_argument(f"* GenerateContentRequest.{where}.parts: contents.parts must not be empty.\n",
                                      field=f"{where}.parts")
    for j, part in enumerate(parts):
        here = f"{where}.parts[{j}]"
        if not isinstance(part, dict):
            raise errors.invalid_json(f"Invalid value at '{here}': expected an object.")
        check_known(part, PART_FIELDS, here, strict)
        if sum(camel(k) in DATA_FIELDS for k in part) != 1:
            raise errors.invalid_argument(f"* GenerateContentRequest.{here}.data: required oneof field 'data' must "
                                          "have one initialized field\n", field=f"{here}.data")
        string(part, "text", f"{here}.text")
    return item


def contents(value: Any, *, strict: bool = True) -> list[Any]:
    if value is None or value == []:
        raise errors.invalid_argument("* GenerateContentRequest.contents: contents is not specified\n",
                                      field="contents")
    if not isinstance(value, list):
        raise errors.invalid_json("Invalid value at 'contents': expected a list.")
    return [content(item, f"contents[{i}]", strict=strict) for i, item in enumerate(value)]


def _thinking(config: dict[str, Any], strict: bool) -> tuple[int, bool]:
    where = path("generationConfig", "thinkingConfig")
    thinking = message(config, "thinkingConfig", where)
    check_known(thinking, THINKING, where, strict)
    budget = integer(thinking, "thinkingBudget", f"{where}.thinking_budget", -1, MAX_THINKING_BUDGET)
    include = field(thinking, "includeThoughts")
    if include is not None and not isinstance(include, bool):
        raise errors.invalid_json(f"Invalid value at '{where}.include_thoughts' (TYPE_BOOL), {include!r}")
    level = string(thinking, "thinkingLevel", f"{where}.thinking_level")
    if budget is None:
        budget = -1 if level or include else 0
    return budget, bool(include) and budget != 0


def _output_schema(config: dict[str, Any], mime: str) -> Any:
    schema, json_schema = field(config, "responseSchema"), field(config, "responseJsonSchema")
    if schema is not None and json_schema is not None:
        raise errors.invalid_argument("* GenerateContentRequest.generation_config.response_schema: "
                                      "response_schema and response_json_schema cannot both be set.\n")
    if (schema is not None or json_schema is not None) and mime not in ("application/json", "text/x.enum"):
        raise errors.invalid_argument("* GenerateContentRequest.generation_config.response_mime_type: "
                                      "response_mime_type must be application/json or text/x.enum when a "
                                      "response schema is set.\n", field="generation_config.response_mime_type")
    if schema is None:
        return json_schema
    try:
        return to_json_schema(schema, "generation_config.response_schema")
    except SchemaError as exc:
        raise errors.invalid_argument(str(exc), field=exc.path) from None


def parse(
    body: Any, model: str, output_limit: int, *, strict: bool = True, deterministic_ids: bool = False
) -> GeneratePlan:
    """Validate `body` for `model`; raises `GeminiError` (400) in Google's wording. `responseId`: fresh per request
    (`mocks.core.identity`), or with `deterministic_ids` derived from the model and body."""
    if not isinstance(body, dict):
        raise errors.invalid_json("Expected a JSON object (GenerateContentRequest).")
    check_known(body, TOP_LEVEL, None, strict)
    turns = contents(field(body, "contents"), strict=strict)
    system = field(body, "systemInstruction")
    if system is not None:
        system = content(system, "system_instruction", strict=strict, system=True)
    tools = tooling.parse(body, strict=strict)
    config = message(body, "generationConfig", "generation_config")
    check_known(config, GENERATION, "generation_config", strict)
    where = "generation_config."
    count = integer(config, "candidateCount", where + "candidate_count", 1, MAX_CANDIDATES) or 1
    cap = integer(config, "maxOutputTokens", where + "max_output_tokens", 1, output_limit) or output_limit
    stop = strings(config, "stopSequences", where + "stop_sequences")
    if len(stop) > MAX_STOP_SEQUENCES:
        raise errors.invalid_argument(f"* GenerateContentRequest.generation_config.stop_sequences: at most "
                                      f"{MAX_STOP_SEQUENCES} stop sequences are allowed.\n")
    floating(config, "temperature", where + "temperature", 0.0, 2.0)
    floating(config, "topP", where + "top_p", 0.0, 1.0)
    seed = integer(config, "seed", where + "seed", -(2**31), 2**31 - 1)
    mime = string(config, "responseMimeType", where + "response_mime_type") or "text/plain"
    if mime not in MIME_TYPES:
        raise errors.invalid_argument("* GenerateContentRequest.generation_config.response_mime_type: allowed "
                                      "mimetypes are `text/plain`, `application/json`, `application/xml`, "
                                      "`application/yaml` and `text/x.enum`.\n")
    budget, include = _thinking(config, strict)
    digest = identity.material(textgen.digest({"model": model, "request": body}), deterministic=deterministic_ids)
    return GeneratePlan(
        model=model, contents=turns, system=system, tools=list(field(body, "tools") or []), tooling=tools,
        candidate_count=count, max_output_tokens=cap, stop=tuple(stop), seed=seed, mime_type=mime,
        response_schema=_output_schema(config, mime), thinking_budget=budget, include_thoughts=include,
        response_id=base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii"),
    )
