"""An answer's `id` material and `created`: fresh per request as a real provider's, or derived for golden tests."""

# A real provider gives every answer a new id and the current time (OpenAI's `chatcmpl-...`/`created`, Anthropic's
# `msg_01...`, Gemini's `responseId`), so a gateway that relays them passes 000's "id string Unique interaction
# identifier" and "created integer Unix timestamp of creation". The mocks do the same by default; with
# `deterministic_ids` (`aigw mocks serve --deterministic-ids`) the id is derived from the request body's digest
# and `created` from the provider's fixed epoch, so golden tests can compare bytes. Only the envelope changes:
# the content of an answer is a function of the request either way.

from __future__ import annotations

import secrets
import time


def material(derived: bytes, *, deterministic: bool) -> bytes:
    """The bytes an id is formatted from: `derived` (the request's digest) or as many fresh random bytes."""
    return derived if deterministic else secrets.token_bytes(len(derived))


def created(derived: int, *, deterministic: bool) -> int:
    """`created`: `derived` (the provider's fixed epoch plus the digest's offset) or the Unix time now, in seconds."""
    return derived if deterministic else int(time.time())
