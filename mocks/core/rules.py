"""Run-wide fault rules set through the control endpoint: fault specs scoped by path, method, count and rate."""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from aigw_conformance.mocks.core import faults

RULE_FIELDS = frozenset({"faults", "path", "method", "times"})


class FaultSpecError(ValueError):
    """An invalid fault rule or spec: the control endpoint answers it with 400."""


def spec_headers(spec: Any) -> dict[str, str]:
    """The `x-mock-*` headers equivalent to one fault spec such as `{"kind": "status", "status": 429,
    "retry_after": 2}` (its `rate` and `seed` are the rule's business). Validated exactly as the headers
    are, so a fault is defined once, by its headers (`faults.KINDS`)."""
    if not isinstance(spec, Mapping):
        raise FaultSpecError(f"a fault spec is an object, not {spec!r}")
    kind = spec.get("kind")
    if not isinstance(kind, str) or kind not in faults.KINDS:
        raise FaultSpecError(f"unknown fault kind {kind!r}: expected one of {', '.join(faults.KINDS)}")
    fields = faults.KINDS[kind]
    if unknown := sorted(set(spec) - set(fields) - {"kind", "rate", "seed"}):
        raise FaultSpecError(f"unknown field {unknown[0]!r} for fault kind {kind!r}: expected {', '.join(fields)}")
    headers: dict[str, str] = {}
    for name, header in fields.items():
        if (value := spec.get(name)) is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise FaultSpecError(f"{kind}.{name} must be an integer, not {value!r}")
        headers[header] = str(value)
    first = next(iter(fields))
    if not set(headers) - {faults.SEED} or (kind != "latency" and fields[first] not in headers):
        raise FaultSpecError(f"fault kind {kind!r} needs {'a delay' if kind == 'latency' else repr(first)}")
    try:
        faults.from_headers(headers)
    except faults.FaultHeaderError as error:
        raise FaultSpecError(f"{kind}: {error}") from None
    return headers


@dataclass(frozen=True)
class Spec:
    """One fault of a rule: its kind, its header form, and how often it fires (a seeded draw per request)."""

    kind: str
    headers: Mapping[str, str]
    rate: float
    rng: random.Random
    source: Mapping[str, Any]

    @classmethod
    def parse(cls, spec: Any) -> Spec:
        headers = spec_headers(spec)
        rate, seed = spec.get("rate", 1.0), spec.get("seed", 0)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise FaultSpecError(f"rate must be a number from 0 to 1, not {rate!r}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise FaultSpecError(f"seed must be an integer, not {seed!r}")
        return cls(spec["kind"], headers, float(rate), random.Random(seed), dict(spec))

    def fires(self) -> bool:
        return self.rate >= 1 or self.rng.random() < self.rate


@dataclass
class Rule:
    """Fault specs applied to requests whose path matches the glob `path` (and `method`), for the next
    `times` matching requests (None: until cleared)."""

    id: int
    specs: tuple[Spec, ...]
    path: str | None = None
    method: str | None = None
    times: int | None = None
    matched: int = 0

    @classmethod
    def parse(cls, body: Any, rule_id: int) -> Rule:
        """From a control request body: `{"faults": [spec, ...], "path": glob, "method": M, "times": N}`;
        a bare list of specs, or one spec with the rule's fields beside its own, is accepted too."""
        if isinstance(body, list):
            body = {"faults": body}
        elif isinstance(body, Mapping) and "kind" in body:
            scope = {k: v for k, v in body.items() if k in RULE_FIELDS}
            body = {**scope, "faults": [{k: v for k, v in body.items() if k not in RULE_FIELDS}]}
        if not isinstance(body, Mapping):
            raise FaultSpecError("expected an object such as {\"faults\": [{\"kind\": \"status\", \"status\": 503}]}")
        if unknown := sorted(set(body) - RULE_FIELDS):
            raise FaultSpecError(f"unknown field {unknown[0]!r}: expected {', '.join(sorted(RULE_FIELDS))}")
        specs, path, method, times = body.get("faults"), body.get("path"), body.get("method"), body.get("times")
        if not isinstance(specs, list) or not specs:
            raise FaultSpecError("faults must be a non-empty list of fault specs")
        if path is not None and (not isinstance(path, str) or not path.startswith(("/", "*"))):
            raise FaultSpecError(f"path must be a glob such as \"/v1/chat/*\", not {path!r}")
        if method is not None and not isinstance(method, str):
            raise FaultSpecError(f"method must be a string, not {method!r}")
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
            raise FaultSpecError(f"times must be a positive integer, not {times!r}")
        return cls(rule_id, tuple(Spec.parse(s) for s in specs), path, method and method.upper(), times)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (self.path is None or fnmatchcase(path, self.path))

    def to_json(self) -> dict[str, Any]:
        remaining = None if self.times is None else self.times - self.matched
        return {"id": self.id, "faults": [dict(s.source) for s in self.specs], "path": self.path,
                "method": self.method, "times": self.times, "remaining": remaining, "matched": self.matched}


class FaultRules:
    """The rules of one mock, safe across threads. `defaults` (e.g. a latency set at start-up) lie beneath
    the rules and survive `clear()`; for each fault kind the most recently added matching rule wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._defaults: list[Rule] = []
        self._next_id = 1

    def add(self, body: Any, *, default: bool = False) -> Rule:
        """Parse and add a rule (raises `FaultSpecError`)."""
        with self._lock:
            rule = Rule.parse(body, self._next_id)
            self._next_id += 1
            (self._defaults if default else self._rules).append(rule)
            return rule

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            kept = [r for r in self._rules if r.id != rule_id]
            removed, self._rules = len(kept) < len(self._rules), kept
            return removed

    def clear(self, *, defaults: bool = False) -> int:
        """Drop every rule (and the defaults too if asked); returns how many were dropped."""
        with self._lock:
            count = len(self._rules) + (len(self._defaults) if defaults else 0)
            self._rules = []
            if defaults:
                self._defaults = []
            return count

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {"object": "list", "data": [r.to_json() for r in self._rules],
                    "defaults": [r.to_json() for r in self._defaults]}

    @property
    def active(self) -> bool:
        """Whether any rule or default is set: a test that counts no request against any rule."""
        return bool(self._rules or self._defaults)

    def headers_for(self, method: str, path: str) -> dict[str, str]:
        """The `x-mock-*` headers the rules give this request (counting it against each matching rule)."""
        if not self._rules and not self._defaults:
            return {}
        chosen: dict[str, Mapping[str, str]] = {}
        with self._lock:
            for rule in (*self._defaults, *self._rules):
                if rule.matches(method, path):
                    rule.matched += 1
                    chosen.update((spec.kind, spec.headers) for spec in rule.specs if spec.fires())
            self._rules = [r for r in self._rules if r.times is None or r.matched < r.times]
        return {header: value for headers in chosen.values() for header, value in headers.items()}
