"""`aigw init`'s feature probes: small real requests whose answers say what a gateway serves."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aigw_conformance.suites import sse
from aigw_conformance.suites.discovery import Catalogue
from aigw_conformance.suites.exchange import Exchange, Probe
from aigw_conformance.suites.failures import TargetUnreachable
from aigw_conformance.suites.features import Feature
from aigw_conformance.suites.target import Target

ABSENT = (404, 405, 501)  # the route is not there (or not for this method)
PROBE_TOKENS = 16
PROBE_ID = "aigw-init-probe"
DEDICATED = ("embedding", "speech", "transcription")


@dataclass(frozen=True)
class Finding:
    """What one probe found about a feature: `supported` False makes it exempt with `evidence` as the reason."""

    feature: Feature
    supported: bool
    evidence: str


@dataclass
class Prober:
    """Sends `aigw init`'s probe requests to one target with its credentials."""

    target: Target
    probe: Probe
    catalogue: Catalogue

    def send(self, method: str, path: str, body: Any = None) -> Exchange | str:
        """The exchange, or what went wrong on the wire (a probe never stops `aigw init`)."""
        assert self.target.base_url
        try:
            return self.probe.send("ai", self.target.base_url, method, path, headers=self.target.auth_headers(),
                                   json_body=body, label="aigw init")
        except TargetUnreachable as error:
            return f"{method} {path} failed: {error.reason}"

    def model(self, key: str) -> str | None:
        """The first model the suite would use for `key` (dedicated endpoints never fall back to chat's)."""
        listed = self.target.models_for(key, fallback=key not in DEDICATED)
        return listed[0] if listed else None

    def chat_body(self, **extra: Any) -> dict[str, Any]:
        return {"model": self.model("chat") or PROBE_ID, "max_completion_tokens": PROBE_TOKENS,
                "messages": [{"role": "user", "content": "Say hello."}], **extra}


def said(answer: Exchange | str) -> str:
    if isinstance(answer, str):
        return answer
    kind = f" {answer.content_type}" if answer.content_type else ""
    return f"{answer.operation} -> {answer.status}{kind}"


def _route_absent(answer: Exchange | str, model_known: bool) -> bool:
    """A 404/405 that is the route missing: any such status once the model is a known one, else one that is not
    the API's JSON error (an unknown model's 404 is JSON)."""
    if isinstance(answer, str) or answer.status not in ABSENT:
        return False
    if model_known or answer.status != 404:
        return True
    try:
        return not isinstance(answer.json, dict) or "error" not in answer.json
    except ValueError:
        return True


def _endpoint(feature: Feature, model_key: str | None, method: str, path: str,
              body: Callable[[str], Any] | None) -> Callable[[Prober], Finding]:
    def probe(prober: Prober) -> Finding:
        model = prober.model(model_key) if model_key else None
        answer = prober.send(method, path, body(model or PROBE_ID) if body else None)
        if _route_absent(answer, model is not None):
            return Finding(feature, False, f"{said(answer)}: the endpoint is not served")
        return Finding(feature, True, said(answer))
    return probe


def _models(prober: Prober) -> Finding:
    absent = prober.catalogue.evidence.startswith(("GET /models -> 404", "GET /models -> 405"))
    return Finding(Feature.MODELS, not absent, prober.catalogue.evidence)


def _streaming(prober: Prober) -> Finding:
    answer = prober.send("POST", "/chat/completions", prober.chat_body(stream=True))
    is_stream = not isinstance(answer, str) and answer.status == 200 and answer.content_type == "text/event-stream"
    reason = "" if is_stream else ": stream true not answered with an event stream"
    return Finding(Feature.CHAT_STREAMING, is_stream, said(answer) + reason)


def _stream_usage(prober: Prober) -> Finding:
    answer = prober.send("POST", "/chat/completions",
                         prober.chat_body(stream=True, stream_options={"include_usage": True}))
    if isinstance(answer, str) or answer.content_type != "text/event-stream":
        return Finding(Feature.STREAM_USAGE, False, said(answer) + ": no event stream to carry usage")
    chunks = [_json(event.data) for event in sse.parse(answer.body).events if event.data != "[DONE]"]
    has_usage = any(isinstance(chunk, dict) and chunk.get("usage") for chunk in chunks)
    return Finding(Feature.STREAM_USAGE, has_usage, said(answer) + (
        ", a usage chunk" if has_usage else ": no chunk carries usage although include_usage was asked"))


def _error_headers(prober: Prober) -> Finding:
    answer = prober.send("GET", f"/models/{PROBE_ID}-no-such-model")
    if isinstance(answer, str) or answer.status < 400 or _route_absent(answer, False):
        answer = prober.send("POST", "/chat/completions", {})  # no catalogue: an invalid chat request
    if isinstance(answer, str) or answer.status < 400:
        return Finding(Feature.ERROR_HEADERS, True, said(answer) + ": no error response to look at")
    present = [name for name in ("x-error", "x-error-id") if answer.headers.get(name)]
    missing = [name for name in ("x-error", "x-error-id") if name not in present]
    detail = f" with {', '.join(present)}" if not missing else f" without {', '.join(missing)}"
    return Finding(Feature.ERROR_HEADERS, not missing, said(answer) + detail)


def _seed(prober: Prober) -> Finding:
    model = prober.model("seed")
    if model is None:
        return Finding(Feature.SEED_DETERMINISM, True, "no model for [models] seed: its tests skip")
    body = prober.chat_body(model=model, seed=7, temperature=1)
    first, second = prober.send("POST", "/chat/completions", body), prober.send("POST", "/chat/completions", body)
    if isinstance(first, str) or isinstance(second, str) or first.status != 200 or second.status != 200:
        return Finding(Feature.SEED_DETERMINISM, True, f"{said(first)}; {said(second)}: not decided")
    same = _content(first) == _content(second)
    return Finding(Feature.SEED_DETERMINISM, same, f"the same seed twice on {model}: " + (
        "the same answer" if same else "different answers (seed is best-effort here)"))


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _content(exchange: Exchange) -> Any:
    try:
        return [choice.get("message", {}).get("content") for choice in exchange.json.get("choices", [])]
    except (ValueError, AttributeError):
        return None


PROBES: tuple[Callable[[Prober], Finding], ...] = (
    _models, _streaming, _stream_usage, _error_headers, _seed,
    _endpoint(Feature.TOKEN_COUNTING, "count", "POST", "/chat/count",
              lambda model: {"model": model, "messages": [{"role": "user", "content": "Count me."}]}),
    _endpoint(Feature.EMBEDDINGS, "embedding", "POST", "/embeddings", lambda model: {"model": model, "input": "x"}),
    _endpoint(Feature.AUDIO, "speech", "POST", "/audio/speech",
              lambda model: {"model": model, "input": "Hello.", "voice": "alloy", "response_format": "wav"}),
    _endpoint(Feature.VOICES, None, "GET", "/audio/voices", None),
    _endpoint(Feature.DATA_STORE, None, "GET", f"/store/{PROBE_ID}-collection?limit=1", None),
)


def probe_features(prober: Prober) -> list[Finding]:
    """Every probe's finding, in PROBES order (about a dozen small requests)."""
    return [probe(prober) for probe in PROBES]
