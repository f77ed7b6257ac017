"""Credentials a gateway echoes are masked wherever a report quotes them: JSON, JUnit, Markdown and HTML."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aigw_conformance.cli import main
from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.suites.masking import Masker, masker_for
from aigw_conformance.suites.target import Target

TOKEN = "sk-live-4f1c9e0b7a2d5e8f3c6b"
ROUTE = "tenant-blue-route-771"
REPORT_FILES = ("report.json", "junit.xml", "report.md", "report.html")


class EchoingGateway:
    """Refuses every request with a text/plain 400 that quotes its credentials: whole on `GET /models`, and on
    other paths so far into the body that the checks' 120-character excerpt cuts the token short."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = dict(scope["headers"])
        quoted = f"{headers.get(b'authorization', b'').decode()} via {headers.get(b'x-route', b'').decode()}"
        padding = "" if scope["path"].endswith("/models") else "x" * (120 - len("refused Bearer sk-live-4f1c"))
        body = f"refused {padding}{quoted}".encode()
        await send({"type": "http.response.start", "status": 400,
                    "headers": [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def echoing() -> Iterator[str]:
    server = ServerThread(EchoingGateway(), name="echoing-gateway")
    try:
        yield server.start() + "/v1"
    finally:
        server.stop()


def test_a_masker_hides_whole_values_and_the_start_of_one_an_excerpt_cut() -> None:
    mask = Masker.of({TOKEN: "token", "7": "too short to mask"})
    assert mask.text(f"got Bearer {TOKEN}, 7 times") == "got Bearer [masked token], 7 times"
    assert mask.text(f"'refused Bearer {TOKEN[:12]}…'") == "'refused Bearer [masked token]…'"
    assert mask.text(f"ends {TOKEN[:9]}") == "ends [masked token]"
    assert mask.text(f"{TOKEN[:9]} not cut") == f"{TOKEN[:9]} not cut"


def test_every_credential_and_header_value_of_a_target_is_masked() -> None:
    target = Target(token="tok-1111", api_key="key-2222", api_secret="sec-3333", client_token="cgt_4444",
                    headers={"x-portkey-virtual-key": "vk-5555"})
    text = masker_for(target).text("tok-1111 key-2222 sec-3333 cgt_4444 vk-5555")
    assert text == ("[masked token] [masked api-key] [masked api-secret] [masked client token] "
                    "[masked header x-portkey-virtual-key]")


def test_an_echoed_token_is_masked_in_every_report_file(echoing: str, tmp_path: Path) -> None:
    code = main(["check", "--quiet", "--base-url", echoing, "--model", "gpt-5", "--token", TOKEN, "--header",
                 f"x-route: {ROUTE}",
                 "--test", "models.list", "--test", "chat.simple", "--report-dir", str(tmp_path)])
    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text())
    messages = [failure["message"] for result in report["results"] for failure in result["failures"]]
    assert any("Bearer [masked token] via [masked header x-route]" in message for message in messages), messages
    assert any("Bearer [masked token]…" in message for message in messages), messages  # the cut-off start
    for name in REPORT_FILES:
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert TOKEN[:8] not in text and ROUTE not in text, name
        # report.md escapes brackets in target-controlled text (no links or markup from the target)
        assert ("\\[masked token\\]" if name == "report.md" else "[masked token]") in text, name


def test_pytest_aigw_sends_the_extra_headers_and_masks_what_the_gateway_echoes(echoing: str, tmp_path: Path) -> None:
    """`pytest --aigw` as `aigw check`: `--aigw-header` goes with every request, and neither pytest's own output
    and JUnit nor aigw's reports quote the token or the header's value."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", "AIGW_TOKEN")}
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "--aigw",
                          "--aigw-base-url", echoing, "--aigw-model", "gpt-5", "--aigw-token", TOKEN,
                          "--aigw-header", f"x-route: {ROUTE}", "-k", "models.list or chat.simple", "-rf",
                          "--junitxml", "pytest-junit.xml", "--aigw-report-dir", "reports"],
                         cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    assert "Bearer [masked token] via [masked header x-route]" in run.stdout, run.stdout[-3000:]
    assert TOKEN[:8] not in run.stdout + run.stderr and ROUTE not in run.stdout + run.stderr
    for path in [tmp_path / "pytest-junit.xml", *(tmp_path / "reports" / name for name in REPORT_FILES)]:
        text = path.read_text(encoding="utf-8")
        assert TOKEN[:8] not in text and ROUTE not in text, path
