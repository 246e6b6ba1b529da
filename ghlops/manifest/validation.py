"""pydantic validation of position-carrying data, with each problem as one precise line.

``validate(Model, data)`` runs ``Model.model_validate(data)`` and turns every entry of a ``ValidationError``
into ``file:line:col: path: message``, e.g.::

    manifests/downtown.yaml:14:17: spec.customFields[2].dataType: 'TEXTT' is not one of TEXT, LARGE_TEXT, ...

pydantic's ``loc`` is cleaned first: segments that are not keys or indexes of the data (union member
names, discriminator tags, ``function-after[...]`` and similar) are dropped. When a value fails every member
of a plain (non-discriminated) union, only the member(s) that came closest (fewest errors) are reported, and
type errors of the remaining members are combined (``expected a list or a string, got 3``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ghlops.errors import ManifestError, SourcePos, one_line
from ghlops.kinds.base import share_fields_set
from ghlops.manifest.positions import KeyPath, locate, locate_key, render_path
from ghlops.manifest.suggest import did_you_mean
from ghlops.manifest.values import describe_value, kind_of

__all__ = ["map_validation_error", "validate"]

M = TypeVar("M", bound=BaseModel)


def validate(
    model: type[M], data: Any, *, root_path: KeyPath = (), context: Mapping[str, Any] | None = None
) -> tuple[M | None, list[ManifestError]]:
    """Validate ``data`` as ``model``: ``(instance, [])`` or ``(None, errors)`` with every problem found.

    Positions come from ``data`` itself (its PosDict/PosList entries); ``root_path`` is where ``data`` sits
    in its document and only prefixes the errors' key paths (validate ``doc["spec"]`` with
    ``root_path=("spec",)`` to get ``spec.customFields[2].dataType``). ``context`` is passed to pydantic.
    """
    try:
        instance = model.model_validate(data, context=dict(context) if context is not None else None)
    except ValidationError as exc:
        return None, map_validation_error(exc, model, data, root_path=root_path)
    share_fields_set(instance)  # a run holds every declared entry: one fields set per shape, not per entry
    return instance, []


# -- loc cleaning ---------------------------------------------------------------------------------------

_INTERNAL_SEGMENT = re.compile(r"^(?:[a-z][a-z0-9_-]*\[.*\]|\[key\])$", re.DOTALL)
_MISSING = object()


@dataclass
class _Issue:
    error: ErrorDetails
    loc: KeyPath  # cleaned: keys and indexes of the data only
    tags: list[tuple[str, ...]]  # for loc[i]: the dropped segments just before it
    branch: tuple[tuple[Any, ...], str] | None  # (raw loc before it, first union-member segment)
    branch_depth: int = 0  # how many cleaned segments lie before the union member segment


def _clean_loc(data: Any, error: ErrorDetails) -> _Issue:
    loc = tuple(error["loc"])
    current: Any = data
    cleaned: list[str | int] = []
    tags: list[tuple[str, ...]] = []
    pending: list[str] = []
    branch: tuple[tuple[Any, ...], str] | None = None
    branch_depth = 0
    last = len(loc) - 1
    for index, segment in enumerate(loc):
        real = False
        if isinstance(segment, int):
            real = True
            in_range = isinstance(current, list) and 0 <= segment < len(current)
            current = current[segment] if in_range else _MISSING
        elif isinstance(current, dict) and segment in current:
            real = True
            current = current[segment]
        elif _INTERNAL_SEGMENT.match(segment):
            real = False
        elif isinstance(current, dict) and index == last:
            real = True  # a missing or unknown key
            current = _MISSING
        elif current is _MISSING:
            real = True
        if real:
            cleaned.append(segment)
            tags.append(tuple(pending))
            pending = []
        else:
            pending.append(str(segment))
            if branch is None:
                branch = (tuple(loc[:index]), str(segment))
                branch_depth = len(cleaned)
    return _Issue(error, tuple(cleaned), tags, branch, branch_depth)


def _is_shape_mismatch(issue: _Issue) -> bool:
    """The union member did not even match the value's type (as opposed to failing a deeper check)."""
    return issue.error["type"] in _MISMATCH_TYPES and len(issue.loc) == issue.branch_depth


def _closest_union_members(issues: list[_Issue]) -> list[_Issue]:
    """Where a value failed several members of a union, keep only the member(s) that came closest.

    Members the value did not even match in type are dropped when another member got further (matched the
    type, failed inside or in a validator); of the rest, those with the fewest errors are kept.
    """
    members: dict[tuple[Any, ...], dict[str, list[_Issue]]] = {}
    for issue in issues:
        if issue.branch is not None:
            base, member = issue.branch
            members.setdefault(base, {}).setdefault(member, []).append(issue)
    keep_members: dict[tuple[Any, ...], set[str]] = {}
    for base, per_member in members.items():
        closer = {m: found for m, found in per_member.items() if not all(map(_is_shape_mismatch, found))}
        candidates = closer or per_member
        fewest = min(len(found) for found in candidates.values())
        keep_members[base] = {m for m, found in candidates.items() if len(found) == fewest}
    return [issue for issue in issues if issue.branch is None or issue.branch[1] in keep_members[issue.branch[0]]]


# -- schema walking (what the model allows at a path: key names for suggestions, allowed values) -----------
#
# Taken from model_json_schema() (issue 10: not from type annotations, nor from pydantic's wording). A node is
# one alternative the schema allows at a path, with the $defs name it came from (union members are named by it
# in pydantic's error locations, which narrows a discriminated union to the member that was tried).

_Node = tuple[str, Any]  # (the $defs name, one schema alternative: a dict)


def _expand(node: Any, definitions: Mapping[str, Any], name: str = "") -> list[_Node]:
    """The alternatives ``node`` stands for: $refs followed, anyOf/oneOf/allOf unwrapped, null dropped."""
    pending: list[_Node] = [(name, node)]
    out: list[_Node] = []
    while pending:
        current_name, current = pending.pop(0)
        if not isinstance(current, dict):
            continue
        ref = current.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = ref.removeprefix("#/$defs/")
            pending.append((target, definitions.get(target)))
            continue
        alternatives = current.get("anyOf") or current.get("oneOf") or current.get("allOf")
        if isinstance(alternatives, list):
            pending.extend((current_name, a) for a in alternatives)
        elif current.get("type") != "null":
            out.append((current_name, current))
    return out


def _tag_matches(node: _Node, tags: tuple[str, ...]) -> bool:
    name, schema = node
    if name in tags:
        return True
    for prop in schema.get("properties", {}).values():
        if isinstance(prop, dict) and any(str(v) in tags for v in prop.get("enum", [prop.get("const")])):
            return True
    return False


def _narrow(nodes: list[_Node], tags: tuple[str, ...]) -> list[_Node]:
    objects = [n for n in nodes if "properties" in n[1]]
    if len(objects) > 1 and tags:
        return [n for n in objects if _tag_matches(n, tags)] or nodes
    return nodes


def _nodes_at(model: type[BaseModel], loc: KeyPath, tags: Sequence[tuple[str, ...]] = ()) -> list[_Node]:
    schema = _json_schema(model)
    definitions = schema.get("$defs", {})
    nodes = _expand(schema, definitions, schema.get("title", ""))
    for index, segment in enumerate(loc):
        if isinstance(segment, str):
            nodes = _narrow(nodes, tags[index] if index < len(tags) else ())
        following: list[_Node] = []
        for _, node in nodes:
            if isinstance(segment, str):
                child = node.get("properties", {}).get(segment)
                if child is None and isinstance(node.get("additionalProperties"), dict):
                    child = node["additionalProperties"]
            else:
                prefix = node.get("prefixItems")
                fixed = isinstance(prefix, list) and 0 <= segment < len(prefix)
                child = prefix[segment] if fixed else node.get("items")
            following.extend(_expand(child, definitions))
        nodes = following
        if not nodes:
            break
    return nodes


def _key_names(nodes: list[_Node], tags: tuple[str, ...]) -> list[str]:
    names: list[str] = []
    for _, node in _narrow(nodes, tags):
        names.extend(node.get("properties", {}))
    return list(dict.fromkeys(names))


def _belongs_under(model: type[BaseModel], nodes: list[_Node], key: str, parent: KeyPath) -> str:
    """`` (it belongs under spec: indent it ...)`` when ``key`` is a key of a mapping one level down (a section
    dedented out of ``spec``, say); empty otherwise."""
    definitions = _json_schema(model).get("$defs", {})
    homes: list[str] = []
    for _, node in nodes:
        for name, prop in node.get("properties", {}).items():
            inner = _expand(prop, definitions)
            if any(key in n.get("properties", {}) for _, n in inner):
                homes.append(name)
    homes = list(dict.fromkeys(homes))
    if len(homes) != 1:
        return ""
    home = render_path((*parent, homes[0]))
    return f" (it belongs under {home}: indent it to the level of the other keys of {home})"


def _schema_values(model: type[BaseModel], loc: KeyPath) -> list[Any]:
    """The values ``model_json_schema()`` allows at ``loc`` (``enum``/``const`` of every alternative there): the
    choices an enum or literal error names, from the schema rather than pydantic's wording of them."""
    values: list[Any] = []
    for _, node in _nodes_at(model, loc):
        for value in node.get("enum", [node["const"]] if "const" in node else []):
            if value not in values:
                values.append(value)
    return values


@functools.cache
def _json_schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


# -- messages -------------------------------------------------------------------------------------------

_EXPECTED: dict[str, str] = {
    "string_type": "a string",
    "string_unicode": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_parsing_size": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "decimal_type": "a number",
    "decimal_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "mapping_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "dataclass_type": "a mapping",
    "typed_dict_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "frozen_set_type": "a list",
    "iterable_type": "a list",
    "none_required": "null",
}
_CONTAINER_EXPECTATIONS = frozenset({"a mapping", "a list"})
_MISMATCH_TYPES = frozenset(_EXPECTED) | {"enum", "literal_error", "union_tag_invalid", "is_instance_of"}


def _show_allowed(value: Any) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, str):
        return value
    return describe_value(value)


def _got(expected: str, value: Any) -> str:
    if expected in _CONTAINER_EXPECTATIONS or isinstance(value, Mapping | list | tuple | set | frozenset):
        return kind_of(value)
    shown = describe_value(value)
    if expected == "a string" and isinstance(value, bool | int | float):
        return f"{shown} (put it in quotes to make it text)"
    return shown


def _not_one_of(value: Any, allowed: list[Any]) -> str:
    names = [_show_allowed(v) for v in allowed]
    message = f"{describe_value(value)} is not one of {', '.join(names)}"
    if isinstance(value, str):
        message += did_you_mean(value, names)
    return message


@dataclass
class _Line:
    pos: SourcePos | None
    path: KeyPath
    message: str
    expected: str | None  # what a type/choice error expected (to combine union alternatives)
    got: Any
    base: tuple[Any, ...] | None


def _line(issue: _Issue, model: type[BaseModel], data: Any, root_path: KeyPath) -> _Line:
    error = issue.error
    kind = error["type"]
    loc = issue.loc
    value = error.get("input")
    ctx = error.get("ctx") or {}
    base = issue.branch[0] if issue.branch is not None else None

    def at_value(message: str, expected: str | None = None) -> _Line:
        return _Line(locate(data, loc), root_path + loc, message, expected, value, base)

    if kind == "missing" and loc and isinstance(loc[-1], str):
        parent = loc[:-1]
        return _Line(
            locate(data, parent),
            root_path + parent,
            f"missing required key {describe_value(loc[-1])}",
            None,
            None,
            base,
        )
    if kind == "extra_forbidden" and loc and isinstance(loc[-1], str):
        parent = loc[:-1]
        tags = issue.tags[-1] if issue.tags else ()
        nodes = _nodes_at(model, parent, issue.tags)
        names = _key_names(nodes, tags)
        hint = did_you_mean(loc[-1], names) or _belongs_under(model, nodes, loc[-1], root_path + parent)
        message = f"unknown key {describe_value(loc[-1])}{hint}"
        return _Line(locate_key(data, loc), root_path + parent, message, None, None, base)
    if kind in ("enum", "literal_error"):
        allowed = _schema_values(model, loc)
        if allowed:
            return at_value(_not_one_of(value, allowed), f"one of {', '.join(map(_show_allowed, allowed))}")
        return at_value(f"{describe_value(value)} is not one of {ctx.get('expected', '')}")
    discriminator = str(ctx.get("discriminator", "")).strip("'\"")
    if kind == "union_tag_not_found" and discriminator:
        message = f"missing required key {discriminator!r}"
        return _Line(locate(data, loc), root_path + loc, message, None, None, base)
    if kind == "union_tag_invalid" and discriminator:
        where = (*loc, discriminator)
        allowed = _schema_values(model, where)
        message = _not_one_of(ctx.get("tag"), allowed) if allowed else one_line(error["msg"])
        return _Line(locate(data, where), root_path + where, message, None, None, base)
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        return at_value(f"expected {expected}, got {_got(expected, value)}", expected)
    message = error["msg"]
    if kind in ("value_error", "assertion_error") and ctx.get("error") is not None:
        # The validator's own words, from the exception pydantic keeps, not its "Value error, ..." wrapping.
        message = str(ctx["error"])
    return at_value(one_line(message))


def _combine_alternatives(lines: list[_Line]) -> list[_Line]:
    """``expected a list, got 3`` + ``expected a string, got 3`` (same union, same place) -> one line."""
    out: list[_Line] = []
    groups: dict[tuple[Any, ...], tuple[_Line, list[str]]] = {}
    for line in lines:
        if line.expected is None or line.base is None:
            out.append(line)
            continue
        key = (line.base, line.pos, line.path)
        if key not in groups:
            groups[key] = (line, [line.expected])
            out.append(line)
            continue
        first, options = groups[key]
        if line.expected not in options:
            options.append(line.expected)
            first.message = f"expected {' or '.join(options)}, got {describe_value(first.got)}"
    return out


def map_validation_error(
    exc: ValidationError, model: type[BaseModel], data: Any, *, root_path: KeyPath = ()
) -> list[ManifestError]:
    """Every entry of ``exc`` (raised validating ``data`` as ``model``) as a positioned ManifestError.

    Identical (position, path, message) entries are reported once; the result is sorted by position.
    """
    issues = [_clean_loc(data, error) for error in exc.errors(include_url=False)]
    lines = _combine_alternatives([_line(i, model, data, root_path) for i in _closest_union_members(issues)])
    seen: set[tuple[SourcePos | None, KeyPath, str]] = set()
    errors: list[ManifestError] = []
    for line in lines:
        key = (line.pos, line.path, line.message)
        if key not in seen:
            seen.add(key)
            errors.append(ManifestError(line.message, pos=line.pos, path=line.path))
    errors.sort(key=lambda error: error.sort_key())
    return errors
