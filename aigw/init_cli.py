"""`aigw init`: probe a live gateway and write a starter target file with the evidence as comments."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from aigw_conformance.commands import TargetDown, UsageError, _with_credentials
from aigw_conformance.init_probes import Finding, Prober, probe_features
from aigw_conformance.preflight import PreflightFailed, preflight
from aigw_conformance.suites.discovery import KEY_RULES, Catalogue, discover, live_target, with_discovered_models
from aigw_conformance.suites.exchange import Probe
from aigw_conformance.suites.features import Feature
from aigw_conformance.suites.headers import HeaderError, parse_header_lines
from aigw_conformance.suites.target import Target, TargetError

# Features no probe decides: the documented contract, or tests that skip by themselves without their keys.
ALWAYS = {
    Feature.CHAT: "the documented contract", Feature.PARAMETER_VALIDATION: "the documented contract",
    Feature.SCHEMA_FUZZING: "the documented contract", Feature.SDK_PROBES: "the documented contract",
    Feature.BEARER_AUTH: "skipped without a token (--token)",
    Feature.API_KEY_AUTH: "skipped without a key pair (--api-key, --api-secret)",
    Feature.PERMISSIONS: "skipped without [auth.restricted] / [auth.restricted_models]",
    Feature.TOOLS: "runs on [models] tools", Feature.STRUCTURED_OUTPUT: "runs on [models] structured, json_object",
    Feature.REASONING: "runs on [models] reasoning", Feature.VISION: "runs on [models] vision",
    Feature.AUDIO_INPUT: "runs on [models] audio_input", Feature.UPSTREAM_JOURNAL: "skipped without [upstream]",
    Feature.UPSTREAM_FAULTS: "skipped without [upstream]",
}
CLIENT_KEYS = """\
# Not detectable by a probe (skipped, naming the key, while unset):
# token = "cgt_..."            # or --client-token
# limited_token = "cgt_..."    # a token of its own with a small rate limit, and that limit:
# rate_limit = 5
# quota_token = "cgt_..."      # a token whose quota one request uses up
# output_pii_hook = "..."      # a request header making the gateway put PII into its output
# fault_header = "..."         # a header forwarded upstream that makes the provider answer its value
# breaker_threshold = 5        # provider failures in a row that open the circuit breaker
"""
AUTH_KEYS = """\
# Credentials are not written here: give them to aigw check (--token, or --api-key and --api-secret), or as
# $AIGW_TOKEN / $AIGW_API_KEY + $AIGW_API_SECRET, or here as token = "${MY_TOKEN_VARIABLE}".
# Not detectable by a probe (the tests that need them are skipped, naming the key, while unset):
# [auth.second_tenant]      # another tenant's token (data-store isolation)
# token = "..."
# [auth.restricted]         # a valid token without AI API access (403 tests)
# token = "..."
# [auth.restricted_models]  # a valid token allowed only `allowed`, not `denied`
# token = "..."
# allowed = "..."
# denied = "..."
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = sub.add_parser("init", help="probe a live gateway and write a starter target file")
    init.add_argument("--base-url", required=True, help="AI API base, e.g. https://host/api/ai/v1")
    init.add_argument("--client-base-url", help="client gateway base, e.g. https://host/api/client/v1")
    init.add_argument("--client-token", help="client gateway API token, checked by the preflight (not written)")
    init.add_argument("--token", help="bearer token (used for the probes, not written to the file)")
    init.add_argument("--api-key", help="api-key (with --api-secret; not written to the file)")
    init.add_argument("--api-secret", help="api-secret (with --api-key; not written to the file)")
    init.add_argument("--model", help="chat model when the gateway has no model catalogue (GET /models)")
    init.add_argument("--name", help="the target's name in reports (default: the base URL's host)")
    init.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'",
                      help="extra header on every probe (routing headers; not written to the file: give them to "
                           "aigw check too, or in its [headers] table); repeatable")
    init.add_argument("--out", default="aigw-target.toml", help="file to write (default: aigw-target.toml)")
    init.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    init.add_argument("--timeout", type=float, dest="timeout_s", default=30.0, help="per-request timeout (s)")


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not args.force:
        raise UsageError(f"{out} exists; give --force to overwrite it, or another --out")
    if not out.parent.is_dir():
        raise UsageError(f"cannot write {out}: {out.parent} is not a directory")
    if (args.api_key is None) != (args.api_secret is None):
        raise UsageError("--api-key and --api-secret go together")
    if not 0 < args.timeout_s < float("inf"):
        raise UsageError(f"--timeout must be a positive number of seconds, got {args.timeout_s}")
    try:
        target = _with_credentials(live_target(args.base_url).with_overrides(
            base_url=args.base_url, client_base_url=args.client_base_url, model=args.model, name=args.name,
            timeout_s=args.timeout_s, headers=parse_header_lines(args.header) or None), args)
        notes = preflight(target)
    except (TargetError, HeaderError) as error:
        raise UsageError(str(error)) from error
    except PreflightFailed as failed:
        raise (TargetDown if failed.exit_code == 3 else UsageError)(str(failed)) from failed
    probe = Probe(timeout_s=target.timeout_s, extra_headers=dict(target.headers))
    try:
        catalogue = discover(probe, target)
        if catalogue.models is None and not args.model:
            raise UsageError(f"no model catalogue ({catalogue.evidence}): give --model, the chat model to test")
        target = with_discovered_models(target, catalogue)
        findings = probe_features(Prober(target, probe, catalogue))
    finally:
        probe.close()
    try:
        out.write_text(render(target, catalogue, findings, notes), encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {out}: {error}") from error
    for finding in findings:
        print(f"{'yes ' if finding.supported else 'no  '} {finding.feature.value:<20} {finding.evidence}")
    print(f"\nwrote {out}; next: aigw check --target {out}" + (" --token ..." if args.token else "") + (
        " --api-key ... --api-secret ..." if args.api_key else ""))
    return 0


def _q(value: str) -> str:
    return json.dumps(value)


def _models_section(target: Target, catalogue: Catalogue) -> list[str]:
    lines = ["[models]"]
    if catalogue.models is None:
        lines.append(f"# No catalogue ({catalogue.evidence}): every test uses --model; list more per key if any.")
        return [*lines, f"chat = {_q(target.models['chat'])}"]
    lines.append(f"# From the catalogue ({catalogue.evidence}), one model per provider and key. An empty list")
    lines.append("# means no model fits: those tests are skipped, naming the key.")
    for key, (_, why) in KEY_RULES.items():
        ids = target.models_for(key, fallback=False)
        lines.append(f"{key} = [{', '.join(_q(i) for i in ids)}]  # {why}")
    for model in catalogue.models:
        limits = ", ".join(f"{k} {v}" for k, v in model.limits.items())
        lines.append(f"#   {model.id}: {model.provider}; {', '.join(sorted(model.capabilities))}"
                     + (f"; {limits}" if limits else ""))
    lines.append("# Client gateway model keys (configured in its dashboard; not detectable):")
    lines.append('# client_chat = "..."\n# client_non_llm = "..."\n# client_breaker = "..."')
    return lines


def _features_section(findings: list[Finding]) -> list[str]:
    probed = {finding.feature: finding for finding in findings}
    lines = ["[features]", "# Each feature with the evidence from aigw init's probes, or why it is declared anyway.",
             "supported = ["]
    for feature in Feature:
        found = probed.get(feature)
        if found is None or found.supported:
            why = found.evidence if found else ALWAYS.get(feature, "the client gateway (needs --client-base-url)")
            lines.append(f"    {_q(feature.value)},  # {why}")
    lines += ["]", "", "[features.exempt]",
              "# Detected absences: each is reported as exempt with this reason. Review them: an absence of a"
              " documented", "# feature is a finding about the gateway, not about the harness."]
    lines += [f"{_q(f.feature.value)} = {_q(f.evidence)}" for f in findings if not f.supported]
    return lines


def render(target: Target, catalogue: Catalogue, findings: list[Finding], notes: list[str]) -> str:
    """The starter target file: TOML that load_target reads, with every decision explained in a comment."""
    lines = [f"# Written by aigw init from probes of {target.base_url}.", *(f"# note: {note}" for note in notes),
             "# Run: aigw check --target THIS_FILE --token ... (or --api-key ... --api-secret ...)",
             f"name = {_q(target.name)}", "", "[api]", f"base_url = {_q(target.base_url or '')}", "", "[client]"]
    if target.client_base_url:
        lines.append(f"base_url = {_q(target.client_base_url)}")
    lines += [CLIENT_KEYS, "[auth]", AUTH_KEYS, *_models_section(target, catalogue), "",
              *_features_section(findings), "", "[upstream]",
              "# When the gateway runs over aigw's mock providers: each mock's root (ai-translation reads journals)",
              '# openai = "http://127.0.0.1:9001"', "", "[timeouts]", f"request_s = {target.timeout_s:g}", ""]
    return "\n".join(lines)
