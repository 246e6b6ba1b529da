"""Live state -> manifest data (pure): what ``ghlops export`` and ``ghlops clone`` write.

Live objects are parsed by the kinds into the same models a manifest declares, so an export is the models
dumped with only the fields GHL returned (``exclude_unset``), minus:

* ghlops' own keys (renamedFrom, ignoreChanges, protect, passwordEnv) and every server id: entries are
  matched by natural key, and calendar team members name users by email (the reader's resolver maps ids);
* values equal to the defaults GHL documents for a create (CalendarCreateDTO, TeamMember, CreateProductDto,
  PermissionsDto, CreateCustomFieldsDTO.position), the model's own defaults (a custom field's
  ``model: contact``) and what GHL derives (a widget slug equal to the slug, empty calendar arrays): the plan
  compares only the fields a manifest sets, so leaving them out is safe and keeps exports short. It also makes
  drift on them invisible (issue 14, section 5): ``full=True`` (``export --full``) keeps the create defaults.

Entries are sorted by natural key and fields keep the model's order, so exporting twice gives the same text.
A clone (``for_clone=True``) also leaves out references to objects ghlops does not manage (calendar groups and
forms, product collections and taxes): their ids belong to the source location.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ghlops.kinds.base import META_FIELDS, Entry, Kind, LiveObject, Scope, field_adapter
from ghlops.kinds.registry import BY_NAME, children, document_order, section_value
from ghlops.manifest.model import API_VERSION
from ghlops.state import LocationLive

__all__ = [
    "EXPORTABLE",
    "Export",
    "export_sections",
    "location_document",
    "template_document",
]

#: The sections an export can write, in document order (from the registry).
EXPORTABLE: tuple[str, ...] = document_order()


@dataclass
class Export:
    """Manifest sections read from one location, and notes for the user (written to stderr)."""

    sections: dict[str, list[Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def export_sections(
    live: LocationLive,
    users: Sequence[LiveObject[Any]] | None,
    kinds: Sequence[str] = EXPORTABLE,
    *,
    for_clone: bool = False,
    company: Mapping[str, Sequence[LiveObject[Any]]] | None = None,
    full: bool = False,
) -> Export:
    """The manifest sections for ``kinds`` (in document order). Company-level objects come from ``company``
    (kind name -> all of the company's objects; ``users`` is the users' list, the older way to pass it): those
    that belong to the location are exported. Empty sections are left out. ``full`` keeps the values equal to
    GHL's create defaults (the kinds' ``export_defaults``), so a manifest manages them and drift on them shows."""
    result = Export()
    company_objects: dict[str, Sequence[LiveObject[Any]]] = dict(company or {})
    if users is not None:
        company_objects.setdefault("users", users)
    for section in EXPORTABLE:
        if section not in kinds:
            continue
        kind = BY_NAME[section]
        if kind.scope is Scope.COMPANY:
            objects = [o for o in company_objects.get(section) or [] if kind.in_location(o, live.location_id)]
        else:
            objects = live.of(section)
        entries = [_export(kind, o, live, result.notes, for_clone, full) for o in _sorted(kind, objects, result.notes)]
        result.notes.extend(kind.export_notes(objects))
        if kind.singleton:
            entries = [e for e in entries if e]  # nothing set (or all of it left out of a clone): no section
        if entries:
            result.sections[section] = section_value(kind, entries)
    return result


def location_document(
    name: str,
    location_id: str,
    sections: Mapping[str, list[Any]],
    *,
    token_env: str | None = None,
    templates: Sequence[str] = (),
) -> dict[str, Any]:
    """A Location document in the order ``ghlops validate`` documents it."""
    spec: dict[str, Any] = {"locationId": location_id}
    if token_env:
        spec["tokenEnv"] = token_env
    if templates:
        spec["templates"] = list(templates)
    spec.update(_ordered(sections))
    return {"apiVersion": API_VERSION, "kind": "Location", "metadata": {"name": name}, "spec": spec}


def template_document(name: str, sections: Mapping[str, list[Any]]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "Template", "metadata": {"name": name}, "spec": _ordered(sections)}


def _ordered(sections: Mapping[str, list[Any]]) -> dict[str, list[Any]]:
    return {section: sections[section] for section in EXPORTABLE if section in sections}


# -- per kind -----------------------------------------------------------------------------------------------------


def _sorted(kind: Kind[Any], objects: Sequence[LiveObject[Any]], notes: list[str]) -> list[LiveObject[Any]]:
    ordered = sorted(objects, key=lambda o: (kind.key(o.obj), kind.display(o.obj)))
    for before, after in itertools.pairwise(ordered):
        if kind.key(before.obj) == kind.key(after.obj):
            notes.append(
                f"two live {kind.label}s share the natural key {kind.display(after.obj)!r} (ids {before.id} and "
                f"{after.id}); both are exported and validate will report the duplicate: remove one in GHL"
            )
    return ordered


def dump(obj: Entry) -> dict[str, Any]:
    """The fields GHL returned, in model order, without ghlops' own keys; whole floats as integers."""
    data = obj.model_dump(
        mode="json", exclude_unset=True, exclude=set(META_FIELDS) & set(type(obj).model_fields), warnings=False
    )
    return {k: _tidy(v) for k, v in data.items() if v is not None}


def dump_live(live: LiveObject[Any], notes: list[str], kind: Kind[Any]) -> dict[str, Any]:
    """:func:`dump` of a live object without the values that don't fit the manifest model (``live.odd``):
    an export must validate. Empty odd values ("" or {} where GHL means unset) go silently; others get a note."""
    data = dump(live.obj)
    for path in sorted(live.odd, key=len, reverse=True):
        value = _pop(data, path)
        if value not in (None, "", {}, []):
            notes.append(
                f"{kind.label} {kind.display(live.obj)!r}: left out "
                f"{_render(path)}: GHL's value {value!r} is not one ghlops can write"
            )
    model = type(live.obj)
    for top in {str(p[0]) for p in live.odd}:
        if top in data and not _fits(model, top, data[top]):
            del data[top]  # what remained of it (a meeting location without its kind) would not validate
    return data


def _pop(data: Any, path: tuple[str | int, ...]) -> Any:
    for step in path[:-1]:
        if isinstance(data, dict) and isinstance(step, str):
            data = data.get(step)
        elif isinstance(data, list) and isinstance(step, int) and step < len(data):
            data = data[step]
        else:
            return None
    last = path[-1]
    if isinstance(data, dict) and isinstance(last, str):
        return data.pop(last, None)
    if isinstance(data, list) and isinstance(last, int) and last < len(data):
        return data.pop(last)
    return None


def _render(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))


def _fits(model: type[Entry], name: str, value: Any) -> bool:
    try:
        field_adapter(model, name).validate_python(value)
    except ValidationError:
        return False
    return True


def _export(
    kind: Kind[Any], live: LiveObject[Any], location: LocationLive, notes: list[str], for_clone: bool, full: bool
) -> Any:
    """One exported entry: the live object dumped, without the kind's export defaults (kept when ``full``) and
    what GHL derives, with its children (a product's prices) nested under it."""
    data = dump_live(live, notes, kind)
    if not full:
        _drop_defaults(data, kind.export_defaults)
    before = _snapshot(data) if full else {}
    entry = kind.export_entry(data, live, notes)
    if not isinstance(entry, dict):
        return entry  # a plain string (a tag)
    if full:
        _restore(entry, before, skip=set(kind.location_references) | set(kind.children))
    if for_clone:
        _drop_references(kind, live, entry, notes)
    for child in children(kind.name):
        assert child.parent_field is not None
        key = kind.key(live.obj)
        own = [c for c in location.of(child.name) if child.parent_key(c.obj) == key]
        entry.pop(child.parent_field, None)
        if own:
            entry[child.parent_field] = [
                _export(child, c, location, notes, for_clone, full) for c in _sorted(child, own, notes)
            ]
    return entry


def _snapshot(data: Any, into: dict[int, dict[str, Any]] | None = None) -> dict[int, dict[str, Any]]:
    """A copy of every dict in ``data`` by identity: the kinds' export_entry edits the dicts in place (and may
    reorder lists), so what it left out of each is known afterwards without knowing the kind."""
    found = {} if into is None else into
    if isinstance(data, dict):
        found[id(data)] = dict(data)
        for value in data.values():
            _snapshot(value, found)
    elif isinstance(data, list):
        for value in data:
            _snapshot(value, found)
    return found


def _restore(data: Any, before: Mapping[int, dict[str, Any]], *, skip: AbstractSet[str] = frozenset()) -> None:
    """``--full``: put back, at every depth, the values export_entry left out as defaults (a team member's
    priority, a user's permissions, a calendar's empty lists), but never an id-valued reference the kind
    dropped (``skip`` at the top: ids of objects ghlops doesn't manage, child sections) or one naming an object
    by id (``id:...``, which validate refuses)."""
    if isinstance(data, list):
        for value in data:
            _restore(value, before)
        return
    if not isinstance(data, dict):
        return
    original = before.get(id(data), {})
    back = {k: v for k, v in original.items() if k not in data and k not in skip and not _names_by_id(v)}
    if back:
        # In the order GHL's fields were dumped (the model's), then what export_entry added.
        merged = {k: data[k] if k in data else back[k] for k in original if k in data or k in back}
        merged.update((k, v) for k, v in data.items() if k not in merged)
        data.clear()
        data.update(merged)
    for value in data.values():
        _restore(value, before)


def _names_by_id(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("id:")


def _drop_defaults(data: dict[str, Any], defaults: Mapping[str, Any]) -> None:
    for key, default in defaults.items():
        if key in data and _same(data[key], default):
            del data[key]


def _same(value: Any, default: Any) -> bool:
    # True == 1 in Python; a default is only matched by a value of the same kind.
    return isinstance(value, bool) == isinstance(default, bool) and value == default


def _drop_references(kind: Kind[Any], live: LiveObject[Any], data: dict[str, Any], notes: list[str]) -> None:
    dropped = [key for key in kind.location_references if data.get(key) not in (None, [])]
    for key in dropped:
        del data[key]
    if dropped:
        notes.append(
            f"{kind.label} {kind.display(live.obj)!r}: left out {', '.join(dropped)}: ids of objects ghlops does "
            "not manage belong to the source location; set them in the new manifest if the target has its own"
        )


def _tidy(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    return value
