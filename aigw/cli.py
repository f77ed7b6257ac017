"""Command-line entry point: parse arguments and dispatch to the subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from aigw_conformance import (
    commands,
    exit_codes,
    init_cli,
    load_chaos_cli,
    load_cli,
    mocks_cli,
    report_cli,
    serve_options,
)
from aigw_conformance.suites.runner import TOOL_VERSION
from aigw_conformance.suites.selection import EmptySelection


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("target (a live deployment; without --base-url the reference is started)")
    group.add_argument("--target", type=str, help="TOML target file (default: the bundled reference's)")
    group.add_argument("--base-url", help="AI API base, e.g. https://host/api/ai/v1")
    group.add_argument("--client-base-url", help="client gateway base, e.g. https://host/api/client/v1")
    group.add_argument("--token", help="bearer token (default: $AIGW_TOKEN, then [auth] token)")
    group.add_argument("--api-key", help="api-key, used with --api-secret (default: $AIGW_API_KEY)")
    group.add_argument("--api-secret", help="api-secret, used with --api-key (default: $AIGW_API_SECRET)")
    group.add_argument("--client-token", help="client gateway API token, cgt_... (default: $AIGW_CLIENT_TOKEN)")
    group.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'",
                       help="send this header on every request (routing: provider, upstream host, virtual key; "
                            "adds to and overrides [headers]); never written to the reports; repeatable")
    group.add_argument("--model", help="model ID to use for chat (overrides [models] chat)")
    group.add_argument("--name", help="the target's name in reports (default: the target file's, else the base "
                       "URL's host)")
    group.add_argument("--examples", type=int, help="schemathesis examples per operation and mode")
    group.add_argument("--timeout", type=float, dest="timeout_s", help="per-request timeout in seconds")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aigw", description="Conformance harness and mock providers for OpenAI-compatible AI gateways.",
        epilog=exit_codes.epilog(), formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {TOOL_VERSION}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="start the reference gateway and its mock providers on 127.0.0.1")
    serve.add_argument("--port", type=int, default=8080, help="gateway port (0 picks a free one)")
    serve.add_argument("--token", help="bearer token to accept (default: dev-token); with any credential flag, "
                       "only the credentials given work (see --dev-credentials)")
    serve.add_argument("--api-key", help="api-key to accept, with --api-secret (default: dev-key)")
    serve.add_argument("--api-secret", help="api-secret to accept, with --api-key (default: dev-secret)")
    serve.add_argument("--defect", action="append", default=[], help="switch on a defect (see `aigw defects`)")
    serve.add_argument("--quirk", action="append", default=[], help="legal wire variation: crlf, comments")
    serve.add_argument("--provider-url", action="append", default=[], metavar="NAME=URL",
                       help="send provider NAME's traffic (openai, gemini, claude, threatwinds) to URL instead of "
                            "the bundled mock: a separately started mock's root (http://127.0.0.1:9001) or an API "
                            "base (https://api.openai.com/v1); repeatable")
    serve.add_argument("--provider-key", action="append", default=[], metavar="NAME=KEY",
                       help="the API key the gateway sends to provider NAME given by --provider-url (in the "
                            "provider's own header); default: $OPENAI_API_KEY, $ANTHROPIC_API_KEY (claude), "
                            "$GEMINI_API_KEY, $THREATWINDS_API_KEY, else the bundled mocks' key; repeatable")
    serve.add_argument("--upstream-timeout", type=float, metavar="S",
                       help="seconds the gateway waits for a provider's answer, or for its next stream event, "
                            "before the documented 500 or an in-stream error event (default: 30)")
    serve.add_argument("--store", metavar="PATH", help="keep the data store in this SQLite file, across restarts "
                       "(default: in memory, lost when the gateway stops)")
    serve.add_argument("--test-hooks", action="store_true", help="forward the x-mock-* request headers to the "
                       "mocks and honour x-aigw-test-output-pii (test use only: any client could then fail a "
                       "provider and open its breaker for everyone)")
    serve_options.add_options(serve)

    check = sub.add_parser("check", help="run the conformance suite and write the reports",
                           epilog=exit_codes.epilog("check"), formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_target_options(check)
    check.add_argument("--report-dir", default="reports/latest", help="where report.json, junit.xml, "
                       "report.md and report.html go (default: reports/latest)")
    check.add_argument("--profile", action="append", default=[], metavar="PATTERN",
                       help="run only this profile: a name or glob ('ai-*'), '!NAME' excludes (repeatable)")
    check.add_argument("--test", action="append", default=[], metavar="PATTERN",
                       help="run only tests whose id starts with this or matches this glob ('chat.*'); "
                            "'!PATTERN' excludes ('!chat.n*'); repeatable, or comma-separated")
    check.add_argument("-x", "--exitfirst", action="store_true", help="stop after the first failed test")
    check.add_argument("--max-run-s", type=float, metavar="S", help="wall-clock budget of the whole run: no "
                       "request outlasts it, and the tests it leaves unrun fail the run by name (default: 120 s plus "
                       "4 request timeouts per selected test, plus the deep run's budget)")
    check.add_argument("--defect", action="append", default=[], help="start the reference with this defect")
    check.add_argument("--quirk", action="append", default=[], help="start the reference with this quirk")
    check.add_argument("--quiet", action="store_true", help="print only the summary and the failed tests")
    check.add_argument("--strict", action="store_true", help="also fail on tests that fail only on inferred "
                       "spec elements (the documents are silent on them)")
    deep = check.add_argument_group("deep fuzzing (after the selected tests; bounds default to [fuzz.deep]; "
                                    "any --deep-* flag implies --deep)")
    deep.add_argument("--deep", action="store_true", help="also run schema.deep: schemathesis over every "
                      "implemented operation of both APIs, positive and negative, until the request goal is sent")
    deep.add_argument("--deep-requests", type=int, metavar="N", help="the goal: generated requests to send "
                      "(default 10000); falling short fails the run")
    deep.add_argument("--deep-max-requests", type=int, metavar="N", help="never send more (default 12000)")
    deep.add_argument("--deep-budget-s", type=float, metavar="S", help="wall-clock budget of the deep run "
                      "(default 900)")
    deep.add_argument("--deep-seed", type=int, metavar="N", help="hypothesis seed of the first round (default 0)")

    sub.add_parser("defects", help="list the reference's defect switches and what each breaks")
    sub.add_parser("features", help="list features, profiles and conformance tests")

    selftest = sub.add_parser("selftest", help="prove every check fails on its defect and the clean "
                              "reference passes", epilog=exit_codes.epilog("selftest"),
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    selftest.add_argument("--defect", action="append", default=[], help="only these defects (default: all)")
    selftest.add_argument("--examples", type=int, help="schemathesis examples per operation and mode")
    selftest.add_argument("--report-dir", help="also write selftest.md here")
    selftest.add_argument("--jobs", type=int, default=2, help="references run at once, one process each "
                          "(default: 2)")
    mocks_cli.add_parser(sub)
    init_cli.add_parser(sub)
    load_cli.add_parser(sub)
    report_cli.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # `aigw load sweep` parses its own arguments; `aigw load chaos` is routed to the top-level `load-chaos`
    args = load_cli.subcommand(argv) or build_parser().parse_args(load_cli.routed(argv))
    handlers = {
        "serve": commands.serve, "check": commands.check, "defects": commands.defects,
        "features": commands.features, "selftest": commands.selftest,
        "mocks": mocks_cli.run, "load": load_cli.run, "load-chaos": load_chaos_cli.run, "report": report_cli.run,
        "init": init_cli.run,
    }
    try:
        return handlers[args.command](args)
    except commands.UsageError as error:
        print(f"aigw {args.command}: {error}", file=sys.stderr)
        return exit_codes.USAGE
    except commands.TargetDown as error:
        print(f"aigw {args.command}: {error}", file=sys.stderr)
        return exit_codes.UNREACHABLE
    except EmptySelection as error:
        print(f"aigw {args.command}: {error}", file=sys.stderr)
        return exit_codes.EMPTY_SELECTION
    except KeyboardInterrupt:
        return exit_codes.INTERRUPTED_SIGINT
