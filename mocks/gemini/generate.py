"""Answer a validated generateContent request deterministically; Gemini's token accounting rule."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from aigw_conformance.mocks.core import textgen
from aigw_conformance.mocks.core.tokens import count_tokens, decode, encode
from aigw_conformance.mocks.gemini import tooling, wire
from aigw_conformance.mocks.gemini.schema import field, instance
from aigw_conformance.mocks.gemini.validation import GeneratePlan

ENCODING = "o200k_base"
"""Gemini's tokenizer is not public, so every count here is o200k_base (`mocks.core.tokens`):

* prompt: a text part counts the tokens of its text; an `inlineData` or `fileData` part `MEDIA_TOKENS` (258,
  Gemini's documented price of an image up to 384 px); any other part (`functionCall`, `functionResponse`,
  ...) the tokens of its value's compact key-sorted JSON. `promptTokenCount` sums the parts of every turn
  and of `systemInstruction`, plus the tokens of the compact key-sorted JSON of `tools`; there is no per-turn
  overhead. `countTokens` answers the same number for the same contents (and instruction and tools).
* output: `candidatesTokenCount` sums, over the candidates, the tokens of the answer text (exactly
  `count_tokens(text)`) and of each `functionCall` as compact key-sorted `{"name", "args"}` JSON;
  `thoughtsTokenCount` the thought text, counted even when `includeThoughts` is off and the part withheld;
  `totalTokenCount` = prompt + candidates + thoughts.
* as with Gemini, `maxOutputTokens` bounds thoughts and answer together: thoughts come first (at most
  `thinkingBudget`), the answer gets what is left and ends with `MAX_TOKENS` when cut. Function calls are
  never cut.
"""
MEDIA_TOKENS = 258


class Piece(NamedTuple):
    """A streamed slice of text and how many tokens it is (one, unless a character spans tokens)."""

    text: str
    tokens: int


@dataclasses.dataclass(frozen=True)
class Answer:
    """One candidate: thought pieces (generated even when hidden), answer pieces, function-call parts."""

    thought: tuple[Piece, ...]
    show_thought: bool
    text: tuple[Piece, ...]
    calls: tuple[wire.Part, ...]
    finish_reason: wire.FinishReason

    @property
    def thought_tokens(self) -> int:
        return sum(p.tokens for p in self.thought)

    @property
    def call_tokens(self) -> int:
        return sum(count_tokens(textgen.canonical_json(p.get("functionCall")), ENCODING) for p in self.calls)

    @property
    def output_tokens(self) -> int:
        return sum(p.tokens for p in self.text) + self.call_tokens

    def parts(self) -> list[wire.Part]:
        parts: list[wire.Part] = []
        if self.show_thought and self.thought:
            parts.append(wire.text_part("".join(p.text for p in self.thought), thought=True))
        if self.text:
            parts.append(wire.text_part("".join(p.text for p in self.text)))
        return parts + list(self.calls)


def _part_tokens(part: Mapping[str, Any]) -> int:
    if isinstance(part.get("text"), str):
        return count_tokens(part["text"], ENCODING)
    if field(part, "inlineData") is not None or field(part, "fileData") is not None:
        return MEDIA_TOKENS
    values = [v for k, v in part.items() if k not in ("thought", "thoughtSignature", "thought_signature")]
    return sum(count_tokens(textgen.canonical_json(v), ENCODING) for v in values)


def prompt_tokens(contents: Sequence[Any], system: Mapping[str, Any] | None = None, tools: Sequence[Any] = ()) -> int:
    turns = [*contents, *([system] if system else [])]
    total = sum(_part_tokens(p) for turn in turns for p in turn.get("parts", []))
    return total + (count_tokens(textgen.canonical_json(list(tools)), ENCODING) if tools else 0)


def _pieces(text: str, cap: int, stop: Sequence[str] = ()) -> tuple[tuple[Piece, ...], wire.FinishReason]:
    """`text` cut before its first stop sequence, then to at most `cap` tokens (at a prefix that re-encodes
    to itself); split into pieces that each decode cleanly."""
    hits = [i for i in (text.find(s) for s in stop if s) if i >= 0]
    ids = encode(text[: min(hits)] if hits else text, ENCODING)
    finish: wire.FinishReason = "STOP"
    if len(ids) > cap:
        finish, size = "MAX_TOKENS", max(cap, 0)
        while size and count_tokens(decode(ids[:size], ENCODING), ENCODING) != size:
            size -= 1
        ids = ids[:size]
    pieces: list[Piece] = []
    start = 0
    for end in range(1, len(ids) + 1):
        chunk = decode(ids[start:end], ENCODING)
        if "\ufffd" not in chunk or end == len(ids):
            pieces.append(Piece(chunk, end - start))
            start = end
    return tuple(pieces), finish


def _material(plan: GeneratePlan, index: int, **extra: Any) -> str:
    conversation = {"systemInstruction": plan.system, "contents": plan.contents, **extra}
    return textgen.seed_material(plan.model, conversation, plan.seed, index)


def _answer_text(plan: GeneratePlan, index: int) -> str:
    natural = textgen.natural_text(_material(plan, index), ENCODING)
    schema = plan.response_schema
    if plan.mime_type == "text/x.enum" and schema is not None:
        value = instance(schema, _material(plan, index, output="enum"))
        return value if isinstance(value, str) else json.dumps(value)
    if plan.mime_type != "application/json":
        return natural
    if schema is None:
        return json.dumps({"answer": natural})
    return json.dumps(instance(schema, _material(plan, index, output="json")))


def _calls(plan: GeneratePlan, index: int, chosen: Sequence[tooling.Declaration]) -> tuple[wire.Part, ...]:
    calls: list[wire.Part] = []
    for n, declaration in enumerate(chosen):
        args = instance(declaration.schema, _material(plan, index, function=declaration.name))
        signature = base64.b64encode(textgen.digest([plan.response_id, index])).decode() if n == 0 else None
        calls.append(wire.function_call_part(declaration.name, args if isinstance(args, dict) else {},
                                             thought_signature=signature))
    return tuple(calls)


def answer(plan: GeneratePlan, index: int) -> Answer:
    thought: tuple[Piece, ...] = ()
    if plan.thinking_budget:
        budget = plan.max_output_tokens if plan.thinking_budget < 0 else plan.thinking_budget
        reasoning = textgen.natural_text(_material(plan, index, thought=True), ENCODING)
        thought, _ = _pieces(reasoning, min(budget, plan.max_output_tokens))
    chosen = tooling.choose(plan.tooling, plan.contents)
    if chosen:
        return Answer(thought, plan.include_thoughts, (), _calls(plan, index, chosen), "STOP")
    left = plan.max_output_tokens - sum(p.tokens for p in thought)
    if plan.min_output_tokens and plan.mime_type not in ("application/json", "text/x.enum"):
        longer = textgen.generate(_material(plan, index), left, encoding=ENCODING, stop=plan.stop,
                                  min_tokens=plan.min_output_tokens)
        finish: wire.FinishReason = "MAX_TOKENS" if longer.finish_reason == "length" else "STOP"
        return Answer(thought, plan.include_thoughts, tuple(Piece(p, 1) for p in longer.pieces), (), finish)
    text, finish = _pieces(_answer_text(plan, index), left, plan.stop)
    return Answer(thought, plan.include_thoughts, text, (), finish)


def answers(plan: GeneratePlan) -> list[Answer]:
    found = [answer(plan, i) for i in range(plan.candidate_count)]
    return [dataclasses.replace(a, finish_reason="SAFETY") for a in found] if plan.safety_block else found


def usage(plan: GeneratePlan, results: Sequence[Answer]) -> wire.UsageMetadata:
    return wire.usage(prompt_tokens(plan.contents, plan.system, plan.tools),
                      sum(a.output_tokens for a in results), sum(a.thought_tokens for a in results))


def blocked(plan: GeneratePlan) -> wire.BlockedResponse:
    """The `refusal` fault: the prompt is blocked for safety, nothing is generated."""
    return wire.blocked_response(wire.usage(prompt_tokens(plan.contents, plan.system, plan.tools)),
                                 model_version=plan.model, response_id=plan.response_id)


def respond(plan: GeneratePlan) -> wire.Answered:
    if plan.prompt_blocked:
        return blocked(plan)
    results = answers(plan)
    candidates = [wire.candidate(i, a.parts(), a.finish_reason) for i, a in enumerate(results)]
    return wire.response(candidates, usage(plan, results), model_version=plan.model, response_id=plan.response_id)
