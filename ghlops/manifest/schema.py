"""The JSON Schema of manifest documents, generated from the pydantic models (for editors and other tools).

One schema for both document kinds, chosen by ``kind``. It follows the models, with what the loader adds:
tags may be plain strings, ``prune`` and ``templates`` may be a single string. It says what ``ghlops validate``
enforces where JSON Schema can: no explicit nulls, pydantic's required keys, enums, ranges, email shape, and
the conditional rules (options for option-type custom fields, ``recurring`` for recurring prices).

Entries come in two forms. ``Product`` is a complete entry, as a Location without ``templates`` must write it.
``ProductPartial`` is what a Template, or a Location that lists ``templates``, may write: only the natural key is
required (the rest may come from a template) and ``remove: true`` drops an inherited entry; ``validate`` checks
completeness after merging, with file:line errors. What JSON Schema can't say stays with ``validate``:
uniqueness across entries and documents, references (``{{ vars.X }}`` needs the variable, a template name needs
its Template) and a ``remove`` with no matching template entry.
"""

from __future__ import annotations

import copy
import json
from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from ghlops.kinds.base import META_FIELDS, TRIMMED_PATTERN, Entry
from ghlops.kinds.custom_fields import OPTION_TYPES
from ghlops.kinds.registry import KINDS, SECTION_KINDS
from ghlops.manifest.model import NAME_PATTERN, LocationDocument, TemplateDocument

__all__ = ["build_schema", "schema_text"]

_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_REMOVE = {
    "type": "boolean",
    "description": "Drop the entry with this natural key inherited from a template (Location) or from an earlier "
    "template (Template). Other keys of this entry are ignored.",
}
_SPECS = ("LocationSpec", "TemplateSpec")
_PARTIAL = "Partial"
# An entry whose natural key is several fields: the partial form needs them all.
_COMPOSITE_KEYS = frozenset({"CalendarNotification"})
# Python's str.isspace() whitespace that ECMA-262's \s leaves out (validate's regexes are Python's): a character
# class excluding both sets refuses whatever either side calls whitespace.
_PY_SPACE = r"\x1c-\x1f\x85"
# kinds/users.py _EMAIL, with both whitespace sets excluded.
_EMAIL_PATTERN = rf"^[^@\s{_PY_SPACE}]+@[^@\s{_PY_SPACE}]+\.[^@\s{_PY_SPACE}]+$"

Document = Annotated[LocationDocument | TemplateDocument, Field(discriminator="kind")]


def _entry_models() -> dict[str, type[Entry]]:
    found: dict[str, type[Entry]] = {}
    pending: list[type[Entry]] = list(Entry.__subclasses__())
    while pending:
        model = pending.pop()
        found[model.__name__] = model
        pending.extend(model.__subclasses__())
    return found


def build_schema() -> dict[str, Any]:
    generated = TypeAdapter(Document).json_schema(mode="validation", ref_template="#/$defs/{model}")
    definitions: dict[str, Any] = _drop_nulls(generated.get("$defs", {}))
    key_fields = {k.model.__name__: k.key_field for k in KINDS}
    singletons = {k.model.__name__ for k in KINDS if k.singleton}
    entries = {name: model for name, model in sorted(_entry_models().items()) if name in definitions}
    partial_names = {name for name in entries if name not in singletons}
    for name, model in entries.items():
        definition = definitions[name]
        properties = definition["properties"]
        # ignoreChanges names fields of this kind: complete them in the editor.
        fields = [f for f in model.model_fields if f not in META_FIELDS]
        properties["ignoreChanges"]["items"] = {"type": "string", "enum": fields}
        if name in singletons:
            continue  # one object per location (spec.profile): no key, nothing to remove, nothing required
        if name == "User":
            properties["email"]["pattern"] = _EMAIL_PATTERN  # kinds/users.py _EMAIL, both whitespace sets left out
        partial = copy.deepcopy(definition)
        partial["properties"][_REMOVE_KEY] = dict(_REMOVE)
        # A complete entry has nothing to drop: validate refuses remove there (true, or any key on a child).
        if name not in _COMPOSITE_KEYS:
            partial["required"] = [key_fields.get(name, "name")]
        partial["description"] = (
            f"{definition.get('description', name)} As a Template or a Location with templates may write it: only "
            "the natural key is required, the rest may come from a template."
        ).strip()
        definitions[name + _PARTIAL] = _partial_refs(partial, partial_names)
        definition.update(_complete_rules(name))
    _value_rules(definitions)
    for spec_name in _SPECS:
        properties = definitions[spec_name]["properties"]
        for kind in SECTION_KINDS:
            if kind.accepts_string:
                name_schema = definitions[kind.model.__name__]["properties"][kind.key_field]
                _allow_string_items(properties[kind.name], kind.model.__name__, name_schema)
        if "prune" in properties:
            _allow_single(properties["prune"])
        for option in properties["vars"].get("anyOf", [properties["vars"]]):
            if "patternProperties" in option:
                option["additionalProperties"] = False
        if "templates" in properties:
            _allow_single(properties["templates"], {"type": "string", "pattern": NAME_PATTERN})
        complete = {kind.name: properties[kind.name] for kind in SECTION_KINDS}
        for kind in SECTION_KINDS:
            properties[kind.name] = _partial_refs(copy.deepcopy(properties[kind.name]), partial_names)
        if spec_name == "LocationSpec":
            # Without templates nothing completes an entry: each must be whole, and there is nothing to remove.
            definitions[spec_name]["if"] = {"required": ["templates"]}
            definitions[spec_name]["else"] = {"properties": complete}
    definitions = {name: _allow_references(definition) for name, definition in definitions.items()}
    return {
        "$schema": _DRAFT,
        "title": "ghlops manifest",
        "description": "A ghlops/v1 document: a Location (one GHL sub-account) or a Template (sections shared by "
        "the locations that list it in spec.templates). Generated by `ghlops schema`; do not edit.",
        "oneOf": generated["oneOf"],
        "discriminator": generated.get("discriminator"),
        "$defs": {name: definitions[name] for name in sorted(definitions)},
    }


def _complete_rules(name: str) -> dict[str, Any]:
    """Conditional requirements of a complete entry (the models' validators), as JSON Schema."""
    if name == "CustomField":
        options = sorted(str(t) for t in OPTION_TYPES)
        return {
            "allOf": [
                # kinds/custom_fields.py _options_fit_type: option types need choices, others take none.
                {
                    "if": {"properties": {"dataType": {"enum": options}}, "required": ["dataType"]},
                    "then": {"properties": {"options": {"minItems": 1}}, "required": ["options"]},
                    "else": {"properties": {"options": {"maxItems": 0}}},
                }
            ]
        }
    if name == "Calendar":
        # kinds/calendars.py: a calendar joins its group by name or by id, not both.
        return {"not": {"required": ["group", "groupId"]}}
    if name == "Price":
        # kinds/products.py _recurring_has_its_interval: GHL refuses a recurring price without its interval.
        return {
            "allOf": [
                {
                    "if": {"properties": {"type": {"const": "recurring"}}, "required": ["type"]},
                    "then": {"required": ["recurring"]},
                }
            ]
        }
    return {}


def _value_rules(definitions: dict[str, Any]) -> None:
    """Ranges and sets the models check in validators (kinds/calendars.py), and names without surrounding
    whitespace by Python's reckoning (validate strips with str.strip(); ECMA-262's \\S lets some of it through)."""
    definitions["OpenHour"]["properties"]["daysOfTheWeek"]["items"].update(minimum=0, maximum=6)
    definitions["TeamMember"]["properties"]["priority"]["enum"] = [0, 0.5, 1]
    # A team member names a user by email (the users kind's reference_problem).
    definitions["TeamMember"]["properties"]["user"]["pattern"] = _EMAIL_PATTERN
    for node in _nodes(definitions):
        if node.get("pattern") == TRIMMED_PATTERN:
            node["pattern"] = _TRIMMED


_NOT_SPACE = rf"[^\s{_PY_SPACE}]"
_TRIMMED = rf"^{_NOT_SPACE}(.*{_NOT_SPACE})?$"


def _nodes(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [found for item in node for found in _nodes(item)]
    if not isinstance(node, dict):
        return []
    return [node, *(found for value in node.values() for found in _nodes(value))]


def _drop_nulls(node: Any) -> Any:
    """``X | None`` without the None: validate refuses an explicit null (leave the key out instead)."""
    if isinstance(node, list):
        return [_drop_nulls(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _drop_nulls(value) for key, value in node.items() if not (key == "default" and value is None)}
    options = out.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1 and not set(kept[0]) & set(out.keys() - {"anyOf"}):
            del out["anyOf"]
            out.update(kept[0])
        else:
            out["anyOf"] = kept
    return out


def _partial_refs(node: Any, names: set[str]) -> Any:
    """``node`` with every reference to a complete entry pointing at its partial form."""
    if isinstance(node, list):
        return [_partial_refs(item, names) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.rsplit("/", 1)[-1] in names:
        return {**node, "$ref": ref + _PARTIAL}
    return {key: _partial_refs(value, names) for key, value in node.items()}


_REMOVE_KEY = "remove"


def _allow_string_items(prop: dict[str, Any], model: str, name: dict[str, Any]) -> None:
    """``list[Tag] | None`` -> items may be the Tag mapping or a plain string (its name)."""
    for option in prop.get("anyOf", [prop]):
        items = option.get("items")
        if isinstance(items, dict) and items.get("$ref", "").endswith(f"/{model}"):
            option["items"] = {"anyOf": [{k: v for k, v in name.items() if k != "title"}, items]}


def _allow_single(prop: dict[str, Any], single: dict[str, Any] | None = None) -> None:
    """A list also accepts one item written alone (``prune: tags``, ``templates: base``)."""
    if "anyOf" not in prop and prop.get("type") == "array":
        array = {k: prop.pop(k) for k in list(prop) if k not in ("title", "description")}
        prop["anyOf"] = [array]
    options = prop.get("anyOf")
    if options is None:
        return
    for option in list(options):
        if option.get("type") == "array" and isinstance(option.get("items"), dict):
            options.insert(0, single or dict(option["items"]))
            return


# A number or boolean field may hold one reference, filled in before validation.
_REFERENCE = {
    "type": "string",
    # templates.py expand() and interpolate.py: names as the shell has them; around a vars name, only the
    # whitespace both Python and ECMA-262 agree on.
    "pattern": r"^(\{\{[ \t\n\r\f\v]*vars\.[A-Za-z_][A-Za-z0-9_]*[ \t\n\r\f\v]*\}\}|\$\{[A-Za-z_][A-Za-z0-9_]*\})$",
    "description": "A '{{ vars.NAME }}' or '${ENV_NAME}' reference that gives the value.",
}
_VALUE_KEYS = frozenset({"type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})


def _allow_references(node: Any) -> Any:
    """Every number, integer or boolean schema below ``node`` also accepts a lone reference string."""
    if isinstance(node, list):
        return [_allow_references(item) for item in node]
    if not isinstance(node, dict):
        return node
    # Offline, a fixed set of values can't take a stand-in for an unresolved reference: validate refuses one there.
    if node.get("type") in ("number", "integer", "boolean") and "enum" not in node and "const" not in node:
        value = {k: v for k, v in node.items() if k in _VALUE_KEYS}
        outer = {k: v for k, v in node.items() if k not in _VALUE_KEYS}
        return {"anyOf": [value, dict(_REFERENCE)], **outer}
    # Variables themselves are plain values: nothing is substituted inside spec.vars. remove and protect are
    # read before any reference is resolved (merging, the protect check), so validate wants a literal there.
    if isinstance(node.get("properties"), dict):
        node = {
            **node,
            "properties": {
                key: value if key in _LITERAL else _allow_references(value) for key, value in node["properties"].items()
            },
        }
    return {key: value if key in ("vars", "properties") else _allow_references(value) for key, value in node.items()}


_LITERAL = frozenset({"remove", "protect", "vars"})


def schema_text() -> str:
    """The schema as the checked-in file holds it (stable key order, two-space indent, final newline)."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"
