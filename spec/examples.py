"""The seed documents' own examples, extracted from their text: JSON blocks, cURL commands and event streams."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Literal

from aigw_conformance.spec.loader import SEEDS_DIR

SEEDS = ("000_3222256926808af7.txt", "001_eb78a9cb4e331ac7.txt", "002_74466ddf28ce3d71.txt")
Kind = Literal["json", "curl", "stream", "illustration"]
_SHOWN_HEADER = re.compile(r"^(HTTP/\d(?:\.\d)? \d{3}.*|[A-Za-z][A-Za-z0-9-]*: \S.*)$")
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class Example:
    """One example of a seed document. `id` is the seed's number and the example's first line, e.g. "000:L156".

    json: `value` is the parsed body; curl: `method`, `url`, `headers` (the `-H`s) and `value` (the `-d` body or
    None); stream: `value` is the `data:` payloads in order and `headers` the ones shown above them (002);
    illustration: a brace block that is not JSON (`{...}` or `"a" | "b"`), kept as `text` only."""

    id: str
    seed: str
    line: int
    kind: Kind
    text: str
    value: Any = None
    method: str = ""
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    status_line: str = ""


def _balanced_end(text: str) -> int | None:
    """The offset just past the `}` closing the object that `text` opens, or None while it is still open."""
    depth, in_string, escaped = 0, False, False
    for offset, char in enumerate(text):
        if in_string:
            escaped, in_string = (False, in_string) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return offset + 1
    return None


def _json_block(seed: str, lines: list[str], start: int) -> tuple[Example, int]:
    gathered = ""
    for end in range(start, len(lines)):
        gathered += lines[end] + "\n"
        if (closing := _balanced_end(gathered)) is not None:
            text = gathered[:closing]  # 002's rendering glues the next heading on: `}Parameters`
            try:
                return Example(_id(seed, start), seed, start + 1, "json", text, json.loads(text)), end + 1
            except ValueError:
                return Example(_id(seed, start), seed, start + 1, "illustration", text), end + 1
    raise ValueError(f"{seed} line {start + 1}: a brace block that never closes")


def _body_open(command: str) -> bool:
    """The command's `-d '` body has begun but its closing `}'` has not come yet."""
    parts = re.split(r"(?:^|\s)-d '", command)
    return len(parts) > 1 and "}'" not in parts[-1]


def _curl(seed: str, lines: list[str], start: int) -> tuple[Example, int]:
    end, command = start, lines[start]
    while command.rstrip().endswith("\\") or _body_open(command):
        end += 1
        command = command.rstrip().removesuffix("\\") + "\n" + lines[end]
    if "}'" in command:
        command = command[:command.rindex("}'") + 2]  # 002's `}'Python`: the next heading glued on
    words = shlex.split(command.replace("\\\n", " "))
    method, url, headers, body = "GET", "", {}, None
    position = 1
    while position < len(words):
        word = words[position]
        if word == "-X":
            method, position = words[position + 1], position + 2
        elif word == "-H":
            name, _, value = words[position + 1].partition(":")
            headers[name.strip()] = value.strip()
            position += 2
        elif word == "-d":
            body, position = _DECODER.raw_decode(words[position + 1].strip())[0], position + 2
            method = method if "-X" in words else "POST"
        else:
            url, position = word, position + 1
    example = Example(_id(seed, start), seed, start + 1, "curl", command, body, method, url, headers)
    return example, end + 1


def _stream(seed: str, lines: list[str], start: int) -> tuple[Example, int]:
    first_shown = start
    while first_shown > 0 and _SHOWN_HEADER.match(lines[first_shown - 1]) and not lines[first_shown - 1].startswith(
            "data:"):
        first_shown -= 1
    shown = lines[first_shown:start]
    status_line = shown[0] if shown and shown[0].startswith("HTTP/") else ""
    headers = dict(line.split(": ", 1) for line in shown if not line.startswith("HTTP/"))
    end, payloads = start, []
    while end < len(lines) and lines[end].startswith("data:"):
        payload = lines[end][len("data:"):].strip()
        if payload.startswith("[DONE]"):
            payload = "[DONE]"  # 002's `data: [DONE]Guardrail Blocking`: the next heading glued on
        payloads.append(payload)
        end += 1
    text = "\n".join(lines[first_shown:end])
    return Example(_id(seed, start), seed, start + 1, "stream", text, payloads, headers=headers,
                   status_line=status_line), end


def _id(seed: str, index: int) -> str:
    return f"{seed[:3]}:L{index + 1}"


def extract(seed: str, text: str) -> list[Example]:
    """Every example of one seed document's text, in the order they appear."""
    lines = text.splitlines()
    found: list[Example] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("curl "):
            example, index = _curl(seed, lines, index)
        elif line.startswith("{"):
            example, index = _json_block(seed, lines, index)
        elif line.startswith("data:"):
            example, index = _stream(seed, lines, index)
        else:
            index += 1
            continue
        found.append(example)
    return found


def seed_examples() -> list[Example]:
    """The examples of the three seed documents (the copies kept in `spec/seeds/`)."""
    return [example for seed in SEEDS for example in extract(seed, (SEEDS_DIR / seed).read_text(encoding="utf-8"))]
