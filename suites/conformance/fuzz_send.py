"""Schemathesis's `case.call` sent through the bounded Probe, so fuzzing obeys the same time and size limits."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import httpx
import requests
import urllib3
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from aigw_conformance.suites.exchange import ACCEPT_ENCODING, Exchange, Probe, Reply

# The probe has already decoded the body and read it whole; requests must not decode it or expect a length again.
_CONSUMED = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def _raw(value: str | bytes) -> bytes:
    """A header as requests would send it: latin-1, or UTF-8 when it has characters beyond latin-1."""
    if isinstance(value, bytes):
        return value
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


class _ReadBody(urllib3.HTTPResponse):
    """The body the probe already read whole, handed over in one read: schemathesis reads an event stream in 64 KB
    reads and rescans its whole buffer after each (quadratic: ~17 s for one 15 MB line, after the deadline)."""

    def read1(self, amt: int | None = None, decode_content: bool | None = None) -> bytes:
        return super().read1(None, decode_content)


class ProbeAdapter(BaseAdapter):
    """A requests transport adapter that sends every request through `Probe.fetch` and keeps the last Reply."""

    def __init__(self, probe: Probe, what: str) -> None:
        super().__init__()
        self.probe, self.what = probe, what
        self.last: Reply | None = None

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        if self.last is not None:  # requests following a redirect (the probe refuses them; this never runs)
            raise RuntimeError(f"{self.what}: a second request on one generated case; redirects are never followed")
        headers = httpx.Headers([(_raw(name), _raw(value)) for name, value in request.headers.items()])
        headers["accept-encoding"] = ACCEPT_ENCODING  # what the probe decompresses within its size cap
        body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
        if body is not None and not isinstance(body, bytes):
            raise TypeError(f"schemathesis prepared a streamed body ({type(body).__name__}); only bytes are sent")
        reply = self.probe.fetch(str(request.method), str(request.url), headers=headers, content=body,
                                 what=self.what)
        self.last = reply
        kept = urllib3.HTTPHeaderDict()
        for name, value in reply.headers.multi_items():
            if name not in _CONSUMED:
                kept.add(name, value)
        response = requests.Response()
        response.status_code, response.reason, response.url = reply.status, reply.reason, str(request.url)
        response.headers = CaseInsensitiveDict(kept)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = _ReadBody(
            body=io.BytesIO(reply.body), headers=kept, status=reply.status, reason=reply.reason,
            version=10 if reply.http_version == "HTTP/1.0" else 11, preload_content=False, decode_content=False,
        )
        response.request = request
        response.connection = self  # type: ignore[assignment]
        response.elapsed = timedelta(seconds=reply.elapsed_s)
        return response

    def close(self) -> None:
        """The probe belongs to the test run; it is closed there."""


def _drop_generated_bearer(case: Any, headers: dict[str, str]) -> None:
    """With an api-key pair as the target's credentials, an Authorization header generated from the spec's bearer
    scheme (e.g. an empty `Bearer `) would replace or spoil them: the case goes without it."""
    given = {name.lower() for name in headers}
    if "authorization" in given or "api-key" not in given or not getattr(case, "headers", None):
        return
    for name in [name for name in case.headers if name.lower() == "authorization"]:
        del case.headers[name]


def send_case(probe: Probe, case: Any, base_url: str, headers: dict[str, str], what: str,
              api: str = "ai") -> Exchange:
    """`case.call` through the probe; the Exchange carries the case and schemathesis's view of the response."""
    adapter = ProbeAdapter(probe, what)
    _drop_generated_bearer(case, headers)
    with requests.Session() as session:
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=probe.timeout_s,
                             max_redirects=0)  # never follow: a redirect is the target's answer (Probe.fetch)
    reply = adapter.last
    assert reply is not None, "case.call returned without sending a request"
    return Exchange(
        api=api, operation=f"{case.method.upper()} {case.formatted_path}", method=case.method.upper(),
        url=str(response.request.url or ""), request_headers=probe.with_extra(headers),
        request_json=case.body if isinstance(case.body, dict | list) else None,
        status=reply.status, headers=reply.headers, body=reply.body, elapsed_s=reply.elapsed_s,
        label="generated by schemathesis", chunk_times_s=reply.chunk_times_s,
        context={"case": case, "response": response},
    )
