"""Properties of the renderers over any string a manifest or GHL can hold (hypothesis): a name is one line."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ghlops.plan.escape import UNSAFE
from ghlops.plan.model import Action, Change, FieldChange, Plan, Section, Unmanaged
from ghlops.plan.render_markdown import render_markdown
from ghlops.plan.render_text import render_plan
from ghlops.request import Request

_SGR = re.compile(r"\x1b\[\d+m")


def plan_named(name: str) -> Plan:
    """Every place a name shows: location, object names, field values, reasons, members, options, errors."""
    req = (Request("PUT", ("/x",)),)
    changes = (
        Change(Action.CREATE, "tags", name.casefold(), name, req, fields=(FieldChange("name", None, name),)),
        Change(Action.UPDATE, "customValues", "v", name, req, fields=(FieldChange("value", name, "x"),), reason=name),
        Change(
            Action.UPDATE,
            "calendars",
            "c",
            name,
            req,
            fields=(FieldChange("teamMembers", [{"user": name, "priority": 1}], [{"user": name, "priority": 0.5}]),),
        ),
        Change(Action.UPDATE, "customFields", "f", name, req, fields=(FieldChange("options", [name], []),)),
        Change(Action.DELETE, "tags", "d", name, req, object_id=name, warnings=(name,)),
    )
    return Plan(
        (
            Section(name, name, changes, unmanaged=(Unmanaged("tags", (name,)),)),
            Section("broken", "id", errors=(name,)),
        )
    )


BASELINE = plan_named("plain")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_name_renders_to_exactly_one_line_per_change_line_in_text(name: str) -> None:
    lines = render_plan(plan_named(name)).split("\n")
    assert len(lines) == len(render_plan(BASELINE).split("\n"))
    assert not any(UNSAFE.search(line) for line in lines)
    headings = [line for line in lines if re.match(r"  (\+|~|-) (tag|custom value|calendar|custom field) ", line)]
    assert len(headings) == 5  # one per change, whatever the name holds


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_with_colour_the_only_escape_sequences_are_the_renderers_own(name: str) -> None:
    text = render_plan(plan_named(name), colour=True)
    assert "\x1b" not in _SGR.sub("", text)
    assert len(text.splitlines()) == len(render_plan(BASELINE, colour=True).splitlines())


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_name_keeps_the_markdown_plan_to_the_same_lines(name: str) -> None:
    text = render_markdown(plan_named(name))
    assert text.split("\n") == [line for line in text.splitlines()] + [""]
    assert len(text.splitlines()) == len(render_markdown(BASELINE).splitlines())
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]", text)
