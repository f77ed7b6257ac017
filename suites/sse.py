"""A strict Server-Sent Events parser (WHATWG HTML §9.2) that also reports framing problems."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE = re.compile(r"\r\n|\n|\r")
MAX_PROBLEMS = 10  # problems kept word for word; the rest are only counted
QUOTED = 80  # characters of a target's line or field name a problem quotes


@dataclass(frozen=True)
class Event:
    """One dispatched SSE event: the joined `data` lines and the optional `event`/`id` fields."""

    data: str
    event: str = "message"
    id: str | None = None


@dataclass
class ParsedStream:
    events: list[Event] = field(default_factory=list)
    comments: int = 0
    problems: list[str] = field(default_factory=list)
    more_problems: int = 0  # problems found beyond the MAX_PROBLEMS kept

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self.more_problems += 1


def _quoted(text: str) -> str:
    """The repr of at most QUOTED characters of target text (an unknown field name may be a 15 MB line)."""
    return repr(text[:QUOTED]) + ("…" if len(text) > QUOTED else "")


def parse(body: bytes) -> ParsedStream:
    """Parse a whole SSE body; CR, LF and CRLF line endings and `:` comments are all legal."""
    parsed = ParsedStream()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        parsed.problem(f"stream is not valid UTF-8 at byte {exc.start}")
        text = body.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    raw_lines = _LINE.split(text)
    terminated = raw_lines[-1] == ""
    lines = raw_lines[:-1] if terminated else raw_lines
    data: list[str] = []
    event_type, event_id = "", None
    for line in lines:
        if line == "":
            if data:
                parsed.events.append(Event("\n".join(data), event_type or "message", event_id))
            data, event_type = [], ""
            continue
        if line.startswith(":"):
            parsed.comments += 1
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name == "event":
            event_type = value
        elif name == "id":
            event_id = value
        elif name != "retry":
            parsed.problem(f"unknown SSE field {_quoted(name)} in line {_quoted(line)} ({len(line):,} characters)")
    if data:
        parsed.problem(
            "the last event is not terminated by a blank line, so a conforming client never dispatches it: "
            f"{_quoted(' '.join(data[:2]))}"
        )
    elif lines and lines[-1] != "" and not lines[-1].startswith(":") and not terminated:
        parsed.problem("the stream does not end with a line terminator")
    return parsed
