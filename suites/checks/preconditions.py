"""Predicates on an exchange that decide whether a check applies to it."""

from __future__ import annotations

from aigw_conformance.suites.exchange import Exchange


def is_error(exchange: Exchange) -> bool:
    return exchange.status >= 400


def on_ai_api(exchange: Exchange) -> bool:
    return exchange.api == "ai"


def on_client_api(exchange: Exchange) -> bool:
    return exchange.api == "client"


def no_injected_fault(exchange: Exchange) -> bool:
    """The test did not make the upstream fail on purpose (`context["injected_fault"]`): an answer to a provoked
    provider failure may use a status the documents do not list (002 has none for a failing provider)."""
    return not exchange.context.get("injected_fault")


def is_chat(exchange: Exchange) -> bool:
    """A chat completion request, on either API: both serve it at `POST /chat/completions` below their base."""
    return exchange.operation == "POST /chat/completions"


def is_stream_reply(exchange: Exchange) -> bool:
    """A successful reply to a chat request that asked for `stream: true`."""
    return is_chat(exchange) and exchange.stream_requested and exchange.status == 200


def is_json_chat_reply(exchange: Exchange) -> bool:
    return is_chat(exchange) and not exchange.stream_requested and exchange.status == 200


def is_models_list(exchange: Exchange) -> bool:
    return exchange.operation == "GET /models" and exchange.status == 200


def is_models_retrieve(exchange: Exchange) -> bool:
    return exchange.operation.startswith("GET /models/") and exchange.status == 200


def has_sse_events(exchange: Exchange) -> bool:
    """A stream reply whose body has at least one event, so per-chunk checks have something to read."""
    return is_stream_reply(exchange) and bool(exchange.sse.events)
