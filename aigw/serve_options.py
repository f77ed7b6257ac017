"""`aigw serve`'s credentials and connection limits: which credentials work, the flags, what is printed."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from aigw_conformance.mocks.core.serverlimits import ServerLimits, open_file_limit
from aigw_conformance.mocks.reference.stack import ReferenceStack

DEFAULTS = ServerLimits()
# The built-in credentials besides the primary ones: a second tenant's, restricted ones (000/001's 403s).
# With any credential flag they are off unless --dev-credentials.
BUILT_IN_EXTRAS: dict[str, Any] = {"tenants": {}, "tenant_keys": {}, "no_access_tokens": (), "token_models": {}}


def add_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--client-token", action="append", default=[], metavar="TOKEN",
                       help="client gateway API token to accept (repeatable; default: cgt_dev-token)")
    serve.add_argument("--dev-credentials", action="store_true",
                       help="keep the built-in development credentials (second tenant, restricted tokens, and the "
                            "default of every credential no flag gives) next to those given; without any credential "
                            "flag they are on anyway; every accepted credential is printed")
    limits = serve.add_argument_group("limits per client (the reference is meant to face untrusted traffic)")
    limits.add_argument("--max-connections", type=int, default=DEFAULTS.max_connections, metavar="N",
                        help="open client connections; at the cap a new one closes the one idle (or still sending "
                             f"its request head) longest, or gets 503 (default {DEFAULTS.max_connections}; lowered "
                             "to what the open-file limit allows)")
    limits.add_argument("--header-timeout", type=float, default=DEFAULTS.header_timeout_s, metavar="S",
                        help=f"seconds to send a request head, else 408 (default {DEFAULTS.header_timeout_s:g})")
    limits.add_argument("--body-timeout", type=float, default=DEFAULTS.body_timeout_s, metavar="S",
                        help=f"seconds to send a request body, else 408 (default {DEFAULTS.body_timeout_s:g})")
    limits.add_argument("--max-header-bytes", type=int, default=DEFAULTS.max_header_bytes, metavar="N",
                        help=f"request line and headers, else 431 (default {DEFAULTS.max_header_bytes})")
    limits.add_argument("--max-headers", type=int, default=DEFAULTS.max_headers, metavar="N",
                        help=f"header fields, else 431 (default {DEFAULTS.max_headers})")
    limits.add_argument("--max-body-bytes", type=int, metavar="N",
                        help="request body, else 413 (default 33554432, 32 MiB)")


def credentials(args: argparse.Namespace) -> dict[str, Any]:
    """GatewaySettings fields for the credential flags: with any of them, only the credentials given work (an
    empty primary credential accepts nothing), unless --dev-credentials keeps the built-in ones too."""
    given = {"token": args.token, "api_key": args.api_key, "api_secret": args.api_secret}
    if (args.api_key is None) != (args.api_secret is None):
        raise ValueError("--api-key and --api-secret go together")
    if any(value is not None and not value.strip() for value in [*given.values(), *args.client_token]):
        raise ValueError("credentials must be non-empty")
    settings: dict[str, Any] = {key: value for key, value in given.items() if value is not None}
    if args.client_token:
        settings["client_tokens"] = tuple(args.client_token)
    if settings and not args.dev_credentials:
        settings = {"token": "", "api_key": "", "api_secret": "", "client_tokens": (), **BUILT_IN_EXTRAS, **settings}
    return settings


def server_limits(args: argparse.Namespace) -> tuple[ServerLimits, dict[str, Any]]:
    """The connection limits, and GatewaySettings fields (the body size limit), of the limit flags."""
    try:
        limits = ServerLimits(max_connections=args.max_connections, header_timeout_s=args.header_timeout,
                              body_timeout_s=args.body_timeout, max_header_bytes=args.max_header_bytes,
                              max_headers=args.max_headers)
    except ValueError:
        raise ValueError("--max-connections, --header-timeout, --body-timeout, --max-header-bytes and "
                         "--max-headers must be positive and finite") from None
    if args.max_body_bytes is not None and args.max_body_bytes <= 0:
        raise ValueError(f"--max-body-bytes must be positive, got {args.max_body_bytes}")
    return limits, {} if args.max_body_bytes is None else {"max_body_bytes": args.max_body_bytes}


def raise_open_file_limit(limits: ServerLimits) -> None:
    """Raise the soft open-file limit (towards the hard one) so `limits.max_connections` fits, where allowed."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to raise
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = limits.open_files_wanted()
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):  # else the cap is lowered to fit (connection_cap)
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted if hard == resource.RLIM_INFINITY
                                                        else min(wanted, hard), hard))


def limit_lines(limits: ServerLimits, max_body_bytes: int) -> list[str]:
    cap = limits.connection_cap()
    lowered = f" (--max-connections {limits.max_connections} lowered: ulimit -n is {open_file_limit()})" \
        if cap < limits.max_connections else ""
    return [f"connections        at most {cap}{lowered}",
            f"request head       {limits.max_header_bytes} bytes, {limits.max_headers} fields, within "
            f"{limits.header_timeout_s:g} s",
            f"request body       {max_body_bytes} bytes, within {limits.body_timeout_s:g} s"]


def credential_lines(stack: ReferenceStack, dev: bool) -> list[str]:
    """Every credential the gateway accepts, one line each; "-" where a scheme accepts none."""
    settings = stack.settings
    lines = [f"bearer token       {settings.token or '-'}",
             f"api-key/secret     {settings.api_key or '-'} / {settings.api_secret or '-'}"]
    lines += [f"{'2nd tenant token':<19}{token}   (tenant {tenant}; target file: [auth.second_tenant] token)"
              for token, tenant in settings.tenants.items()]
    lines += [f"{'2nd tenant key':<19}{key} / {secret}   (tenant {tenant})"
              for key, (secret, tenant) in settings.tenant_keys.items()]
    lines += [f"{'restricted token':<19}{token}   (no AI API access: 403)" for token in settings.no_access_tokens]
    lines += [f"{'restricted token':<19}{token}   (only {', '.join(models) or 'no model'}; other models 403)"
              for token, models in settings.token_models.items()]
    lines += [f"{'client API token':<19}{token}" for token in settings.client_tokens] or \
             ["client API token   -   (none given: the client gateway refuses every request; --client-token)"]
    if dev:
        lines.append("                   built-in development credentials: publicly known; give --token, "
                     "--api-key/--api-secret, --client-token for real traffic")
    return lines
