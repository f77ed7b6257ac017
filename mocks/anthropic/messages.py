"""Messages behaviour: count tokens, choose tools and answer a validated request, whole or as SSE events."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aigw_conformance.mocks.anthropic import errors, wire
from aigw_conformance.mocks.anthropic.content import blocks
from aigw_conformance.mocks.anthropic.validation import MessagesPlan
from aigw_conformance.mocks.anthropic.wire import base62
from aigw_conformance.mocks.core import jsongen, textgen
from aigw_conformance.mocks.core.sse import Frame, dumps
from aigw_conformance.mocks.core.tokens import count_tokens, decode, encode, token_pieces

ENCODING = "o200k_base"
MESSAGE_OVERHEAD = 3
SYSTEM_OVERHEAD = 3
IMAGE_TOKENS = 1600
TOOL_PROMPT_TOKENS = {"auto": 346, "none": 346, "any": 313, "tool": 313}


def _tokens(text: str) -> int:
    return count_tokens(text, ENCODING)


def _block_tokens(block: Mapping[str, Any]) -> int:
    kind = block.get("type")
    if kind == "text":
        return _tokens(block["text"])
    if kind == "image":
        return IMAGE_TOKENS
    if kind in ("thinking", "redacted_thinking"):
        return 0
    if kind == "tool_use":
        return _tokens(block["name"]) + _tokens(dumps(block["input"]))
    if kind == "tool_result":
        content = block.get("content")
        if isinstance(content, list):
            return sum(_block_tokens(part) for part in content if isinstance(part, Mapping))
        return _tokens(content) if isinstance(content, str) else 0
    return _tokens(textgen.canonical_json(block))


def count_input_tokens(plan: MessagesPlan) -> int:
    """`usage.input_tokens` and count_tokens' `input_tokens` (Claude's tokenizer is not public), in o200k_base:

    * each message: MESSAGE_OVERHEAD (3) + its blocks (string content is one text block);
    * `system`, when non-empty: SYSTEM_OVERHEAD (3) + its text (the sum of its text blocks);
    * with tools: Anthropic's documented tool-use system prompt, TOOL_PROMPT_TOKENS by `tool_choice` (346 for
      auto/none, 313 for any/tool), + each tool definition as key-sorted compact JSON;
    * blocks: text -> its tokens; image -> IMAGE_TOKENS (1600, a ~1.15 megapixel image at Anthropic's
      width*height/750); tool_use -> name + compact JSON of `input`; tool_result -> its content (string, or
      the sum of its blocks); thinking and redacted_thinking -> 0 (Anthropic strips earlier turns' thinking);
      any other block -> its key-sorted compact JSON;
    * structured output (`output_config.format` or beta `output_format`): its schema as key-sorted compact JSON.

    Output tokens are exact too: thinking text + text + each tool_use's `input` as compact JSON (the
    concatenated `partial_json`); streamed text and thinking come one token per delta event."""
    total = sum(MESSAGE_OVERHEAD + sum(_block_tokens(b) for b in blocks(m)) for m in plan.messages)
    system = plan.system
    text = system if isinstance(system, str) else "".join(b["text"] for b in system or [])
    if text:
        total += SYSTEM_OVERHEAD + _tokens(text)
    if plan.tools:
        total += TOOL_PROMPT_TOKENS[plan.tool_choice["type"]]
        total += sum(_tokens(textgen.canonical_json(tool)) for tool in plan.tools)
    if plan.output_schema is not None:
        total += _tokens(textgen.canonical_json(plan.output_schema))
    return total


def last_user_text(messages: list[Any]) -> str:
    """The text blocks of the last user message (tool_result contents excluded)."""
    user = next((m for m in reversed(messages) if m["role"] == "user"), None)
    return "\n".join(b["text"] for b in blocks(user) if b.get("type") == "text") if user else ""


def chosen_tools(plan: MessagesPlan) -> list[dict[str, Any]]:
    """The tool rule: only custom tools are ever called, never with `none`. `tool` calls the named tool once.
    `auto` calls every tool whose name the last user message's text mentions (case-insensitively, as a whole
    word: not next to a letter, digit, `_` or `-`), in `tools` order; `any` does the same but falls back to the
    first tool when none is mentioned. `disable_parallel_tool_use` keeps only the first call."""
    custom = [tool for tool in plan.tools if tool.get("type") in (None, "custom")]
    choice = plan.tool_choice
    if choice["type"] == "none":
        return []
    if choice["type"] == "tool":
        return [tool for tool in custom if tool["name"] == choice["name"]][:1]
    text = last_user_text(plan.messages)
    called = [t for t in custom if re.search(rf"(?<![\w-]){re.escape(t['name'])}(?![\w-])", text, re.IGNORECASE)]
    if choice["type"] == "any" and not called:
        called = custom[:1]
    return called[:1] if choice.get("disable_parallel_tool_use") else called


@dataclass(frozen=True)
class Part:
    """One content block of the answer, its stream deltas and its output tokens."""

    block: wire.ContentBlock
    deltas: tuple[wire.Delta, ...]
    tokens: int


@dataclass(frozen=True)
class Answer:
    parts: tuple[Part, ...]
    stop_reason: wire.StopReason
    stop_sequence: str | None
    input_tokens: int

    @property
    def output_tokens(self) -> int:
        return sum(part.tokens for part in self.parts)


def _material(plan: MessagesPlan, part: str, **extra: Any) -> str:
    return textgen.canonical_json({
        "model": plan.model, "system": plan.system, "messages": plan.messages, "part": part, **extra})


def _thinking(plan: MessagesPlan, budget: int) -> Part:
    text = textgen.generate(_material(plan, "thinking"), min(budget, plan.max_tokens), encoding=ENCODING)
    seal = textgen.canonical_json({"model": plan.model, "thinking": text.text}).encode("utf-8")
    signature = base64.b64encode(hashlib.sha512(seal).digest() + hashlib.sha256(seal).digest()).decode("ascii")
    deltas: list[wire.Delta] = [wire.thinking_delta(p) for p in text.pieces]
    deltas.append(wire.signature_delta(signature))
    return Part(wire.thinking_block(text.text, signature), tuple(deltas), text.completion_tokens)


def _json_pieces(text: str) -> list[str]:
    """`text` cut at token boundaries (fixed 8-character cuts if a token splits a character)."""
    pieces = [decode([i], ENCODING) for i in encode(text, ENCODING)]
    return pieces if "".join(pieces) == text else [text[i : i + 8] for i in range(0, len(text), 8)]


def _tool_use(plan: MessagesPlan, tool: Mapping[str, Any], index: int) -> Part:
    try:  # the one generator; a schema it cannot satisfy gets empty arguments
        value = jsongen.generate(tool["input_schema"], _material(plan, "tool_use", tool=tool["name"], call=index))
    except (jsongen.SchemaError, ValueError):  # ValueError: a NaN const
        value = {}
    arguments = value if isinstance(value, dict) else {}
    tool_id = "toolu_01" + base62(hashlib.sha256(f"{plan.id}/{index}".encode()).digest(), 22)
    text = dumps(arguments)
    deltas = tuple(wire.input_json_delta(p) for p in ["", *_json_pieces(text)])
    return Part(wire.tool_use_block(tool_id, tool["name"], arguments), deltas, _tokens(text))


def json_text(plan: MessagesPlan, schema: Mapping[str, Any]) -> str:
    """The structured answer: a `jsongen` instance of `schema` seeded by the request, as compact JSON text
    (a 400 when no valid instance can be made, e.g. an unsatisfiable schema)."""
    try:
        return dumps(jsongen.generate(schema, _material(plan, "json", schema=schema)))
    except (jsongen.SchemaError, ValueError) as exc:  # ValueError: a NaN const
        raise errors.invalid_request(f"The output format's JSON schema cannot be satisfied: {exc}") from None


def _structured(plan: MessagesPlan, schema: Mapping[str, Any], left: int) -> tuple[Part | None, str | None, bool]:
    """The JSON text part (None when empty), the stop sequence that cut it and whether max_tokens did: the
    JSON is cut before the earliest stop sequence it contains, then at `left` tokens (one token per delta)."""
    text = json_text(plan, schema)
    hits = [(i, n, s) for n, s in enumerate(plan.stop_sequences) if s and (i := text.find(s)) >= 0]
    hit = min(hits)[2] if hits else None
    if hits:
        text = text[: min(hits)[0]]
    pieces, tokens = token_pieces(text, None, ENCODING)
    capped = tokens > left
    if capped:
        pieces, tokens = token_pieces(text, max(left, 0), ENCODING)
        hit = None
    joined = "".join(pieces)
    part = Part(wire.text_block(joined), tuple(map(wire.text_delta, pieces)), tokens) if joined else None
    return part, hit, capped


def answer(plan: MessagesPlan, input_tokens: int) -> Answer:
    """The deterministic answer: [thinking] [text] [tool_use...]. Text is the natural answer cut before the
    earliest stop sequence (`stop_sequence`) and capped at max_tokens minus the thinking tokens (`max_tokens`);
    forced tool use (`any`/`tool`) has no text. Tool calls follow only a text that ended naturally, each whole
    or not at all: the first that does not fit in the tokens left ends the answer with `max_tokens`.
    With structured output the text is the JSON of `json_text` instead (same stop and cap rules), and a
    turn that calls tools has no text: the schema binds the final answer, not the tool-use turn."""
    if plan.declined:  # Claude declines before it writes anything: no content block, stop_reason refusal
        return Answer((), "refusal", None, input_tokens)
    parts: list[Part] = []
    if plan.thinking_budget is not None:
        parts.append(_thinking(plan, plan.thinking_budget))
    left = plan.max_tokens - sum(p.tokens for p in parts)
    tools = chosen_tools(plan)
    stop: wire.StopReason = "end_turn"
    hit: str | None = None
    if plan.output_schema is not None:
        if not tools:
            part, hit, capped = _structured(plan, plan.output_schema, left)
            stop = "max_tokens" if capped else "stop_sequence" if hit is not None else "end_turn"
            if part is not None:
                parts.append(part)
                left -= part.tokens
    elif not tools or plan.tool_choice["type"] == "auto":
        material = _material(plan, "text")
        text = textgen.generate(material, left, encoding=ENCODING, stop=plan.stop_sequences,
                                min_tokens=plan.min_output_tokens)
        natural = textgen.natural_text(material, ENCODING)
        hits = [(natural.find(s), n, s) for n, s in enumerate(plan.stop_sequences) if s and s in natural]
        if text.finish_reason == "length":
            stop = "max_tokens"
        elif hits:
            stop, hit = "stop_sequence", min(hits)[2]
        if text.text:
            parts.append(Part(wire.text_block(text.text), tuple(map(wire.text_delta, text.pieces)), len(text.pieces)))
        left -= text.completion_tokens
    for index, tool in enumerate(tools if stop == "end_turn" else []):
        call = _tool_use(plan, tool, index)
        if call.tokens > left:
            stop = "max_tokens"
            break
        parts.append(call)
        left -= call.tokens
        stop = "tool_use"
    return Answer(tuple(parts), "refusal" if plan.refusal else stop, None if plan.refusal else hit, input_tokens)


def _message(plan: MessagesPlan, result: Answer) -> wire.Message:
    return wire.message(
        id=plan.id, model=plan.model, content=[p.block for p in result.parts], stop_reason=result.stop_reason,
        stop_sequence=result.stop_sequence, usage=wire.usage(result.input_tokens, result.output_tokens),
    )


def complete(plan: MessagesPlan) -> wire.Message:
    return _message(plan, answer(plan, count_input_tokens(plan)))


def frames(plan: MessagesPlan) -> list[Frame]:
    """Anthropic's event stream: message_start, then per block content_block_start (a ping after the first),
    its deltas (one frame each) and content_block_stop, then message_delta and message_stop (the final frame)."""
    result = answer(plan, count_input_tokens(plan))
    out = [Frame(wire.encode_event(wire.message_start(_message(plan, result))))]
    for index, part in enumerate(result.parts):
        out.append(Frame(wire.encode_event(wire.content_block_start(index, part.block))))
        if index == 0:
            out.append(Frame(wire.encode_event(wire.ping())))
        for delta in part.deltas:
            token = delta["type"] != "signature_delta" and any(v for k, v in delta.items() if k != "type")
            out.append(Frame(wire.encode_event(wire.content_block_delta(index, delta)), token=token))
        out.append(Frame(wire.encode_event(wire.content_block_stop(index))))
    if not result.parts:
        out.append(Frame(wire.encode_event(wire.ping())))
    out.append(Frame(wire.encode_event(wire.message_delta(result.stop_reason, result.stop_sequence,
                                                          result.output_tokens))))
    out.append(Frame(wire.encode_event(wire.message_stop()), final=True))
    return out
