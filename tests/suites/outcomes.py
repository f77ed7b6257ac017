"""Run one registered check on a hand-built Exchange: None when it passes, else its failure message."""

from __future__ import annotations

from typing import Literal

from aigw_conformance.suites.checks import CHECKS
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import CheckFailed

MustApply = Literal["always", "auto", "never"]


def outcome(name: str, ex: Exchange, *, must_apply: MustApply = "always") -> str | None:
    """`must_apply`: the check's preconditions must admit `ex` ("always"), only for auto checks ("auto"; an
    explicit check runs where a test asks for it), or are not consulted ("never")."""
    check = CHECKS[name]
    if must_apply == "always" or (must_apply == "auto" and check.auto):
        assert check.applies_to(ex), f"{name} does not apply"
    try:
        check.function(ex)
    except CheckFailed as failure:
        return failure.message
    return None
