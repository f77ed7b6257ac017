"""Render a transcription as OpenAI does: json, text, verbose_json (segments, words), srt and vtt."""

from __future__ import annotations

import math
import re
import string
import zlib
from dataclasses import dataclass
from typing import Any, Literal

from aigw_conformance.mocks.core import tokens
from aigw_conformance.mocks.core.audiocodec import Audio
from aigw_conformance.mocks.core.sse import dumps

AUDIO_TOKENS_PER_SECOND = 10
"""Token-billed models count ceil(10 x seconds) audio tokens (OpenAI bills user audio per 100 ms)."""
LANGUAGES = {
    "en": "english", "es": "spanish", "fr": "french", "de": "german", "it": "italian", "pt": "portuguese",
    "nl": "dutch", "ru": "russian", "zh": "chinese", "ja": "japanese", "ko": "korean", "ar": "arabic",
    "hi": "hindi", "pl": "polish", "tr": "turkish", "uk": "ukrainian", "sv": "swedish",
}
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")


@dataclass(frozen=True)
class Transcript:
    """What was heard (`audio`) and how it was asked for; `language` is an ISO-639-1 code (default en)."""

    audio: Audio
    model: str
    usage_kind: Literal["duration", "tokens"]
    language: str
    prompt: str
    words: bool = False

    @property
    def text(self) -> str:
        return self.audio.text

    def at(self, index: int) -> float:
        """Seconds at which character `index` of the text is spoken: from the decoded byte timing, or spread
        evenly over the duration for a placeholder."""
        decoded, text = self.audio.decoded, self.text
        if decoded is not None:
            return round(decoded.start + len(text[:index].encode("utf-8")) * decoded.symbol, 3)
        return round(self.audio.duration * index / max(len(text), 1), 3)

    def usage(self) -> dict[str, Any]:
        if self.usage_kind == "duration":
            return {"type": "duration", "seconds": math.ceil(self.audio.duration)}
        audio_tokens = math.ceil(self.audio.duration * AUDIO_TOKENS_PER_SECOND)
        text_tokens, output = tokens.count_tokens(self.prompt), tokens.count_tokens(self.text)
        return {
            "type": "tokens", "input_tokens": audio_tokens + text_tokens,
            "input_token_details": {"text_tokens": text_tokens, "audio_tokens": audio_tokens},
            "output_tokens": output, "total_tokens": audio_tokens + text_tokens + output,
        }

    def spans(self) -> list[tuple[int, int]]:
        """Sentence segments as (start, end) character offsets; they tile the text (whitespace opens a segment)."""
        text, out, start = self.text, [], 0
        for match in _SENTENCE_END.finditer(self.text):
            out.append((start, match.end()))
            start = match.end()
        if start < len(text) or not out:
            out.append((start, len(text)))
        return out

    def segments(self) -> list[dict[str, Any]]:
        out = []
        for i, (a, b) in enumerate(self.spans()):
            piece = self.text[a:b].encode("utf-8")
            out.append({
                "id": i, "seek": 0, "start": self.at(a), "end": self.at(b), "text": self.text[a:b],
                "tokens": tokens.encode(self.text[a:b]), "temperature": 0.0, "avg_logprob": -0.25,
                "compression_ratio": round(len(piece) / len(zlib.compress(piece)), 4), "no_speech_prob": 0.0,
            })
        return out

    def word_list(self) -> list[dict[str, Any]]:
        out = []
        for match in re.finditer(r"\S+", self.text):
            word = match.group().strip(string.punctuation)
            if word:
                out.append({"word": word, "start": self.at(match.start()), "end": self.at(match.end())})
        return out

    def verbose(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "task": "transcribe", "language": LANGUAGES.get(self.language, self.language),
            "duration": round(self.audio.duration, 3), "text": self.text, "segments": self.segments(),
        }
        if self.words:
            body["words"] = self.word_list()
        body["usage"] = self.usage()
        return body

    def captions(self, vtt: bool) -> str:
        def stamp(seconds: float) -> str:
            ms = round(seconds * 1000)
            clock = f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}"
            return f"{clock}.{ms % 1000:03d}" if vtt else f"{clock},{ms % 1000:03d}"

        blocks = []
        for i, (a, b) in enumerate(self.spans(), start=1):
            timing = f"{stamp(self.at(a))} --> {stamp(self.at(b))}\n{self.text[a:b].strip()}\n"
            blocks.append(timing if vtt else f"{i}\n{timing}")
        return ("WEBVTT\n\n" if vtt else "") + "\n".join(blocks) + "\n"

    def render(self, response_format: str) -> tuple[str, str]:
        """(body, media type). `text` is the transcript plus one newline, as OpenAI sends it."""
        if response_format == "text":
            return self.text + "\n", "text/plain; charset=utf-8"
        if response_format in ("srt", "vtt"):
            return self.captions(response_format == "vtt"), "text/plain; charset=utf-8"
        if response_format == "verbose_json":
            return dumps(self.verbose()), "application/json"
        return dumps({"text": self.text, "usage": self.usage()}), "application/json"
