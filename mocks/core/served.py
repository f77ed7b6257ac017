"""Which model names a mock answers: its listed models, and any other name unless it refuses unknown ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class ModelOption:
    """`--model NAME[:max_tokens]`: a model to list, with the largest output it accepts (None: the default)."""

    name: str
    max_tokens: int | None = None

    @classmethod
    def parse(cls, text: str) -> ModelOption:
        """`gpt-5`, `gpt-5:128000`; a name may hold colons (`llama3:8b`): only an all-digit tail is a limit.
        ValueError (worded for the user) for an empty name or a limit below 1."""
        name, colon, tail = text.strip().rpartition(":")
        if not colon or not tail.isdigit():
            name, tail = text.strip(), ""
        if not name:
            raise ValueError(f"--model {text!r}: expected NAME or NAME:MAX_TOKENS")
        if tail and int(tail) < 1:
            raise ValueError(f"--model {text!r}: MAX_TOKENS must be at least 1")
        return cls(name, int(tail) if tail else None)


class ServedModels(MutableMapping[str, T]):
    """A mock's models as a mapping: iterating, `len` and `items()` give the *listed* models (what its model
    list endpoint shows), while a lookup (`[name]`, `get`, `in`) answers any name, built by `default(name)`,
    unless `strict` is set (then an unknown name is missing, and the provider answers its native 404).
    Setting or deleting a name changes the listed models; `strict` may be switched while the mock runs
    (`app.state.mock.models.strict = True`)."""

    def __init__(self, listed: Mapping[str, T], default: Callable[[str], T], *, strict: bool = False) -> None:
        self.listed, self.default, self.strict = dict(listed), default, strict

    def __getitem__(self, name: str) -> T:
        found = self.listed.get(name)
        if found is not None:
            return found
        if self.strict or not isinstance(name, str) or not name:
            raise KeyError(name)
        return self.default(name)

    def __setitem__(self, name: str, model: T) -> None:
        self.listed[name] = model

    def __delitem__(self, name: str) -> None:
        del self.listed[name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self.listed or (not self.strict and bool(name)))

    def __iter__(self) -> Iterator[str]:
        return iter(self.listed)

    def __len__(self) -> int:
        return len(self.listed)

    def __repr__(self) -> str:
        return f"ServedModels({list(self.listed)!r}, strict={self.strict})"
