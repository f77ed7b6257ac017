"""The pytest plugin (entry point `pytest11`): its options only; it does nothing unless `pytest --aigw` is given."""

from __future__ import annotations

import pytest

# Kept light on purpose: every pytest run in an environment with aigw-conformance installed imports this module, so
# the suite, the reference and the report writers are imported only once `--aigw` asks for them.


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("aigw", "aigw-conformance: the gateway conformance tests as pytest items (--aigw)")
    group.addoption("--aigw", action="store_true", default=False,
                    help="collect the aigw conformance tests (items aigw::<test id>); without --aigw-base-url or "
                         "--aigw-client-base-url (or a target file naming one) the bundled reference is started "
                         "once for the run")
    group.addoption("--aigw-target", metavar="FILE", help="TOML target file (default: the bundled reference's)")
    group.addoption("--aigw-base-url", metavar="URL", help="AI API base, e.g. https://host/api/ai/v1")
    group.addoption("--aigw-client-base-url", metavar="URL", help="client gateway base, e.g. https://host/api/client/v1")
    group.addoption("--aigw-token", metavar="TOKEN", help="bearer token (default: $AIGW_TOKEN)")
    group.addoption("--aigw-api-key", metavar="KEY", help="api-key, with --aigw-api-secret (default: $AIGW_API_KEY)")
    group.addoption("--aigw-api-secret", metavar="SECRET", help="api-secret (default: $AIGW_API_SECRET)")
    group.addoption("--aigw-client-token", metavar="TOKEN",
                    help="client gateway API token, cgt_... (default: $AIGW_CLIENT_TOKEN)")
    group.addoption("--aigw-model", metavar="MODEL", help="model ID to use for chat (overrides [models] chat)")
    group.addoption("--aigw-examples", type=int, metavar="N", help="schemathesis examples per operation and mode")
    group.addoption("--aigw-timeout", type=float, metavar="S", help="per-request timeout in seconds")
    group.addoption("--aigw-max-run-s", type=float, metavar="S",
                    help="wall-clock budget of the conformance tests, as `aigw check --max-run-s` (default: 120 s "
                         "plus 4 request timeouts per collected conformance test); tests started after it fail")
    group.addoption("--aigw-header", action="append", default=[], metavar="'NAME: VALUE'",
                    help="extra header on every request (routing headers; repeatable), as `aigw check --header`")
    group.addoption("--aigw-name", metavar="NAME", help="the target's name in the reports (default: the host)")
    group.addoption("--aigw-defect", action="append", default=[], metavar="NAME",
                    help="start the reference with this defect (see `aigw defects`); repeatable")
    group.addoption("--aigw-quirk", action="append", default=[], metavar="NAME",
                    help="start the reference with this legal wire variation (crlf, comments); repeatable")
    group.addoption("--aigw-report-dir", metavar="DIR",
                    help="also write aigw check's reports (report.json, junit.xml, report.md, report.html) here")
    group.addoption("--aigw-strict", action="store_true", default=False,
                    help="a test failing only on inferred spec elements fails (default: xfail, as aigw check "
                         "does not fail the run for it without --strict)")


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("aigw"):
        return
    from aigw_conformance.pytest_items import register_markers
    from aigw_conformance.pytest_session import AigwSession

    register_markers(config)
    config.pluginmanager.register(AigwSession(config), AigwSession.NAME)
