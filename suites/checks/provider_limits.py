"""Check that a provider's rate limit reaches the client gateway's caller as 002's 429, with its Retry-After."""

from __future__ import annotations

from aigw_conformance.suites.checks.preconditions import is_chat, on_client_api
from aigw_conformance.suites.checks.registry import check, fail, requires
from aigw_conformance.suites.exchange import Exchange

QUOTE = "002: '| 429 | Rate limit or quota exceeded |'"


@check("client.provider_429_relayed", auto=False, inferred=True)
@requires(on_client_api)
@requires(is_chat)
def provider_429_relayed(exchange: Exchange) -> None:
    """A provider's 429 gives 429, with `Retry-After` when the provider sent one (context `retry_after`)."""
    sent = exchange.context.get("retry_after")
    if exchange.status != 429:
        raise fail(f"the provider answered 429 (its rate limit) and the gateway answered {exchange.status}: a caller "
                   f"told 'server error' retries at once or gives up, instead of backing off ({QUOTE}; that a "
                   "provider's rate limit is one is our reading: 002 lists no other status for it)")
    given = exchange.headers.get("retry-after")
    if sent is not None and not given:
        raise fail(f"the provider's 429 carried Retry-After: {sent} and the gateway's 429 carries none: the caller "
                   "cannot tell when to retry (convention: OpenAI's and every provider's 429 carry Retry-After)")
    if sent is not None and given is not None and given.strip().isdigit() and int(given) < int(sent):
        raise fail(f"the gateway's Retry-After: {given} is shorter than the provider's {sent}: a caller that obeys it "
                   "meets the provider's limit again")
