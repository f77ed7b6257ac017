"""streamGenerateContent: the answer as SSE events (`alt=sse`) or as one streamed JSON array (the default)."""

from __future__ import annotations

from aigw_conformance.mocks.core.sse import Frame, dumps, encode_json
from aigw_conformance.mocks.gemini import generate, wire
from aigw_conformance.mocks.gemini.validation import GeneratePlan


class _Step:
    """One event's worth of a candidate: its parts and how many output / thought tokens they add."""

    def __init__(self, parts: list[wire.Part], tokens: int = 0, thoughts: int = 0, *, token: bool = True) -> None:
        self.parts, self.tokens, self.thoughts, self.token = parts, tokens, thoughts, token


def _lane(answer: generate.Answer) -> list[_Step]:
    steps: list[_Step] = []
    if answer.show_thought:
        steps += [_Step([wire.text_part(p.text, thought=True)], thoughts=p.tokens) for p in answer.thought]
    steps += [_Step([wire.text_part(p.text)], tokens=p.tokens) for p in answer.text]
    if answer.calls:
        steps.append(_Step(list(answer.calls), tokens=answer.call_tokens))
    if not steps:
        steps.append(_Step([], token=False))
    if not answer.show_thought:
        steps[0].thoughts += answer.thought_tokens  # withheld thoughts still count, from the first event on
    return steps


def responses(plan: GeneratePlan) -> list[tuple[wire.Answered, bool]]:
    """The streamed `GenerateContentResponse`s (and whether each carries generated tokens). Per candidate:
    one event per thought piece (when shown), one per answer piece (a token, or a few when a character spans
    tokens), one with all its function calls; its last event carries `finishReason`. Candidates interleave
    round-robin. Every event has `usageMetadata` with the counts so far; the last one's equal the
    non-streamed answer's, and the concatenated texts equal its parts. A blocked prompt is one event."""
    if plan.prompt_blocked:
        return [(generate.blocked(plan), False)]
    results = generate.answers(plan)
    prompt = generate.prompt_tokens(plan.contents, plan.system, plan.tools)
    lanes = [_lane(a) for a in results]
    out: list[tuple[wire.Answered, bool]] = []
    tokens = thoughts = 0
    for t in range(max(map(len, lanes))):
        for i, lane in enumerate(lanes):
            if t >= len(lane):
                continue
            step = lane[t]
            tokens, thoughts = tokens + step.tokens, thoughts + step.thoughts
            finish = results[i].finish_reason if t == len(lane) - 1 else None
            body = wire.response([wire.candidate(i, step.parts, finish)], wire.usage(prompt, tokens, thoughts),
                                 model_version=plan.model, response_id=plan.response_id)
            out.append((body, step.token))
    return out


def sse_frames(plan: GeneratePlan) -> list[Frame]:
    """`data: {GenerateContentResponse}` events; Gemini sends no terminator (no `[DONE]`)."""
    return [Frame(encode_json(body), token=token) for body, token in responses(plan)]


def json_array_frames(plan: GeneratePlan) -> list[Frame]:
    """`[{...}` then `\\n,\\r\\n{...}` per further element, then `\\n]` (the final frame), as Gemini frames it."""
    frames = [Frame(("[" if n == 0 else "\n,\r\n").encode() + dumps(body).encode("utf-8"), token=token)
              for n, (body, token) in enumerate(responses(plan))]
    return [*frames, Frame(b"\n]", final=True)]
