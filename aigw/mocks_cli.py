"""`aigw mocks serve|list`: run the mock providers on their own, on 127.0.0.1."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from aigw_conformance.commands import UsageError
from aigw_conformance.mocks import registry
from aigw_conformance.mocks.core import control
from aigw_conformance.mocks.core.rules import FaultSpecError, Rule
from aigw_conformance.mocks.core.served import ModelOption
from aigw_conformance.mocks.core.server import ServerThread

DEFAULT_PORT = 9000


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `mocks` and its subcommands on the `aigw` parser."""
    mocks = sub.add_parser("mocks", help="run the mock providers on their own (serve, list)")
    actions = mocks.add_subparsers(dest="mocks_command", required=True)
    serve = actions.add_parser(
        "serve", help="serve one mock provider, or every available one on consecutive ports",
        description="Each provider listens on 127.0.0.1 at its own root URL. With --provider it gets --port; "
        "without, every available provider gets --port plus its place in `aigw mocks list` (openai +0, "
        "anthropic +1, gemini +2, selfhosted +3). Port 0 picks free ports. Control endpoints on every mock: "
        "/__mock__/faults, /__mock__/journal, /__mock__/reset.",
    )
    serve.add_argument("--provider", action="append", default=[], help="serve only this provider (repeatable)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"first port (default {DEFAULT_PORT})")
    serve.add_argument("--ttft-ms", type=int, help="default time to first stream event, in ms")
    serve.add_argument("--itl-ms", type=int, help="default delay before each later token event, in ms")
    serve.add_argument("--api-key", help="the only API key the mocks accept, in each provider's own header "
                       "(default: any non-empty one); give it to `aigw serve --provider-key NAME=KEY`")
    serve.add_argument("--model", action="append", default=[], metavar="NAME[:MAX_TOKENS]",
                       help="list this model (repeatable; instead of each mock's own catalogue), with the largest "
                       "output it accepts; any other name is still served, with the provider's default limits")
    serve.add_argument("--strict-models", action="store_true",
                       help="refuse a model that is not listed, with the provider's own 404, as the real API does")
    serve.add_argument("--lenient-reasoning", action="store_true",
                       help="let OpenAI's reasoning models take stop, logprobs, top_p and temperature != 1, and "
                       "Claude 4.5 temperature with top_p (the real ones refuse them; so do the mocks by default)")
    serve.add_argument("--deterministic-ids", action="store_true",
                       help="derive each answer's id (and created) from the request, so identical requests get "
                       "identical bytes (golden tests); by default every answer gets a fresh id and the current time, "
                       "as a real provider's")
    actions.add_parser("list", help="list the mock providers and whether each is available")


def run(args: argparse.Namespace) -> int:
    return serve(args) if args.mocks_command == "serve" else list_providers()


def list_providers() -> int:
    found, missing = registry.survey()
    names = {p.name for p in found}
    for name in registry.PROVIDERS:
        print(f"{name}\tavailable" if name in names else f"{name}\tunavailable\t{missing[name]}")
    return 0


def _providers(names: list[str]) -> list[registry.Provider]:
    if not names:
        return registry.available()
    try:
        return [registry.load(name) for name in dict.fromkeys(names)]
    except registry.ProviderUnavailable as error:
        raise UsageError(str(error)) from error


def _latency(args: argparse.Namespace) -> dict[str, Any] | None:
    if args.ttft_ms is None and args.itl_ms is None:
        return None
    spec = {"kind": "latency", "ttft_ms": args.ttft_ms or 0, "itl_ms": args.itl_ms or 0}
    try:
        Rule.parse(spec, 0)
    except FaultSpecError as error:
        raise UsageError(f"--ttft-ms/--itl-ms: {error}") from error
    return spec


def _models(args: argparse.Namespace) -> list[ModelOption] | None:
    try:
        return [ModelOption.parse(text) for text in getattr(args, "model", [])] or None
    except ValueError as error:
        raise UsageError(str(error)) from error


def _app_options(provider: registry.Provider, args: argparse.Namespace | None) -> dict[str, Any]:
    """The keyword arguments of `provider.create_app` that the model flags set."""
    if args is None:
        return {}
    options: dict[str, Any] = {"strict_models": bool(getattr(args, "strict_models", False))}
    if (models := _models(args)) is not None:
        options["models"] = models
    if getattr(args, "deterministic_ids", False):
        options["deterministic_ids"] = True
    if provider.name in ("openai", "anthropic") and getattr(args, "lenient_reasoning", False):
        options["reasoning_limits"] = False
    return options


def _start(providers: list[registry.Provider], port: int, latency: dict[str, Any] | None,
           api_key: str | None = None, args: argparse.Namespace | None = None) -> list[ServerThread]:
    servers: list[ServerThread] = []
    try:
        for provider in providers:
            app = provider.create_app(api_key, **_app_options(provider, args))
            if latency is not None:
                if (controller := control.controller_of(app)) is None:
                    print(f"{provider.name}: no control endpoint; --ttft-ms/--itl-ms ignored", file=sys.stderr)
                else:
                    controller.rules.add(latency, default=True)
            offset = provider.offset if port and len(providers) > 1 else 0
            servers.append(ServerThread(app, port and port + offset, name=f"{provider.name}-mock"))
            servers[-1].start()
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


def serve(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535 - len(registry.PROVIDERS):
        raise UsageError(f"--port must be from 0 to {65535 - len(registry.PROVIDERS)}")
    if getattr(args, "api_key", None) is not None and not args.api_key.strip():
        raise UsageError("--api-key must not be empty")
    providers, latency = _providers(args.provider), _latency(args)
    _models(args)  # a malformed --model is a usage error before anything listens
    try:
        servers = _start(providers, args.port, latency, getattr(args, "api_key", None), args)
    except OSError as error:
        raise UsageError(f"cannot listen on 127.0.0.1: {error}") from error
    stop = threading.Event()
    previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        for provider, server in zip(providers, servers, strict=True):
            print(f"{provider.name:<11} {server.base_url}")
        if latency is not None:
            print(f"latency     ttft {latency['ttft_ms']} ms, itl {latency['itl_ms']} ms (default fault)")
        print("control     <url>/__mock__/faults, <url>/__mock__/journal, <url>/__mock__/reset")
        print("press Ctrl-C to stop", flush=True)
        stop.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for server in servers:
            server.stop()
    return 0
