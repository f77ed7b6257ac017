"""Extra request headers (`--header 'Name: value'`, `[headers]`): checked, and merged under each request's own."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Headers the harness sets itself: credentials (the auth tests remove and vary them) and HTTP framing
MANAGED = frozenset({"authorization", "api-key", "api-secret", "content-type", "host", "content-length",
                     "transfer-encoding", "connection"})
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 field-name characters


class HeaderError(ValueError):
    """A header that cannot be sent, with what to fix."""


def checked_header(name: str, value: str, where: str) -> tuple[str, str]:
    """`(name, value)` stripped, or HeaderError: a bad field name, a line break in the value, a managed name."""
    name, value = name.strip(), value.strip()
    if not _TOKEN.match(name):
        raise HeaderError(f"{where}: {name!r} is not a valid header name")
    if any(char in value for char in "\r\n\0"):
        raise HeaderError(f"{where}: the value of header {name!r} holds a line break or NUL")
    if name.lower() in MANAGED:
        raise HeaderError(f"{where}: header {name!r} is set by aigw itself; give credentials with --token, "
                          "--api-key/--api-secret or the [auth] table")
    return name, value


def parse_header_lines(lines: list[str], where: str = "--header") -> dict[str, str]:
    """`['Name: value', ...]` as a dict; a later line for the same name (any case) replaces an earlier one."""
    parsed: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon:
            raise HeaderError(f"{where} {line!r}: expected 'Name: value'")
        parsed = merged_over(parsed, dict([checked_header(name, value, f"{where} {line!r}")]))
    return parsed


def header_table(raw: Any, where: str) -> dict[str, str]:
    """The target file's `[headers]` table: header name → string value."""
    if not isinstance(raw, dict):
        raise HeaderError(f"{where}: [headers] must be a table such as x-route = \"blue\"")
    table: dict[str, str] = {}
    for name, value in raw.items():
        if not isinstance(value, str):
            raise HeaderError(f"{where}: [headers] {name} must be a string, got {value!r}")
        table = merged_over(table, dict([checked_header(str(name), value, f"{where}: [headers]")]))
    return table


def merged_over(base: Mapping[str, str], override: Mapping[str, str]) -> dict[str, str]:
    """`base` with `override`'s headers, which replace `base`'s of the same name in any case."""
    replaced = {name.lower() for name in override}
    return {**{name: value for name, value in base.items() if name.lower() not in replaced}, **override}


def with_extra(headers: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """`headers` plus every `extra` header it does not set itself (names compared in any case)."""
    present = {name.lower() for name in headers}
    return {**headers, **{name: value for name, value in extra.items() if name.lower() not in present}}
