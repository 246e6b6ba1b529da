"""Field-level comparison of one desired entry with its live object. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deepdiff import DeepDiff

from ghlops.kinds.base import Entry, Kind, LiveObject, Resolver
from ghlops.plan.model import FieldChange


def project(live: Any, desired: Any) -> Any:
    """Live value cut down to the shape the manifest gives, so server-filled nested defaults make no noise."""
    if isinstance(desired, Mapping) and isinstance(live, Mapping):
        return {k: project(live.get(k), v) for k, v in desired.items()}
    if isinstance(desired, list) and isinstance(live, list) and len(desired) == len(live):
        return [project(lv, dv) for lv, dv in zip(live, desired, strict=True)]
    return live


def _equal(old: Any, new: Any, unordered: bool) -> bool:
    if old == new:
        return True
    if old is None or new is None:
        return False
    if not (unordered and isinstance(old, list | dict) and isinstance(new, list | dict)):
        # In order, DeepDiff (numeric types ignored) finds a difference exactly when == does (1 == 1.0 already):
        # only set-like fields need it, and skipping it keeps large plans fast.
        return False
    return not DeepDiff(old, new, ignore_order=unordered, ignore_numeric_type_changes=True)


_MANAGED: dict[tuple[type[Entry], frozenset[str], tuple[str, ...]], tuple[str, ...]] = {}


def managed_fields(entry: Entry) -> tuple[str, ...]:
    """``entry.managed_fields()``, remembered per model type, fields set and ignoreChanges (all it depends on):
    computing it walks every field of the model, some fifty for a calendar, for every object planned."""
    if type(entry).managed_fields is not Entry.managed_fields:
        return tuple(entry.managed_fields())
    key = (type(entry), frozenset(entry.model_fields_set), tuple(entry.ignoreChanges))
    found = _MANAGED.get(key)
    if found is None:
        found = _MANAGED[key] = tuple(entry.managed_fields())
    return found


def field_changes(
    kind: Kind[Any], desired: Entry, live: LiveObject[Any], resolver: Resolver
) -> tuple[FieldChange, ...]:
    """The managed fields whose live value differs, in the model's field order (old is None when unset live)."""
    changes = []
    for name in managed_fields(desired):
        if name in kind.write_only or name in kind.children:
            continue
        if name in kind.compared_when_present and name not in live.obj.model_fields_set:
            continue
        new = kind.compare_value(name, desired, resolver)
        old = kind.compare_value(name, live.obj, resolver) if name in live.obj.model_fields_set else None
        if name in kind.unordered and isinstance(new, list) and isinstance(old, list) and len(old) == len(new):
            # Pair items after both sides were sorted by the kind, then project field by field.
            old = [project(o, n) for o, n in zip(old, new, strict=True)]
        else:
            old = project(old, new)
        if not _equal(old, new, name in kind.unordered):
            changes.append(FieldChange(name, old, new))
    return tuple(changes)
