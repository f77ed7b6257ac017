"""Importing this package registers every check; `CHECKS` maps each name to its definition."""

from __future__ import annotations

from aigw_conformance.suites.checks import (
    access,
    answers,
    audio,
    auth,
    chat,
    client,
    dedicated,
    embeddings,
    errors,
    http,
    identity,
    models,
    output,
    provider_limits,
    schema,
    sdk,
    store,
    stream,
    streaming_pace,
    tools,
    translation,
    upstream_failures,
    validation,
    voices,
)
from aigw_conformance.suites.checks.registry import CHECKS, Check, CheckOutcome, run_checks

__all__ = ["CHECKS", "Check", "CheckOutcome", "access", "answers", "audio", "auth", "chat", "client", "dedicated",
           "embeddings",
           "errors", "http", "identity", "models", "output", "provider_limits",
           "run_checks", "schema", "sdk", "store", "stream", "streaming_pace", "tools", "translation",
           "upstream_failures", "validation", "voices"]
