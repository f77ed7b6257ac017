"""`${VAR}` in a target file's strings, replaced by the environment variable's value (`$${` keeps a literal `${`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class MissingVariable(ValueError):
    """A `${VAR}` whose variable is not set (or a malformed reference), naming it and where it was used."""


def expand(data: Any, environ: Mapping[str, str], where: str = "") -> Any:
    """`data` (parsed TOML: tables, arrays, strings, other scalars) with every `${VAR}` in a string replaced."""
    if isinstance(data, dict):
        return {key: expand(value, environ, f"{where}{'.' if where else ''}{key}") for key, value in data.items()}
    if isinstance(data, list):
        return [expand(value, environ, f"{where}[{index}]") for index, value in enumerate(data)]
    if isinstance(data, str):
        return _expand_text(data, environ, where)
    return data


def _expand_text(text: str, environ: Mapping[str, str], where: str) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name = match.group(1)
        if not _NAME.match(name):
            raise MissingVariable(f"{where}: ${{{name}}} is not a valid environment variable reference")
        if name not in environ:
            raise MissingVariable(f"{where}: environment variable {name} is not set (used as ${{{name}}})")
        return environ[name]

    return _REFERENCE.sub(replace, text)
