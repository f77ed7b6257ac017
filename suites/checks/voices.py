"""Checks of the text-to-speech voices list (GET /audio/voices, path and shape inferred)."""

from __future__ import annotations

from aigw_conformance.suites.checks.registry import check, fail, requires
from aigw_conformance.suites.checks.shapes import json_body, require_schema
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Severity


def is_voices_list(exchange: Exchange) -> bool:
    return exchange.api == "ai" and exchange.operation == "GET /audio/voices" and exchange.status == 200


@check("voices.list_shape", severity=Severity.HIGH, inferred=True)
@requires(is_voices_list)
def list_shape(exchange: Exchange) -> None:
    """The voices list matches VoiceList, is not empty, and lists every voice ID once (001: "all available")."""
    body = json_body(exchange)
    require_schema("VoiceList", body, "the voices list")
    ids = [voice["id"] for voice in body["data"]]
    if not ids:
        raise fail("the voices list is empty; 001 calls it the 'Reference list of all available TTS voice IDs'")
    if duplicates := sorted({voice_id for voice_id in ids if ids.count(voice_id) > 1}):
        raise fail(f"voice IDs listed more than once: {duplicates[:10]}; a voice ID must name one voice")
