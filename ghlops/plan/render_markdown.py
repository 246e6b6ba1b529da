"""Markdown rendering of a plan for pull-request comments and job summaries.

Destructive changes, warnings and errors come first, then a summary table (locations x create/update/replace/
delete), then one collapsible ``<details>`` block per location with its per-object diff.

Everything a user or GHL controls (location, object and user names, values, messages quoting them) is shown
inside code spans, code blocks or escaped HTML, so ``|``, ``<``, backticks, ``@mentions`` or newlines in a name
can never break the table, open a tag or ping anyone. The output is kept under ``limit`` bytes of UTF-8 (GitHub
rejects comments over 65,536 characters) by cutting at whole lines, with a note that the full plan is in the
artifact.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ghlops.plan.change_lines import Line, Role, change_lines, impact_lines, label
from ghlops.plan.escape import UNSAFE
from ghlops.plan.estimate import DEFAULT_PARALLELISM, estimate
from ghlops.plan.hints import Hints, rename_hints
from ghlops.plan.model import Action, Change, ContactsAffected, Counts, MassChange, Plan, Section
from ghlops.plan.render_text import costly_changes, summary_line, total_line

# GitHub's limit is 65,536 characters; leave room for the workflow's marker and heading, and count UTF-8 bytes
# (never fewer than characters) so multi-byte names cannot push a comment over.
DEFAULT_LIMIT = 60_000
ARTIFACT_NOTE = (
    "> [!NOTE]\n"
    "> **This plan is truncated** to fit in a GitHub comment. The full plan is in the workflow run's artifact "
    "(`plan.json`); render it with `ghlops show plan.json`."
)
_RESERVE = len(ARTIFACT_NOTE.encode("utf-8")) + 400  # the note (top and bottom) and closing tags
_MAX_ATTENTION = 100  # destructive changes listed up front; the rest are in the per-location blocks
_DIFF_SYMBOL = {Action.CREATE: "+", Action.UPDATE: "!", Action.REPLACE: "-/+", Action.DELETE: "-"}
_NEWLINES = re.compile(r"\r\n|\r|\n")
# The terminal's unsafe set (ghlops.plan.escape) except the tab, which a code span shows as a space.
_CONTROL = re.compile("(?!\t)" + UNSAFE.pattern)
_BACKTICKS = re.compile(r"`+")


# -- escaping --------------------------------------------------------------------------------------------------


def one_line(text: str) -> str:
    """Newlines shown as a visible mark and other control characters as U+FFFD: a name stays on its line."""
    return _CONTROL.sub("\ufffd", _NEWLINES.sub("\u23ce", text))


def code(text: str, *, table: bool = False) -> str:
    """An inline code span holding text verbatim (no markdown, HTML, emoji or mentions inside).

    The delimiter is one backtick longer than the longest run inside; in a table cell ``|`` is escaped, which
    GitHub undoes inside code spans.
    """
    text = one_line(text)
    if not text:
        return "` `"
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    if table:
        text = text.replace("|", "\\|")
    return f"{fence}{pad}{text}{pad}{fence}"


def html_text(text: str) -> str:
    """Text for raw HTML (the ``<summary>`` line), on one line with every special character escaped."""
    return html.escape(one_line(text), quote=True)


def fence_for(lines: Sequence[str]) -> str:
    """A code fence longer than any backtick run in the block, so no content can close it early."""
    longest = max((len(m) for line in lines for m in _BACKTICKS.findall(line)), default=0)
    return "`" * max(3, longest + 1)


# -- budget ----------------------------------------------------------------------------------------------------


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass
class _Doc:
    limit: int
    parts: list[str] = field(default_factory=list)
    size: int = 0
    truncated: bool = False

    def fits(self, text: str, reserve: int = 0) -> bool:
        return self.size + _size(text) + 1 + reserve <= self.limit

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += _size(text) + 1

    def text(self) -> str:
        return "\n".join(self.parts)


# -- rendering -------------------------------------------------------------------------------------------------


def render_markdown(
    plan: Plan, *, limit: int = DEFAULT_LIMIT, title: str = "ghlops plan", parallelism: int = DEFAULT_PARALLELISM
) -> str:
    """The plan as GitHub-flavoured markdown of at most ``limit`` UTF-8 bytes (pure: no clock, no I/O).

    ``parallelism`` is the apply's (``--parallelism``), for the estimate of the apply time under the summary.
    """
    doc = _Doc(limit=max(limit, _RESERVE + 200) - _RESERVE)
    hints = rename_hints(plan)
    doc.add(f"### {html_text(title)}")
    doc.add("")
    doc.add(f"**{summary_line(plan, where=_named)}**")
    doc.add("")
    timing = estimate(plan, parallelism) if not plan.errors else None
    if timing is not None:
        doc.add(timing.line())
        doc.add("")
    note_at = len(doc.parts)
    _attention(plan, doc, hints)
    _table(plan, doc)
    _details(plan, doc, hints)
    if doc.truncated:
        doc.parts.insert(note_at, ARTIFACT_NOTE + "\n")
        doc.add("")
        doc.add(ARTIFACT_NOTE)
    return doc.text().rstrip("\n") + "\n"


def _attention(plan: Plan, doc: _Doc, hints: Hints) -> None:
    items: list[str] = []
    for sec in plan.sections:
        for error in sec.errors:
            items.append(f"- :no_entry: **Error** in {_where(sec)}: {code(error)}")
    for mass in plan.mass_changes():
        items.append(f"- :warning: {_mass(mass)}")
    for update in plan.mass_updates():
        items.append(f"- :warning: **Mass update:** {code(str(update))}; apply refuses without `--allow-mass-update`.")
    affected = plan.contacts_affected()
    if affected.over:
        items.append(f"- :warning: {_over(affected)}")
    destructive = costly_changes(plan)
    listed = {id(c) for _, c in destructive}
    warned = [(sec, c) for sec, c in plan.all_changes() if c.warnings and id(c) not in listed]
    for sec, c in [*destructive, *warned]:
        items.append(_attention_item(sec, c, hints))
    if any(c.impact is not None for _, c in destructive):
        items.append(f"- :busts_in_silhouette: {code(total_line(plan))}")
    if not items:
        return
    budget = doc.limit // 3
    doc.add("#### :warning: Destructive changes and warnings")
    doc.add("")
    shown = 0
    for item in items:
        if shown >= _MAX_ATTENTION or not doc.fits(item, reserve=doc.limit - budget):
            break
        doc.add(item)
        shown += 1
    if shown < len(items):
        doc.truncated = True
        doc.add(f"- … and {len(items) - shown} more (see the per-location changes below and the full plan)")
    doc.add("")


def _attention_item(sec: Section, c: Change, hints: Hints) -> str:
    verb = {Action.REPLACE: "Replace", Action.DELETE: "Delete"}.get(c.action, c.action.value.capitalize())
    if c.removed_options:
        verb = "Remove options of"
    line = f"- **{verb}** {label(c.kind)} {code(c.display)} in {_where(sec)}"
    if c.reason:
        line += f" ({code(c.reason)})"
    for w in c.warnings:
        line += f"\n  - :warning: {code(w)}"
    for cost in impact_lines(c):
        line += f"\n  - :busts_in_silhouette: {code(cost)}"
    for hint in hints.for_delete(c):
        line += f"\n  - :bulb: {code(hint)}"
    return line


def _over(affected: ContactsAffected) -> str:
    return f"**Contacts affected:** {code(str(affected))}; apply refuses without `--allow-mass-delete`."


def _mass(m: MassChange) -> str:
    return (
        f"**Mass change:** location {code(m.location)} would delete or replace {m.destructive} of its "
        f"{m.existing} {label(m.kind)}s ({m.percent:.0f}%, over the {m.limit:g}% limit); "
        "apply refuses without `--allow-mass-delete`."
    )


def _where(sec: Section) -> str:
    return f"users of company {code(sec.scope_id)}" if sec.is_company else f"location {code(sec.name)}"


def _named(sec: Section) -> str:
    return f"users of company {code(sec.scope_id)}" if sec.is_company else code(sec.name)


def _row_name(sec: Section) -> str:
    return f"users of company {code(sec.scope_id, table=True)}" if sec.is_company else code(sec.name, table=True)


def _row(name: str, c: Counts) -> str:
    return f"| {name} | {c.create} | {c.update} | {c.replace} | {c.delete} |"


def _table(plan: Plan, doc: _Doc) -> None:
    shown_sections = [s for s in plan.sections if s.changes or s.errors]
    unchanged = sum(1 for s in plan.locations if not s.changes and not s.errors)
    if not shown_sections:
        return
    doc.add("#### Summary")
    doc.add("")
    doc.add("| Location | Create | Update | Replace | Delete |")
    doc.add("| :-- | --: | --: | --: | --: |")
    total = _row("**Total**", plan.counts)
    budget = (doc.limit * 2) // 3
    shown = 0
    for sec in shown_sections:
        row = _row(_row_name(sec), sec.counts)
        if not doc.fits(row, reserve=doc.limit - budget + _size(total) + 200):
            break
        doc.add(row)
        shown += 1
    if shown < len(shown_sections):
        doc.truncated = True
        doc.add(f"| … {len(shown_sections) - shown} more | | | | |")
    doc.add(total)
    doc.add("")
    if unchanged:
        doc.add(f"{unchanged} location{'s' if unchanged != 1 else ''} without changes.")
        doc.add("")


def _details(plan: Plan, doc: _Doc, hints: Hints) -> None:
    sections = [s for s in plan.sections if s.changes or s.errors]
    for index, sec in enumerate(sections):
        if not _block(sec, doc, hints):
            rest = len(sections) - index
            doc.truncated = True
            doc.add(f"… {rest} more section{'s' if rest != 1 else ''} not shown.")
            return


def _block(sec: Section, doc: _Doc, hints: Hints) -> bool:
    """One location's collapsible diff, cut at whole changes; False when not even its first change fits."""
    chunks = [_change_lines(c, hints) for c in _ordered(sec.changes)]
    chunks[:0] = [[f"error: {one_line(e)}"] for e in sec.errors]
    tail = [f"# unmanaged: {_unmanaged(sec)}"] if sec.unmanaged else []
    fence = fence_for([line for chunk in chunks for line in chunk] + tail)
    head = f"<details><summary>{_summary(sec)}</summary>\n\n{fence}diff"
    close = f"{fence}\n\n</details>\n"
    first = "\n".join(chunks[0]) if chunks else ""
    if not doc.fits(head + "\n" + first, reserve=_size(close) + 200):
        return False
    doc.add(head)
    for n, chunk in enumerate(chunks):
        text = "\n".join(chunk)
        if not doc.fits(text, reserve=_size(close) + 200):
            doc.truncated = True
            doc.add(f"# … {len(chunks) - n} more changes in this location: see the full plan")
            break
        doc.add(text)
    else:
        if tail and doc.fits(tail[0], reserve=_size(close) + 200):
            doc.add(tail[0])
    doc.add(close)
    return True


def _summary(sec: Section) -> str:
    c = sec.counts
    parts = [f"{n} to {verb}" for n, verb in ((c.create, "create"), (c.update, "update"),
                                               (c.replace, "replace"), (c.delete, "delete")) if n]  # fmt: skip
    if sec.errors:
        parts.append(f"{len(sec.errors)} error{'s' if len(sec.errors) != 1 else ''}")
    counts = ", ".join(parts) or "no changes"
    if sec.is_company:
        return f"Users of company <code>{html_text(sec.scope_id)}</code>: {counts}"
    return f"<b><code>{html_text(sec.name)}</code></b> (<code>{html_text(sec.scope_id)}</code>): {counts}"


def _ordered(changes: Sequence[Change]) -> list[Change]:
    return [c for c in changes if c.destructive] + [c for c in changes if not c.destructive]


def _change_lines(c: Change, hints: Hints) -> list[str]:
    return [_diff_line(line, c) for line in change_lines(c, hints.for_create(c))]


def _diff_line(line: Line, c: Change) -> str:
    if line.role is Role.HEAD:
        return f"{_DIFF_SYMBOL[c.action]} {one_line(line.text)}"
    mark = "# " if line.role in (Role.WARNING, Role.HINT) else ""
    return f"      {mark}{one_line(line.text)}"


def _unmanaged(sec: Section) -> str:
    parts = []
    for u in sec.unmanaged:
        n = len(u.keys)
        preview = ", ".join(one_line(k) for k in u.keys[:3]) + (f", and {n - 3} more" if n > 3 else "")
        parts.append(f"{n} {label(u.kind)}{'s' if n != 1 else ''} ({preview})")
    return "; ".join(parts) + " not in the manifest, left alone without spec.prune"
