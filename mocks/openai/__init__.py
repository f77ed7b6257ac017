"""A mock of OpenAI's Chat Completions API in its exact wire format (`create_app` in `mocks.openai.app`)."""
