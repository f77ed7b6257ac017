"""Conformance tests of the text-to-speech voices list (GET /audio/voices, path and shape inferred)."""

from __future__ import annotations

from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.features import Feature


@conformance_test("voices.list", features=(Feature.VOICES,))
def list_voices(t: TestContext) -> None:
    """GET /audio/voices lists every TTS voice ID once, as a VoiceList."""
    t.send("GET", "/audio/voices", expect=["http.success"])


@conformance_test("voices.unauthenticated", features=(Feature.VOICES,))
def unauthenticated(t: TestContext) -> None:
    """GET /audio/voices without credentials gives 401 with the error contract."""
    t.send("GET", "/audio/voices", authenticated=False, label="no credentials",
           expect=["auth.missing_credentials_401"])
