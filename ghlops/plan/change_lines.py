"""The lines of one change, shared by the text and markdown renderers (each adds its own marks and escaping).

A change reads as a heading (kind and name, and why), then its fields old -> new, item by item for list fields
whose items have an identity (``+ member lee@example.com priority 0.5``), then warnings, contact counts and
hints. Texts here are raw: names and values come from manifests and GHL, so every renderer escapes each line
for its medium (ghlops.plan.escape for terminals, render_markdown.one_line inside code blocks).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any

from ghlops.kinds import BY_NAME
from ghlops.plan.diff import ListDiff, list_diff
from ghlops.plan.model import Action, Change, FieldChange

REMOVED_OPTION_WARNING = "contacts holding a removed option keep a value that is no longer offered"


class Role(Enum):
    HEAD = "head"
    FIELD = "field"
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    WARNING = "warning"
    HINT = "hint"


@dataclass(frozen=True)
class Line:
    role: Role
    text: str


def value(v: Any) -> str:
    """One line per value whatever it holds: JSON, so quotes, newlines and unicode read unambiguously."""
    return json.dumps(_tidy(v), ensure_ascii=False, sort_keys=False, default=str)


def _tidy(v: Any) -> Any:
    """Whole floats as integers: the manifest says 1500, and the plan should too."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, dict):
        return {k: _tidy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_tidy(x) for x in v]
    return v


def label(kind: str) -> str:
    return BY_NAME[kind].label if kind in BY_NAME else kind


@cache
def name_field(kind: str) -> str | None:
    """The field a kind's natural key names an object by, which the heading of its change already shows:
    ``name`` for every kind whose model has one, a user's ``email`` otherwise (None for an unknown kind)."""
    found = BY_NAME.get(kind)
    if found is None:
        return None
    fields = found.model.model_fields
    return "name" if "name" in fields else "email" if "email" in fields else None


def number(n: int) -> str:
    return f"{n:,}"


def contacts(n: int, singular: str, plural: str) -> str:
    return f"{number(n)} contact{'' if n == 1 else 's'} {singular if n == 1 else plural}"


def unknown_line(reason: str | None) -> str:
    return f"contacts affected: unknown ({reason or 'not counted'})"


def impact_lines(c: Change) -> list[str]:
    """What the change costs in contacts, one line each (without the leading ``!``)."""
    impact = c.impact
    if impact is None:
        return []
    if impact.options:
        return [
            contacts(o.contacts, "holds", "hold") + f" {value(o.option)}, no longer offered"
            if o.contacts is not None
            else f"contacts holding {value(o.option)}: unknown ({o.reason or 'not counted'})"
            for o in impact.options
        ]
    if impact.contacts is None:
        return [unknown_line(impact.reason)]
    if c.kind == "tags":
        return [contacts(impact.contacts, "carries", "carry") + " this tag"]
    erased = "erased by the replace" if c.action is Action.REPLACE else "erased by the delete"
    return [contacts(impact.contacts, "holds", "hold") + f" a value for this field ({erased})"]


def head(c: Change) -> str:
    """The heading without the action's mark: kind, name as written, and why (a replace, a rename)."""
    text = f"{label(c.kind)} {c.display}"
    return text + (f" ({c.reason})" if c.reason else "")


def change_lines(c: Change, hints: Sequence[str] = ()) -> list[Line]:
    """Every line of one change, heading first; ``hints`` are shown last (see ghlops.plan.hints)."""
    lines = [Line(Role.HEAD, head(c))]
    removed_options = False
    skip = name_field(c.kind) if c.action is Action.CREATE else None
    for f in c.fields:
        if f.field == skip:
            continue  # the heading names the object
        if c.action is Action.DELETE and f.new is None:
            continue  # the deleted object's last values: data for rename hints, not a change to read
        items = list_diff(c.kind, f.field, f.old, f.new) if c.action is not Action.CREATE else None
        if items is None:
            lines.append(Line(Role.FIELD, _field(c, f)))
            continue
        lines.extend(_items(f, items))
        removed_options = removed_options or (items.spec.noun == "option" and bool(items.removed))
    lines.extend(Line(Role.WARNING, w) for w in c.warnings)
    if removed_options:
        lines.append(Line(Role.WARNING, REMOVED_OPTION_WARNING))
    lines.extend(Line(Role.WARNING, cost) for cost in impact_lines(c))
    lines.extend(Line(Role.HINT, h) for h in hints)
    return lines


def _field(c: Change, f: FieldChange) -> str:
    if c.action is Action.CREATE:
        return f"{f.field}: {value(f.new)}"
    return f"{f.field}: {value(f.old)} -> {value(f.new)}"


def _items(f: FieldChange, diff: ListDiff) -> list[Line]:
    noun, key = diff.spec.noun, diff.spec.key
    lines: list[Line] = []
    for item in diff.removed:
        lines.append(Line(Role.REMOVED, f"- {noun} {_identity(item, key)}"))
    for item in diff.added:
        parts = [f"+ {noun} {_identity(item, key)}"]
        if key is not None and isinstance(item, dict):
            parts += [f"{k} {value(v)}" for k, v in item.items() if k != key]
        lines.append(Line(Role.ADDED, " ".join(parts)))
    for changed in diff.changed:
        what = ", ".join(f"{k} {value(old)} -> {value(new)}" for k, old, new in changed.fields)
        lines.append(Line(Role.CHANGED, f"~ {noun} {changed.identity} {what}"))
    if diff.reordered is not None:
        before, after = diff.reordered
        lines.append(Line(Role.FIELD, f"{f.field} order: {value(list(before))} -> {value(list(after))}"))
    return lines


def _identity(item: Any, key: str | None) -> str:
    """A member by its user as written (the key of the item); an option as a JSON string, quotes and all."""
    if key is not None and isinstance(item, dict):
        return str(item[key])
    return value(item)
