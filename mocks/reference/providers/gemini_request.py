"""OpenAI chat request → Gemini GenerateContentRequest (the shapes of `mocks.gemini.wire`)."""

# Mapping decisions, after 000's support table has dropped what Gemini lacks (min_p, n, seed, penalties,
# repetition_penalty, user, logprobs, top_logprobs, logit_bias, parallel_tool_calls, response_format):
# * system/developer messages → systemInstruction (one text part each); assistant → role `model`;
#   tool results → `functionResponse` parts (the function's name looked up from the assistant's tool call;
#   `response` is the result when it is a JSON object, else `{"output": <text>}`); same-role neighbours merged;
#   empty text is left out, and so is a turn left with no parts;
# * image parts → `inlineData` (data URLs) or `fileData` (other URLs, MIME type guessed from the path);
#   input_audio → `inlineData` audio/wav or audio/mp3;
# * generationConfig: temperature, topP, topK (-1 "all tokens" left out), maxOutputTokens (always: the
#   completion budget), stopSequences, thinkingConfig {thinkingBudget: 25/33/50% of it (at most Gemini's
#   32768), includeThoughts: true} from reasoning_effort;
# * tools → functionDeclarations with parametersJsonSchema; tool_choice auto/required/none → AUTO/ANY/NONE,
#   a named function → ANY with allowedFunctionNames.

from __future__ import annotations

from typing import Any

from aigw_conformance.mocks.gemini import wire
from aigw_conformance.mocks.reference.catalogue import ModelEntry
from aigw_conformance.mocks.reference.providers.base import max_tokens, reasoning_budget, tool_choice_name
from aigw_conformance.mocks.reference.providers.gemini_contents import contents
from aigw_conformance.mocks.reference.settings import GatewaySettings

MAX_THINKING_BUDGET = 32_768


def _tools(body: dict[str, Any], request: wire.GenerateContentRequest) -> None:
    declarations: list[wire.FunctionDeclaration] = []
    for tool in body.get("tools") or []:
        function = tool["function"]
        declaration: wire.FunctionDeclaration = {"name": function["name"]}
        if isinstance(function.get("description"), str):
            declaration["description"] = function["description"]
        if isinstance(function.get("parameters"), dict):
            declaration["parametersJsonSchema"] = function["parameters"]
        declarations.append(declaration)
    if not declarations:
        return
    request["tools"] = [{"functionDeclarations": declarations}]
    choice, named = body.get("tool_choice"), tool_choice_name(body.get("tool_choice"))
    config: wire.FunctionCallingConfig = {"mode": "ANY"} if named or choice == "required" else \
        {"mode": "NONE"} if choice == "none" else {"mode": "AUTO"}
    if named:
        config["allowedFunctionNames"] = [named]
    request["toolConfig"] = {"functionCallingConfig": config}


def _response_format(fmt: Any, config: wire.GenerationConfig) -> None:
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    spec = fmt.get("json_schema") if isinstance(fmt, dict) else None
    if kind in ("json_object", "json_schema"):
        config["responseMimeType"] = "application/json"
    if kind == "json_schema" and isinstance(spec, dict) and "schema" in spec:
        config["responseJsonSchema"] = spec["schema"]


def generation_config(body: dict[str, Any], entry: ModelEntry, settings: GatewaySettings) -> wire.GenerationConfig:
    """The generationConfig. n (candidateCount), seed and response_format (responseMimeType +
    responseJsonSchema) are mapped too, but 000's table marks them unsupported for Gemini, so `supported()`
    has dropped them before this runs: the table alone decides."""
    config: wire.GenerationConfig = {"maxOutputTokens": max_tokens(body, entry, settings)}
    if isinstance(body.get("n"), int):
        config["candidateCount"] = body["n"]
    if isinstance(body.get("seed"), int):
        config["seed"] = body["seed"]
    _response_format(body.get("response_format"), config)
    if isinstance(body.get("temperature"), int | float):
        config["temperature"] = body["temperature"]
    if isinstance(body.get("top_p"), int | float):
        config["topP"] = body["top_p"]
    if isinstance(body.get("top_k"), int) and body["top_k"] > 0:
        config["topK"] = body["top_k"]
    stop = body.get("stop")
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    budget = reasoning_budget(body.get("reasoning_effort"), config["maxOutputTokens"], settings, entry)
    if budget:
        config["thinkingConfig"] = {"thinkingBudget": min(budget, MAX_THINKING_BUDGET), "includeThoughts": True}
    return config


def generate_request(body: dict[str, Any], entry: ModelEntry, settings: GatewaySettings) -> wire.GenerateContentRequest:
    """The GenerateContentRequest for a (support-filtered) OpenAI body."""
    system, turns = contents(body["messages"])
    request: wire.GenerateContentRequest = {"contents": turns}
    if system:
        request["systemInstruction"] = {"parts": system}
    _tools(body, request)
    request["generationConfig"] = generation_config(body, entry, settings)
    return request
