"""Field-level comparison of one desired entry with its live object, and item-level diffs of list fields. Pure.

Two questions, one library: whether a set-like field differs (DeepDiff ignoring order and numeric types), and,
for the plan's reader, which items of a list field were added, removed or changed (a calendar's team members
by user, a dropdown's options by value) instead of two whole lists side by side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deepdiff import DeepDiff
from deepdiff.helper import NotPresent

from ghlops.kinds.base import META_FIELDS, Entry, Kind, LiveObject, Resolver
from ghlops.plan.model import FieldChange


@dataclass(frozen=True)
class ItemSpec:
    """How a list field's items are told apart: by the value under ``key`` (mappings), or by themselves."""

    noun: str
    key: str | None = None


# List fields whose changes read better item by item. Team members are a set keyed by user (the kind sorts and
# compares them unordered); options are an ordered list of distinct strings.
LIST_ITEMS: Mapping[tuple[str, str], ItemSpec] = {
    ("calendars", "teamMembers"): ItemSpec("member", "user"),
    ("customFields", "options"): ItemSpec("option"),
}


def project(live: Any, desired: Any) -> Any:
    """Live value cut down to the shape the manifest gives, so server-filled nested defaults make no noise."""
    if isinstance(desired, Mapping) and isinstance(live, Mapping):
        return {k: project(live.get(k), v) for k, v in desired.items()}
    if isinstance(desired, list) and isinstance(live, list) and len(desired) == len(live):
        return [project(lv, dv) for lv, dv in zip(live, desired, strict=True)]
    return live


def _keyed(items: Any, key: str) -> dict[str, Mapping[str, Any]] | None:
    """Items by their identity, or None unless every item is a mapping with its own string identity."""
    if not isinstance(items, list):
        return None
    found: dict[str, Mapping[str, Any]] = {}
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get(key), str) or item[key] in found:
            return None
        found[item[key]] = item
    return found


def project_items(live: list[Any], desired: list[Any], key: str) -> list[Any]:
    """Each live item cut down to the shape of the desired item with the same identity (items without one stay
    whole): a member added or removed no longer leaves every other member paired with the wrong one."""
    wanted = _keyed(desired, key)
    if wanted is None or _keyed(live, key) is None:
        return live
    return [project(item, wanted[item[key]]) if item[key] in wanted else item for item in live]


def _equal(old: Any, new: Any, unordered: bool) -> bool:
    if old == new:
        return True
    if old is None or new is None:
        return False
    if not (unordered and isinstance(old, list | dict) and isinstance(new, list | dict)):
        # In order, DeepDiff (numeric types ignored) finds a difference exactly when == does (1 == 1.0 already):
        # only set-like fields need it, and skipping it keeps large plans fast.
        return False
    return not DeepDiff(
        old, new, ignore_order=unordered, ignore_numeric_type_changes=True, ignore_private_variables=False
    )


def same_value(old: Any, new: Any, unordered: bool = False) -> bool:
    """Whether a value read from GHL (or recorded in a plan) is what the manifest asks for, as the planner decides."""
    return _equal(project(old, new), new, unordered)


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
        spec = LIST_ITEMS.get((kind.name, name))
        if spec is not None and spec.key is not None and isinstance(new, list) and isinstance(old, list):
            # Pair items by identity, then project field by field: server defaults of members the manifest
            # doesn't list, and of keys it doesn't set, never reach the plan.
            old = project_items(old, new, spec.key)
        elif name in kind.unordered and isinstance(new, list) and isinstance(old, list) and len(old) == len(new):
            # Pair items after both sides were sorted by the kind, then project field by field.
            old = [project(o, n) for o, n in zip(old, new, strict=True)]
        else:
            old = project(old, new)
        if not _equal(old, new, name in kind.unordered):
            changes.append(FieldChange(name, old, new))
    return tuple(changes)


def deleted_fields(kind: Kind[Any], live: LiveObject[Any], resolver: Resolver) -> tuple[FieldChange, ...]:
    """The compared values of an object a plan deletes, as ``old`` (``new`` is None): what lets a reader of the
    plan tell a rename from a delete and a create of the same object (see ghlops.plan.hints)."""
    obj = live.obj
    return tuple(
        FieldChange(name, kind.compare_value(name, obj, resolver), None)
        for name in type(obj).model_fields
        if name in obj.model_fields_set
        and name not in META_FIELDS
        and name not in kind.children
        and name not in kind.write_only
        and getattr(obj, name) is not None
    )


# -- item-level diffs of list fields, for the renderers ------------------------------------------------------------


@dataclass(frozen=True)
class ItemChange:
    """One item present on both sides whose own values differ: ``fields`` as (key, old, new), None when unset."""

    identity: str
    fields: tuple[tuple[str, Any, Any], ...]


@dataclass(frozen=True)
class ListDiff:
    spec: ItemSpec
    added: tuple[Any, ...]
    removed: tuple[Any, ...]
    changed: tuple[ItemChange, ...] = ()
    # The items both sides hold, old order then new order, when the order is all that differs between them.
    reordered: tuple[tuple[Any, ...], tuple[Any, ...]] | None = None


def list_diff(kind: str, field: str, old: Any, new: Any) -> ListDiff | None:
    """Items added, removed and changed between two values of a list field in LIST_ITEMS; None for any other
    field, or when the values are not lists of distinguishable items (the plan then shows them whole)."""
    spec = LIST_ITEMS.get((kind, field))
    if spec is None or not isinstance(new, list) or not isinstance(old, list):
        return None
    if spec.key is None:
        return _scalar_diff(spec, old, new)
    return _keyed_diff(spec, spec.key, old, new)


def _keyed_diff(spec: ItemSpec, key: str, old: list[Any], new: list[Any]) -> ListDiff | None:
    before, after = _keyed(old, key), _keyed(new, key)
    if before is None or after is None:
        return None
    if not before or not after:
        # DeepDiff groups only non-empty lists (an empty one stays a list: a type change, not items).
        return ListDiff(spec, added=tuple(after.values()), removed=tuple(before.values()))
    # Compared in the manifest's shape (what the planner compares): keys a member leaves unset are GHL's.
    projected = project_items(old, new, key)
    # threshold 0: always report inside a member, never a whole member (or the whole list) replaced.
    tree = DeepDiff(
        projected,
        new,
        group_by=key,
        ignore_numeric_type_changes=True,
        ignore_private_variables=False,
        threshold_to_diff_deeper=0,
    ).tree
    added: list[str] = []
    removed: list[str] = []
    touched: dict[str, list[str]] = {}
    for report in tree.values():
        for level in report:
            path = [str(p) for p in level.path(output_format="list")]
            if not path:
                return None  # not grouped after all: the values are shown whole
            if len(path) == 1 and isinstance(level.t1, NotPresent):
                added.append(path[0])
            elif len(path) == 1 and isinstance(level.t2, NotPresent):
                removed.append(path[0])
            else:
                names = touched.setdefault(path[0], [])
                names.extend(k for k in (path[1:2] or list(after.get(path[0], {}))) if k not in names and k != key)
    by_identity = {item[key]: item for item in projected}
    changed = []
    for identity in [k for k in after if k in touched]:
        was, now = by_identity[identity], after[identity]
        order = [k for k in now if k in touched[identity]] + [k for k in was if k in touched[identity] and k not in now]
        fields = tuple((k, was.get(k), now.get(k)) for k in order if was.get(k) != now.get(k))
        if fields:
            changed.append(ItemChange(identity, fields))
    return ListDiff(
        spec,
        added=tuple(after[k] for k in after if k in added),
        removed=tuple(before[k] for k in before if k in removed),
        changed=tuple(changed),
    )


def _scalar_diff(spec: ItemSpec, old: list[Any], new: list[Any]) -> ListDiff | None:
    try:
        tree = DeepDiff(
            old, new, ignore_order=True, ignore_numeric_type_changes=True, ignore_private_variables=False
        ).tree
    except TypeError:
        return None
    added_at: set[int] = set()
    removed_at: set[int] = set()
    for report in tree.values():
        for level in report:
            path = level.path(output_format="list")
            if len(path) != 1 or not isinstance(path[0], int):
                continue
            # Ignoring order, DeepDiff pairs an unmatched old item with an unmatched new one as "changed":
            # for options that is one removed and one added.
            if not isinstance(level.t1, NotPresent):
                removed_at.add(_index(old, level.t1))
            if not isinstance(level.t2, NotPresent):
                added_at.add(_index(new, level.t2))
    added = tuple(v for i, v in enumerate(new) if i in added_at)
    removed = tuple(v for i, v in enumerate(old) if i in removed_at)
    kept_old = tuple(v for i, v in enumerate(old) if i not in removed_at)
    kept_new = tuple(v for i, v in enumerate(new) if i not in added_at)
    reordered = (kept_old, kept_new) if kept_old != kept_new else None
    return ListDiff(spec, added=added, removed=removed, reordered=reordered)


def _index(items: Sequence[Any], value: Any) -> int:
    for i, item in enumerate(items):
        if item == value:
            return i
    return -1
