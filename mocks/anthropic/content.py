"""Validate the structured parts of a Messages request: messages and their blocks, system, tools, tool_choice."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jsonschema

from aigw_conformance.mocks.anthropic import errors

BLOCK_TYPES = (
    "text", "image", "document", "search_result", "thinking", "redacted_thinking", "tool_use", "tool_result",
    "server_tool_use", "web_search_tool_result", "container_upload",
)
TOOL_CHOICES = ("auto", "any", "tool", "none")
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_TOOL_DOCS = "Learn more about tool use at https://docs.claude.com/en/docs/tool-use."


def fail(path: str, message: str) -> errors.AnthropicError:
    """A 400 worded as Anthropic's (pydantic) validation errors are: `<dotted path>: <message>`."""
    return errors.invalid_request(f"{path}: {message}")


def kind_error(path: str, kind: str) -> errors.AnthropicError:
    return fail(path, f"Input should be a valid {kind}")


def _tag_error(path: str, tag: Any, expected: tuple[str, ...]) -> errors.AnthropicError:
    tags = ", ".join(f"'{t}'" for t in expected)
    return fail(path, f"Input tag '{tag}' found using 'type' does not match any of the expected tags: {tags}")


def blocks(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The content blocks of a (validated) message; string content is one text block."""
    content = message["content"]
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content)


def _block(block: Any, path: str) -> None:
    if not isinstance(block, dict):
        raise kind_error(path, "dictionary")
    kind = block.get("type")
    if "type" not in block:
        raise fail(path, "Unable to extract tag using discriminator 'type'")
    if kind not in BLOCK_TYPES:
        raise _tag_error(path, kind, BLOCK_TYPES)
    fields = {"text": ("text", str), "image": ("source", dict), "tool_use": ("id", str),
              "tool_result": ("tool_use_id", str), "thinking": ("thinking", str)}
    if kind in fields:
        name, expected = fields[kind]
        if name not in block:
            raise fail(f"{path}.{kind}.{name}", "Field required")
        if not isinstance(block[name], expected):
            raise kind_error(f"{path}.{kind}.{name}", "string" if expected is str else "dictionary")
    if kind == "tool_use" and not (isinstance(block.get("name"), str) and isinstance(block.get("input"), dict)):
        raise fail(f"{path}.tool_use", "`name` (a string) and `input` (an object) are required")
    if kind == "tool_result" and block.get("content") is not None:
        inner = block["content"]
        if not isinstance(inner, str | list):
            raise kind_error(f"{path}.tool_result.content", "list")
        for k, part in enumerate(inner if isinstance(inner, list) else []):
            _block(part, f"{path}.tool_result.content.{k}")
    if kind == "text" and not block["text"]:
        raise errors.invalid_request("messages: text content blocks must be non-empty")


def check_messages(body: Mapping[str, Any]) -> list[Any]:
    if "messages" not in body:
        raise fail("messages", "Field required")
    messages = body["messages"]
    if not isinstance(messages, list):
        raise kind_error("messages", "list")
    if not messages:
        raise errors.invalid_request("messages: at least one message is required")
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise kind_error(f"messages.{i}", "dictionary")
        for name in ("role", "content"):
            if name not in message:
                raise fail(f"messages.{i}.{name}", "Field required")
        if message["role"] not in ("user", "assistant"):
            raise fail(f"messages.{i}.role", "Input should be 'user' or 'assistant'")
        content = message["content"]
        if not isinstance(content, str | list):
            raise kind_error(f"messages.{i}.content", "list")
        final_assistant = i == len(messages) - 1 and message["role"] == "assistant"
        if not content and not final_assistant:
            raise fail(f"messages.{i}", "all messages must have non-empty content except for the optional final "
                       "assistant message")
        for j, block in enumerate(content if isinstance(content, list) else []):
            _block(block, f"messages.{i}.content.{j}")
    _check_tool_pairs(messages)
    return messages


def _check_tool_pairs(messages: list[Any]) -> None:
    """Each tool_result answers a tool_use of the message before; each tool_use is answered in the next one."""
    for i, message in enumerate(messages):
        previous = messages[i - 1] if i else None
        asked = {b["id"] for b in blocks(previous) if b.get("type") == "tool_use"} \
            if previous and previous["role"] == "assistant" else set()
        for j, block in enumerate(blocks(message)):
            if block.get("type") == "tool_result" and block["tool_use_id"] not in asked:
                raise fail(f"messages.{i}.content.{j}", f"unexpected `tool_use_id` found in `tool_result` blocks: "
                           f"{block['tool_use_id']}. Each `tool_result` block must have a corresponding `tool_use` "
                           "block in the previous message.")
        if message["role"] != "assistant" or i == len(messages) - 1:
            continue
        uses = [b["id"] for b in blocks(message) if b.get("type") == "tool_use"]
        answered = {b.get("tool_use_id") for b in blocks(messages[i + 1]) if b.get("type") == "tool_result"}
        if missing := [u for u in uses if u not in answered]:
            raise fail(f"messages.{i + 1}", f"`tool_use` ids were found without `tool_result` blocks immediately "
                       f"after: {', '.join(missing)}. Each `tool_use` block must have a corresponding `tool_result` "
                       "block in the next message.")


def check_system(system: Any) -> Any:
    if system is None or isinstance(system, str):
        return system
    if not isinstance(system, list):
        raise kind_error("system", "list")
    for j, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text":
            raise fail(f"system.{j}.type", "Input should be 'text'")
        if not isinstance(block.get("text"), str):
            raise kind_error(f"system.{j}.text", "string")
    return system


def check_tools(tools: Any) -> list[dict[str, Any]]:
    """Custom tools (`type` absent or `custom`) need a valid name and a draft 2020-12 `input_schema` of type
    object; server tools (any other `type`) are accepted as given and never called by the mock."""
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise kind_error("tools", "list")
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise kind_error(f"tools.{i}", "dictionary")
        if not isinstance(tool.get("name"), str):
            raise fail(f"tools.{i}.name", "Field required" if "name" not in tool else "Input should be a valid string")
        if tool.get("type") not in (None, "custom"):
            continue
        path = f"tools.{i}.custom"
        if not TOOL_NAME.match(tool["name"]):
            raise fail(f"{path}.name", f"String should match pattern '{TOOL_NAME.pattern}'")
        schema = tool.get("input_schema")
        if not isinstance(schema, dict):
            message = "Field required" if schema is None else "Input should be a valid dictionary"
            raise fail(f"{path}.input_schema", message)
        if schema.get("type") != "object":
            raise fail(f"{path}.input_schema.type", "Input should be 'object'")
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError:
            raise fail(f"{path}.input_schema", "JSON schema is invalid. It must match JSON Schema draft 2020-12 "
                       f"(https://json-schema.org/draft/2020-12). {_TOOL_DOCS}") from None
    names = [tool["name"] for tool in tools]
    if len(set(names)) != len(names):
        raise errors.invalid_request("tools: Tool names must be unique.")
    return tools


def check_tool_choice(choice: Any, tools: list[dict[str, Any]]) -> dict[str, Any]:
    if choice is None:
        return {"type": "auto"}
    if not isinstance(choice, dict):
        raise kind_error("tool_choice", "dictionary")
    if choice.get("type") not in TOOL_CHOICES:
        raise _tag_error("tool_choice", choice.get("type"), TOOL_CHOICES)
    if not tools and choice["type"] != "none":
        raise errors.invalid_request("tool_choice may only be specified while providing tools.")
    if choice["type"] == "tool":
        if not isinstance(choice.get("name"), str):
            raise fail("tool_choice.tool.name", "Field required")
        if choice["name"] not in {tool["name"] for tool in tools}:
            raise fail("tool_choice.tool.name", f"Tool '{choice['name']}' not found in the provided tools.")
    flag = choice.get("disable_parallel_tool_use")
    if flag is not None and not isinstance(flag, bool):
        raise kind_error(f"tool_choice.{choice['type']}.disable_parallel_tool_use", "boolean")
    return choice
