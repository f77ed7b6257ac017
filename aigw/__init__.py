"""The `aigw` command: serve the reference, run the conformance suite, list defects, self-test."""
