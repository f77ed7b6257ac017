"""`aigw serve --provider-url NAME=URL` and `--provider-key NAME=KEY`: where each provider is, and its key."""

from __future__ import annotations

import os

from aigw_conformance.mocks.reference.stack import provider_base

# The environment variable holding each provider's API key, read when the provider is given a --provider-url
PROVIDER_KEY_ENV = {"openai": "OPENAI_API_KEY", "claude": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY",
                    "threatwinds": "THREATWINDS_API_KEY"}


def provider_urls(pairs: list[str]) -> dict[str, str]:
    """`--provider-url NAME=URL` values as {provider: upstream base URL}; ValueError naming the bad one."""
    urls: dict[str, str] = {}
    for pair in pairs:
        name, sep, url = (part.strip() for part in pair.partition("="))
        if not sep or not name or not url:
            raise ValueError(f"--provider-url expects NAME=URL (e.g. openai=http://127.0.0.1:9001), got {pair!r}")
        if name in urls:
            raise ValueError(f"--provider-url {name} is given twice")
        try:
            urls[name] = provider_base(name, url)
        except ValueError as error:
            raise ValueError(f"--provider-url {pair}: {error}") from None
    return urls


def provider_keys(pairs: list[str], urls: dict[str, str]) -> dict[str, tuple[str, str]]:
    """{provider: (key, where it came from)} for the providers given a URL: `--provider-key NAME=KEY`, else the
    provider's environment variable; a provider with neither keeps the bundled mocks' key."""
    given: dict[str, str] = {}
    for pair in pairs:
        name, sep, key = pair.partition("=")
        name, key = name.strip(), key.strip()
        if not sep or not name or not key:
            raise ValueError(f"--provider-key expects NAME=KEY (e.g. openai=sk-...), got {name or pair!r}=...")
        if name not in urls:
            raise ValueError(f"--provider-key {name} needs --provider-url {name}=URL: the bundled mocks accept "
                             "only the gateway's own key")
        if name in given:
            raise ValueError(f"--provider-key {name} is given twice")
        given[name] = key
    keys = {name: (key, "--provider-key") for name, key in given.items()}
    for name in urls.keys() - given.keys():
        variable = PROVIDER_KEY_ENV.get(name, "")
        if key := os.environ.get(variable, "").strip():
            keys[name] = (key, f"${variable}")
    return keys
