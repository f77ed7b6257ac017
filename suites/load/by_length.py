"""Summaries per token-length bucket (prompt x output, powers of two) for token-length and replay workloads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aigw_conformance.suites.load.samples import Sample
from aigw_conformance.suites.load.stats import describe, values


def bucket(tokens: int | None) -> str:
    """A power-of-two bucket: 100 -> "64-127"; None -> "-"."""
    if tokens is None:
        return "-"
    low = 1 << (max(1, tokens).bit_length() - 1)
    return f"{low}-{2 * low - 1}"


def summarize(samples: Sequence[Sample]) -> dict[str, Any]:
    """`"prompt 256-511 / output 64-127"` -> requests, errors, TTFT, TPOT and E2E, and `output_exact`: the share
    of successful requests whose output length (usage) equals the length asked for. Empty without lengths."""
    groups: dict[str, list[Sample]] = {}
    for sample in samples:
        if sample.prompt_tokens is None and sample.target_output_tokens is None:
            continue
        key = f"prompt {bucket(sample.prompt_tokens)} / output {bucket(sample.target_output_tokens)}"
        groups.setdefault(key, []).append(sample)
    out: dict[str, Any] = {}
    for key, group in sorted(groups.items(), key=lambda item: _order(item[1][0].prompt_tokens,
                                                                       item[1][0].target_output_tokens)):
        ok = [s for s in group if s.ok and s.target_output_tokens is not None]
        exact = sum(s.output_tokens == s.target_output_tokens for s in ok)
        out[key] = {"requests": len(group), "errors": sum(not s.ok for s in group),
                    "output_exact": exact / len(ok) if ok else None,
                    **{m: describe(values(group, m)) for m in ("ttft_ms", "tpot_ms", "e2e_ms")}}
    return out


def _order(prompt: int | None, output: int | None) -> tuple[int, int]:
    """Buckets in order of their prompt's, then their output's lower bound."""
    return tuple(0 if n is None else 1 << (max(1, n).bit_length() - 1) for n in (prompt, output))  # type: ignore[return-value]


def render(by_length: dict[str, Any]) -> list[str]:
    lines = []
    for key, row in by_length.items():
        ttft, e2e = row["ttft_ms"]["p50"], row["e2e_ms"]["p50"]
        exact = "-" if row["output_exact"] is None else f"{row['output_exact']:.0%}"
        lines.append(f"  {key:<32} requests {row['requests']:>6}  errors {row['errors']:>4}  TTFT p50 "
                     f"{'-' if ttft is None else f'{ttft:.1f}'}  E2E p50 {'-' if e2e is None else f'{e2e:.1f}'}"
                     f"  output exact {exact}")
    return lines
