"""Terraform-style text rendering of a plan: destructive changes first, fields old -> new, one summary line."""

from __future__ import annotations

from collections.abc import Callable

from ghlops.plan.change_lines import (
    Line,
    Role,
    change_lines,
    contacts,
    impact_lines,
    label,
    number,
    unknown_line,
    value,
)
from ghlops.plan.escape import terminal_safe
from ghlops.plan.estimate import DEFAULT_PARALLELISM, estimate
from ghlops.plan.hints import Hints, rename_hints
from ghlops.plan.model import Action, Change, Plan, Section

# Re-exported: the markdown renderer and the commands import these from here.
__all__ = [
    "Style",
    "costly_changes",
    "impact_lines",
    "impact_summary",
    "label",
    "number",
    "refusal",
    "render_apply_summary",
    "render_plan",
    "summary_line",
    "total_line",
    "unknown_line",
    "value",
]

_COLOURS = {"green": "32", "yellow": "33", "red": "31", "magenta": "35", "bold": "1", "dim": "2", "cyan": "36"}
_ACTION_COLOUR = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.REPLACE: "magenta", Action.DELETE: "red"}
_ROLE_COLOUR = {
    Role.ADDED: "green",
    Role.REMOVED: "red",
    Role.CHANGED: "yellow",
    Role.WARNING: "red",
    Role.HINT: "cyan",
}
_ROLE_MARK = {Role.WARNING: "! ", Role.HINT: "# "}


class Style:
    """Colours a line; every line is escaped first, so data never carries a control character to the terminal."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def __call__(self, text: str, name: str | None = None) -> str:
        text = terminal_safe(text)
        if not self.colour or name is None:
            return text
        return f"\x1b[{_COLOURS[name]}m{text}\x1b[0m"


def render_plan(plan: Plan, *, colour: bool = False, parallelism: int = DEFAULT_PARALLELISM) -> str:
    """The plan for a terminal or a log: one line per heading, field, warning and hint, whatever names hold.

    ``parallelism`` is the apply's (``--parallelism``), for the last line's estimate of the apply time.
    """
    s = Style(colour)
    hints = rename_hints(plan)
    lines: list[str] = []
    destructive = costly_changes(plan)
    for mass in plan.mass_changes():
        lines.append(s(f"! mass change: {mass}; apply refuses without --allow-mass-delete", "red"))
    for update in plan.mass_updates():
        lines.append(s(f"! mass update: {update}; apply refuses without --allow-mass-update", "red"))
    affected = plan.contacts_affected()
    if affected.over:
        lines.append(s(f"! contacts affected: {affected}; apply refuses without --allow-mass-delete", "red"))
    if destructive:
        lines.append(s(f"! {len(destructive)} destructive change{'s' if len(destructive) != 1 else ''}:", "red"))
        for sec, c in destructive:
            cost = impact_summary(c)
            line = f"!   {sec.name}: {c.action.value} {label(c.kind)} {c.display}" + (f": {cost}" if cost else "")
            lines.append(s(line, "red"))
            lines.extend(s(f"!     {h}", "red") for h in hints.for_delete(c))
        if any(c.impact is not None for _, c in destructive):
            lines.append(s(f"!   {total_line(plan)}", "red"))
        lines.append("")
    for sec in plan.sections:
        if sec.errors:
            lines.extend(_errors(sec, s))
            continue
        if not sec.changes:
            if sec.unmanaged:
                lines.append(f"{_heading(sec, s)}{s(f': no changes ({_unmanaged_summary(sec)})')}")
            continue
        lines.append(_heading(sec, s))
        ordered = [c for c in sec.changes if c.destructive] + [c for c in sec.changes if not c.destructive]
        for c in ordered:
            lines.extend(_change(c, s, hints))
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
    lines.append(s(summary_line(plan)))
    timing = estimate(plan, parallelism) if not plan.errors else None
    if timing is not None:
        lines.append(s(timing.line()))
    return "\n".join(lines)


def summary_line(plan: Plan, *, where: Callable[[Section], str] | None = None) -> str:
    """What the plan does in one line; a plan apply refuses says so (never "No changes" when it has errors).

    ``where`` names a section with errors (the markdown renderer puts names in code spans)."""
    where = where or _where
    c = plan.counts
    changes = (
        f"{c.create} to create, {c.update} to update, {c.replace} to replace, {c.delete} to delete "
        f"across {_count(plan.locations_changed(), 'location')}"
    )
    failing = [sec for sec in plan.sections if sec.errors]
    if failing:
        n = sum(len(sec.errors) for sec in failing)
        sections = _preview(tuple(where(sec) for sec in failing))
        line = f"Plan refused: {_count(n, 'error')} in {sections}; nothing will be applied until {_them(n)} fixed."
        return line + (f" Without {'it' if n == 1 else 'them'}: {changes}." if plan.has_changes else "")
    if not plan.has_changes:
        n = len(plan.locations)
        return f"No changes. {_count(n, 'location')} match{'es' if n == 1 else ''} the manifests."
    refused = refusal(plan)
    return f"Plan: {changes}." + (f" {refused}." if refused else "")


def refusal(plan: Plan) -> str | None:
    """Why apply refuses a plan without errors (the guards), or None when it would apply it."""
    guards, flags = [], []
    if plan.mass_changes():
        guards.append("the mass-change guard")
    if plan.contacts_affected().over:
        guards.append("--max-contacts-affected")
    if guards:
        flags.append("--allow-mass-delete")
    if plan.mass_updates():
        guards.append("the mass-update guard")
        flags.append("--allow-mass-update")
    if not guards:
        return None
    return f"Refused by {' and '.join(guards)}: apply needs {' and '.join(flags)}"


def _them(n: int) -> str:
    return "it is" if n == 1 else "they are"


def _where(sec: Section) -> str:
    return f"users of company {sec.scope_id}" if sec.is_company else sec.name


def costly_changes(plan: Plan) -> list[tuple[Section, Change]]:
    """Changes listed first as destructive: deletes and replaces, and updates that take options contacts hold."""
    changes = list(plan.all_changes())
    return [(sec, c) for sec, c in changes if c.destructive] + [
        (sec, c) for sec, c in changes if not c.destructive and c.removed_options
    ]


def impact_summary(c: Change) -> str | None:
    """The cost of a change in a few words, for the list of destructive changes (None when not counted)."""
    impact = c.impact
    if impact is None:
        return None
    if impact.contacts is None:
        return unknown_line(impact.reason)
    if impact.options:
        return contacts(impact.contacts, "holds", "hold") + " a removed option"
    if c.kind == "tags":
        return contacts(impact.contacts, "carries", "carry") + " this tag"
    return contacts(impact.contacts, "holds", "hold") + " a value"


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


def _change(c: Change, s: Style, hints: Hints) -> list[str]:
    return [_line(line, c, s) for line in change_lines(c, hints.for_create(c))]


def _line(line: Line, c: Change, s: Style) -> str:
    if line.role is Role.HEAD:
        return s(f"  {c.action.symbol} {line.text}", _ACTION_COLOUR[c.action])
    return s(f"      {_ROLE_MARK.get(line.role, '')}{line.text}", _ROLE_COLOUR.get(line.role))


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
        line = f"failed: {section}: {change.action.value} {label(change.kind)} {change.display}: {error}"
        lines.append(terminal_safe(line))
    lines.append(f"Apply: {applied} applied, {len(failed)} failed, {skipped} skipped.")
    return "\n".join(lines)
