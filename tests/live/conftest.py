"""Fixtures for the live-target tests: a clean reference and a pass-through router, each once per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from passthrough import PassThroughRouter

from aigw_conformance.mocks.reference.stack import ReferenceStack


@pytest.fixture(scope="module")
def served() -> Iterator[ReferenceStack]:
    """The reference as `aigw serve` starts it (its defaults, nothing from the bundled target file)."""
    with ReferenceStack() as stack:
        yield stack


@pytest.fixture(scope="module")
def router() -> Iterator[PassThroughRouter]:
    with PassThroughRouter() as running:
        yield running
