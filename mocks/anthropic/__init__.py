"""A mock of Anthropic's Messages API in its exact wire format (`create_app` in `mocks.anthropic.app`)."""
