"""A strict Server-Sent Events parser (WHATWG HTML §9.2) that also reports framing problems."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE = re.compile(r"\r\n|\n|\r")


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


def parse(body: bytes) -> ParsedStream:
    """Parse a whole SSE body; CR, LF and CRLF line endings and `:` comments are all legal."""
    parsed = ParsedStream()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        parsed.problems.append(f"stream is not valid UTF-8 at byte {exc.start}")
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
            parsed.problems.append(f"unknown SSE field {name!r} in line {line[:80]!r}")
    if data:
        parsed.problems.append(
            "the last event is not terminated by a blank line, so a conforming client never dispatches it: "
            f"{' '.join(data)[:80]!r}"
        )
    elif lines and lines[-1] != "" and not lines[-1].startswith(":") and not terminated:
        parsed.problems.append("the stream does not end with a line terminator")
    return parsed
