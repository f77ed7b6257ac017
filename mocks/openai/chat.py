"""Chat Completions behaviour: answer a validated request deterministically, whole or as SSE events."""

from __future__ import annotations

from mocks.core import textgen
from mocks.core.sse import Frame, encode_done, encode_json
from mocks.core.tokens import count_message_tokens
from mocks.openai import wire
from mocks.openai.validation import ChatPlan, parse

__all__ = ["ENCODING", "ChatPlan", "complete", "frames", "generate", "parse"]

ENCODING = "o200k_base"


def generate(plan: ChatPlan) -> list[textgen.GeneratedText]:
    """One answer per choice, each seeded by model, messages, seed and its choice index."""
    return [
        textgen.generate(
            textgen.seed_material(plan.model, plan.messages, plan.seed, i), plan.max_tokens,
            encoding=ENCODING, stop=plan.stop,
        )
        for i in range(plan.n)
    ]


def _usage(plan: ChatPlan, answers: list[textgen.GeneratedText]) -> wire.Usage:
    prompt = count_message_tokens(plan.messages, ENCODING)
    return wire.usage(prompt, sum(a.completion_tokens for a in answers))


def complete(plan: ChatPlan) -> wire.ChatCompletion:
    answers = generate(plan)
    return wire.completion(
        id=plan.id, created=plan.created, model=plan.model, usage=_usage(plan, answers),
        choices=[wire.choice(i, a.text, a.finish_reason) for i, a in enumerate(answers)],
        system_fingerprint=plan.system_fingerprint,
    )


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
        lane = [Frame(event([wire.chunk_choice(i, {"role": "assistant", "content": "", "refusal": None})]))]
        lane += [Frame(event([wire.chunk_choice(i, {"content": p})]), token=True) for p in answer.pieces]
        lane.append(Frame(event([wire.chunk_choice(i, {}, answer.finish_reason)])))
        lanes.append(lane)
    out = [lane[t] for t in range(max(map(len, lanes))) for lane in lanes if t < len(lane)]
    if plan.include_usage:
        out.append(Frame(event([], _usage(plan, answers))))
    out.append(Frame(encode_done(), final=True))
    return out
