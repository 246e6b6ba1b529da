"""Rename hints: a delete and a create that look like one object under a new name.

Planned on its own, a manifest rename is a delete of the old object and a create of a new one: the id changes
and, for a custom field, every contact's value is erased. When a location's plan deletes one object and
creates another of the same kind whose fields match otherwise, the plan suggests ``renamedFrom`` (which makes
it an update that keeps the id).

Evidence, not guesswork: the created entry's fields other than its name must all equal the deleted object's
(a delete carries them as ``old`` values, see ghlops.plan.diff.deleted_fields), in the same scope (a custom
field's model, a price's product), and at least one such field must exist, so a tag (a name and nothing else)
is never called a rename. A pairing must be one to one: two creates matching one delete say nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from ghlops.kinds import BY_NAME
from ghlops.plan.change_lines import name_field, value
from ghlops.plan.diff import same_value
from ghlops.plan.model import Action, Change, Plan

# What renamedFrom keeps besides the id, where the delete would lose more than links to it.
_KEEPS = {"customFields": "the id and every contact's value"}
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 _.@-]*")
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n"})


@dataclass(frozen=True)
class RenameHint:
    location: str
    location_id: str
    kind: str
    old: str  # the deleted object's name, as renamedFrom takes it
    deleted: str  # display of the deleted object
    created: str  # display of the created entry

    @property
    def renamed_from(self) -> str:
        """The YAML to add to the new entry: the old name quoted when YAML would read it as something else."""
        plain = _PLAIN.fullmatch(self.old) and self.old == self.old.rstrip() and self.old.lower() not in _YAML_WORDS
        return f"renamedFrom: [{self.old if plain else value(self.old)}]"

    @property
    def message(self) -> str:
        """For the create: the entry to edit is the one this hint sits under."""
        return f"looks like a rename: add {self.renamed_from} to keep {_KEEPS.get(self.kind, 'the id')}"

    @property
    def delete_message(self) -> str:
        """For the delete, named in the list of destructive changes."""
        return (
            f"looks like a rename to {self.created}: add {self.renamed_from} to it to keep "
            f"{_KEEPS.get(self.kind, 'the id')}"
        )

    def to_json(self) -> dict[str, str]:
        return {
            "location": self.location,
            "locationId": self.location_id,
            "kind": self.kind,
            "from": self.deleted,
            "to": self.created,
            "renamedFrom": self.old,
            "message": self.message,
        }


@dataclass(frozen=True)
class Hints:
    """The rename hints of a plan, findable from either of the two changes they join."""

    hints: tuple[RenameHint, ...] = ()
    _by_change: Mapping[int, tuple[RenameHint, bool]] | None = None

    def for_create(self, change: Change) -> list[str]:
        """The hint shown under a create (the entry to edit), none for any other change."""
        found = (self._by_change or {}).get(id(change))
        return [found[0].message] if found is not None and found[1] else []

    def for_delete(self, change: Change) -> list[str]:
        """The hint shown where a delete is listed among the destructive changes."""
        found = (self._by_change or {}).get(id(change))
        return [found[0].delete_message] if found is not None and not found[1] else []


def rename_hints(plan: Plan) -> Hints:
    hints: list[RenameHint] = []
    by_change: dict[int, tuple[RenameHint, bool]] = {}
    for sec in plan.locations:
        creates: dict[str, list[Change]] = {}
        deletes: dict[str, list[Change]] = {}
        for c in sec.changes:
            if c.action is Action.CREATE:
                creates.setdefault(c.kind, []).append(c)
            elif c.action is Action.DELETE:
                deletes.setdefault(c.kind, []).append(c)
        for kind, created in creates.items():
            for create, deleted in _pairs(kind, created, deletes.get(kind, [])):
                old = _name(kind, deleted, is_create=False)
                assert old is not None  # _looks_renamed checked it
                hint = RenameHint(sec.name, sec.scope_id, kind, old, deleted.display, create.display)
                hints.append(hint)
                by_change[id(create)] = (hint, True)
                by_change[id(deleted)] = (hint, False)
    return Hints(tuple(hints), by_change)


def _pairs(kind: str, creates: Sequence[Change], deletes: Sequence[Change]) -> list[tuple[Change, Change]]:
    """Creates each matching exactly one delete that no other create matches.

    Deletes are indexed by scope and by each scalar value they held, and each create is checked only against
    the deletes sharing its most selective scalar value, stopping at a second match (it is ambiguous then):
    a plan that replaces a thousand objects of one kind stays linear instead of a million comparisons.
    """
    if not creates or not deletes:
        return []
    field = name_field(kind)
    index: dict[tuple[str, str, str], list[Change]] = {}
    scoped: dict[str, list[Change]] = {}
    for d in deletes:
        name = _name(kind, d, is_create=False)
        scope = _scope(d, name) if name is not None else None
        if scope is None:
            continue
        scoped.setdefault(scope, []).append(d)
        for f in d.fields:
            if f.field != field and _scalar(f.old):
                index.setdefault((scope, f.field, value(f.old)), []).append(d)
    found: dict[int, list[Change]] = {}
    for c in creates:
        name = _name(kind, c, is_create=True)
        scope = _scope(c, name) if name is not None else None
        if scope is None:
            continue
        pools = [index.get((scope, f.field, value(f.new)), []) for f in c.fields if f.field != field and _scalar(f.new)]
        pool = min(pools, key=len) if pools else scoped.get(scope, [])
        found[id(c)] = list(islice((d for d in pool if _looks_renamed(kind, c, d)), 2))
    claims = Counter(id(d) for matched in found.values() for d in matched)
    pairs = []
    for c in creates:
        matched = found.get(id(c), [])
        if len(matched) == 1 and claims[id(matched[0])] == 1:
            pairs.append((c, matched[0]))
    return pairs


def _scalar(v: Any) -> bool:
    return isinstance(v, str | int | float | bool)


def _name(kind: str, c: Change, *, is_create: bool) -> str | None:
    """The object's name: from its fields, or for a delete without them its display when that is the whole key."""
    field = name_field(kind)
    for f in c.fields:
        if f.field == field:
            named = f.new if is_create else f.old
            return named if isinstance(named, str) else None
    if not is_create and c.display.casefold() == c.key:
        return c.display
    return None


def _scope(c: Change, name: str) -> str | None:
    """What the key holds besides the name (``contact/`` for a custom field, the product for a price)."""
    folded = name.casefold()
    return c.key[: -len(folded)] if folded and c.key.endswith(folded) else None


def _looks_renamed(kind: str, create: Change, delete: Change) -> bool:
    new_name, old_name = _name(kind, create, is_create=True), _name(kind, delete, is_create=False)
    if new_name is None or old_name is None or new_name.casefold() == old_name.casefold():
        return False
    scope = _scope(create, new_name)
    if scope is None or scope != _scope(delete, old_name):
        return False
    field = name_field(kind)
    known = BY_NAME.get(kind)
    unordered = known.unordered if known is not None else frozenset()
    live: dict[str, Any] = {f.field: f.old for f in delete.fields}
    compared: Sequence[str] = [f.field for f in create.fields if f.field != field]
    if not compared:
        return False  # nothing but a name: no evidence either way
    wanted = {f.field: f.new for f in create.fields}
    return all(name in live and same_value(live[name], wanted[name], name in unordered) for name in compared)
