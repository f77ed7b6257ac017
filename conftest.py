"""Shared pytest fixtures: a reference gateway stack on loopback for tests that need a live target."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from aigw_conformance.mocks.reference.stack import ReferenceStack


@pytest.fixture(scope="session")
def reference() -> Iterator[ReferenceStack]:
    """One clean reference gateway and its mocks on 127.0.0.1 for the whole session."""
    from aigw_conformance.mocks.reference.stack import ReferenceStack

    with ReferenceStack() as stack:
        yield stack
