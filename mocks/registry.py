"""Which mock providers exist and how to build each one's app (providers that fail to import are skipped)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PROVIDERS = ("openai", "anthropic", "gemini", "selfhosted")
"""Every provider, in the order `aigw mocks serve` gives them ports (P, P+1, ...)."""


class ProviderUnavailable(Exception):
    """A provider that is unknown, or whose `mocks.<name>.app.create_app` cannot be imported."""


@dataclass(frozen=True)
class Provider:
    """A mock provider: `create_app(api_key=None)` builds a fresh ASGI app with its defaults (None: any key)."""

    name: str
    create_app: Callable[..., Any]

    @property
    def offset(self) -> int:
        """Its port's offset from the first port when every provider is served."""
        return PROVIDERS.index(self.name)


def load(name: str) -> Provider:
    """The provider `name`, its module imported now; raises `ProviderUnavailable` with the reason."""
    if name not in PROVIDERS:
        raise ProviderUnavailable(f"unknown provider {name!r}: expected one of {', '.join(PROVIDERS)}")
    try:
        create_app = importlib.import_module(f"aigw_conformance.mocks.{name}.app").create_app
    except Exception as error:  # a provider being written may fail in any way; it is skipped, not fatal
        raise ProviderUnavailable(f"{name}: {type(error).__name__}: {error}") from error
    if not callable(create_app):
        raise ProviderUnavailable(f"{name}: mocks.{name}.app.create_app is not callable")
    return Provider(name, create_app)


def survey() -> tuple[list[Provider], dict[str, str]]:
    """The providers that load, and the reason for each that does not."""
    found: list[Provider] = []
    missing: dict[str, str] = {}
    for name in PROVIDERS:
        try:
            found.append(load(name))
        except ProviderUnavailable as error:
            missing[name] = str(error)
    return found, missing


def available() -> list[Provider]:
    """The providers that load, in `PROVIDERS` order (openai always does)."""
    return survey()[0]
