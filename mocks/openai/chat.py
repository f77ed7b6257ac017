"""Chat Completions behaviour: answer a validated request deterministically, whole or as SSE events."""

from __future__ import annotations

from dataclasses import dataclass

from aigw_conformance.mocks.core import faults, textgen
from aigw_conformance.mocks.core.sse import Frame, encode_done, encode_json
from aigw_conformance.mocks.core.tokens import count_message_tokens, token_pieces
from aigw_conformance.mocks.openai import logprobs, reasoning, structured, tools, wire
from aigw_conformance.mocks.openai.validation import ChatPlan, parse

__all__ = ["ENCODING", "Answer", "ChatPlan", "complete", "frames", "generate", "parse"]

ENCODING = "o200k_base"
_Text = tuple[tuple[str, ...], int, wire.FinishReason]
_Delta = tuple[wire.Delta, wire.ChoiceLogprobs | None, bool]


@dataclass(frozen=True)
class Answer:
    """One choice: reasoning, then either content pieces or tool calls (`content` None), each piece one
    streamed delta; `completion_tokens` counts all of them, reasoning included."""

    content: tuple[str, ...] | None
    content_tokens: int
    calls: tuple[tools.ToolCall, ...]
    reasoning: tuple[str, ...]
    reasoning_tokens: int
    finish_reason: wire.FinishReason
    logprobs: tuple[wire.TokenLogprob, ...] | None
    refusal: tuple[str, ...] | None = None  # a declined request: the refusal's pieces (content None)

    @property
    def text(self) -> str | None:
        return None if self.content is None else "".join(self.content)

    @property
    def pieces(self) -> tuple[str, ...]:
        return self.content or ()

    @property
    def completion_tokens(self) -> int:
        return self.reasoning_tokens + self.content_tokens + sum(call.tokens for call in self.calls)


def _json_content(plan: ChatPlan, fmt: structured.OutputFormat, material: str, budget: int) -> _Text:
    """The JSON answer, cut before the first `stop` string, then at `budget` tokens (finish `length`)."""
    text = structured.content(fmt, material)
    hits = [i for i in (text.find(s) for s in plan.stop if s) if i >= 0]
    pieces, tokens = token_pieces(text[: min(hits)] if hits else text, None, ENCODING)
    if tokens <= budget:
        return tuple(pieces), tokens, "stop"
    pieces, tokens = token_pieces(text, budget, ENCODING)
    return tuple(pieces), tokens, "length"


def _refusal() -> Answer:
    """A declined request as OpenAI answers it: `refusal` text, `content` null, finish `stop`."""
    pieces, tokens = token_pieces(faults.REFUSAL_TEXT, None, ENCODING)
    return Answer(None, tokens, (), (), 0, "stop", None, refusal=tuple(pieces))


def _answer(plan: ChatPlan, index: int) -> Answer:
    if plan.refusal:
        return _refusal()
    material = textgen.seed_material(plan.model, plan.messages, plan.seed, index)
    budget = plan.max_tokens
    thought, thought_tokens = ([], 0) if plan.reasoning_effort is None else reasoning.text(
        material, reasoning.budget(plan.reasoning_effort, budget))
    budget -= thought_tokens
    functions = tools.selected(plan.tools, plan.messages) if plan.tools else []
    calls, cut = tools.calls(functions, material, budget) if functions else ([], False)
    if calls:
        return Answer(None, 0, tuple(calls), tuple(thought), thought_tokens, "length" if cut else "tool_calls",
                      None if plan.top_logprobs is None else ())
    if plan.response_format is not None:
        pieces, tokens, finish = _json_content(plan, plan.response_format, material, budget)
    else:
        text = textgen.generate(material, budget, encoding=ENCODING, stop=plan.stop, min_tokens=plan.min_output_tokens)
        pieces, tokens, finish = text.pieces, text.completion_tokens, text.finish_reason
    probs = None if plan.top_logprobs is None else tuple(logprobs.entries(pieces, material, plan.top_logprobs))
    finish = "content_filter" if plan.content_filter else finish
    return Answer(pieces, tokens, (), tuple(thought), thought_tokens, finish, probs)


def generate(plan: ChatPlan) -> list[Answer]:
    """One answer per choice, each seeded by model, messages, seed and its choice index."""
    return [_answer(plan, i) for i in range(plan.n)]


def _usage(plan: ChatPlan, answers: list[Answer]) -> wire.Usage:
    prompt = count_message_tokens(plan.messages, ENCODING)
    return wire.usage(prompt, sum(a.completion_tokens for a in answers),
                      reasoning_tokens=sum(a.reasoning_tokens for a in answers))


def _choice(plan: ChatPlan, index: int, answer: Answer) -> wire.Choice:
    calls = [wire.tool_call(c.id, c.name, c.arguments) for c in answer.calls]
    shown = "".join(answer.reasoning) if plan.expose_reasoning and answer.reasoning else None
    probs = None if answer.logprobs is None else wire.choice_logprobs(answer.logprobs if answer.calls == () else None)
    refusal = None if answer.refusal is None else "".join(answer.refusal)
    return wire.choice(index, answer.text, answer.finish_reason, tool_calls=calls, reasoning=shown, logprobs=probs,
                       refusal=refusal)


def complete(plan: ChatPlan) -> wire.ChatCompletion:
    answers = generate(plan)
    return wire.completion(
        id=plan.id, created=plan.created, model=plan.model, usage=_usage(plan, answers),
        choices=[_choice(plan, i, a) for i, a in enumerate(answers)], system_fingerprint=plan.system_fingerprint,
    )


def _deltas(plan: ChatPlan, answer: Answer) -> list[_Delta]:
    """A choice's deltas in order, each with its logprobs and whether it carries generated tokens. Tool calls
    stream as OpenAI streams them: the role delta carries the first call's header (id, type, name, empty
    arguments), each later call starts with its own header, and argument fragments carry only `index` and
    `function.arguments`; the reasoning text (when exposed) streams as `reasoning` deltas before the answer."""
    shown = answer.reasoning if plan.expose_reasoning else ()
    role: wire.Delta = {"role": "assistant", "content": "" if answer.content is not None else None}
    out: list[_Delta] = []
    for k, call in enumerate(answer.calls):
        header = wire.tool_call_delta(k, "", id=call.id, name=call.name)
        if k == 0 and not shown:
            role["tool_calls"] = [header]
        else:
            out.append(({"tool_calls": [header]}, None, False))
        out += [({"tool_calls": [wire.tool_call_delta(k, piece)]}, None, True) for piece in call.pieces]
    role["refusal"] = None if answer.refusal is None else ""
    out += [({"refusal": piece}, None, True) for piece in answer.refusal or ()]
    for i, piece in enumerate(answer.pieces):
        probs = None if answer.logprobs is None else wire.choice_logprobs([answer.logprobs[i]])
        out.append(({"content": piece}, probs, True))
    thoughts: list[_Delta] = [({"reasoning": piece}, None, True) for piece in shown]
    return [(role, None, False), *thoughts, *out]


def frames(plan: ChatPlan) -> list[Frame]:
    """The SSE events of a streamed answer: per choice a role chunk, one chunk per token and a finish
    chunk, interleaved round-robin across choices; then the usage chunk if asked for, then `[DONE]`."""
    answers = generate(plan)

    def event(choices: list[wire.ChunkChoice], usage: wire.Usage | None = None) -> bytes:
        return encode_json(wire.chunk(
            id=plan.id, created=plan.created, model=plan.model, choices=choices,
            include_usage=plan.include_usage, usage=usage, system_fingerprint=plan.system_fingerprint,
        ))

    lanes: list[list[Frame]] = []
    for i, answer in enumerate(answers):
        lane = [Frame(event([wire.chunk_choice(i, delta, None, probs)]), token=token)
                for delta, probs, token in _deltas(plan, answer)]
        lane.append(Frame(event([wire.chunk_choice(i, {}, answer.finish_reason)])))
        lanes.append(lane)
    out = [lane[t] for t in range(max(map(len, lanes))) for lane in lanes if t < len(lane)]
    if plan.include_usage:
        out.append(Frame(event([], _usage(plan, answers))))
    out.append(Frame(encode_done(), final=True))
    return out
