"""Conformance tests of every documented parameter range: boundary values accepted, one step out refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aigw_conformance.suites.conformance.catalogue import listed_record
from aigw_conformance.suites.conformance.chat_tests import chat_body
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.features import Feature
from aigw_conformance.suites.grounds import ABOUT

FOUR_STOPS = ["###", "END", "STOP", "\n\n"]


def _tools(count: int) -> list[dict[str, Any]]:
    return [{"type": "function", "function": {"name": f"tool_{i}", "description": "probe",
                                              "parameters": {"type": "object", "properties": {}}}}
            for i in range(count)]


@dataclass(frozen=True)
class Range:
    """A documented range: request fragments on its boundaries, and fragments just outside it."""

    name: str
    source: str
    inside: tuple[dict[str, Any], ...]
    outside: tuple[dict[str, Any], ...]
    honoured: tuple[dict[str, Any], ...] = ()  # inside, but sent only to a model that honours the parameter


RANGES: tuple[Range, ...] = (
    Range("temperature", "0.0 to 2.0", ({"temperature": 0}, {"temperature": 2}),
          ({"temperature": -0.01}, {"temperature": 2.01}, {"temperature": 2.5})),
    Range("top_p", "0.0 to 1.0", ({"top_p": 0}, {"top_p": 1}), ({"top_p": -0.01}, {"top_p": 1.01})),
    Range("min_p", "0.0 to 1.0", ({"min_p": 0}, {"min_p": 1}), ({"min_p": -0.01}, {"min_p": 1.01})),
    # 000: "Some providers may restrict this value": n=128 only on a model the target's `[models] n` names.
    Range("n", "1-128", ({"n": 1},), ({"n": 0}, {"n": 129}), honoured=({"n": 128},)),
    Range("stop", "max 4 sequences", ({"stop": "###"}, {"stop": FOUR_STOPS}), ({"stop": [*FOUR_STOPS, "X"]},)),
    Range("frequency_penalty", "-2.0 to 2.0", ({"frequency_penalty": -2}, {"frequency_penalty": 2}),
          ({"frequency_penalty": -2.01}, {"frequency_penalty": 2.01})),
    Range("presence_penalty", "-2.0 to 2.0", ({"presence_penalty": -2}, {"presence_penalty": 2}),
          ({"presence_penalty": -2.01}, {"presence_penalty": 2.01})),
    Range("repetition_penalty", "must be > 0", ({"repetition_penalty": 0.01}, {"repetition_penalty": 2}),
          ({"repetition_penalty": 0}, {"repetition_penalty": -1})),
    Range("top_logprobs", "0-5, requires logprobs=true",
          ({"logprobs": True, "top_logprobs": 0}, {"logprobs": True, "top_logprobs": 5}),
          ({"logprobs": True, "top_logprobs": -1}, {"logprobs": True, "top_logprobs": 6}, {"top_logprobs": 2})),
    Range("logit_bias", "token_id: -100 to 100", ({"logit_bias": {"1734": -100}}, {"logit_bias": {"1734": 100}}),
          ({"logit_bias": {"1734": -101}}, {"logit_bias": {"1734": 101}})),
    Range("tools", "max 128", ({"tools": _tools(1)}, {"tools": _tools(128)}), ({"tools": _tools(129)},)),
    Range("reasoning_effort", "low, medium, high",
          ({"reasoning_effort": "low"}, {"reasoning_effort": "medium"}, {"reasoning_effort": "high"}),
          ({"reasoning_effort": "extreme"},)),
    Range("service_tier", "auto, default, flex, priority",
          tuple({"service_tier": tier} for tier in ("auto", "default", "flex", "priority")),
          ({"service_tier": "platinum"},)),
)


def _label(fragment: dict[str, Any]) -> str:
    text = ", ".join(f"{key}={value!r}" for key, value in fragment.items())
    return text if len(text) < 80 else text[:77] + "..."


def _register(documented: Range) -> None:
    about = {ABOUT: f"chat.param.{documented.name}"}  # a failure quotes this parameter's own sentence

    def run(t: TestContext) -> None:
        for fragment in documented.inside:
            t.send("POST", "/chat/completions", json_body=chat_body(t, max_completion_tokens=4, **fragment),
                   label=f"{_label(fragment)} (documented: {documented.source})",
                   expect=["validation.accepts_in_range"], context=about)
        honouring = t.target.models_for(documented.name, fallback=False) if documented.honoured else ()
        for fragment in documented.honoured if honouring else ():
            t.send("POST", "/chat/completions",
                   json_body={**chat_body(t, max_completion_tokens=4, **fragment), "model": honouring[0]},
                   label=f"{_label(fragment)} on {honouring[0]} (documented: {documented.source})",
                   expect=["validation.accepts_in_range"], context=about)
        for fragment in documented.outside:
            t.send("POST", "/chat/completions", json_body=chat_body(t, max_completion_tokens=4, **fragment),
                   label=f"{_label(fragment)} (documented: {documented.source})",
                   expect=["validation.rejects_out_of_range"], context=about)

    run.__doc__ = f"`{documented.name}` ({documented.source}): boundaries accepted, values outside refused with 400"
    conformance_test(f"validation.{documented.name}", features=(Feature.PARAMETER_VALIDATION,))(run)


for _range in RANGES:
    _register(_range)


@conformance_test("validation.max_completion_tokens", features=(Feature.PARAMETER_VALIDATION,))
def max_completion_tokens_limit(t: TestContext) -> None:
    """max_completion_tokens up to the model's documented maximum is accepted; above it gives 400."""
    record = listed_record(t, t.model(), f"the catalogue entry of {t.model()}") or {}
    limit = record.get("max_completion_tokens")  # 001: GET /models gives each model's max_completion_tokens
    if not isinstance(limit, int):
        raise t.skip("the model's GET /models entry has no integer max_completion_tokens to test against")
    t.send("POST", "/chat/completions", json_body=chat_body(t, max_completion_tokens=limit),
           label=f"max_completion_tokens={limit} (the model's maximum)", expect=["validation.accepts_in_range"],
           context={ABOUT: "chat.param.max_completion_tokens"})
    t.send("POST", "/chat/completions", json_body=chat_body(t, max_completion_tokens=limit + 1),
           label=f"max_completion_tokens={limit + 1} (one above the model's maximum)",
           expect=["validation.rejects_out_of_range"], context={ABOUT: "chat.param.max_completion_tokens"})
