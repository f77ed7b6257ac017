"""Conformance suites: features, checks, conformance tests and the runner that applies them to a target."""
