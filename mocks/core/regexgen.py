"""Strings matching a simple regular expression (the `pattern` subset JSON Schemas use), drawn deterministically."""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass

Draw = Callable[[int], int]
"""`draw(n)`: a deterministic integer in [0, n)."""

MAX_EXTRA_REPEATS = 3
"""An open repetition (`*`, `+`, `{n,}`) repeats at most this many times beyond its minimum."""

_PRINTABLE = string.ascii_letters + string.digits + "-_.:/@ "
_CLASSES = {
    "d": string.digits, "w": string.ascii_letters + string.digits + "_", "s": " ",
    "D": string.ascii_letters, "W": "-", "S": string.ascii_letters,
}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "0": "\0"}


class PatternError(ValueError):
    """The pattern uses a construct outside the supported subset (lookaround, backreferences, ...)."""


@dataclass(frozen=True)
class _Node:
    kind: str  # "chars" (one of `chars`), "seq", "alt", "rep"
    chars: str = ""
    children: tuple[_Node, ...] = ()
    low: int = 0
    high: int | None = None


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.text, self.pos = pattern, 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        if self.pos >= len(self.text):
            raise PatternError("unexpected end of pattern")
        self.pos += 1
        return self.text[self.pos - 1]

    def alternation(self) -> _Node:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.take()
            branches.append(self.sequence())
        return branches[0] if len(branches) == 1 else _Node("alt", children=tuple(branches))

    def sequence(self) -> _Node:
        items: list[_Node] = []
        while self.peek() not in ("", "|", ")"):
            atom = self.atom()
            if atom is not None:
                items.append(self.quantified(atom))
        return _Node("seq", children=tuple(items))

    def atom(self) -> _Node | None:
        char = self.take()
        if char in "^$":
            return None
        if char == ".":
            return _Node("chars", string.ascii_letters + string.digits)
        if char == "[":
            return _Node("chars", self.char_class())
        if char == "\\":
            return _Node("chars", self.escape())
        if char == "(":
            if self.peek() == "?":
                self.take()
                marker = self.take()
                if marker == "P" or (marker == "<" and self.peek() not in "=!"):
                    while self.take() != ">":
                        pass
                elif marker != ":":
                    raise PatternError("lookaround groups are not supported")
            inner = self.alternation()
            if self.take() != ")":
                raise PatternError("unbalanced parenthesis")
            return inner
        if char in "*+?{":
            raise PatternError(f"nothing to repeat at position {self.pos - 1}")
        return _Node("chars", char)

    def escape(self) -> str:
        char = self.take()
        if char in _CLASSES:
            return _CLASSES[char]
        if char in _ESCAPES:
            return _ESCAPES[char]
        if char == "u":
            return chr(int(self.text[self.pos : self.pos + 4], 16)) if self._advance(4) else ""
        if char.isalnum():
            raise PatternError(f"unsupported escape \\{char}")
        return char

    def _advance(self, count: int) -> bool:
        self.pos += count
        return self.pos <= len(self.text)

    def char_class(self) -> str:
        negated = self.peek() == "^"
        if negated:
            self.take()
        chars: list[str] = []
        first = True
        while first or self.peek() != "]":
            first = False
            char = self.take()
            item = self.escape() if char == "\\" else char
            if len(item) == 1 and self.peek() == "-" and self.text[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.take()
                end = self.take()
                end = self.escape() if end == "\\" else end
                chars += [chr(c) for c in range(ord(item), ord(end[:1] or item) + 1)]
            else:
                chars.append(item)
        self.take()
        members = "".join(chars)
        if negated:
            members = "".join(c for c in _PRINTABLE if c not in members)
        if not members:
            raise PatternError("empty character class")
        return members

    def quantified(self, atom: _Node) -> _Node:
        char = self.peek()
        if char in ("*", "+", "?"):
            self.take()
            low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
        elif char == "{" and self.text.find("}", self.pos) > 0:
            end = self.text.index("}", self.pos)
            body = self.text[self.pos + 1 : end]
            lo_text, comma, hi_text = body.partition(",")
            if not lo_text.isdigit() or (hi_text and not hi_text.isdigit()):
                return atom
            self.pos = end + 1
            low = int(lo_text)
            high = (int(hi_text) if hi_text else None) if comma else low
        else:
            return atom
        if self.peek() in ("?", "+"):
            self.take()  # lazy or possessive: the same strings match
        return _Node("rep", children=(atom,), low=low, high=high)


def parse(pattern: str) -> object:
    """Check that `pattern` is in the supported subset; returns an opaque parsed form for `generate`."""
    parser = _Parser(pattern)
    node = parser.alternation()
    if parser.pos != len(pattern):
        raise PatternError("unbalanced parenthesis")
    return node


def _emit(node: _Node, draw: Draw, out: list[str]) -> None:
    if node.kind == "chars":
        out.append(node.chars[draw(len(node.chars))])
    elif node.kind == "seq":
        for child in node.children:
            _emit(child, draw, out)
    elif node.kind == "alt":
        _emit(node.children[draw(len(node.children))], draw, out)
    else:
        high = node.low + MAX_EXTRA_REPEATS if node.high is None else node.high
        for _ in range(node.low + draw(max(high - node.low, 0) + 1)):
            _emit(node.children[0], draw, out)


def generate(pattern: str, draw: Draw) -> str:
    """A string that fully matches `pattern` (supported: literals, escapes, `.`, classes, groups, `|`,
    `? * + {n} {n,} {n,m}`, anchors); raises `PatternError` otherwise."""
    node = parse(pattern)
    assert isinstance(node, _Node)
    out: list[str] = []
    _emit(node, draw, out)
    return "".join(out)
