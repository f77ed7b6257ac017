"""The target file's schema as one declarative table: sections, keys, types; unknown keys refused ("did you mean")."""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Union


@dataclass(frozen=True)
class Value:
    """A leaf key: `accepts(value)` says whether the TOML value fits; `expected` says what would."""

    expected: str
    accepts: Callable[[Any], bool]


@dataclass(frozen=True)
class Table:
    """A table whose keys are free (e.g. `[models]`, `[features.exempt]`, `[headers]`), each value a `Value`."""

    values: Value
    what: str = "a table"


Section = dict[str, Union[Value, Table, "Section"]]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


STRING = Value("a string", lambda v: isinstance(v, str))
NONEMPTY = Value("a non-empty string", lambda v: isinstance(v, str) and bool(v.strip()))
URL = Value('an http(s) URL string, e.g. "https://host/api/ai/v1"',
            lambda v: isinstance(v, str) and v.startswith(("http://", "https://")))
POSITIVE_INT = Value("a positive integer", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1)
INT = Value("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool))
POSITIVE_NUMBER = Value("a positive number (seconds)", lambda v: _number(v) and v > 0)
STRINGS = Value("a list of strings", lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v))
MODEL = Value('a model ID or a list of them (empty: no model has the capability), e.g. "gpt-5" or '
              '["gpt-5", "gemini-3-flash"]',
              lambda v: isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) and i for i in v)))
CREDENTIALS: Section = {"token": NONEMPTY, "api_key": NONEMPTY, "api_secret": NONEMPTY}

TARGET_SCHEMA: Section = {
    "name": NONEMPTY,
    "api": {"base_url": URL},
    "client": {
        "base_url": URL, "token": NONEMPTY, "limited_token": NONEMPTY, "rate_limit": POSITIVE_INT,
        "quota_token": NONEMPTY, "output_pii_hook": NONEMPTY, "fault_header": NONEMPTY,
        "breaker_threshold": POSITIVE_INT,
    },
    "auth": {
        **CREDENTIALS, "second_tenant": dict(CREDENTIALS), "restricted": {"token": NONEMPTY},
        "restricted_models": {"token": NONEMPTY, "allowed": NONEMPTY, "denied": NONEMPTY},
    },
    "models": Table(MODEL, "a table of capability = model ID(s)"),
    "headers": Table(STRING, "a table of header = value"),
    "upstream": {name: URL for name in ("openai", "anthropic", "gemini", "selfhosted")},
    "features": {"supported": STRINGS, "exempt": Table(STRING, "a table of feature = reason")},
    "timeouts": {"request_s": POSITIVE_NUMBER},
    "fuzz": {
        "examples": POSITIVE_INT,
        "deep": {"requests": POSITIVE_INT, "max_requests": POSITIVE_INT, "budget_s": POSITIVE_NUMBER,
                 "batch": POSITIVE_INT, "seed": INT},
    },
}
"""Every key a target file may hold. Another key is one more entry here, e.g. `"headers": Table(STRING, ...)`."""


def _type_name(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "table"}
    return names.get(type(value), type(value).__name__)


def _where(path: tuple[str, ...]) -> str:
    return f"[{'.'.join(path[:-1])}] {path[-1]}" if len(path) > 1 else path[0]


def _all_paths(section: Section, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for key, rule in section.items():
        yield (*prefix, key)
        if isinstance(rule, dict):
            yield from _all_paths(rule, (*prefix, key))


def suggest(unknown: str, known: Sequence[str], elsewhere: Sequence[str] = ()) -> str:
    """"; did you mean 'x'?" for a close known name (`elsewhere`: full names in other sections), else ""."""
    if close := difflib.get_close_matches(unknown, known, n=1, cutoff=0.6):
        return f"; did you mean {close[0]!r}?"
    leaves: dict[str, list[str]] = {}
    for name in elsewhere:
        leaves.setdefault(name.rsplit(" ", 1)[-1], []).append(name)
    if close := difflib.get_close_matches(unknown, list(leaves), n=1, cutoff=0.75):
        return f"; did you mean {' or '.join(leaves[close[0]][:2])}?"
    return ""


def problems(data: dict[str, Any], schema: Section = TARGET_SCHEMA) -> list[str]:
    """Every key of `data` that the schema does not know or whose value has the wrong type, as a sentence."""
    found: list[str] = []
    others = [_where(path) for path in _all_paths(schema)]

    def walk(table: dict[str, Any], section: Section, path: tuple[str, ...]) -> None:
        for key, value in table.items():
            here = (*path, key)
            rule = section.get(key)
            if rule is None:
                place = f"[{'.'.join(path)}]" if path else "the top level"
                hint = suggest(key, list(section), [o for o in others if not o.startswith(f"[{'.'.join(path)}]")])
                found.append(f"unknown key {key!r} in {place}{hint} (known: {', '.join(section)})")
            elif isinstance(rule, dict):
                if isinstance(value, dict):
                    walk(value, rule, here)
                else:
                    found.append(f"[{'.'.join(here)}] must be a table, got {_type_name(value)} {value!r}")
            elif isinstance(rule, Table):
                if not isinstance(value, dict):
                    found.append(f"[{'.'.join(here)}] must be {rule.what}, got {_type_name(value)} {value!r}")
                    continue
                for name, item in value.items():
                    if not rule.values.accepts(item):
                        found.append(f"{_where((*here, name))} must be {rule.values.expected}, "
                                     f"got {_type_name(item)} {item!r}")
            elif not rule.accepts(value):
                found.append(f"{_where(here)} must be {rule.expected}, got {_type_name(value)} {value!r}")

    walk(data, schema, ())
    return found


def refusal(source: str, found: list[str]) -> str:
    """One message for every problem of the file `source`."""
    if len(found) == 1:
        return f"{source}: {found[0]}"
    return f"{source}: {len(found)} problems:\n" + "\n".join(f"  - {problem}" for problem in found)
