"""Token-length workloads: prompt and output lengths drawn from distributions, exact by the mocks' tokenizer."""

from __future__ import annotations

import argparse
import functools
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigw_conformance.suites.load.profiles import OUTPUT_TOKENS_HEADER, Request
from aigw_conformance.suites.load.tokens import count, prompt_tokens

FILLER = (" alert", " host", " user", " network", " log", " rule", " attack", " file", " data", " risk",
          " threat", " event", " access", " policy", " server", " token")
"""Words that are one token each in o200k_base and never merge with their neighbours (each starts a pre-token)."""


@functools.cache
def message_overhead() -> int:
    """What a one-message prompt counts besides its content: priming, the message's framing and its role."""
    return prompt_tokens([{"role": "user", "content": ""}])


@dataclass(frozen=True)
class Lengths:
    """A token-length distribution: a constant, a normal (mean, spread) rounded and floored at `least`, or a
    histogram of (tokens, weight) pairs; `draw(seed, index, name)` is a pure function of its arguments."""

    mean: float = 0.0
    spread: float = 0.0
    histogram: tuple[tuple[int, float], ...] = ()
    least: int = 1

    def draw(self, seed: int, index: int, name: str) -> int:
        rng = random.Random(f"{seed}:{index}:{name}")
        if self.histogram:
            value = rng.choices([t for t, _ in self.histogram], weights=[w for _, w in self.histogram])[0]
        else:
            value = round(rng.gauss(self.mean, self.spread)) if self.spread else round(self.mean)
        return max(self.least, value)


def parse_lengths(spec: str, least: int = 1) -> Lengths:
    """`512` (constant), `512:128` (mean and spread: a normal), or a histogram file: lines `TOKENS,WEIGHT` (or
    space-separated; `#` starts a comment). Raises ValueError with the reason."""
    text = spec.strip()
    mean, sep, spread = text.partition(":")
    try:
        lengths = Lengths(float(mean), float(spread) if sep else 0.0, least=least)
    except ValueError:
        lengths = None
    if lengths is not None:
        if lengths.mean < 1 or lengths.spread < 0:
            raise ValueError(f"token lengths {spec!r}: the mean must be at least 1 and the spread not negative")
        return lengths
    try:
        lines = Path(text).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValueError(f"token lengths {spec!r}: neither MEAN[:SPREAD] nor a readable histogram file ({exc})"
                         ) from None
    pairs: list[tuple[int, float]] = []
    for number, line in enumerate(lines, 1):
        fields = line.split("#")[0].replace(",", " ").split()
        if not fields:
            continue
        try:
            tokens, weight = int(fields[0]), float(fields[1]) if len(fields) > 1 else 1.0
        except ValueError:
            raise ValueError(f"{text}:{number}: expected TOKENS,WEIGHT, got {line!r}") from None
        if tokens < 1 or weight < 0 or len(fields) > 2:
            raise ValueError(f"{text}:{number}: expected TOKENS >= 1 and WEIGHT >= 0, got {line!r}")
        pairs.append((tokens, weight))
    if not any(weight for _, weight in pairs):
        raise ValueError(f"histogram {text} has no positive weight")
    return Lengths(histogram=tuple(pairs), least=least)


def prompt_messages(tokens: int, index: int, seed: int = 0) -> list[dict[str, str]]:
    """One user message whose prompt counts exactly `tokens` (as the mocks count `usage.prompt_tokens`), or
    the least possible (`message_overhead()` + 1) when `tokens` is smaller."""
    head = f"Request {index}:"
    room = tokens - message_overhead() - count(head)
    if room < 0:
        head, room = "", max(1, tokens - message_overhead())
    rng = random.Random(f"{seed}:{index}:filler")
    return [{"role": "user", "content": head + "".join(rng.choice(FILLER) for _ in range(room))}]


@dataclass(frozen=True)
class WorkloadFactory:
    """Request `index`: a chat request (stream or not, per the profile's kind) whose prompt length and
    `max_completion_tokens` are drawn from `prompt` and `output`; the mocks are asked (x-mock-output-tokens) to
    run the answer on to that length, so it is reached exactly."""

    base: Any  # the profile's RequestFactory: kind, model, seed and mock latency headers
    prompt: Lengths | None
    output: Lengths | None

    def build(self, index: int) -> Request:
        request: Request = self.base.build(index)
        if request.kind == "embeddings":
            return request
        seed = self.base.seed
        body, headers = dict(request.body), dict(request.headers)
        prompt_tokens = None
        if self.prompt is not None:
            prompt_tokens = max(self.prompt.draw(seed, index, "prompt"), message_overhead() + 1)
            body["messages"] = prompt_messages(prompt_tokens, index, seed)
        output_tokens = body["max_completion_tokens"]
        if self.output is not None:
            output_tokens = body["max_completion_tokens"] = self.output.draw(seed, index, "output")
        headers[OUTPUT_TOKENS_HEADER] = str(output_tokens)
        return Request(request.kind, request.path, body, headers, prompt_tokens=prompt_tokens,
                       output_tokens=output_tokens)


def add_arguments(parser: argparse.ArgumentParser | Any) -> None:
    """The workload options of `aigw load`, `aigw load sweep` and the locustfile (same names)."""
    parser.add_argument("--prompt-tokens", default="", metavar="MEAN[:SPREAD]|FILE",
                        help="prompt lengths in tokens: a constant, a normal (mean:spread) or a histogram file")
    parser.add_argument("--output-tokens", default="", metavar="MEAN[:SPREAD]|FILE",
                        help="output lengths (max_completion_tokens; the mocks reach it exactly)")
    parser.add_argument("--replay", default="", metavar="JSONL",
                        help="replay recorded requests (messages, parameters, timestamp) on their schedule")
    parser.add_argument("--replay-speed", type=float, default=1.0, help="replay N times faster (default 1)")


def locust_options(args: argparse.Namespace) -> tuple[str, ...]:
    """The locustfile options for `args`'s workload, validated here (ValueError) so locust never gets a bad one."""
    from aigw_conformance.suites.load import replay

    out: list[str] = []
    for flag, value in (("--prompt-tokens", args.prompt_tokens), ("--output-tokens", args.output_tokens)):
        if value:
            parse_lengths(value)
            out += [flag, str(Path(value).resolve()) if Path(value).is_file() else value]
    if args.replay:
        replay.load(args.replay)
        if not args.replay_speed > 0:
            raise ValueError(f"--replay-speed must be positive, got {args.replay_speed}")
        out += ["--replay", str(Path(args.replay).resolve()), "--replay-speed", str(args.replay_speed)]
    return tuple(out)


def wrap(base: Any, options: Any) -> Any:
    """The factory a locust process uses: the replay's, the token-length workload's, or `base` itself."""
    from aigw_conformance.suites.load import replay

    if options.replay:
        return replay.ReplayFactory(replay.load(options.replay), base)
    if options.prompt_tokens or options.output_tokens:
        message_overhead()  # loads the tokenizer now, not while the first request is due
        return WorkloadFactory(base, parse_lengths(options.prompt_tokens) if options.prompt_tokens else None,
                               parse_lengths(options.output_tokens) if options.output_tokens else None)
    return base

