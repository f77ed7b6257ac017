"""The CI examples in docs/ci.md are valid YAML whose `aigw` commands parse with the real command line."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from aigw_conformance.cli import build_parser

DOC = Path(__file__).resolve().parents[1] / "docs" / "ci.md"
BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def _blocks() -> list[Any]:
    return [yaml.safe_load(text) for text in BLOCK.findall(DOC.read_text(encoding="utf-8"))]


def _commands(node: Any) -> list[str]:
    """Every shell line in the job (run: blocks, script: lists) that starts with `aigw`."""
    if isinstance(node, dict):
        return [line for value in node.values() for line in _commands(value)]
    if isinstance(node, list):
        return [line for item in node for line in _commands(item)]
    if isinstance(node, str):
        return [line.strip() for line in node.splitlines() if line.strip().startswith("aigw ")]
    return []


def test_the_doc_has_a_github_and_a_gitlab_job() -> None:
    github, gitlab = _blocks()
    assert "conformance" in github["jobs"]
    assert gitlab["release-gate"]["artifacts"]["reports"]["junit"] == "reports/gate/junit.xml"


@pytest.mark.parametrize("block", [0, 1])
def test_every_aigw_command_parses(block: int) -> None:
    commands = _commands(_blocks()[block])
    assert {shlex.split(c)[1] for c in commands} == {"check", "report"}
    for command in commands:
        argv = shlex.split(command)[1:]
        build_parser().parse_args(argv)  # exits 2 (SystemExit) on an unknown subcommand or flag
