"""The gateway's own `id` and `created` for every chat answer: unique per request, whatever the upstream sent."""

# 000's response schema: "id string Unique interaction identifier" and "created integer Unix timestamp of
# creation". The mock providers derive their ids and timestamps from a hash of the request body (byte-identical
# answers to identical requests: their golden tests and the seed checks rely on it), so an upstream id is not an
# interaction's identity: two identical requests get the same one. The gateway therefore mints its own, and
# determinism and uniqueness coexist by splitting them: the upstream's answer (content, usage) stays a function of
# the request, the envelope's `id` is `chatcmpl-` + a random 12-hex prefix drawn once per gateway process + a
# 16-hex per-request counter (never repeated within a process, and two processes differ by their prefix), and
# `created` is the gateway's clock when the answer is built.

from __future__ import annotations

import itertools
import secrets
import time

PREFIX = "chatcmpl-"
_PROCESS = secrets.token_hex(6)
_COUNTER = itertools.count(1)


def interaction_id() -> str:
    """A new interaction ID: `chatcmpl-<12 hex of this process><16 hex counter>`."""
    return f"{PREFIX}{_PROCESS}{next(_COUNTER):016x}"


def created_now() -> int:
    """`created`: the Unix time, in whole seconds, at which the gateway builds the answer."""
    return int(time.time())
