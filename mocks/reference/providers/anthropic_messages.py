"""OpenAI chat messages → Anthropic Messages turns and system text (the blocks of `mocks.anthropic.wire`)."""

from __future__ import annotations

from typing import Any

from aigw_conformance.mocks.anthropic import wire
from aigw_conformance.mocks.reference.errors import GatewayError
from aigw_conformance.mocks.reference.providers.base import arguments, data_url, text_of


def _image(part: dict[str, Any], where: str) -> wire.ImageBlockParam:
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else None
    if not isinstance(url, str):
        raise GatewayError(400, f"{where}.image_url.url must be a string", code="invalid_parameter", param=where)
    inline = data_url(url, f"{where}.image_url.url")
    if inline is None:
        return {"type": "image", "source": {"type": "url", "url": url}}
    return {"type": "image", "source": {"type": "base64", "media_type": inline[0], "data": inline[1]}}


def _user_blocks(content: Any, where: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [dict(wire.text_block(content))] if content else []
    blocks: list[dict[str, Any]] = []
    for k, part in enumerate(content if isinstance(content, list) else []):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and part["text"]:
            blocks.append(dict(wire.text_block(part["text"])))
        elif kind == "image_url":
            blocks.append(dict(_image(part, f"{where}.content[{k}]")))
        elif kind != "text":
            raise GatewayError(400, f"{where}.content[{k}]: {kind} content is not supported by Claude models",
                               code="unsupported_content", param=f"{where}.content[{k}]")
    return blocks


def _blocks(message: dict[str, Any], where: str) -> tuple[str, list[dict[str, Any]]]:
    role = message["role"]
    if role == "tool":
        block: wire.ToolResultBlockParam = {"type": "tool_result", "tool_use_id": str(message.get("tool_call_id")),
                                            "content": text_of(message.get("content"))}
        return "user", [dict(block)]
    if role != "assistant":
        return "user", _user_blocks(message.get("content"), where)
    text = text_of(message.get("content"))
    blocks = [dict(wire.text_block(text))] if text else []
    for k, call in enumerate(message.get("tool_calls") or []):
        args = arguments(call, f"{where}.tool_calls[{k}]")
        blocks.append(dict(wire.tool_use_block(str(call.get("id")), str(call["function"]["name"]), args)))
    return "assistant", blocks


def messages(body: dict[str, Any]) -> tuple[list[str], list[wire.MessageParam]]:
    """The system texts and the Messages turns (same-role neighbours merged) of an OpenAI conversation."""
    system: list[str] = []
    merged: list[tuple[str, list[dict[str, Any]]]] = []
    for i, message in enumerate(body["messages"]):
        if message["role"] in ("system", "developer"):
            system.append(text_of(message.get("content")))
            continue
        role, blocks = _blocks(message, f"messages[{i}]")
        if merged and merged[-1][0] == role:
            merged[-1][1].extend(blocks)
        else:
            merged.append((role, blocks))
    turns: list[wire.MessageParam] = [{"role": "user" if role == "user" else "assistant", "content": blocks}
                                      for role, blocks in merged]
    return [text for text in system if text], turns
