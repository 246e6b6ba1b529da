"""The registry of kinds: the one list everything else derives from.

Each kind declares everything about itself in its own module (see :class:`ghlops.kinds.base.Kind`): its section,
scope, parent, natural key, references, how it is listed, the token it needs, immutable and write-only fields,
export defaults and what a delete costs. The manifest models and schemas, the live reader, the planner, export,
the checks and the sandbox's store all read this registry; none of them lists kinds by hand.

The order is the dependency order creates and updates follow (deletes run in reverse): a kind comes after the
kinds it references. Kinds from outside ghlops (a module with ``KIND`` or ``KINDS``) are added after the built-in
ones from the modules named in ``GHLOPS_KIND_MODULES`` (comma-separated), read once when ghlops is imported: how
tests prove a new kind needs nothing but its module.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from typing import Any

from ghlops.kinds.base import Entry, Kind, Scope

MODULES_ENV = "GHLOPS_KIND_MODULES"

BUILTIN_MODULES: tuple[str, ...] = (
    "ghlops.kinds.users",
    "ghlops.kinds.tags",
    "ghlops.kinds.custom_fields",
    "ghlops.kinds.custom_values",
    "ghlops.kinds.products",
    "ghlops.kinds.calendar_groups",  # before calendars, which name their group
    "ghlops.kinds.calendars",
    "ghlops.kinds.calendar_notifications",  # children of calendars
    "ghlops.kinds.links",
    "ghlops.kinds.profile",
)


def _kinds_of(module_name: str) -> tuple[Kind[Any], ...]:
    module = importlib.import_module(module_name)
    found = getattr(module, "KINDS", None)
    if found is None:
        found = (module.KIND,)
    kinds = tuple(found)
    for kind in kinds:
        if not isinstance(kind, Kind):
            raise TypeError(f"{module_name}: {kind!r} is not a Kind")
    return kinds


def load(modules: Sequence[str]) -> tuple[Kind[Any], ...]:
    kinds: list[Kind[Any]] = []
    for name in modules:
        for kind in _kinds_of(name):
            if any(k.name == kind.name for k in kinds):
                raise ValueError(f"{name}: a kind named {kind.name!r} is already registered")
            kinds.append(kind)
    names = {k.name for k in kinds}
    for kind in kinds:
        targets = [r.target for r in kind.references] + ([kind.parent] if kind.parent else [])
        for target in targets:
            if target not in names:
                raise ValueError(f"kind {kind.name!r} references {target!r}, which no registered kind is")
    return tuple(kinds)


def _plugins() -> tuple[str, ...]:
    raw = os.environ.get(MODULES_ENV, "")
    return tuple(part.strip() for part in raw.split(",") if part.strip())


KINDS: tuple[Kind[Any], ...] = load((*BUILTIN_MODULES, *_plugins()))
BY_NAME: dict[str, Kind[Any]] = {k.name: k for k in KINDS}
LOCATION_KINDS: tuple[Kind[Any], ...] = tuple(k for k in KINDS if k.scope is Scope.LOCATION)
COMPANY_KINDS: tuple[Kind[Any], ...] = tuple(k for k in KINDS if k.scope is Scope.COMPANY)
#: Kinds with a manifest section, in dependency order.
SECTION_KINDS: tuple[Kind[Any], ...] = tuple(k for k in KINDS if k.section is not None)


def section_names() -> tuple[str, ...]:
    """The manifest sections, in dependency order (what `--kinds` and `spec.prune` accept)."""
    return tuple(k.name for k in SECTION_KINDS)


def document_order() -> tuple[str, ...]:
    """The sections in the order documents (schema, exports) list them."""
    return tuple(k.name for k in sorted(SECTION_KINDS, key=lambda k: k.document_order))


def prunable() -> tuple[str, ...]:
    """What `spec.prune` accepts: sections whose objects can be deleted (children follow their parent)."""
    return tuple(k.name for k in SECTION_KINDS if k.prunable)


def children(parent: str) -> tuple[Kind[Any], ...]:
    return tuple(k for k in KINDS if k.parent == parent)


def section_of(kind: Kind[Any]) -> str:
    """The section a kind's entries are declared and pruned in (a child's is its parent's)."""
    while kind.parent is not None:
        kind = BY_NAME[kind.parent]
    return kind.name


def flatten(section: str, entries: Sequence[Entry]) -> dict[str, list[Entry]]:
    """A section's declared entries by kind: the section's own, and each child kind's (a product's prices),
    every child told its parent. How desired state holds them (``LocationDesired.entries``)."""
    out: dict[str, list[Entry]] = {section: list(entries)}
    for child in children(section):
        assert child.parent_field is not None
        found: list[Entry] = []
        for parent in entries:
            for item in getattr(parent, child.parent_field, None) or []:
                child.adopt_parent(item, parent)
                found.append(item)
        for name, items in flatten(child.name, found).items():
            out[name] = items if name != child.name else found
    return out


def declared(kind: Kind[Any], value: Any) -> list[Entry]:
    """A section's value as its entries: a singleton's section is one object (``spec.profile``), others a list."""
    if value is None:
        return []
    return [value] if kind.singleton else list(value)


def section_value(kind: Kind[Any], entries: Sequence[Any]) -> Any:
    """A section's value in a document from its entries: the one object of a singleton, else the list."""
    return entries[0] if kind.singleton else list(entries)


def kinds_help() -> str:
    """One line for `--kinds` help: the sections to choose from."""
    return "comma-separated sections: " + ", ".join(document_order())
