"""The markdown plan (pull-request comments): pinned by snapshots under tests/plan/snapshots/.

Regenerate the snapshots after an intended change with ``GHLOPS_UPDATE_SNAPSHOTS=1 python -m pytest tests/plan``
and review the diff of the .md files.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ghlops.plan.model import Plan
from ghlops.plan.render_markdown import ARTIFACT_NOTE, DEFAULT_LIMIT, code, fence_for, render_markdown
from tests.plan.sample_plans import HOSTILE, huge_plan, no_change_plan, sample_plan

SNAPSHOTS = Path(__file__).parent / "snapshots"
GITHUB_COMMENT_LIMIT = 65_536


def assert_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("GHLOPS_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    assert path.exists(), f"no snapshot {path}: run with GHLOPS_UPDATE_SNAPSHOTS=1 to create it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs: GHLOPS_UPDATE_SNAPSHOTS=1 after review"


def table_rows(text: str) -> list[list[str]]:
    """Cells of every table row, split as GitHub does: on pipes not escaped with a backslash."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line.strip())
            rows.append([c.strip() for c in cells[1:-1]])
    return rows


def outside_code(text: str) -> str:
    """The text with fenced blocks and code spans removed: what GitHub would parse as markdown and HTML."""
    text = re.sub(r"^(`{3,})diff\n.*?^\1$", "", text, flags=re.S | re.M)
    text = re.sub(r"<code>.*?</code>", "<code></code>", text)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", text)


def test_the_sample_plan_renders_as_the_snapshot() -> None:
    assert_snapshot("sample.md", render_markdown(sample_plan()))


def test_a_plan_without_changes_renders_as_the_snapshot() -> None:
    assert_snapshot("no_changes.md", render_markdown(no_change_plan()))


def test_a_plan_over_the_limit_is_cut_with_a_note_as_the_snapshot() -> None:
    assert_snapshot("truncated.md", render_markdown(sample_plan(), limit=2_500))


def test_destructive_changes_mass_changes_and_errors_come_before_the_table_and_the_details() -> None:
    text = render_markdown(sample_plan())
    attention = text.index("#### :warning: Destructive changes and warnings")
    assert attention < text.index("#### Summary") < text.index("<details>")
    head = text[attention : text.index("#### Summary")]
    assert "**Mass change:** location `uptown-ortho` would delete or replace 6 of its 12 tags (50%" in head
    assert "apply refuses without `--allow-mass-delete`" in head
    assert "**Error** in location `broken-clinic`" in head
    assert "**Replace** custom field `contact/Insurance Provider` in location `downtown-dental`" in head
    assert "**Delete** user `omar@example.com` in users of company `co-1`" in head


def test_every_table_row_has_five_cells_whatever_the_names_hold() -> None:
    rows = table_rows(render_markdown(sample_plan()))
    assert rows[0] == ["Location", "Create", "Update", "Replace", "Delete"]
    assert all(len(r) == 5 for r in rows), rows
    names = [r[0] for r in rows[2:]]
    assert names == [
        "users of company `co-1`",
        "`downtown-dental`",
        "````evil \\| name <b>bold</b> `tick` ```fence``` @octocat\u23cesecond line </details>````",
        "`uptown-ortho`",
        "`broken-clinic`",
        "**Total**",
    ]
    assert rows[-1] == ["**Total**", "3", "2", "1", "8"]


def test_hostile_names_never_reach_markdown_or_html_outside_code() -> None:
    text = render_markdown(sample_plan())
    bare = outside_code(text)
    assert "<b>bold" not in bare and "<script>" not in bare and "@octocat" not in bare and "tick" not in bare
    # The only tags are ghlops's own; a </details> in a name cannot close a block early.
    tags = re.findall(r"</?[a-z]+>", bare)
    assert set(tags) <= {"<details>", "</details>", "<summary>", "</summary>", "<b>", "</b>", "<code>", "</code>"}
    assert len(re.findall(r"^<details><summary>", text, re.M)) == len(re.findall(r"^</details>$", text, re.M)) == 5
    assert "<summary><b><code>evil | name &lt;b&gt;bold&lt;/b&gt; `tick` ```fence``` @octocat\u23cesecond line " in text


def test_code_blocks_are_fenced_longer_than_any_backtick_run_inside() -> None:
    text = render_markdown(sample_plan())
    assert "\n````diff\n" in text  # the hostile location holds ``` so its block needs four
    assert fence_for(["a ``` b", "`````"]) == "``````"
    assert fence_for(["plain"]) == "```"


def test_code_spans_hold_backticks_pipes_and_newlines_on_one_line() -> None:
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"
    assert code("a|b", table=True) == "`a\\|b`"
    assert code("a\nb\r\nc") == "`a\u23ceb\u23cec`"
    assert code("") == "` `"


def test_a_huge_plan_stays_under_the_github_comment_limit_with_the_artifact_note() -> None:
    text = render_markdown(huge_plan())
    size = len(text.encode("utf-8"))
    assert size <= DEFAULT_LIMIT < GITHUB_COMMENT_LIMIT
    assert text.count(ARTIFACT_NOTE) == 2  # at the top and at the end
    assert text.count("<details>") == text.count("</details>") >= 1
    # 400 locations updating the same objects: the mass-update guard holds it, and the summary says so.
    assert (
        "**Plan: 0 to create, 16000 to update, 0 to replace, 8000 to delete across 400 locations. Refused by the "
        "mass-update guard: apply needs --allow-mass-update.**"
    ) in text
    fences = re.findall(r"^`{3,}(?:diff)?$", text, flags=re.M)
    assert len(fences) % 2 == 0


@pytest.mark.parametrize("limit", [1_000, 4_000, 20_000])
def test_any_limit_is_honoured_and_blocks_stay_balanced(limit: int) -> None:
    text = render_markdown(huge_plan(locations=40, changes=20), limit=limit)
    assert len(text.encode("utf-8")) <= limit
    assert text.count("<details>") == text.count("</details>")
    assert ARTIFACT_NOTE in text


def test_the_title_is_escaped_html() -> None:
    assert render_markdown(no_change_plan(), title="plan <shard 1/2>").startswith("### plan &lt;shard 1/2&gt;\n")


def test_hostile_name_constant_holds_every_troublemaker() -> None:
    for troublemaker in ("|", "<", "`", "\n", "@", "</details>"):
        assert troublemaker in HOSTILE


# -- review aids: items, renames, refusals, the estimate ---------------------------------------------------------------


def review_plan() -> Plan:
    from ghlops.plan.model import Action, Change, FieldChange, Section
    from ghlops.request import Request

    put = (Request("PUT", ("/x",)),)
    changes = (
        Change(
            Action.UPDATE,
            "calendars",
            "consultations",
            "Consultations",
            put,
            fields=(
                FieldChange(
                    "teamMembers",
                    [{"user": "jane@example.com", "priority": 1}, {"user": "omar@example.com", "priority": 0.5}],
                    [{"user": "jane@example.com", "priority": 0.5}, {"user": "lee@example.com", "priority": 0.5}],
                ),
            ),
            object_id="cal-1",
        ),
        Change(
            Action.UPDATE,
            "customFields",
            "contact/plan",
            "contact/Plan",
            put,
            fields=(FieldChange("options", ["Gold", "Silver"], ["Gold", "Iron"]),),
            object_id="cf-9",
        ),
        Change(
            Action.CREATE,
            "customValues",
            "opening hours",
            "Opening Hours",
            put,
            fields=(FieldChange("name", None, "Opening Hours"), FieldChange("value", None, "9-5")),
        ),
        Change(
            Action.DELETE,
            "customValues",
            "hours",
            "Hours",
            put,
            object_id="cv-1",
            fields=(FieldChange("name", "Hours", None), FieldChange("value", "9-5", None)),
        ),
    )
    return Plan((Section("downtown-dental", "loc-1", changes),))


def test_members_options_renames_and_the_estimate_read_as_in_the_text_plan() -> None:
    assert render_markdown(review_plan(), parallelism=4) == "\n".join(
        [
            "### ghlops plan",
            "",
            "**Plan: 1 to create, 2 to update, 0 to replace, 1 to delete across 1 location.**",
            "",
            "Apply: 4 writes across 1 location, under a minute at GHL's rate limits.",
            "",
            "#### :warning: Destructive changes and warnings",
            "",
            "- **Delete** custom value `Hours` in location `downtown-dental`",
            "  - :bulb: `looks like a rename to Opening Hours: add renamedFrom: [Hours] to it to keep the id`",
            "- **Remove options of** custom field `contact/Plan` in location `downtown-dental`",
            "",
            "#### Summary",
            "",
            "| Location | Create | Update | Replace | Delete |",
            "| :-- | --: | --: | --: | --: |",
            "| `downtown-dental` | 1 | 2 | 0 | 1 |",
            "| **Total** | 1 | 2 | 0 | 1 |",
            "",
            "<details><summary><b><code>downtown-dental</code></b> (<code>loc-1</code>): 1 to create, 2 to update, "
            "1 to delete</summary>",
            "",
            "```diff",
            "- custom value Hours",
            "! calendar Consultations",
            "      - member omar@example.com",
            "      + member lee@example.com priority 0.5",
            "      ~ member jane@example.com priority 1 -> 0.5",
            "! custom field contact/Plan",
            '      - option "Silver"',
            '      + option "Iron"',
            "      # contacts holding a removed option keep a value that is no longer offered",
            "+ custom value Opening Hours",
            '      value: "9-5"',
            "      # looks like a rename: add renamedFrom: [Hours] to keep the id",
            "```",
            "",
            "</details>",
            "",
        ]
    )


def test_a_refused_plan_says_so_in_its_summary_with_names_in_code() -> None:
    from ghlops.plan.model import Section

    plan = Plan((Section("a|*b*", "loc-1", errors=("tag 'x' is protected and would be deleted",)),))
    text = render_markdown(plan)
    assert text.splitlines()[2] == ("**Plan refused: 1 error in `a|*b*`; nothing will be applied until it is fixed.**")
    assert "Apply:" not in text and "No changes" not in text


def test_c1_controls_and_bidi_overrides_are_replaced_in_markdown_too() -> None:
    # The same unsafe set as the terminal's (ghlops.plan.escape); a tab stays, shown as a space by GitHub.
    assert code("a\x9b31mb\u202ec\u2066d\te") == "`a\ufffd31mb\ufffdc\ufffdd\te`"
