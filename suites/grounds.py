"""The grounds of a failure: the seed sentence it rests on (documented) or the convention it follows."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import yaml
from jsonschema.exceptions import ValidationError

from aigw_conformance.spec import loader
from aigw_conformance.spec.loader import API_PREFIXES, SPEC_PATH, SPEC_URI, ApiName, load_spec, match_operation
from aigw_conformance.suites.failures import Grounds

TRACEABILITY_PATH = SPEC_PATH.with_name("traceability.yaml")
Item = dict[str, Any]


@functools.cache
def traceability_items() -> tuple[Item, ...]:
    with TRACEABILITY_PATH.open(encoding="utf-8") as handle:
        return tuple(yaml.safe_load(handle)["items"])


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _provenance(node: Any) -> dict[str, Any] | None:
    provenance = node.get("x-provenance") if isinstance(node, dict) else None
    return provenance if isinstance(provenance, dict) else None


def nearest_provenance(pointer: str) -> tuple[str, dict[str, Any]] | None:
    """The `x-provenance` at the spec's JSON `pointer` or at its nearest ancestor, with the pointer carrying it."""
    node: Any = load_spec()
    where, found = "#", None
    for part in pointer.removeprefix("#/").split("/"):
        node = node[int(part)] if isinstance(node, list) else node[_unescape(part)]
        where += "/" + part
        if (provenance := _provenance(node)) is not None:
            found = (where, provenance)
    return found


def provenance_grounds(pointer: str, provenance: dict[str, Any]) -> Grounds:
    """A quoted element's seed file and quote, or an inferred element's reason (its pointer as the source)."""
    if "quote" in provenance:
        return Grounds.documented(str(provenance["source"]), str(provenance["quote"]))
    return Grounds.convention(str(provenance.get("inferred", "inferred element")), source=pointer)


def item_grounds(item: Item) -> Grounds:
    """A documented item: its own `quote` (verbatim from its `source`) when it gives one, else its spec element's;
    an inferred item: convention with the element's reason."""
    if not item.get("inferred") and "quote" in item:
        return Grounds.documented(str(item["source"]), str(item["quote"]))
    found = nearest_provenance(item["spec"])
    if not item.get("inferred") and found is not None:
        return provenance_grounds(*found)
    provenance = found[1] if found else {}
    reason = provenance.get("inferred") or provenance.get("note") or item["item"]
    return Grounds.convention(f"{reason} (traceability {item['id']})", source=item["spec"])


@functools.cache
def items_listing(check_name: str) -> tuple[Item, ...]:
    return tuple(item for item in traceability_items() if check_name in item.get("checks", ()))


SUPPORT_SEED = "000_3222256926808af7.txt"  # its "Provider-Specific Parameter Support" tables


@functools.cache
def support_rows() -> dict[str, str]:
    """Each parameter's row of 000's support tables, verbatim ("min_p Minimum probability vs top token (0.0-1.0)
    Yes No No": the ThreatWinds, OpenAI and Gemini columns)."""
    text = (loader.SEEDS_DIR / SUPPORT_SEED).read_text(encoding="utf-8")
    start = text.index("Provider-Specific Parameter Support")
    rows: dict[str, str] = {}
    for line in text[start:text.index("Error Codes", start)].splitlines():
        words = line.split()
        if len(words) > 4 and all(word in ("Yes", "No") for word in words[-3:]):
            rows.setdefault(words[0], line.strip())
    return rows


def support_grounds(parameter: str) -> Grounds | None:
    """A failure about what one provider got of `parameter`: that parameter's row of 000's support table."""
    row = support_rows().get(parameter)
    return Grounds.documented(SUPPORT_SEED, row) if row is not None else None


# An exchange's context key: the traceability item it probes (a test sending one parameter's values), for every check
# the item lists, or {check name: item} for those checks only.
ABOUT = "about"


@functools.lru_cache(maxsize=1024)
def about_grounds(check_name: str, inferred: bool, item_id: str) -> Grounds | None:
    """The grounds of item `item_id` for a failure of `check_name` on an exchange that probes it, when the item
    lists the check (a check several items list, such as a range check, then quotes the parameter's own sentence);
    else None."""
    item = next((item for item in items_listing(check_name) if item["id"] == item_id), None)
    decided = _decide((item,), inferred) if item is not None else None
    return decided[0] if decided is not None else None


def _decide(items: Iterable[Item], inferred: bool, check_name: str = "") -> tuple[Grounds, Item] | None:
    """The first documented item's grounds (none counts when the check declares itself inferred), else the first
    inferred item's; an item naming the check in its `primary_for` (the sentence the check most directly
    enforces) comes first, then items quoting their own sentence."""
    judged = sorted(((item_grounds(item), item) for item in items),
                    key=lambda pair: (check_name not in pair[1].get("primary_for", ()), "quote" not in pair[1]))
    documented = [pair for pair in judged if not pair[0].inferred]
    conventions = [pair for pair in judged if pair[0].inferred]
    if documented and not inferred:
        return documented[0]
    return conventions[0] if conventions else None


@functools.cache
def check_grounds(check_name: str, inferred: bool = False) -> Grounds:
    """A check's default grounds from the traceability items that list it; unlisted: convention."""
    decided = _decide(items_listing(check_name), inferred, check_name)
    if decided is not None:
        return decided[0]
    if inferred:
        return Grounds.convention(f"the check {check_name} is declared inferred (@check(inferred=True)): it verifies "
                                  "an element the documents are silent on", source=check_name)
    return Grounds.convention(f"no documented item of spec/traceability.yaml lists the check {check_name}",
                              source=check_name)


@functools.lru_cache(maxsize=2048)
def operation_pointer(api: str, operation: str) -> str | None:
    """`#/paths/<full path>/<method>` of the documented operation serving `operation` ("POST /chat/completions")."""
    method, _, path = operation.partition(" ")
    if api not in API_PREFIXES:
        return None
    known: ApiName = api
    matched = match_operation(known, method, path)
    if matched is None:
        return None
    full = API_PREFIXES[known] + ("" if matched[0] == "/" else matched[0])
    return f"#/paths/{_escape(full)}/{method.lower()}"


@functools.lru_cache(maxsize=4096)
def exchange_grounds(check_name: str, inferred: bool, api: str, operation: str) -> Grounds:
    """A check's grounds on one exchange: its `primary_for` item (unless that is about another endpoint), else the
    items about the exchange's operation when some list the check; when the check's grounds are an item about
    another endpoint, the operation's own provenance; else the default."""
    pointer = operation_pointer(api, operation)
    quoted = [item for item in items_listing(check_name) if "quote" in item and not item.get("inferred")]
    if pointer is None or (quoted and not inferred):  # an item quoting its own sentence holds on every operation
        return check_grounds(check_name, inferred)
    path_pointer = pointer.rsplit("/", 1)[0]
    items = items_listing(check_name)
    primary = [item for item in items if check_name in item.get("primary_for", ())
               and (not item["spec"].startswith("#/paths/") or item["spec"].startswith(path_pointer + "/"))]
    if primary and (decided := _decide(primary, inferred, check_name)) is not None:  # on every operation
        return decided[0]
    own = [item for item in items if item["spec"] == path_pointer or item["spec"].startswith(path_pointer + "/")]
    if own and (decided := _decide(own, inferred, check_name)) is not None:
        return decided[0]
    decided = _decide(items, inferred, check_name)
    if decided is None or decided[0].inferred or not decided[1]["spec"].startswith("#/paths/"):
        return check_grounds(check_name, inferred)
    found = nearest_provenance(pointer)
    return provenance_grounds(*found) if found else decided[0]


def schema_error_grounds(root: Any, error: ValidationError) -> Grounds | None:
    """The grounds of one validation error of `root` (a schema whose `$ref`s point into the spec): the nearest
    `x-provenance` along the violated keyword's schema path (`$ref`s followed where the path goes on inside them);
    for `required`, the missing properties' own (any documented one makes the error documented). None when the
    path meets no provenance."""
    node, where, found = root, "#", None
    path = list(error.absolute_schema_path)
    for key in [*path[:-1], None]:  # jsonschema leaves `$ref` out of the path: follow one where the key is not
        while isinstance(node, dict) and key not in node and isinstance(node.get("$ref"), str):
            where = node["$ref"].removeprefix(SPEC_URI)
            node = _resolve(where)
            if (provenance := _provenance(node)) is not None:
                found = (where, provenance)
        if key is None:
            break
        node = node[key]
        where += "/" + _escape(str(key))
        if (provenance := _provenance(node)) is not None:
            found = (where, provenance)
    if path and path[-1] == "required" and isinstance(node, dict) and isinstance(error.instance, dict):
        required: Any = error.validator_value
        missing = [name for name in required if name not in error.instance]
        judged = [grounds for name in missing if (grounds := _property_grounds(node, where, name)) is not None]
        if judged:
            return next((grounds for grounds in judged if not grounds.inferred), judged[0])
    return provenance_grounds(*found) if found else None


def _property_grounds(schema: dict[str, Any], where: str, name: str) -> Grounds | None:
    prop = schema.get("properties", {}).get(name)
    pointer = f"{where}/properties/{_escape(name)}"
    if isinstance(prop, dict) and _provenance(prop) is None and isinstance(prop.get("$ref"), str):
        pointer = prop["$ref"]
        prop = _resolve(pointer)
    provenance = _provenance(prop)
    return provenance_grounds(pointer, provenance) if provenance is not None else None


def _resolve(pointer: str) -> Any:
    node: Any = load_spec()
    for part in pointer.removeprefix("#/").split("/"):
        node = node[int(part)] if isinstance(node, list) else node[_unescape(part)]
    return node


# Checks whose rule holds on every endpoint, named or not: 000's authentication rows and 001's "All error responses
# include the following custom headers".
EVERY_ENDPOINT = ("auth.", "errors.x_error")


@functools.lru_cache(maxsize=1024)
def unnamed_operation(api: str, operation: str) -> str | None:
    """Why `operation` is one the documents never name, or None for a named one: a wholly inferred operation (the
    store's) or one whose provenance marks its path `path: inferred` (GET /models/{id}, the audio and voices
    paths: their purpose is quoted, their path is not)."""
    pointer = operation_pointer(api, operation)
    node: Any = _resolve(pointer) if pointer else None
    provenance = _provenance(node) or {}
    if "inferred" in provenance:
        return str(provenance["inferred"])
    if provenance.get("path") == "inferred":
        return str(provenance.get("note", "its path is inferred"))
    return None


def on_operation(check_name: str, grounds: Grounds, api: str, operation: str) -> Grounds:
    """A documented failure on an operation the documents never name is a convention (its absence or shape is
    never a documented failure), except for the rules that hold on every endpoint."""
    if grounds.inferred or check_name.startswith(EVERY_ENDPOINT):
        return grounds
    reason = unnamed_operation(api, operation)
    if reason is None:
        return grounds
    why = " ".join(reason.split())
    return Grounds.convention(f"{operation} is never named by the documents ({why}); on it, {grounds.source}'s "
                              f'"{grounds.quote}" is applied by convention', source=operation)
