"""Schemathesis-driven fuzzing of every implemented operation, positive and negative, all checks applied."""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings

from reports.model import FailureRecord
from spec.loader import api_view
from suites.conformance.fuzz_send import send_case
from suites.conformance.registry import TestContext, conformance_test
from suites.conformance.store_tests import delete_quietly, run_collection, scoped_case, written_path
from suites.failures import TargetUnreachable
from suites.features import Feature

# (method, path relative to the API base, the features the operation belongs to)
FUZZED: tuple[tuple[str, str, Feature], ...] = (
    ("GET", "/models", Feature.MODELS),
    ("GET", "/models/{id}", Feature.MODELS),
    ("POST", "/chat/completions", Feature.CHAT),
    ("GET", "/audio/voices", Feature.VOICES),
    ("GET", "/store/{collection}", Feature.DATA_STORE),
    ("POST", "/store/{collection}", Feature.DATA_STORE),
    ("GET", "/store/{collection}/{key}", Feature.DATA_STORE),
    ("PUT", "/store/{collection}/{key}", Feature.DATA_STORE),
    ("DELETE", "/store/{collection}/{key}", Feature.DATA_STORE),
)
# Operations with few inputs (no parameters; or two names, a cursor and a one-field body) are covered by a share of
# the target's `examples` (at least one), which keeps the default run fast.
EXAMPLES_SHARE: dict[str, float] = {"/audio/voices": 0.2, "/store/{collection}": 0.2, "/store/{collection}/{key}": 0.2}
MODES = {"positive": schemathesis.GenerationMode.POSITIVE, "negative": schemathesis.GenerationMode.NEGATIVE}


@functools.cache
def _schema() -> Any:
    return schemathesis.openapi.from_dict(api_view("ai"), config=schemathesis.Config())


def _with_model(model: str) -> Any:
    """Positive chat cases name the target's model, so they exercise completions instead of 404s."""

    def pin(case: Any) -> Any:
        if isinstance(case.body, dict):
            case.body["model"] = model
        return case

    return pin


def _collapse(t: TestContext, first_new: int, examples: int) -> None:
    """One failure per check, with how many generated requests tripped it, instead of one per request."""
    fresh = t.failures[first_new:]
    del t.failures[first_new:]
    grouped: dict[str, list[FailureRecord]] = defaultdict(list)
    for failure in fresh:
        grouped[failure.check].append(failure)
    for check_name, failures in grouped.items():
        first = failures[0]
        t.failures.append(FailureRecord(
            check_name, first.severity,
            f"{len(failures)} of {examples} generated requests failed; first: {first.message}", first.inferred,
        ))


def fuzz(t: TestContext, method: str, path: str, mode: str) -> None:
    operation = _schema()[path][method]
    strategy = operation.as_strategy(generation_mode=MODES[mode])
    if mode == "positive" and path == "/chat/completions":
        strategy = strategy.map(_with_model(t.model()))
    written: list[str] = []  # store records the cases wrote, deleted at the end
    if path.startswith("/store/"):  # only collections of this run, so a live target's own data is never touched
        strategy = strategy.map(scoped_case(run_collection("fuzz") + "-"))
    headers = t.target.auth_headers()
    base_url = t.base_url("ai")
    first_new, sent = len(t.failures), [0]
    unreachable: list[TargetUnreachable] = []

    examples = max(1, round(t.target.examples * EXAMPLES_SHARE.get(path, 1.0)))

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
              verbosity=Verbosity.quiet)
    @given(case=strategy)
    def explore(case: Any) -> None:
        if unreachable:  # the target already failed at the transport level: do not wait on it again
            return
        try:
            what = f"{method} {case.formatted_path} (schemathesis {mode} case)"
            exchange = send_case(t.probe, case, base_url, headers, what)
        except TargetUnreachable as error:
            body = json.dumps(case.body, default=repr) if isinstance(case.body, dict | list) else repr(case.body)
            unreachable.append(TargetUnreachable(f"{error.reason}; generated body {body[:200]}"))
            return
        sent[0] += 1
        t.apply(exchange)
        if where := written_path(exchange):
            written.append(where)

    explore()
    delete_quietly(t, written, headers)
    _collapse(t, first_new, sent[0])
    if unreachable:
        raise unreachable[0]


def _register(method: str, path: str, feature: Feature, mode: str) -> None:
    def run(t: TestContext) -> None:
        fuzz(t, method, path, mode)

    run.__doc__ = f"schemathesis {mode} generation against {method} {path}, every check on every response"
    name = path.strip("/").replace("/", ".").replace("{", "").replace("}", "")
    conformance_test(f"schema.{name}.{method.lower()}.{mode}", features=(Feature.SCHEMA_FUZZING, feature))(run)


for _method, _path, _feature in FUZZED:
    for _mode in MODES:
        _register(_method, _path, _feature, _mode)

