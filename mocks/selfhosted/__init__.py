"""A vLLM-style self-hosted OpenAI-compatible server mock (`create_app` in `mocks.selfhosted.app`)."""
