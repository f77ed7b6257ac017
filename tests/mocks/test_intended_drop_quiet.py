"""A mock's injected connection drop is not logged as an error (it would read like a harness failure in a run)."""

from __future__ import annotations

import logging

import httpx
import pytest

from aigw_conformance.mocks.core.server import INTENDED_DROP, ServerThread
from aigw_conformance.mocks.openai.app import create_app

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}


def test_a_dropped_stream_logs_no_error(caplog: pytest.LogCaptureFixture) -> None:
    uvicorn_errors = logging.getLogger("uvicorn.error")
    with ServerThread(create_app(), name="drop") as mock:  # uvicorn's logging set-up first: it resets handlers
        uvicorn_errors.addHandler(caplog.handler)  # uvicorn's loggers do not propagate to the root's capture
        try:
            with pytest.raises(httpx.RemoteProtocolError), httpx.stream(
                    "POST", mock.base_url + "/v1/chat/completions", json=CHAT, timeout=10, trust_env=False,
                    headers={"authorization": "Bearer sk-test", "x-mock-disconnect-after": "3"}) as reply:
                for _ in reply.iter_lines():
                    pass
        finally:
            uvicorn_errors.removeHandler(caplog.handler)
    assert [r.getMessage() for r in caplog.records if r.getMessage() == INTENDED_DROP] == []
    other = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "a real error", None, None)
    assert all(f.filter(other) for f in uvicorn_errors.filters)  # only that message is dropped
