"""Importing this package registers every conformance test in `TESTS`."""

from __future__ import annotations

from suites.conformance import (
    auth_tests,
    chat_tests,
    client_tests,
    error_tests,
    fuzz_tests,
    models_tests,
    output_tests,
    sdk_tests,
    store_tests,
    tools_tests,
    validation_tests,
    voices_tests,
)
from suites.conformance.registry import TESTS, ConformanceTest, TestContext, conformance_test

__all__ = ["TESTS", "ConformanceTest", "TestContext", "auth_tests", "chat_tests", "client_tests", "conformance_test",
           "error_tests", "fuzz_tests", "models_tests", "output_tests", "sdk_tests",
           "store_tests", "tools_tests", "validation_tests", "voices_tests"]
