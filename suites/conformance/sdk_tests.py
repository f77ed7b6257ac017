"""Official SDK probes: the `openai` Python SDK, pointed at the target, parses every kind of answer."""

# Each request the SDK makes goes through the run's bounded `Probe` (a transport wrapper), so the usual time and
# size limits hold and every raw exchange is kept; after the SDK call the exchange gets the SDK's result (or its
# exception) in `context["sdk"]` and goes through every auto check plus the explicit `sdk.*` ones.

from __future__ import annotations

import functools
import importlib.util
import json
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal, cast

import httpx

from aigw_conformance.suites.checks.sdk import SdkCall
from aigw_conformance.suites.conformance.catalogue import listed_record, require_retrieve
from aigw_conformance.suites.conformance.models_tests import UNKNOWN_MODEL
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.exchange import ACCEPT_ENCODING, Exchange
from aigw_conformance.suites.failures import TargetUnreachable, TestSkipped
from aigw_conformance.suites.features import Feature
from aigw_conformance.suites.grounds import ABOUT

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam
    from pydantic import BaseModel

WRONG_TOKEN = "aigw-conformance-wrong-credential"
PLACEHOLDER_TOKEN = "aigw-sdk-probe"  # the SDK needs an api_key; replaced by the target's key pair on the wire
TOOL_NAME = "vulnerability_scan"
SCAN_REQUEST = f"Scan threatwinds.com for vulnerabilities with {TOOL_NAME}"
# The status row of 001's error table each SDK error probe expects (the grounds of sdk.typed_error's failure).
STATUS_ITEMS = {400: "ai.status.400", 401: "ai.status.401", 404: "ai.status.404.model"}
HOP_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})  # the body is decoded


def _question(text: str = "What is XDR in cybersecurity?") -> list[ChatCompletionMessageParam]:
    return [{"role": "user", "content": text}]


@functools.cache
def _schemas() -> tuple[type[BaseModel], type[BaseModel]]:
    """The structured output model and the tool's arguments model (pydantic comes with the SDK)."""
    from pydantic import BaseModel, Field

    class ThreatAssessment(BaseModel):
        summary: str = Field(description="one sentence on the threat")
        severity: Literal["low", "medium", "high", "critical"]
        indicators: list[str] = Field(description="indicators of compromise")

    class VulnerabilityScan(BaseModel):
        domain: str = Field(description="the domain to scan")
        ports: list[int] = Field(description="the TCP ports to probe")

    return ThreatAssessment, VulnerabilityScan


class CapturingTransport(httpx.BaseTransport):
    """Sends each SDK request through the run's bounded probe and keeps it as an `Exchange`.

    `credentials`, when given, replace the SDK's `Authorization` header (a target with only a key pair)."""

    def __init__(self, t: TestContext, credentials: dict[str, str] | None) -> None:
        self.t, self.credentials = t, credentials
        self.base = t.base_url("ai").rstrip("/")
        self.captured: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()
        headers = dict(request.headers.items())
        headers["accept-encoding"] = ACCEPT_ENCODING  # only what the probe can decode within its size cap
        if self.credentials is not None:
            headers.pop("authorization", None)
            headers.update(self.credentials)
        url = str(request.url)
        path = url[len(self.base):] if url.startswith(self.base) else request.url.path
        operation = f"{request.method} {path.split('?')[0]}"
        reply = self.t.probe.fetch(request.method, url, headers=headers, content=content or None,
                                   what=f"{operation} (openai SDK)")
        try:
            request_json = json.loads(content) if content else None
        except ValueError:
            request_json = None
        self.captured.append(Exchange(
            api="ai", operation=operation, method=request.method, url=url,
            request_headers=self.t.probe.with_extra(headers),
            request_json=request_json, status=reply.status, headers=reply.headers, body=reply.body,
            elapsed_s=reply.elapsed_s, chunk_times_s=reply.chunk_times_s,
        ))
        plain = [(name, value) for name, value in reply.headers.multi_items() if name.lower() not in HOP_HEADERS]
        return httpx.Response(reply.status, headers=plain, content=reply.body, request=request)


def _require_sdk() -> None:
    if importlib.util.find_spec("openai") is None:
        raise TestSkipped("the official openai SDK is not installed (pip install openai)")


class Sdk:
    """An `openai.OpenAI` client on the target (no retries) whose every response is checked."""

    def __init__(self, t: TestContext, *, token: str | None = None) -> None:
        _require_sdk()
        import openai

        self.t = t
        credentials = None
        if token is None:
            token = t.target.token
            if not token:
                credentials, token = t.target.auth_headers(), PLACEHOLDER_TOKEN
        self.transport = CapturingTransport(t, credentials)
        self.http = httpx.Client(transport=self.transport, trust_env=False)
        # openai 1.x/2.x take an httpx.Client; 3.x types it as httpx2.Client and accepts httpx's too.
        self.client = openai.OpenAI(base_url=t.base_url("ai"), api_key=token, max_retries=0,
                                    timeout=t.target.timeout_s, http_client=cast(Any, self.http))

    def call(
        self, call: str, run: Callable[[], Any], checks: Iterable[str], *, partial: list[Any] | None = None,
        expected_error: type[BaseException] | None = None, expected_status: int | None = None,
    ) -> Any:
        """Run one SDK call, then check what it sent and received with `checks` plus every auto check.
        Returns its result, or None when the SDK raised (`partial`: what a stream yielded before that)."""
        import openai

        mark = len(self.transport.captured)
        result: Any = None
        error: BaseException | None = None
        try:
            with warnings.catch_warnings():  # pydantic's serializer warnings on what the SDK built leniently
                warnings.simplefilter("ignore")
                result = run()
        except (TargetUnreachable, TestSkipped):
            raise
        except openai.APIConnectionError as exc:
            if isinstance(exc.__cause__, TargetUnreachable):  # openai < 3 wraps a transport's exception
                raise exc.__cause__ from None
            error = exc
        except Exception as exc:  # the SDK's exceptions, and pydantic's or json's raised while it parses
            error = exc
        exchanges = self.transport.captured[mark:]
        if not exchanges:
            if error is not None:
                raise error  # the SDK refused to send: a bug in how the probe calls it
            raise RuntimeError(f"`{call}` sent no request")
        recorded = SdkCall(call, partial if error is not None and partial is not None else result, error,
                           expected_error, expected_status)
        for exchange in exchanges[:-1]:
            exchange.label = f"openai SDK: {call}"
            self.t.apply(exchange)
        last = exchanges[-1]
        last.label, last.context["sdk"] = f"openai SDK: {call}", recorded
        if expected_status in STATUS_ITEMS:  # a wrong exception quotes the row of the status that was due
            last.context[ABOUT] = {"sdk.typed_error": STATUS_ITEMS[expected_status]}
        self.t.apply(last, checks)
        return None if error is not None else result

    def __enter__(self) -> Sdk:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.client.close()
        self.http.close()


@conformance_test("sdk.models", features=(Feature.SDK_PROBES,))
def models(t: TestContext) -> None:
    """The openai SDK lists the catalogue (`client.models.list()`) and retrieves the chat model where the gateway
    has GET /models/{id} (an inferred path: skipped, with the reason, where it does not)."""
    with Sdk(t) as sdk:
        sdk.call("client.models.list()", lambda: list(sdk.client.models.list()), ["http.success", "sdk.parses_models"])
        model = t.model()
        require_retrieve(t, model)
        sdk.call(f"client.models.retrieve({model!r})", lambda: sdk.client.models.retrieve(model),
                 ["http.success", "sdk.parses_models"])


@conformance_test("sdk.chat", features=(Feature.SDK_PROBES,))
def chat(t: TestContext) -> None:
    """The openai SDK parses a non-streaming chat completion (`client.chat.completions.create()`)."""
    with Sdk(t) as sdk:
        model = t.model()
        sdk.call("client.chat.completions.create()", lambda: sdk.client.chat.completions.create(
            model=model, messages=_question(), max_completion_tokens=64), ["http.success", "sdk.parses_completion"])


@conformance_test("sdk.stream", features=(Feature.SDK_PROBES,))
def stream(t: TestContext) -> None:
    """The openai SDK iterates a streamed completion to the end: every chunk parsed, the text the wire's, and
    the usage chunk of `stream_options.include_usage` last (when the target declares stream-usage)."""
    usage = t.target.skip_reason(Feature.STREAM_USAGE) is None
    model = t.model("stream")
    chunks: list[Any] = []

    def run() -> list[Any]:
        completions = sdk.client.chat.completions
        if usage:
            replies = completions.create(model=model, messages=_question(), max_completion_tokens=64, stream=True,
                                         stream_options={"include_usage": True})
        else:
            replies = completions.create(model=model, messages=_question(), max_completion_tokens=64, stream=True)
        chunks.extend(replies)
        return chunks

    what = "stream=True" + (", stream_options={'include_usage': True}" if usage else "")
    with Sdk(t) as sdk:
        sdk.call(f"client.chat.completions.create({what})", run,
                 ["http.success", "sdk.parses_stream", "sdk.stream_matches_chunks"], partial=chunks)


def _capabilities(t: TestContext, model: str) -> list[Any] | None:
    """The model's `capabilities` per its GET /models entry (001), or None when the catalogue does not give them."""
    record = listed_record(t, model, f"capabilities of {model}")
    capabilities = record.get("capabilities") if isinstance(record, dict) else None
    return capabilities if isinstance(capabilities, list) else None


@conformance_test("sdk.tools", features=(Feature.SDK_PROBES,))
def tools(t: TestContext) -> None:
    """`chat.completions.parse()` with a strict function tool and `tool_choice="required"` parses the call's
    arguments into the tool's pydantic model, on every model listed for tools that has `tools-use`."""
    import openai

    _, arguments = _schemas()
    tool = openai.pydantic_function_tool(arguments, name=TOOL_NAME, description="Scan a domain for vulnerabilities")
    lacking = []
    for model in t.models("tools"):
        capabilities = _capabilities(t, model)
        if capabilities is not None and "tools-use" not in capabilities:
            lacking.append(f"{model!r} ({', '.join(map(str, capabilities))})")
            continue
        with Sdk(t) as sdk:
            run = functools.partial(
                sdk.client.chat.completions.parse, model=model, max_completion_tokens=256, tools=[tool],
                tool_choice="required", messages=_question(SCAN_REQUEST))
            sdk.call(f"client.chat.completions.parse(model={model!r}, tools=[...], tool_choice='required')", run,
                     ["http.success", "sdk.parses_tool_calls"])
    if len(lacking) == len(t.models("tools")):
        raise t.skip(f"no model listed for tools has the 'tools-use' capability per /models: {'; '.join(lacking)}; "
                     "name one under [models] tools")


@conformance_test("sdk.structured_output", features=(Feature.SDK_PROBES,))
def structured_output(t: TestContext) -> None:
    """`chat.completions.parse(response_format=Model)` (a strict `json_schema`) gives a valid `message.parsed`, on
    every model listed for structured output."""
    assessment, _ = _schemas()
    for model in t.models("structured"):
        with Sdk(t) as sdk:
            run = functools.partial(
                sdk.client.chat.completions.parse, model=model, max_completion_tokens=512, response_format=assessment,
                messages=_question("Assess the threat of a phishing campaign as JSON."))
            sdk.call(f"client.chat.completions.parse(model={model!r}, response_format=ThreatAssessment)", run,
                     ["http.success", "sdk.parses_structured_output"])


def _error_probe(t: TestContext, call: str, run: Callable[[Sdk], Any], status: int, name: str,
                 token: str | None = None) -> None:
    import openai

    expected = cast(type[BaseException], getattr(openai, name))
    with Sdk(t, token=token) as sdk:
        sdk.call(call, lambda: run(sdk), ["sdk.typed_error", "sdk.error_body_readable"], expected_error=expected,
                 expected_status=status)


@conformance_test("sdk.error_authentication", features=(Feature.SDK_PROBES,))
def error_authentication(t: TestContext) -> None:
    """A wrong bearer token raises the SDK's `openai.AuthenticationError` (401)."""
    _error_probe(t, "client.models.list() with a wrong api_key", lambda sdk: list(sdk.client.models.list()), 401,
                 "AuthenticationError", token=WRONG_TOKEN)


@conformance_test("sdk.error_bad_request", features=(Feature.SDK_PROBES,))
def error_bad_request(t: TestContext) -> None:
    """`temperature=2.5` (over the documented 2.0) raises the SDK's `openai.BadRequestError` (400)."""
    if reason := t.target.skip_reason(Feature.PARAMETER_VALIDATION):
        raise t.skip(reason)
    model = t.model()
    _error_probe(t, "client.chat.completions.create(temperature=2.5)", lambda sdk: sdk.client.chat.completions.create(
        model=model, messages=_question(), max_completion_tokens=16, temperature=2.5), 400, "BadRequestError")


@conformance_test("sdk.error_not_found", features=(Feature.SDK_PROBES,))
def error_not_found(t: TestContext) -> None:
    """An unknown model raises the SDK's `openai.NotFoundError` (404), on retrieve and on chat."""
    _error_probe(t, f"client.models.retrieve({UNKNOWN_MODEL!r})",
                 lambda sdk: sdk.client.models.retrieve(UNKNOWN_MODEL), 404, "NotFoundError")
    _error_probe(t, f"client.chat.completions.create(model={UNKNOWN_MODEL!r})",
                 lambda sdk: sdk.client.chat.completions.create(model=UNKNOWN_MODEL, messages=_question(),
                                                                max_completion_tokens=16), 404, "NotFoundError")
