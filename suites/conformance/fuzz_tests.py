"""Schemathesis-driven fuzzing of every implemented operation, positive and negative, all checks applied."""

from __future__ import annotations

import functools
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings

from aigw_conformance.reports.model import FailureRecord
from aigw_conformance.spec.loader import api_view
from aigw_conformance.suites.checks.schema import ANSWERED
from aigw_conformance.suites.conformance.fuzz_send import send_case
from aigw_conformance.suites.conformance.positive_fit import ModelFit, fit
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.conformance.store_tests import delete_quietly, run_collection, scoped_case, written_path
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import TargetUnreachable
from aigw_conformance.suites.features import Feature

# (method, path relative to the API base, the features the operation belongs to): the default run's operations
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
ANSWERS_SHOWN = 3  # distinct answers of the refusals a collapsed failure names
MODES = {"positive": schemathesis.GenerationMode.POSITIVE, "negative": schemathesis.GenerationMode.NEGATIVE}
# Positive cases of these operations name a model the target lists under this `[models]` key (first key given wins)
PINNED_MODEL_KEYS: dict[str, tuple[str, ...]] = {
    "/chat/completions": ("chat",), "/chat/count": ("count",), "/embeddings": ("embedding", "embeddings"),
    "/audio/speech": ("speech",), "/audio/transcriptions": ("transcription",),
}


@dataclass(frozen=True)
class Operation:
    """One operation of one API, and the feature a target must declare for it to be fuzzed."""

    api: str
    method: str
    path: str
    feature: Feature

    def label(self, mode: str) -> str:
        return f"{'client ' if self.api == 'client' else ''}{self.method} {self.path} {mode}"


OPERATIONS: tuple[Operation, ...] = tuple(Operation("ai", *row) for row in FUZZED)
# The deep run fuzzes every implemented operation of both APIs
DEEP_OPERATIONS: tuple[Operation, ...] = (
    *OPERATIONS,
    Operation("ai", "POST", "/chat/count", Feature.TOKEN_COUNTING),
    Operation("ai", "POST", "/embeddings", Feature.EMBEDDINGS),
    Operation("ai", "POST", "/audio/speech", Feature.AUDIO),
    Operation("ai", "POST", "/audio/transcriptions", Feature.AUDIO),
    Operation("client", "POST", "/chat/completions", Feature.CLIENT_CHAT),
)


@functools.cache
def _schema(api: str = "ai") -> Any:
    return schemathesis.openapi.from_dict(api_view(cast(Literal["ai", "client"], api)), config=schemathesis.Config())


def _with_model(models: tuple[str, ...], swap: dict[str, str] | None = None) -> Callable[[Any], Any]:
    """Cases name the target's models in turn (so they exercise completions instead of 404s); with `swap`, only
    a body naming one of its models gets the replacement (a valid model for a valid one, for negative cases)."""
    turn = itertools.cycle(models)

    def pin(case: Any) -> Any:
        if isinstance(case.body, dict):
            if swap is None:
                case.body["model"] = next(turn)
            elif isinstance(case.body.get("model"), str) and case.body["model"] in swap:
                case.body["model"] = swap[case.body["model"]]
        return case

    return pin


def _pinned_models(t: TestContext, operation: Operation, rotate: bool) -> tuple[str, ...]:
    if operation.api == "client":
        return (t.client_model("chat"),)
    if operation.path == "/chat/completions":
        return t.models("chat") if rotate else (t.model(),)
    for key in PINNED_MODEL_KEYS.get(operation.path, ()):
        if models := t.target.models_for(key, fallback=False):
            return models
    return ()


def _fits(t: TestContext, models: tuple[str, ...]) -> dict[str, ModelFit]:
    """Each model's limits from the target's catalogue (a probe: no check runs on it) and whether it takes audio.
    Best effort: a catalogue that cannot be read leaves the limits unknown (the models.* tests judge it), so the
    test's verdict rests on its generated requests alone."""
    data = None
    try:
        reply = t.probe.send("ai", t.base_url("ai"), "GET", "/models", headers=t.credentials("ai"),
                             label="the models' limits, for positive cases")
        data = reply.json.get("data") if reply.status == 200 and isinstance(reply.json, dict) else None
    except (TargetUnreachable, ValueError):
        pass
    limits = {m.get("id"): m.get("max_completion_tokens") for m in data or [] if isinstance(m, dict)}
    no_audio = set(t.target.models_for("audio_input_unsupported", fallback=False))
    return {model: ModelFit(cap if isinstance(cap, int) else None, model not in no_audio)
            for model, cap in ((m, limits.get(m)) for m in models)}


def _fitted(fits: dict[str, ModelFit]) -> Callable[[Any], Any]:
    def fitting(case: Any) -> Any:
        if isinstance(case.body, dict):
            fit(case.body, fits.get(str(case.body.get("model")), ModelFit()))
        return case

    return fitting


def strategy_for(t: TestContext, operation: Operation, mode: str, *, rotate_models: bool = False) -> Any:
    """The schemathesis strategy for `operation` in `mode`: positive cases name the target's models; store cases
    write only collections of this run, so a live target's own data is never touched."""
    strategy = _schema(operation.api)[operation.path][operation.method].as_strategy(generation_mode=MODES[mode])
    if mode == "positive" and (models := _pinned_models(t, operation, rotate_models)):
        strategy = strategy.map(_with_model(models))
        if operation.api == "ai" and operation.path == "/chat/completions":  # within each model's limits
            strategy = strategy.map(_fitted(_fits(t, models)))
    if operation.api == "client" and mode == "negative":  # never the provider whose breaker a client test opened
        breaker, chat = t.target.client_model("breaker", fallback=False), t.target.client_model("chat")
        if breaker and chat and breaker != chat:
            strategy = strategy.map(_with_model((), swap={breaker: chat}))
    if operation.path.startswith("/store/"):
        strategy = strategy.map(scoped_case(run_collection("fuzz") + "-"))
    return strategy


@dataclass
class Batch:
    """How many examples to generate; `seed` None is the default run's derandomized generation. `stop` ends
    sending early (the cases left are generated but not sent); `seen` is told of each exchange and the failures
    its checks added; `sent` counts the requests actually sent."""

    examples: int
    seed: int | None = None
    stop: Callable[[], bool] = lambda: False
    seen: Callable[[Exchange, list[FailureRecord]], None] | None = None
    sent: int = 0


def collapse_failures(t: TestContext, first_new: int, examples: int, label: str = "") -> None:
    """One failure per check, with how many generated requests tripped it, instead of one per request."""
    fresh = t.failures[first_new:]
    del t.failures[first_new:]
    grouped: dict[tuple[str, str], list[FailureRecord]] = defaultdict(list)
    for failure in fresh:
        grouped[failure.check, failure.grounds].append(failure)  # documented and convention failures stay apart
    for failures in grouped.values():
        first = failures[0]
        t.failures.append(replace(
            first, message=f"{label}{len(failures)} of {examples} generated requests failed; first: {first.message}"
                           + _answers_tally(failures),
        ))


def _answers_tally(failures: list[FailureRecord]) -> str:
    """The distinct answers the refusals got (up to ANSWERS_SHOWN, most frequent first), when there are several."""
    answers = Counter(line.strip().removeprefix(ANSWERED) for failure in failures
                      for line in failure.message.splitlines() if line.strip().startswith(ANSWERED))
    if len(answers) < 2:
        return ""
    shown = "; ".join(f"{count}x {answer}" for answer, count in answers.most_common(ANSWERS_SHOWN))
    more = f"; {len(answers) - ANSWERS_SHOWN} other answers" if len(answers) > ANSWERS_SHOWN else ""
    return f"\n  answers: {shown}{more}"


def explore(t: TestContext, operation: Operation, mode: str, strategy: Any, batch: Batch) -> None:
    """Send up to `batch.examples` generated cases of `operation` through every check (counted in `batch.sent`).
    Records the store writes and deletes them afterwards; TargetUnreachable when the target stopped answering."""
    api, method = operation.api, operation.method
    headers = t.credentials(api)
    base_url = t.base_url(api)
    written: list[str] = []
    unreachable: list[TargetUnreachable] = []

    @settings(max_examples=batch.examples, deadline=None, database=None, derandomize=batch.seed is None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
              verbosity=Verbosity.quiet)
    @given(case=strategy)
    def one(case: Any) -> None:
        if unreachable or batch.stop():  # the target failed at the transport level, or the run is over
            return
        try:
            what = f"{method} {case.formatted_path} (schemathesis {mode} case)"
            exchange = send_case(t.probe, case, base_url, headers, what, api=api)
            exchange.context.update(t.model_context())  # e.g. which models honour `n`, as on every other exchange
        except TargetUnreachable as error:
            body = json.dumps(case.body, default=repr) if isinstance(case.body, dict | list) else repr(case.body)
            unreachable.append(type(error)(f"{error.reason}; generated body {body[:200]}"))  # the kind stays
            return
        batch.sent += 1
        first_new = len(t.failures)
        t.apply(exchange)
        if batch.seen is not None:
            batch.seen(exchange, t.failures[first_new:])
        if where := written_path(exchange):
            written.append(where)

    (one if batch.seed is None else seed(batch.seed)(one))()
    delete_quietly(t, written, headers)
    if unreachable:
        raise unreachable[0]


def fuzz(t: TestContext, method: str, path: str, mode: str) -> None:
    operation = Operation("ai", method, path, Feature.SCHEMA_FUZZING)
    examples = max(1, round(t.target.examples * EXAMPLES_SHARE.get(path, 1.0)))
    first_new, batch = len(t.failures), Batch(examples)
    try:
        explore(t, operation, mode, strategy_for(t, operation, mode), batch)
    finally:
        collapse_failures(t, first_new, batch.sent)


def _register(method: str, path: str, feature: Feature, mode: str) -> None:
    def run(t: TestContext) -> None:
        fuzz(t, method, path, mode)

    run.__doc__ = f"schemathesis {mode} generation against {method} {path}, every check on every response"
    name = path.strip("/").replace("/", ".").replace("{", "").replace("}", "")
    conformance_test(f"schema.{name}.{method.lower()}.{mode}", features=(Feature.SCHEMA_FUZZING, feature))(run)


for _method, _path, _feature in FUZZED:
    for _mode in MODES:
        _register(_method, _path, _feature, _mode)

