"""How many schema-valid chat requests the reference answers 2xx, per provider path (issue 15, item b).

Generates N positive POST /chat/completions cases per model with schemathesis from spec/ (the model pinned to one
the reference serves on that provider's path), sends them to a fresh reference stack on 127.0.0.1, and counts the
2xx answers; every refusal is tallied by its status and message. Bounded: N cases per model, one request each,
a 30 s timeout per request. Run: `.venv/bin/python audits/positive_acceptance/measure.py [N] [SEED] [--fit]`.
"""

from __future__ import annotations

import collections
import json
import re
import sys
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings

from aigw_conformance.mocks.reference.stack import ReferenceStack
from aigw_conformance.spec.loader import api_view
from aigw_conformance.suites.conformance.positive_fit import ModelFit, fit

MODELS = ("gpt-5", "gpt-oss-20b", "gemini-3-flash", "claude-haiku-4-5")  # OpenAI, self-hosted, Gemini, Anthropic
FIT = "--fit" in sys.argv  # fit each case to the model's catalogue limits (suites/conformance/positive_fit.py)


def cases(model: str, count: int, at: int, model_fit: ModelFit | None = None) -> list[dict[str, Any]]:
    """`count` positive generated bodies (seeded by `at`), each naming `model`."""
    schema = schemathesis.openapi.from_dict(api_view("ai"), config=schemathesis.Config())
    strategy = schema["/chat/completions"]["POST"].as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE)
    bodies: list[dict[str, Any]] = []

    @settings(max_examples=count, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
    @given(case=strategy)
    def collect(case: Any) -> None:
        if isinstance(case.body, dict) and len(bodies) < count:
            body = {**case.body, "model": model}
            bodies.append(fit(body, model_fit) if model_fit is not None else body)

    seed(at)(collect)()
    return bodies


def refusal(reply: httpx.Response) -> str:
    """The refusal's message, with numbers and quoted values blurred so that alike refusals group."""
    try:
        message = str(reply.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        message = reply.text[:120]
    return re.sub(r"\d+", "N", message)[:160]


def measure(count: int, at: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with ReferenceStack() as stack, httpx.Client(base_url=stack.base_url, timeout=30, trust_env=False,
                                                 headers={"authorization": f"Bearer {stack.token}"}) as http:
        listed = {m["id"]: m for m in http.get("/models").json()["data"]}
        for model in MODELS:
            refused: collections.Counter[str] = collections.Counter()
            entry = listed[model]
            model_fit = ModelFit(entry.get("max_completion_tokens"), entry.get("provider") != "claude") if FIT else None
            bodies = cases(model, count, at, model_fit)
            ok = 0
            for body in bodies:
                reply = http.post("/chat/completions", content=json.dumps(body, allow_nan=True),
                                  headers={"content-type": "application/json"})
                if 200 <= reply.status_code < 300:
                    ok += 1
                else:
                    refused[f"{reply.status_code} {refusal(reply)}"] += 1
            figures[model] = {"sent": len(bodies), "2xx": ok, "refused": dict(refused.most_common())}
    return figures


if __name__ == "__main__":
    numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
    n, at = (numbers + [200, 15][len(numbers):])[:2]
    result = measure(n, at)
    for model, row in result.items():
        print(f"{model}: {row['2xx']}/{row['sent']} 2xx ({100 * row['2xx'] / max(1, row['sent']):.1f}%)")
        for reason, times in row["refused"].items():
            print(f"    {times:4d}  {reason}")
