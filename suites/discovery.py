"""Model discovery: a gateway's `GET /models` catalogue turned into the target's `[models]` keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from aigw_conformance.suites.exchange import Probe
from aigw_conformance.suites.failures import TargetUnreachable
from aigw_conformance.suites.target import Target, TargetError

LIMITS = ("max_input_tokens", "max_completion_tokens", "max_total_tokens")
DOCUMENTED_PROVIDERS = ("openai", "threatwinds", "gemini", "claude")
# 000 "Provider-Specific Parameter Support": the providers that carry each parameter (Claude has no column: its
# Messages API has no n, seed, logprobs; its JSON mode is only an instruction). Undocumented providers are left out
# of these keys: whether they carry the parameter is unknown, so a test there could fail for nothing.
_FULL_PARAMETERS = frozenset({"openai", "threatwinds"})
_NOT_GEMINI = frozenset({"openai", "threatwinds", "claude"})
_NOT_CLAUDE = frozenset({"openai", "threatwinds", "gemini"})
_NOT_OPENAI = frozenset({"threatwinds", "gemini", "claude"})


@dataclass(frozen=True)
class CatalogueModel:
    """One model of the catalogue as the gateway describes it."""

    id: str
    provider: str
    capabilities: frozenset[str]
    limits: dict[str, int] = field(default_factory=dict)

    @property
    def chats(self) -> bool:
        return "chat" in self.capabilities


Rule = Callable[[CatalogueModel], bool]


def _chat_of(providers: frozenset[str], capability: str = "chat") -> Rule:
    return lambda model: model.chats and capability in model.capabilities and model.provider in providers


# Each `[models]` key the suite reads, the models that belong under it, and why (for `aigw init`'s comments).
KEY_RULES: dict[str, tuple[Rule, str]] = {
    "chat": (lambda m: m.chats, "capability chat"),
    "n": (_chat_of(_FULL_PARAMETERS), "n > 1: OpenAI and self-hosted (000's table: Gemini and Claude lack it)"),
    "seed": (_chat_of(_FULL_PARAMETERS), "seed: OpenAI and self-hosted (000's table)"),
    "tools": (lambda m: m.chats and "tools-use" in m.capabilities, "capability tools-use"),
    "structured": (_chat_of(_NOT_GEMINI), "response_format json_schema (000's table: Gemini lacks it)"),
    "json_object": (_chat_of(_FULL_PARAMETERS), "response_format json_object (Claude has no JSON mode)"),
    "reasoning": (lambda m: m.chats and "reasoning" in m.capabilities, "capability reasoning"),
    "vision": (lambda m: m.chats and "image" in m.capabilities, "capability image"),
    "parallel_tools": (_chat_of(_NOT_GEMINI, "tools-use"), "tools-use, parallel_tool_calls (Gemini lacks it)"),
    "logprobs": (_chat_of(_FULL_PARAMETERS), "logprobs (000's table: Gemini and Claude lack them)"),
    "reasoning_text": (_chat_of(_NOT_OPENAI, "reasoning"), "reasoning whose provider returns message.reasoning "
                                                            "(OpenAI's never does)"),
    "count": (lambda m: m.chats and m.provider != "claude", "/chat/count (001: Claude is not supported)"),
    "uncountable": (lambda m: m.chats and m.provider == "claude", "/chat/count must refuse Claude (001)"),
    "audio_input": (_chat_of(_NOT_CLAUDE), "an input_audio part (the Messages API has no audio block)"),
    "audio_input_unsupported": (lambda m: m.chats and m.provider == "claude", "must refuse input_audio (Claude)"),
    "embedding": (lambda m: "embeddings" in m.capabilities, "capability embeddings"),
    "speech": (lambda m: "speech" in m.capabilities, "capability speech"),
    "transcription": (lambda m: "transcription" in m.capabilities, "capability transcription"),
}


@dataclass(frozen=True)
class Catalogue:
    """What `GET /models` said: the models (None when the answer is no usable catalogue) and why."""

    models: tuple[CatalogueModel, ...] | None
    evidence: str  # e.g. "GET /models -> 200, 13 models with provider and capabilities"

    def models_by_key(self) -> dict[str, tuple[str, ...]]:
        """Every `[models]` key with its models, one per provider in catalogue order (speech and transcription
        by the same provider order, so a speech model's WAV goes to a transcriber of its provider); a key no
        model fits maps to () and its tests skip naming it."""
        chosen: dict[str, tuple[str, ...]] = {}
        for key, (rule, _) in KEY_RULES.items():
            per_provider: dict[str, str] = {}
            for model in self.models or ():
                if rule(model):
                    per_provider.setdefault(model.provider, model.id)
            chosen[key] = tuple(per_provider.values())
        chosen["stream"] = chosen["chat"][:1]
        return chosen


def parse_catalogue(body: Any) -> tuple[CatalogueModel, ...] | None:
    """The models of a `ModelList` body whose entries say their provider and capabilities, or None."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not data:
        return None
    models = []
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
            return None
        capabilities, provider = entry.get("capabilities"), entry.get("provider")
        if not isinstance(capabilities, list) or not isinstance(provider, str):
            return None
        limits = {key: entry[key] for key in LIMITS if isinstance(entry.get(key), int)}
        models.append(CatalogueModel(entry["id"], provider, frozenset(str(c) for c in capabilities), limits))
    return tuple(models)


def discover(probe: Probe, target: Target) -> Catalogue:
    """Read the target's catalogue (`GET /models` with its credentials); never raises for a bad answer."""
    if not target.base_url:
        return Catalogue(None, "no AI API base URL")
    try:
        exchange = probe.send("ai", target.base_url, "GET", "/models", headers=target.auth_headers())
    except TargetUnreachable as error:
        return Catalogue(None, f"GET /models failed: {error.reason}")
    where = f"GET /models -> {exchange.status}"
    if exchange.status != 200:
        return Catalogue(None, f"{where}: no catalogue")
    try:
        models = parse_catalogue(exchange.json)
    except ValueError:
        return Catalogue(None, f"{where}, not JSON: no catalogue")
    if models is None:
        return Catalogue(None, f"{where}, but its models do not say their provider and capabilities")
    return Catalogue(models, f"{where}, {len(models)} models with provider and capabilities")


def with_discovered_models(target: Target, catalogue: Catalogue) -> Target:
    """`target` with `[models]` from the catalogue (keys already set keep theirs); unchanged without one."""
    if catalogue.models is None:
        return target
    lists = {**catalogue.models_by_key(), **target.model_lists}
    singles = {key: ids[0] for key, ids in lists.items() if ids}
    for key, model in target.models.items():  # a single ID given for a key wins over the discovered list
        singles[key] = model
        if key not in target.model_lists:
            lists.pop(key, None)
    return replace(target, models=singles, model_lists=lists)


def live_target(base_url: str) -> Target:
    """The target of `aigw check --base-url` without a target file: every feature declared, nothing of the
    reference's (no models, client limits, restricted tokens, second tenant or mock journals), named by the base
    URL's host (with its port when it has one)."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(f"the base URL must be an http(s) URL such as https://host/api/ai/v1, got {base_url!r}")
    try:
        port = parts.port
    except ValueError as error:
        raise TargetError(f"the base URL {base_url!r} has an invalid port: {error}") from error
    return Target(name=f"{parts.hostname}:{port}" if port else parts.hostname)
