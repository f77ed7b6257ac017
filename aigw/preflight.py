"""Preflight: before a live run, the base answers, is the API, and takes the credentials given."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from aigw_conformance.reports.model import FailureRecord, Report, TargetInfo, TestResult
from aigw_conformance.suites.exchange import Exchange, Probe
from aigw_conformance.suites.failures import TargetUnreachable
from aigw_conformance.suites.runner import TOOL_VERSION
from aigw_conformance.suites.target import Target

PREFLIGHT_TIMEOUT_S = 10.0
MAX_SUGGESTIONS_PROBED = 4  # each costs at most two requests


class PreflightFailed(Exception):
    """The run cannot be meaningful; `exit_code` 3 when the target does not answer, 2 for what the user must fix."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Preflight:
    """The preflight requests of one target, through one bounded probe; `notes` says what is worth knowing."""

    target: Target
    probe: Probe
    notes: list[str]

    def send(self, api: str, base: str, method: str, path: str, headers: dict[str, str],
             body: object = None) -> Exchange:
        try:
            return self.probe.send(api, base, method, path, headers=headers, json_body=body)
        except TargetUnreachable as error:
            raise PreflightFailed(f"the target at {base} is unreachable: {error.reason}", 3) from error

    def refused(self, exchange: Exchange, credentials: str) -> PreflightFailed:
        if not credentials:
            return PreflightFailed(f"no credentials given and the gateway requires them: {_said(exchange)}; pass "
                                   "--token, or --api-key with --api-secret (or set them in the target file)", 2)
        return PreflightFailed(f"credentials refused ({credentials}): {_said(exchange)}; check them, nothing "
                               "was run", 2)

    def check_ai(self, base: str) -> None:
        headers = self.target.auth_headers()
        given = "--token" if self.target.token else "--api-key/--api-secret" if headers else ""
        models = self.send("ai", base, "GET", "/models", headers)
        if _is_html(models) or (models.status == 200 and not _is_json(models)):
            raise self.not_the_api(base, models)
        if models.status in (401, 403):
            raise self.refused(models, given)
        probe_path = "/models"
        if models.status in (404, 405):  # no catalogue, or not the API at all: chat tells them apart
            chat = self.send("ai", base, "POST", "/chat/completions", headers, {})
            if chat.status in (404, 405) or _is_html(chat):
                raise self.not_the_api(base, models)
            if chat.status in (401, 403):
                raise self.refused(chat, given)
            self.notes.append(f"no model catalogue ({_said(models)}); POST /chat/completions answers "
                              f"{chat.status}: the API is there")
            probe_path = "/chat/completions"
        if self.target.token and self.target.api_key and self.target.api_secret:
            pair = {"api-key": self.target.api_key, "api-secret": self.target.api_secret}
            body: dict[str, object] | None = None if probe_path == "/models" else {}
            answer = self.send("ai", base, "GET" if body is None else "POST", probe_path, pair, body)
            if answer.status in (401, 403):
                raise self.refused(answer, "--api-key/--api-secret")

    def check_client(self, base: str) -> None:
        headers = self.target.auth_headers("client")  # none given: the client tests skip, naming the token
        chat = self.send("client", base, "POST", "/chat/completions", headers, {})
        if chat.status in (404, 405) or _is_html(chat):
            raise PreflightFailed(f"{base} is not the client gateway's base: {_said(chat)}; it is the URL under "
                                  "which /chat/completions lives, e.g. https://host/api/client/v1", 2)
        if chat.status in (401, 403) and headers:
            raise self.refused(chat, "--client-token")

    def not_the_api(self, base: str, exchange: Exchange) -> PreflightFailed:
        what = "an HTML page" if _is_html(exchange) else _said(exchange)
        found = [url for url in _candidates(base)[:MAX_SUGGESTIONS_PROBED] if self.answers_as_api(url)]
        hint = (f"did you mean --base-url {found[0]}? (it answers as the API)" if found else
                "the base is the URL under which /models and /chat/completions live, e.g. "
                "https://host/api/ai/v1")
        return PreflightFailed(f"{base} does not look like the AI API: {what}; {hint}", 2)

    def answers_as_api(self, base: str) -> bool:
        """Whether `base` answers GET /models, or else POST /chat/completions, as a JSON API would."""
        for method, path, body in (("GET", "/models", None), ("POST", "/chat/completions", {})):
            try:
                reply = self.probe.send("ai", base, method, path, headers=self.target.auth_headers(), json_body=body)
            except TargetUnreachable:
                return False
            if _is_json(reply) and reply.status not in (404, 405):
                return True
        return False


def _is_html(exchange: Exchange) -> bool:
    return exchange.content_type in ("text/html", "application/xhtml+xml") or exchange.body.lstrip()[:15].lower(
    ).startswith((b"<!doctype html", b"<html"))


def _is_json(exchange: Exchange) -> bool:
    try:
        exchange.json  # noqa: B018 - parsing is the test
    except ValueError:
        return False
    return True


def _said(exchange: Exchange) -> str:
    excerpt = " ".join(exchange.excerpt(200).split())
    return f"{exchange.operation} -> {exchange.status}" + (f" {excerpt!r}" if excerpt else "")


def _candidates(base: str) -> list[str]:
    """Likelier AI API bases near `base`: a trailing operation path cut off, the documented mount point or `/v1`
    under it or under the host's root."""
    parts = urlsplit(base.rstrip("/"))
    root, path = f"{parts.scheme}://{parts.netloc}", parts.path
    found = [root + path[: -len(suffix)] for suffix in ("/models", "/chat/completions") if path.endswith(suffix)]
    for prefix in dict.fromkeys((root + path, root)):
        found += [prefix + mount for mount in ("/api/ai/v1", "/v1") if not prefix.endswith(mount)]
    return [url for url in dict.fromkeys(found) if url != base.rstrip("/")]


def preflight(target: Target) -> list[str]:
    """Check each given base before the run; PreflightFailed (exit 3 or 2) when it cannot be meaningful, else
    notes worth printing (e.g. no model catalogue)."""
    probe = Probe(timeout_s=min(target.timeout_s, PREFLIGHT_TIMEOUT_S), extra_headers=dict(target.headers))
    checks = Preflight(target, probe, [])
    try:
        if target.base_url:
            checks.check_ai(target.base_url)
        if target.client_base_url:
            checks.check_client(target.client_base_url)
    finally:
        probe.close()
    return checks.notes


def preflight_report(target: Target, reason: str, started_at: str) -> Report:
    """The report of a run stopped by its preflight: one failed test, `preflight`, saying why (so CI that reads
    junit.xml sees the reason rather than a missing file)."""
    failure = FailureRecord("preflight", "critical", reason)
    result = TestResult("preflight", "models", "preflight", "failed", reason,
                        "the target answers, is the API, and takes the credentials given", failures=(failure,))
    return Report(TargetInfo(target.name, target.base_url, target.client_base_url), started_at, 0.0, TOOL_VERSION,
                  [result])
