"""The spec: valid OpenAPI 3.2, provenance everywhere, the documents' examples, ranges and traceability."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest
import schemathesis
import yaml
from openapi_spec_validator import OpenAPIV32SpecValidator
from schemathesis.core.result import Ok

from aigw_conformance.spec.loader import SEEDS_DIR, SPEC_PATH, component_validator, load_spec, validator_for_schema

TRACEABILITY_PATH = SPEC_PATH.with_name("traceability.yaml")
S000, S001, S002 = "000_3222256926808af7.txt", "001_eb78a9cb4e331ac7.txt", "002_74466ddf28ce3d71.txt"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", "query")
AI_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKey": [], "apiSecret": []}]

# Every endpoint the three documents name, with its full path (the inferred sub-paths are marked so).
DOCUMENTED_OPERATIONS = {
    ("get", "/api/ai/v1/models"),  # 001 Model Management
    ("get", "/api/ai/v1/models/{id}"),  # 001 "Check model details" (path inferred)
    ("post", "/api/ai/v1/chat/completions"),  # 000
    ("post", "/api/ai/v1/chat/count"),  # 001 Token Counting
    ("post", "/api/ai/v1/embeddings"),  # 000 "(/embeddings, /audio/*)", 001 Embeddings
    ("post", "/api/ai/v1/audio/transcriptions"),  # 001 Audio, speech-to-text (sub-path inferred)
    ("post", "/api/ai/v1/audio/speech"),  # 001 Audio, text-to-speech (sub-path inferred)
    ("get", "/api/ai/v1/audio/voices"),  # 001 Voices (path inferred)
    ("get", "/api/ai/v1/store/{collection}"),  # 001 Data Store (inferred CRUD)
    ("post", "/api/ai/v1/store/{collection}"),
    ("get", "/api/ai/v1/store/{collection}/{key}"),
    ("put", "/api/ai/v1/store/{collection}/{key}"),
    ("delete", "/api/ai/v1/store/{collection}/{key}"),
    ("post", "/api/client/v1/chat/completions"),  # 002
}

REQUIRED_COMPONENTS = (
    "ChatCompletionRequest", "ChatMessage", "ContentPart", "ResponseFormat", "Tool", "ToolCall",
    "ChatCompletionResponse", "ChatCompletionChoice", "ResponseMessage", "ChatCompletionChunk", "ChunkChoice",
    "ChunkDelta", "ToolCallDelta", "Usage", "Logprobs", "ErrorResponse", "Model", "ModelList", "ChatCountRequest",
    "ChatCountResponse", "EmbeddingRequest", "EmbeddingResponse", "TranscriptionResponse", "SpeechRequest",
    "VoiceList", "StoreRecord", "StoreRecordList", "ClientChatCompletionRequest", "ClientChatCompletionResponse",
    "ClientChatCompletionChunk", "GuardrailErrorResponse", "ClientErrorResponse",
)

# Keywords whose values are subschemas (maps of, lists of, or single ones); examples are never walked.
SUBSCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas", "$defs")
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SUBSCHEMA_SINGLE = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
                    "unevaluatedItems", "unevaluatedProperties", "contentSchema")
PROVENANCE_KEYS = {"source", "quote", "inferred", "note", "path"}


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def spec() -> dict[str, Any]:
    return load_spec()


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def seed_text(name: str) -> str:
    return (SEEDS_DIR / name).read_text(encoding="utf-8")


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The node at a `#/a/b` JSON pointer (URI-fragment form: percent-escapes are decoded)."""
    assert pointer.startswith("#"), pointer
    node = document
    for raw in unquote(pointer[1:]).split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            raise KeyError(f"{pointer}: no {token!r}")
    return node


def deref(node: Any) -> Any:
    """Follow a `$ref` to a local component (Reference Objects of paths and responses)."""
    while isinstance(node, dict) and "$ref" in node and len(node) == 1:
        node = resolve_pointer(spec(), node["$ref"])
    return node


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec()["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method, path, item[method]


def schema_properties(schema: Any, where: str) -> Iterator[tuple[str, Any]]:
    """Every property subschema declared anywhere inside `schema`, at any depth."""
    if not isinstance(schema, dict):
        return
    for name, sub in (schema.get("properties") or {}).items():
        yield f"{where}/properties/{name}", sub
    for key in SUBSCHEMA_MAPS:
        for name, sub in (schema.get(key) or {}).items():
            yield from schema_properties(sub, f"{where}/{key}/{name}")
    for key in SUBSCHEMA_LISTS:
        for index, sub in enumerate(schema.get(key) or []):
            yield from schema_properties(sub, f"{where}/{key}/{index}")
    for key in SUBSCHEMA_SINGLE:
        if isinstance(schema.get(key), dict):
            yield from schema_properties(schema[key], f"{where}/{key}")


def schemas_outside_components(node: Any, where: str) -> Iterator[tuple[str, Any]]:
    """The `schema` / `itemSchema` of every parameter, header and media type (not walked into)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("example", "examples") or key.startswith("x-"):
                continue
            if key in ("schema", "itemSchema") and isinstance(value, dict):
                yield f"{where}/{key}", value
            else:
                yield from schemas_outside_components(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from schemas_outside_components(value, f"{where}/{index}")


def all_schemas() -> Iterator[tuple[str, Any]]:
    for name, schema in spec()["components"]["schemas"].items():
        yield f"#/components/schemas/{name}", schema
    yield from schemas_outside_components(spec()["paths"], "#/paths")
    components = {key: value for key, value in spec()["components"].items() if key != "schemas"}
    yield from schemas_outside_components(components, "#/components")


def elements_needing_provenance() -> Iterator[tuple[str, Any]]:
    """(location, object) for every operation, parameter, response, header, security scheme and property."""
    document = spec()
    for method, path, operation in operations():
        where = f"{method.upper()} {path}"
        yield where, operation
        for index, parameter in enumerate(document["paths"][path].get("parameters", [])):
            yield f"{path} parameter #{index}", deref(parameter)
        for index, parameter in enumerate(operation.get("parameters", [])):
            yield f"{where} parameter #{index}", deref(parameter)
        for status, response in operation["responses"].items():
            resolved = deref(response)
            yield f"{where} {status}", resolved
            for header_name, header in (resolved.get("headers") or {}).items():
                yield f"{where} {status} header {header_name}", deref(header)
    components = document["components"]
    for group in ("parameters", "responses", "headers", "securitySchemes"):
        for name, element in (components.get(group) or {}).items():
            yield f"#/components/{group}/{name}", element
    for location, schema in all_schemas():
        yield from schema_properties(schema, location)


def provenances(node: Any, where: str = "#") -> Iterator[tuple[str, Any]]:
    """Every `x-provenance` value in the document, wherever it is (examples excepted)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "x-provenance":
                yield where, value
            elif key not in ("example", "examples"):
                yield from provenances(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from provenances(value, f"{where}/{index}")


def json_after(text: str, marker: str, start: int = 0) -> Any:
    """The JSON value that starts at the first `{` after `marker` in a seed document."""
    position = text.index(marker, start) + len(marker)
    brace = text.index("{", position)
    value, _ = json.JSONDecoder().raw_decode(text[brace:])
    return value


def curl_bodies(text: str) -> list[tuple[str, Any]]:
    """(URL path, JSON body) of every `curl ... -d '{...}'` in a seed document."""
    found = []
    for match in re.finditer(r"-d '", text):
        url = re.findall(r"https://[^'\"\s]+", text[: match.start()])[-1]
        body, _ = json.JSONDecoder().raw_decode(text[match.end():])
        found.append((re.sub(r"^https://[^/]+", "", url), body))
    return found


def errors_of(component: str, instance: Any) -> list[str]:
    return sorted(error.message for error in component_validator(component).iter_errors(instance))


MINIMAL_CHAT = {"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}]}


# --------------------------------------------------------------------------------------------------
# the document itself
# --------------------------------------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_2() -> None:
    assert spec()["openapi"] == "3.2.0"
    errors = [f"{list(error.path)}: {error.message[:300]}" for error in OpenAPIV32SpecValidator(spec()).iter_errors()]
    assert errors == []


def test_schemathesis_loads_the_document_and_every_operation() -> None:
    schema = schemathesis.openapi.from_dict(copy.deepcopy(spec()))
    results = list(schema.get_all_operations())
    failed = [repr(result) for result in results if not isinstance(result, Ok)]
    assert failed == []
    loaded = {(result.ok().method.lower(), result.ok().path) for result in results if isinstance(result, Ok)}
    assert loaded == DOCUMENTED_OPERATIONS


def test_every_documented_endpoint_is_present_and_nothing_else() -> None:
    assert {(method, path) for method, path, _ in operations()} == DOCUMENTED_OPERATIONS
    assert spec()["servers"] == [{"url": "/"}]


def test_operations_have_unique_ids_the_right_tag_and_security() -> None:
    ids = [operation.get("operationId") for _, _, operation in operations()]
    assert None not in ids
    assert len(ids) == len(set(ids))
    for method, path, operation in operations():
        if path.startswith("/api/ai/v1/"):
            assert operation["tags"] == ["ai"], (method, path)
            assert operation["security"] == AI_SECURITY, (method, path)
        else:
            assert path.startswith("/api/client/v1/")
            assert operation["tags"] == ["client"], (method, path)
            assert operation["security"] == [{"bearerAuth": []}], (method, path)


def test_security_schemes() -> None:
    schemes = spec()["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["type"] == "http" and schemes["bearerAuth"]["scheme"] == "bearer"
    assert (schemes["apiKey"]["type"], schemes["apiKey"]["in"], schemes["apiKey"]["name"]) == (
        "apiKey", "header", "api-key")
    assert (schemes["apiSecret"]["type"], schemes["apiSecret"]["in"], schemes["apiSecret"]["name"]) == (
        "apiKey", "header", "api-secret")


def test_every_named_component_exists() -> None:
    missing = [name for name in REQUIRED_COMPONENTS if name not in spec()["components"]["schemas"]]
    assert missing == []


def test_the_3_0_nullable_keyword_is_never_used() -> None:
    def walk(node: Any, where: str) -> Iterator[str]:
        if isinstance(node, dict):
            if "nullable" in node:
                yield where
            for key, value in node.items():
                if key not in ("example", "examples", "properties"):
                    yield from walk(value, f"{where}/{key}")
                elif key == "properties":  # a property may be *named* nullable; its schema is walked
                    for name, sub in value.items():
                        yield from walk(sub, f"{where}/properties/{name}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{where}/{index}")

    assert list(walk(spec(), "#")) == []


def test_every_ai_error_response_carries_x_error_and_x_error_id() -> None:
    problems = []
    for method, path, operation in operations():
        if not path.startswith("/api/ai/v1/"):
            continue
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            resolved = deref(response)
            headers = {name.lower(): deref(header) for name, header in (resolved.get("headers") or {}).items()}
            for name in ("x-error", "x-error-id"):
                if not (headers.get(name) or {}).get("required"):
                    problems.append(f"{method.upper()} {path} {status}: {name} missing or not required")
            schema = resolved["content"]["application/json"]["schema"]
            if schema != {"$ref": "#/components/schemas/ErrorResponse"}:
                problems.append(f"{method.upper()} {path} {status}: body is not ErrorResponse")
    assert problems == []


def test_client_responses_carry_x_request_id_and_429_retry_after() -> None:
    operation = spec()["paths"]["/api/client/v1/chat/completions"]["post"]
    assert set(operation["responses"]) == {"200", "400", "401", "404", "422", "429", "503"}
    for status, response in operation["responses"].items():
        headers = deref(response).get("headers") or {}
        assert "X-Request-Id" in headers, status
    assert deref(operation["responses"]["200"])["headers"]["X-Request-Id"] == {
        "$ref": "#/components/headers/XRequestId"}
    assert "Retry-After" in deref(operation["responses"]["429"])["headers"]


@pytest.mark.parametrize("path, chunk", [
    ("/api/ai/v1/chat/completions", "ChatCompletionChunk"),
    ("/api/client/v1/chat/completions", "ClientChatCompletionChunk"),
])
def test_streams_use_item_schema_for_one_event(path: str, chunk: str) -> None:
    content = deref(spec()["paths"][path]["post"]["responses"]["200"])["content"]
    assert set(content) == {"application/json", "text/event-stream"}
    stream = content["text/event-stream"]
    assert "schema" not in stream
    item = stream["itemSchema"]
    assert item["type"] == "object" and item["required"] == ["data"]
    assert item["properties"]["data"]["type"] == "string"
    assert {"event", "id"} <= set(item["properties"])
    assert stream["x-chunk-schema"] == {"$ref": f"#/components/schemas/{chunk}"}
    assert stream["x-terminator"] == "[DONE]"


# --------------------------------------------------------------------------------------------------
# provenance
# --------------------------------------------------------------------------------------------------


def test_every_element_carries_provenance() -> None:
    missing = [where for where, element in elements_needing_provenance()
               if not isinstance(element, dict) or "x-provenance" not in element]
    assert missing == []


def test_every_provenance_is_a_verbatim_quote_or_a_reasoned_inference() -> None:
    seeds = {path.name: normalise(path.read_text(encoding="utf-8")) for path in SEEDS_DIR.glob("*.txt")}
    problems = []
    entries = list(provenances(spec()))
    assert len(entries) > 300
    for where, value in entries:
        if not isinstance(value, dict) or set(value) - PROVENANCE_KEYS:
            problems.append(f"{where}: unexpected form {value!r}")
            continue
        quoted, inferred = "source" in value or "quote" in value, "inferred" in value
        if quoted == inferred:
            problems.append(f"{where}: needs exactly one of source+quote or inferred")
        elif inferred:
            if not isinstance(value["inferred"], str) or len(value["inferred"].strip()) < 20:
                problems.append(f"{where}: the inference needs a reason of 20 characters or more")
        elif value.get("source") not in seeds:
            problems.append(f"{where}: unknown seed file {value.get('source')!r}")
        elif not isinstance(value.get("quote"), str) or not value["quote"].strip():
            problems.append(f"{where}: empty quote")
        elif normalise(value["quote"]) not in seeds[value["source"]]:
            problems.append(f"{where}: quote not found verbatim in {value['source']}: {value['quote'][:80]!r}")
        if "note" in value and (not isinstance(value["note"], str) or len(value["note"].strip()) < 20):
            problems.append(f"{where}: a note must explain itself (20 characters or more)")
        if "path" in value and (value["path"] != "inferred" or "note" not in value):
            problems.append(f"{where}: `path` can only be `inferred`, with a note saying why")
    assert problems == []


# A note saying an operation's path is not in the documents ("The path is inferred: ...", "The sub-path /audio/speech
# is inferred: ...") must come with the `path: inferred` marker the grounds read, and the marker with such a note.
PATH_NOTE = re.compile(r"(The (sub-)?path\b[^:.]* is inferred|Everything about [^:.]* is inferred)")


def test_an_operation_whose_path_is_inferred_says_so_in_its_marker() -> None:
    from aigw_conformance.suites.grounds import unnamed_operation

    marked, noted = set(), set()
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "x-provenance" not in operation:
                continue
            provenance = operation["x-provenance"]
            where = f"{method.upper()} {path.removeprefix('/api/ai/v1')}"
            if provenance.get("path") == "inferred":
                marked.add(where)
                assert unnamed_operation("ai", re.sub(r"\{\w+\}", "x", where)), where
            if PATH_NOTE.match(" ".join(str(provenance.get("note", "")).split())):
                noted.add(where)
    assert marked == noted and "GET /models/{id}" in marked and "GET /models" not in marked


def test_every_seed_document_is_quoted() -> None:
    sources = {value.get("source") for _, value in provenances(spec()) if isinstance(value, dict)}
    assert {S000, S001, S002} <= sources


# --------------------------------------------------------------------------------------------------
# the documents' examples validate; out-of-range requests do not
# --------------------------------------------------------------------------------------------------

COMPONENT_FOR_PATH = {
    "/api/ai/v1/chat/completions": "ChatCompletionRequest",
    "/api/ai/v1/chat/count": "ChatCountRequest",
    "/api/client/v1/chat/completions": "ClientChatCompletionRequest",
}


@pytest.mark.parametrize("seed", [S000, S001, S002])
def test_every_curl_request_body_of_the_documents_validates(seed: str) -> None:
    bodies = curl_bodies(seed_text(seed))
    assert bodies, seed
    for path, body in bodies:
        assert errors_of(COMPONENT_FOR_PATH[path], body) == [], (path, body)


def test_000_request_body_and_success_response_validate() -> None:
    text = seed_text(S000)
    assert errors_of("ChatCompletionRequest", json_after(text, "Request Body")) == []
    assert errors_of("ChatCompletionResponse", json_after(text, "Success Response (200 OK)")) == []


def test_000_example_1_response_lacks_only_created_and_model() -> None:
    """Example 1's response is abbreviated: it omits `created` and `model`, which the spec requires."""
    text = seed_text(S000)
    example = json_after(text, "Response:", text.index("Example 1: Simple Question"))
    assert errors_of("ChatCompletionResponse", example) == [
        "'created' is a required property", "'model' is a required property"]
    assert errors_of("ChatCompletionChoice", example["choices"][0]) == []
    assert errors_of("Usage", example["usage"]) == []


def test_000_example_4_message_validates() -> None:
    text = seed_text(S000)
    fragment = json_after(text, "Response:", text.index("Example 4: JSON Response Format"))
    assert errors_of("ChatCompletionChoice", {"index": 0, **fragment["choices"][0]}) == []


@pytest.mark.parametrize("seed, marker", [
    (S000, "Request JSON-formatted output:"),
    (S000, "The name and strict fields are required by upstream:"),
    (S001, "Structured JSON output:"),
    (S001, "JSON output matching a specific schema:"),
])
def test_documented_response_formats_validate(seed: str, marker: str) -> None:
    fragment = json_after(seed_text(seed), marker)
    assert errors_of("ResponseFormat", fragment["response_format"]) == []


def test_001_streaming_snippet_validates_as_request_options() -> None:
    fragment = json_after(seed_text(S001), "Enable stream: true for Server-Sent Events streaming:")
    assert errors_of("ChatCompletionRequest", {**MINIMAL_CHAT, **fragment}) == []


def test_002_examples_validate() -> None:
    text = seed_text(S002)
    assert errors_of("ClientChatCompletionRequest", json_after(text, "Chat Completions API")) == []
    assert errors_of("ClientChatCompletionResponse", json_after(text, "Response (Non-Streaming)")) == []
    guardrail = json_after(text, "If a guardrail blocks the request:")
    assert errors_of("GuardrailErrorResponse", guardrail) == []
    assert errors_of("ClientErrorResponse", guardrail) != []  # so the 400 oneOf picks exactly one
    bad_request = deref(spec()["paths"]["/api/client/v1/chat/completions"]["post"]["responses"]["400"])
    one_of = validator_for_schema(bad_request["content"]["application/json"]["schema"])
    assert list(one_of.iter_errors(guardrail)) == []
    assert list(one_of.iter_errors({"error": {"message": "model is required", "type": "invalid_request"}})) == []
    chunks = [json.loads(line[len("data: "):]) for line in text.splitlines()
              if line.startswith("data: {")]
    assert len(chunks) == 3
    for chunk in chunks:
        assert errors_of("ClientChatCompletionChunk", chunk) == [], chunk


def test_a_full_stream_of_chunks_validates() -> None:
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1704067200, "model": "gpt-5"}
    stream = [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
         "usage": None},
        {**base, "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None, "logprobs": None}]},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": None},
        {**base, "choices": [], "usage": {"prompt_tokens": 8, "completion_tokens": 1, "total_tokens": 9}},
    ]
    for chunk in stream:
        assert errors_of("ChatCompletionChunk", chunk) == [], chunk
    assert errors_of("ChatCompletionChunk", {**base, "object": "chat.completion", "choices": []}) != []
    assert errors_of("ChatCompletionChunk", {**base, "choices": [
        {"index": 0, "delta": {}, "finish_reason": "done"}]}) != []


def test_error_envelope_is_openai_shaped() -> None:
    assert errors_of("ErrorResponse", {"error": {"message": "m", "type": "invalid_request_error",
                                                 "param": None, "code": None}}) == []
    assert errors_of("ErrorResponse", {"error": {"message": "m", "type": "t"}}) != []
    assert errors_of("ErrorResponse", {"message": "m"}) != []


OUT_OF_RANGE = [
    ("temperature 2.5", {"temperature": 2.5}),
    ("temperature -0.1", {"temperature": -0.1}),
    ("top_p 1.01", {"top_p": 1.01}),
    ("top_k -2", {"top_k": -2}),
    ("min_p 1.5", {"min_p": 1.5}),
    ("n 0", {"n": 0}),
    ("n 129", {"n": 129}),
    ("stop with 5 items", {"stop": ["a", "b", "c", "d", "e"]}),
    ("frequency_penalty 2.01", {"frequency_penalty": 2.01}),
    ("presence_penalty -2.01", {"presence_penalty": -2.01}),
    ("repetition_penalty 0", {"repetition_penalty": 0}),
    ("top_logprobs 6", {"logprobs": True, "top_logprobs": 6}),
    ("top_logprobs -1", {"logprobs": True, "top_logprobs": -1}),
    ("top_logprobs without logprobs", {"top_logprobs": 2}),
    ("top_logprobs with logprobs false", {"logprobs": False, "top_logprobs": 2}),
    ("logit_bias 101", {"logit_bias": {"1734": 101}}),
    ("logit_bias key not a token id", {"logit_bias": {"hello": 5}}),
    ("tools 129", {"tools": [{"type": "function", "function": {"name": f"f{i}"}} for i in range(129)]}),
    ("max_completion_tokens 0", {"max_completion_tokens": 0}),
    ("max_tokens 0", {"max_tokens": 0}),
    ("reasoning_effort extreme", {"reasoning_effort": "extreme"}),
    ("service_tier platinum", {"service_tier": "platinum"}),
    ("empty messages", {"messages": []}),
    ("invalid role", {"messages": [{"role": "wizard", "content": "hi"}]}),
    ("message without content", {"messages": [{"role": "user"}]}),
    ("json_schema without strict", {"response_format": {"type": "json_schema",
                                                        "json_schema": {"name": "x", "schema": {}}}}),
    ("unknown response_format type", {"response_format": {"type": "yaml"}}),
    ("tool_choice unknown string", {"tool_choice": "always"}),
]

IN_RANGE = [
    ("temperature 0 and 2", [{"temperature": 0}, {"temperature": 2}]),
    ("top_p 0 and 1", [{"top_p": 0}, {"top_p": 1}]),
    ("top_k -1", [{"top_k": -1}, {"top_k": 40}]),
    ("min_p 0 and 1", [{"min_p": 0}, {"min_p": 1}]),
    ("n 1 and 128", [{"n": 1}, {"n": 128}]),
    ("stop string and 4 items", [{"stop": "###"}, {"stop": ["a", "b", "c", "d"]}]),
    ("penalties -2 and 2", [{"frequency_penalty": -2, "presence_penalty": 2}]),
    ("repetition_penalty just above 0", [{"repetition_penalty": 0.01}]),
    ("top_logprobs 0 and 5", [{"logprobs": True, "top_logprobs": 0}, {"logprobs": True, "top_logprobs": 5}]),
    ("logit_bias -100 and 100", [{"logit_bias": {"1734": -100, "42": 100}}]),
    ("tools 128", [{"tools": [{"type": "function", "function": {"name": f"f{i}"}} for i in range(128)]}]),
    ("enums", [{"reasoning_effort": e} for e in ("low", "medium", "high")]
     + [{"service_tier": t} for t in ("auto", "default", "flex", "priority")]),
    ("roles", [{"messages": [{"role": r, "content": "x"}]}
               for r in ("user", "assistant", "system", "tool", "developer")]),
    ("tool_choice forms", [{"tool_choice": c} for c in
                           ("none", "auto", "required", {"type": "function", "function": {"name": "f"}})]),
    ("text format", [{"response_format": {"type": "text"}}, {"response_format": {"type": "json_object"}}]),
    ("stream options", [{"stream": True, "stream_options": {"include_usage": True}}]),
]


@pytest.mark.parametrize("label, fragment", OUT_OF_RANGE, ids=[label for label, _ in OUT_OF_RANGE])
def test_out_of_range_requests_do_not_validate(label: str, fragment: dict[str, Any]) -> None:
    assert errors_of("ChatCompletionRequest", {**MINIMAL_CHAT, **fragment}) != [], label


@pytest.mark.parametrize("label, fragments", IN_RANGE, ids=[label for label, _ in IN_RANGE])
def test_boundary_requests_validate(label: str, fragments: list[dict[str, Any]]) -> None:
    for fragment in fragments:
        assert errors_of("ChatCompletionRequest", {**MINIMAL_CHAT, **fragment}) == [], (label, fragment)


def test_model_records_need_provider_capabilities_and_limits() -> None:
    model = {"id": "gpt-5", "object": "model", "created": 1704067200, "owned_by": "openai", "provider": "openai",
             "capabilities": ["chat", "tools-use", "reasoning"], "max_input_tokens": 272000,
             "max_completion_tokens": 128000, "max_total_tokens": 400000}
    assert errors_of("Model", model) == []
    assert errors_of("ModelList", {"object": "list", "data": [model]}) == []
    assert errors_of("Model", {**model, "capabilities": ["telepathy"]}) != []
    for key in ("provider", "capabilities", "max_input_tokens", "max_completion_tokens", "max_total_tokens"):
        assert errors_of("Model", {k: v for k, v in model.items() if k != key}) != [], key


# --------------------------------------------------------------------------------------------------
# traceability
# --------------------------------------------------------------------------------------------------


def trace_items() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load(TRACEABILITY_PATH.read_text(encoding="utf-8"))["items"]
    return loaded


def test_traceability_ids_are_unique() -> None:
    ids = [item["id"] for item in trace_items()]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert len(ids) >= 100


def test_every_traceability_item_is_well_formed_and_resolves() -> None:
    problems = []
    for item in trace_items():
        ident = item.get("id")
        known = {"id", "item", "source", "spec", "checks", "pending", "inferred", "quote", "primary_for"}
        if set(item) - known:
            problems.append(f"{ident}: unexpected keys {sorted(set(item) - known)}")
        if "quote" in item and normalise(str(item["quote"])) not in normalise(seed_text(str(item.get("source")))):
            problems.append(f"{ident}: its quote is not verbatim in {item.get('source')}")
        if not isinstance(item.get("item"), str) or not item["item"].strip():
            problems.append(f"{ident}: no item text")
        if item.get("source") not in {S000, S001, S002}:
            problems.append(f"{ident}: unknown source {item.get('source')!r}")
        try:
            resolve_pointer(spec(), item.get("spec", ""))
        except (AssertionError, KeyError, IndexError, ValueError) as error:
            problems.append(f"{ident}: spec pointer does not resolve: {error}")
        checks, pending = item.get("checks"), item.get("pending")
        has_checks = isinstance(checks, list) and checks and all(isinstance(c, str) and c for c in checks)
        has_pending = isinstance(pending, str) and pending.strip()
        if not has_checks and not has_pending:
            problems.append(f"{ident}: needs a non-empty checks list or a pending reason")
        if checks is not None and pending is not None:
            problems.append(f"{ident}: has both checks and pending")
        if not set(item.get("primary_for", ())) <= set(checks or ()):
            problems.append(f"{ident}: primary_for names checks it does not list")
    assert problems == []
