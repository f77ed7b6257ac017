"""Every check the traceability file names exists, and every registered check covers something."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from aigw_conformance.suites.checks import CHECKS

TRACEABILITY = Path(__file__).resolve().parents[2] / "spec" / "traceability.yaml"


def items() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load(TRACEABILITY.read_text(encoding="utf-8"))["items"]
    return loaded


def test_every_named_check_is_registered() -> None:
    unknown = {(item["id"], name) for item in items() for name in item.get("checks") or [] if name not in CHECKS}
    assert unknown == set()


def test_every_item_is_covered_or_explicitly_pending() -> None:
    uncovered = [item["id"] for item in items() if not item.get("checks") and not item.get("pending")]
    assert uncovered == []


def test_every_registered_check_covers_at_least_one_documented_item() -> None:
    named = {name for item in items() for name in item.get("checks") or []}
    unused = sorted(set(CHECKS) - named)
    assert unused == [], f"checks that trace to no documented item: {unused}"
