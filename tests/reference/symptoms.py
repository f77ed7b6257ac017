"""Shared scaffolding of the defect-symptom modules: one reference stack per defect, and the two tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

import httpx
import pytest

from aigw_conformance.mocks.reference import ReferenceStack


class SymptomProbe(Protocol):
    http: httpx.Client


P = TypeVar("P", bound=SymptomProbe)
Probes = Callable[[str | None], Any]


def probes_fixture(make: Callable[[ReferenceStack], P]) -> Any:
    """A module-scoped fixture `probes`: `probes(defect)` is a probe of a stack with that one defect switched on
    (None: the clean reference), each started once and all stopped together at the end of the module."""

    @pytest.fixture(scope="module")
    def probes() -> Iterator[Callable[[str | None], P]]:
        started: dict[str | None, tuple[ReferenceStack, P]] = {}

        def get(defect: str | None) -> P:
            if defect not in started:
                stack = ReferenceStack(defects=[] if defect is None else [defect]).start()
                started[defect] = (stack, make(stack))
            return started[defect][1]

        yield get
        for _, probe in started.values():
            probe.http.close()
        with ThreadPoolExecutor() as pool:  # stopping a stack waits for uvicorn's shutdown; do them together
            list(pool.map(ReferenceStack.stop, [stack for stack, _ in started.values()]))

    return probes


def symptom_tests(symptoms: Mapping[str, Callable[[Any], bool]]) -> tuple[Callable[..., None], Callable[..., None]]:
    """The two tests of a symptom table: each defect shows its symptom, and the clean reference shows none."""

    @pytest.mark.parametrize("defect", sorted(symptoms))
    def test_the_defect_shows_its_symptom(probes: Probes, defect: str) -> None:
        assert symptoms[defect](probes(defect)) is True

    @pytest.mark.parametrize("defect", sorted(symptoms))
    def test_the_clean_reference_does_not(probes: Probes, defect: str) -> None:
        assert symptoms[defect](probes(None)) is False

    return test_the_defect_shows_its_symptom, test_the_clean_reference_does_not
