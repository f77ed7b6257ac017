"""OpenAI chat messages → Gemini contents and systemInstruction parts (the shapes of `mocks.gemini.wire`)."""

from __future__ import annotations

import json
import mimetypes
from typing import Any

from aigw_conformance.mocks.gemini import wire
from aigw_conformance.mocks.reference.errors import GatewayError
from aigw_conformance.mocks.reference.providers.base import arguments, data_url, text_of

AUDIO_TYPES = {"wav": "audio/wav", "mp3": "audio/mp3"}


def _media(part: dict[str, Any], where: str) -> wire.Part:
    if part["type"] == "input_audio":
        audio = part["input_audio"]
        return {"inlineData": {"mimeType": AUDIO_TYPES.get(audio.get("format"), "audio/wav"), "data": audio["data"]}}
    url = part["image_url"]["url"]
    inline = data_url(url, f"{where}.image_url.url")
    if inline is not None:
        return {"inlineData": {"mimeType": inline[0], "data": inline[1]}}
    mime = mimetypes.guess_type(url.split("?")[0])[0] or "image/jpeg"
    return {"fileData": {"mimeType": mime, "fileUri": url}}


def _user_parts(content: Any, where: str) -> list[wire.Part]:
    if isinstance(content, str):
        return [wire.text_part(content)] if content else []
    parts: list[wire.Part] = []
    for k, part in enumerate(content if isinstance(content, list) else []):
        if part.get("type") == "text":
            parts += [wire.text_part(part["text"])] if part["text"] else []
        else:
            parts.append(_media(part, f"{where}.content[{k}]"))
    return parts


def _function_response(message: dict[str, Any], names: dict[str, str], where: str) -> wire.Part:
    call_id = message.get("tool_call_id")
    if call_id not in names:
        raise GatewayError(400, f"{where}.tool_call_id {call_id!r} answers no tool call of an earlier assistant "
                           "message", code="invalid_parameter", param=f"{where}.tool_call_id")
    text = text_of(message.get("content"))
    try:
        result = json.loads(text)
    except ValueError:
        result = None
    response = result if isinstance(result, dict) else {"output": text}
    return {"functionResponse": {"name": names[call_id], "response": response}}


def contents(messages: list[dict[str, Any]]) -> tuple[list[wire.Part], list[wire.Content]]:
    """The systemInstruction parts and the contents of an OpenAI conversation."""
    system: list[wire.Part] = []
    turns: list[wire.Content] = []
    names: dict[str, str] = {}  # tool call id → function name
    for i, message in enumerate(messages):
        role, where = message["role"], f"messages[{i}]"
        if role in ("system", "developer"):
            text = text_of(message.get("content"))
            system += [wire.text_part(text)] if text else []
            continue
        if role == "tool":
            parts = [_function_response(message, names, where)]
        elif role == "assistant":
            text = text_of(message.get("content"))
            parts = [wire.text_part(text)] if text else []
            for k, call in enumerate(message.get("tool_calls") or []):
                name = str(call["function"]["name"])
                names[str(call.get("id"))] = name
                parts.append(wire.function_call_part(name, arguments(call, f"{where}.tool_calls[{k}]")))
        else:
            parts = _user_parts(message.get("content"), where)
        native_role = "model" if role == "assistant" else "user"
        if turns and turns[-1]["role"] == native_role:
            turns[-1].setdefault("parts", []).extend(parts)
        elif parts:
            turns.append({"role": native_role, "parts": parts})
    return system, turns
