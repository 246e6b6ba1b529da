"""Terraform-style text rendering of a plan: destructive changes first, fields old -> new, one summary line."""

from __future__ import annotations

import json
from typing import Any

from ghlops.kinds import BY_NAME
from ghlops.plan.model import Action, Change, Plan, Section

_COLOURS = {"green": "32", "yellow": "33", "red": "31", "magenta": "35", "bold": "1", "dim": "2", "cyan": "36"}
_ACTION_COLOUR = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.REPLACE: "magenta", Action.DELETE: "red"}


class Style:
    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def __call__(self, text: str, name: str) -> str:
        if not self.colour:
            return text
        return f"\x1b[{_COLOURS[name]}m{text}\x1b[0m"


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


def render_plan(plan: Plan, *, colour: bool = False) -> str:
    s = Style(colour)
    lines: list[str] = []
    destructive = costly_changes(plan)
    for mass in plan.mass_changes():
        lines.append(s(f"! mass change: {mass}; apply refuses without --allow-mass-delete", "red"))
    affected = plan.contacts_affected()
    if affected.over:
        lines.append(s(f"! contacts affected: {affected}; apply refuses without --allow-mass-delete", "red"))
    if destructive:
        lines.append(s(f"! {len(destructive)} destructive change{'s' if len(destructive) != 1 else ''}:", "red"))
        for sec, c in destructive:
            cost = impact_summary(c)
            line = f"!   {sec.name}: {c.action.value} {label(c.kind)} {c.display}" + (f": {cost}" if cost else "")
            lines.append(s(line, "red"))
        if any(c.impact is not None for _, c in destructive):
            lines.append(s(f"!   {total_line(plan)}", "red"))
        lines.append("")
    for sec in plan.sections:
        if sec.errors:
            lines.extend(_errors(sec, s))
            continue
        if not sec.changes:
            if sec.unmanaged:
                lines.append(f"{_heading(sec, s)}: no changes ({_unmanaged_summary(sec)})")
            continue
        lines.append(_heading(sec, s))
        ordered = [c for c in sec.changes if c.destructive] + [c for c in sec.changes if not c.destructive]
        for c in ordered:
            lines.extend(_change(c, s))
        if sec.unmanaged:
            for u in sec.unmanaged:
                lines.append(
                    s(
                        f"  unmanaged: {_count(len(u.keys), label(u.kind))} not in the manifest "
                        f"({_preview(u.keys)}); left alone without spec.prune",
                        "dim",
                    )
                )
        lines.append("")
    lines.append(summary_line(plan))
    return "\n".join(lines)


def summary_line(plan: Plan) -> str:
    if not plan.has_changes:
        n = len(plan.locations)
        return f"No changes. {_count(n, 'location')} match{'es' if n == 1 else ''} the manifests."
    c = plan.counts
    n = plan.locations_changed()
    return (
        f"Plan: {c.create} to create, {c.update} to update, {c.replace} to replace, {c.delete} to delete "
        f"across {_count(n, 'location')}."
    )


def costly_changes(plan: Plan) -> list[tuple[Section, Change]]:
    """Changes listed first as destructive: deletes and replaces, and updates that take options contacts hold."""
    changes = list(plan.all_changes())
    return [(sec, c) for sec, c in changes if c.destructive] + [
        (sec, c) for sec, c in changes if not c.destructive and c.removed_options
    ]


def number(n: int) -> str:
    return f"{n:,}"


def _contacts(n: int, singular: str, plural: str) -> str:
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
            _contacts(o.contacts, "holds", "hold") + f" {value(o.option)}, no longer offered"
            if o.contacts is not None
            else f"contacts holding {value(o.option)}: unknown ({o.reason or 'not counted'})"
            for o in impact.options
        ]
    if impact.contacts is None:
        return [unknown_line(impact.reason)]
    if c.kind == "tags":
        return [_contacts(impact.contacts, "carries", "carry") + " this tag"]
    erased = "erased by the replace" if c.action is Action.REPLACE else "erased by the delete"
    return [_contacts(impact.contacts, "holds", "hold") + f" a value for this field ({erased})"]


def impact_summary(c: Change) -> str | None:
    """The cost of a change in a few words, for the list of destructive changes (None when not counted)."""
    impact = c.impact
    if impact is None:
        return None
    if impact.contacts is None:
        return unknown_line(impact.reason)
    if impact.options:
        return _contacts(impact.contacts, "holds", "hold") + " a removed option"
    if c.kind == "tags":
        return _contacts(impact.contacts, "carries", "carry") + " this tag"
    return _contacts(impact.contacts, "holds", "hold") + " a value"


def total_line(plan: Plan) -> str:
    affected = plan.contacts_affected()
    unknown = f" ({affected.unknown} count{'s' if affected.unknown != 1 else ''} unknown)" if affected.unknown else ""
    limit = f"; limit {number(affected.limit)}" if affected.limit is not None else ""
    return f"contacts affected in total: {number(affected.total)}{unknown}{limit}"


def _heading(sec: Section, s: Style) -> str:
    if sec.is_company:
        return s(f"Users of company {sec.scope_id}", "bold")
    return s(f"Location {sec.name} ({sec.scope_id})", "bold")


def _errors(sec: Section, s: Style) -> list[str]:
    lines = [_heading(sec, s)]
    lines.extend(s(f"  error: {e}", "red") for e in sec.errors)
    lines.append("")
    return lines


def _change(c: Change, s: Style) -> list[str]:
    colour = _ACTION_COLOUR[c.action]
    head = f"  {c.action.symbol} {label(c.kind)} {c.display}"
    if c.reason:
        head += f" ({c.reason})"
    lines = [s(head, colour)]
    for f in c.fields:
        if c.action is Action.CREATE:
            if f.field in ("name", "email") and f.new == c.display.rsplit("/", 1)[-1]:
                continue  # already in the heading
            lines.append(f"      {f.field}: {value(f.new)}")
        else:
            lines.append(f"      {f.field}: {value(f.old)} -> {value(f.new)}")
    lines.extend(s(f"      ! {w}", "red") for w in c.warnings)
    lines.extend(s(f"      ! {line}", "red") for line in impact_lines(c))
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _preview(keys: tuple[str, ...], limit: int = 3) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f", and {len(keys) - limit} more" if len(keys) > limit else "")


def _unmanaged_summary(sec: Section) -> str:
    return "unmanaged: " + ", ".join(_count(len(u.keys), label(u.kind)) for u in sec.unmanaged)


def render_apply_summary(applied: int, failed: list[tuple[str, Change, str]], skipped: int) -> str:
    lines = []
    for section, change, error in failed:
        lines.append(f"failed: {section}: {change.action.value} {label(change.kind)} {change.display}: {error}")
    lines.append(f"Apply: {applied} applied, {len(failed)} failed, {skipped} skipped.")
    return "\n".join(lines)
