"""Importing this package registers every conformance test in `TESTS`."""

from __future__ import annotations

from aigw_conformance.suites.conformance import (
    access_tests,
    answers_tests,
    audio_tests,
    auth_tests,
    chat_tests,
    client_tests,
    client_tool_tests,
    embeddings_tests,
    error_tests,
    fuzz_tests,
    models_tests,
    output_tests,
    provider_fault_tests,
    provider_path_tests,
    sdk_tests,
    store_tests,
    tools_tests,
    translation_tests,
    upstream_failure_tests,
    validation_tests,
    voices_tests,
)
from aigw_conformance.suites.conformance.registry import TESTS, ConformanceTest, TestContext, conformance_test

__all__ = ["TESTS", "ConformanceTest", "TestContext", "access_tests", "answers_tests", "audio_tests", "auth_tests",
           "chat_tests", "client_tests",
           "client_tool_tests", "conformance_test",
           "embeddings_tests", "error_tests", "fuzz_tests", "models_tests", "output_tests",
           "provider_fault_tests", "provider_path_tests", "sdk_tests",
           "store_tests", "tools_tests", "translation_tests", "upstream_failure_tests",
           "validation_tests", "voices_tests"]
