"""`--test` and `--profile` patterns: globs, plain prefixes (test IDs), and `!` exclusions, like pytest's `-k`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

GLOB_CHARS = frozenset("*?[")


class EmptySelection(ValueError):
    """The patterns matched no test: nothing would be checked, which must never look like a green run."""


@dataclass(frozen=True)
class Patterns:
    """Include and exclude patterns: a name is selected when it matches some include (or none are given) and no
    exclude. A pattern without glob characters is a prefix for test IDs (`chat.` is `chat.*`) and an exact name
    for profiles."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: Iterable[str]) -> Patterns:
        include: list[str] = []
        exclude: list[str] = []
        for given in raw:
            for pattern in (part.strip() for part in given.split(",")):
                if pattern.startswith("!") and pattern[1:].strip():
                    exclude.append(pattern[1:].strip())
                elif pattern and pattern != "!":
                    include.append(pattern)
        return cls(tuple(include), tuple(exclude))

    def matches(self, name: str, *, prefix: bool) -> bool:
        def hit(pattern: str) -> bool:
            if GLOB_CHARS & set(pattern):
                return fnmatchcase(name, pattern)
            return name.startswith(pattern) if prefix else name == pattern

        return (not self.include or any(map(hit, self.include))) and not any(map(hit, self.exclude))


def selected(test_id: str, profile: str, tests: Iterable[str] = (), profiles: Iterable[str] = ()) -> bool:
    """Whether the test `test_id` of `profile` is selected by the `--test` and `--profile` patterns."""
    return Patterns.parse(tests).matches(test_id, prefix=True) and Patterns.parse(profiles).matches(
        profile, prefix=False)


def empty_message(tests: Iterable[str], profiles: Iterable[str], known_profiles: Iterable[str]) -> str:
    """Why nothing was selected, with what would have matched."""
    given = [f"--test {pattern!r}" for pattern in tests] + [f"--profile {pattern!r}" for pattern in profiles]
    return (f"no test matches {' '.join(given) or 'the selection'}; profiles: {', '.join(sorted(known_profiles))} "
            "(`aigw features` lists them; patterns are prefixes or globs, `!pattern` excludes)")
