"""Regressions the deep fuzzing run (`aigw check --deep`) found in the reference gateway."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from aigw_conformance.mocks.reference import ReferenceStack

ErrorCheck = Callable[..., dict[str, Any]]


@pytest.mark.parametrize("path", [
    "/models/%C2%9EY%F2%AB%B1%AB%C3%A5%C3%94%C3%96%06%0A0",  # the generated case: an unrouted path with \x06 and \n
    "/models/a%06b%0Ac", "/nope%01%7F",
])
def test_control_characters_in_an_unrouted_path_get_the_documented_404(
    stack: ReferenceStack, client: httpx.Client, check_error: ErrorCheck, path: str
) -> None:
    """The 404's `x-error` repeats the path; a raw control character in it made the server drop the connection."""
    reply = client.get(stack.base_url + path)
    check_error(reply, 404)
    assert reply.headers["x-error"].isprintable() and reply.headers["x-error"].isascii()
