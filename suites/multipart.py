"""multipart/form-data bodies for uploads, sent through the bounded probe as `content=` with their header."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class FilePart:
    """One uploaded file: its part name's filename, bytes and media type."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")


def encode(fields: Mapping[str, str], files: Mapping[str, FilePart] | None = None) -> tuple[bytes, dict[str, str]]:
    """The body of a multipart/form-data request (RFC 7578) holding `fields` then `files`, and the
    `content-type` header naming its boundary."""
    boundary = "aigw-" + secrets.token_hex(12)
    out = bytearray()
    for name, value in fields.items():
        out += (f'--{boundary}\r\ncontent-disposition: form-data; name="{_quoted(name)}"\r\n\r\n').encode()
        out += value.encode("utf-8") + b"\r\n"
    for name, part in (files or {}).items():
        out += (f'--{boundary}\r\ncontent-disposition: form-data; name="{_quoted(name)}"; '
                f'filename="{_quoted(part.filename)}"\r\ncontent-type: {part.content_type}\r\n\r\n').encode()
        out += part.data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), {"content-type": f"multipart/form-data; boundary={boundary}"}
