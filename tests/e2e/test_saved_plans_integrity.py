"""apply --plan over real HTTP: a saved plan can't be tampered into doing something else (#13 §5), and it stays
valid until something it depends on changes, naming what did (#14 §3)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ghlops.commands.apply import apply_command
from ghlops.errors import ConfigError
from ghlops.output import Io
from ghlops.sandbox.store import Kind as StoreKind
from ghlops.workflow import Settings
from tests.e2e.conftest import EXAMPLES, Cli
from tests.e2e.test_saved_plans import (
    DENTAL,
    ORTHO,
    RUN_PLAN_AGAIN,
    add_tag_through_the_api,
    copy_examples,
    edit,
    saved_plan,
    stale,
    writes,
)

Document = dict[str, Any]
MISMATCH = (
    "error: refusing the plan: its changes are not what its manifests and the live state give ({}); "
    "the file was changed after plan saved it: run plan again"
)


def tamper(path: Path, change: Callable[[Document], None]) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def dental(document: Document) -> Document:
    (location,) = [loc for loc in document["locations"] if loc["locationId"] == DENTAL]
    return location


def change_of(document: Document, kind: str, display: str) -> Document:
    (found,) = [c for c in dental(document)["changes"] if c["kind"] == kind and c["display"] == display]
    return found


def refused_in_one_line(cli: Cli, out: Path) -> str:
    cli.sb.clear_requests()
    result = cli("apply", "--plan", str(out))
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert writes(cli) == []
    return lines[0]


# -- #13 §5: the file's requests are never what runs -------------------------------------------------------------


def _body_renamed(document: Document) -> None:
    change_of(document, "tags", "vip")["requests"][0]["body"]["name"] = "evil"


def _path_retargeted(document: Document) -> None:
    change_of(document, "tags", "vip")["requests"][0]["path"] = ["/users/", "VICTIM"]


def _method_changed(document: Document) -> None:
    change_of(document, "tags", "vip")["requests"][0]["method"] = "DELETE"


def _display_changed(document: Document) -> None:
    change_of(document, "tags", "vip")["display"] = "harmless"


def _fields_changed(document: Document) -> None:
    change_of(document, "customValues", "business_hours")["fields"][0]["new"] = "24/7"


def _extra_change(document: Document) -> None:
    extra = json.loads(json.dumps(change_of(document, "tags", "vip")))
    extra.update(key="extra", display="extra")
    extra["requests"][0]["body"]["name"] = "extra"
    dental(document)["changes"].append(extra)


def _change_removed(document: Document) -> None:
    dental(document)["changes"].remove(change_of(document, "tags", "vip"))


def _request_added(document: Document) -> None:
    tag = change_of(document, "tags", "vip")
    tag["requests"].append({**tag["requests"][0], "method": "DELETE", "path": ["/locations/", DENTAL], "body": None})


@pytest.mark.parametrize(
    ("mutate", "what"),
    [
        (_body_renamed, "downtown-dental: create tag 'vip': the file's requests differs"),
        (_path_retargeted, "downtown-dental: create tag 'vip': the file's requests differs"),
        (_method_changed, "downtown-dental: create tag 'vip': the file's requests differs"),
        (_request_added, "downtown-dental: create tag 'vip': the file's requests differs"),
        (_display_changed, "downtown-dental: create tag 'vip': the file's display differs"),
        (_fields_changed, "downtown-dental: create custom value 'business_hours': the file's fields differs"),
        (_extra_change, "downtown-dental: create tag 'extra' is not what the manifests give"),
        (_change_removed, "downtown-dental: create tag 'vip' is missing from the file"),
    ],
    ids=["body", "path", "method", "extra-request", "display", "fields", "extra-change", "removed-change"],
)
def test_a_tampered_plan_is_refused_in_one_line_and_nothing_is_written(
    cli: Cli, tmp_path: Path, mutate: Callable[[Document], None], what: str
) -> None:
    out = saved_plan(cli, tmp_path)
    tamper(out, mutate)

    assert refused_in_one_line(cli, out) == MISMATCH.format(what)


def test_a_smuggled_calendar_delete_is_refused_and_the_calendar_stays(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    manifests = copy_examples(tmp_path)
    edit(manifests / "downtown-dental.yaml", "tags: [vip, new-lead, recall-due]", "tags: [vip, new-lead, walk-in]")
    out = saved_plan(cli, tmp_path, str(manifests))
    (calendar,) = [c for c in cli.sb.store.snapshot(DENTAL)["calendars"] if c["name"] == "Sales Consultation"]

    def smuggle(document: Document) -> None:
        dental(document)["changes"].append(
            {
                "action": "delete",
                "kind": "calendars",
                "key": "sales consultation",
                "display": "Sales Consultation",
                "objectId": calendar["id"],
                "fields": [],
                "warnings": [],
                "reason": None,
                "stage": 1,
                "destructive": True,
                "requests": [
                    {
                        "method": "DELETE",
                        "path": ["/calendars/", calendar["id"]],
                        "version": "2021-04-15",
                        "auth": "location",
                        "params": [],
                        "body": None,
                        "binds": None,
                        "idField": [],
                    }
                ],
            }
        )

    tamper(out, smuggle)

    assert refused_in_one_line(cli, out) == MISMATCH.format(
        "downtown-dental: delete calendar 'Sales Consultation' is not what the manifests give"
    )
    assert [c["id"] for c in cli.sb.store.snapshot(DENTAL)["calendars"] if c["name"] == "Sales Consultation"] == [
        calendar["id"]
    ]


def test_a_tampered_unmanaged_list_or_summary_changes_nothing_that_is_applied(cli: Cli, tmp_path: Path) -> None:
    out = saved_plan(cli, tmp_path)

    def decorate(document: Document) -> None:
        document["summary"] = "Plan: nothing to worry about"
        dental(document)["unmanaged"] = [{"kind": "tags", "count": 1, "keys": ["ghost"]}]

    tamper(out, decorate)
    applied = cli("apply", "--plan", str(out))
    # What is shown and applied is the re-derived plan: the same 22 changes, none of the file's decorations.
    assert applied.exit_code == 0, applied.output + applied.stderr
    assert "ghost" not in applied.output
    assert "Apply: 22 applied, 0 failed, 0 skipped." in applied.output


# -- #14 §3: valid until something it depends on changes ----------------------------------------------------------


def planned_after_apply(cli: Cli, tmp_path: Path, change: Callable[[Path], None]) -> Path:
    """Apply the examples, change the manifests with ``change``, save the plan of that change."""
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    manifests = copy_examples(tmp_path)
    change(manifests)
    return saved_plan(cli, tmp_path, str(manifests))


def _walk_in(manifests: Path) -> None:
    edit(manifests / "downtown-dental.yaml", "tags: [vip, new-lead, recall-due]", "tags: [vip, new-lead, walk-in]")


def _live(cli: Cli, location: str, section: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in cli.sb.store.snapshot(location)[section] if o["name"] == name]
    return dict(found)


def test_a_managed_object_the_plan_leaves_alone_edited_live_makes_it_stale_naming_it(cli: Cli, tmp_path: Path) -> None:
    out = planned_after_apply(cli, tmp_path, _walk_in)
    hours = _live(cli, DENTAL, "customValues", "business_hours")
    cli.sb.store.replace(StoreKind.CUSTOM_VALUE, hours["id"], {**hours, "value": "closed"})
    add_tag_through_the_api(cli, ORTHO, "auto-created")  # unmanaged: not named, not a reason
    cli.sb.clear_requests()

    refused = cli("apply", "--plan", str(out))

    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        stale("downtown-dental", "custom value 'business_hours' changed in GHL"),
        RUN_PLAN_AGAIN,
    ]
    assert writes(cli) == []


def test_a_managed_object_renamed_live_makes_the_plan_stale_naming_it(cli: Cli, tmp_path: Path) -> None:
    out = planned_after_apply(cli, tmp_path, _walk_in)
    vip = _live(cli, DENTAL, "tags", "vip")
    cli.sb.store.replace(StoreKind.TAG, vip["id"], {**vip, "name": "VIP customers"})
    cli.sb.clear_requests()

    refused = cli("apply", "--plan", str(out))

    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        stale("downtown-dental", "tag 'vip' was deleted or renamed in GHL"),
        RUN_PLAN_AGAIN,
    ]
    assert writes(cli) == []


def _prune_tags(manifests: Path) -> None:
    edit(
        manifests / "downtown-dental.yaml",
        "  locationId: ve9EPM428h8vShlRW1KT\n",
        "  locationId: ve9EPM428h8vShlRW1KT\n  prune: [tags]\n",
    )
    edit(manifests / "downtown-dental.yaml", "tags: [vip, new-lead, recall-due]", "tags: [vip, new-lead]")


def test_an_object_the_plan_deletes_gone_live_makes_it_stale_naming_it(cli: Cli, tmp_path: Path) -> None:
    out = planned_after_apply(cli, tmp_path, _prune_tags)
    assert [c["action"] + " " + c["display"] for c in dental(json.loads(out.read_text()))["changes"]] == [
        "delete recall-due"
    ]
    cli.sb.store.remove(StoreKind.TAG, _live(cli, DENTAL, "tags", "recall-due")["id"])
    cli.sb.clear_requests()

    refused = cli("apply", "--plan", str(out))

    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        stale("downtown-dental", "tag 'recall-due' was deleted or renamed in GHL"),
        RUN_PLAN_AGAIN,
    ]
    assert writes(cli) == []


def test_a_new_live_object_in_a_pruned_kind_makes_the_plan_stale_naming_it(cli: Cli, tmp_path: Path) -> None:
    out = planned_after_apply(cli, tmp_path, _prune_tags)
    add_tag_through_the_api(cli, DENTAL, "walk-in")  # prune would delete it: the reviewed plan didn't say so
    add_tag_through_the_api(cli, ORTHO, "walk-in")  # not pruned there: unmanaged, fine
    cli.sb.clear_requests()

    refused = cli("apply", "--plan", str(out))

    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        stale("downtown-dental", "tag 'walk-in' was created in GHL"),
        RUN_PLAN_AGAIN,
    ]
    assert writes(cli) == []


def _omar_also_at_ortho(manifests: Path) -> None:
    edit(
        manifests / "uptown-ortho.yaml",
        "      teamMembers:\n        - user: jane@example.com\n",
        "      teamMembers:\n        - user: jane@example.com\n        - user: omar@example.com\n",
    )


def test_a_changed_reference_target_makes_each_location_referencing_it_stale(cli: Cli, tmp_path: Path) -> None:
    # uptown-ortho does not declare omar; its calendar names him, so its plan depends on his record.
    out = planned_after_apply(cli, tmp_path, _omar_also_at_ortho)
    assert [c["display"] for c in json.loads(out.read_text())["locations"][1]["changes"]] == ["Ortho Consult"]
    (omar,) = [u for u in cli.sb.store.users() if u["email"] == "omar@example.com"]
    cli.sb.store.replace(StoreKind.USER, omar["id"], {**omar, "lastName": "Renamed"})
    cli.sb.clear_requests()

    refused = cli("apply", "--plan", str(out))

    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        stale("downtown-dental", "user 'omar@example.com' changed in GHL"),
        stale("uptown-ortho", "user 'omar@example.com' changed in GHL"),
        RUN_PLAN_AGAIN,
    ]
    assert writes(cli) == []


def test_a_plan_whose_dependencies_are_unchanged_applies_and_converges(cli: Cli, tmp_path: Path) -> None:
    out = planned_after_apply(cli, tmp_path, _omar_also_at_ortho)
    add_tag_through_the_api(cli, DENTAL, "auto-created")
    applied = cli("apply", "--plan", str(out))
    assert applied.exit_code == 0, applied.output + applied.stderr
    assert "Apply: 2 applied, 0 failed, 0 skipped." in applied.output
    manifests = json.loads(out.read_text())["manifests"]["paths"]
    again = cli("plan", *manifests, "--detailed-exitcode")
    assert again.exit_code == 0, again.output


# -- approval, repeated files, the summary -----------------------------------------------------------------------


def test_a_saved_plan_is_its_own_approval_and_applies_without_asking(cli: Cli, tmp_path: Path) -> None:
    out = saved_plan(cli, tmp_path)
    applied = cli("apply", "--plan", str(out))  # stdin is not a terminal: a prompt would refuse
    assert applied.exit_code == 0, applied.output + applied.stderr
    assert "Apply: 22 applied, 0 failed, 0 skipped." in applied.output
    created = [line for line in applied.output.splitlines() if line.startswith("created: ")]
    assert len(created) == 22
    optional_id = r"( \(id [A-Za-z0-9]+\))?"
    assert any(re.fullmatch(rf"created: downtown-dental: tag vip{optional_id}", line) for line in created), created
    assert any(re.fullmatch(rf"created: users: user jane@example\.com{optional_id}", line) for line in created)
    assert any(
        re.fullmatch(rf"created: uptown-ortho: price Clear Aligner Plan/Full{optional_id}", line) for line in created
    )


def test_auto_approve_stays_accepted_with_a_saved_plan(cli: Cli, tmp_path: Path) -> None:
    out = saved_plan(cli, tmp_path)
    applied = cli("apply", "--plan", str(out), "--auto-approve")
    assert applied.exit_code == 0, applied.output + applied.stderr


class Captured:
    def __init__(self, answer: str | None) -> None:
        self.out: list[str] = []
        self.err: list[str] = []
        self.asked: list[str] = []
        self.io = Io(
            out=self.out.append,
            err=self.err.append,
            interactive=answer is not None,
            ask=lambda prompt: self.asked.append(prompt) or (answer or ""),
        )


def _apply(cli: Cli, io: Io, plan_file: str | list[str], **options: Any) -> int:
    settings = Settings(env=cli.env, parallelism=1, rate_limit=False)
    return apply_command([], locations=[], auto_approve=False, settings=settings, io=io, plan_file=plan_file, **options)


@pytest.mark.parametrize(("answer", "code", "count"), [("yes", 0, 22), ("no", 1, 0)])
def test_confirm_asks_before_applying_a_saved_plan(
    cli: Cli, tmp_path: Path, answer: str, code: int, count: int
) -> None:
    out = saved_plan(cli, tmp_path)
    cli.sb.clear_requests()
    captured = Captured(answer)
    assert _apply(cli, captured.io, str(out), confirm=True) == code
    assert captured.asked == ["Apply these changes? Only 'yes' is accepted"]
    assert len([r for r in writes(cli) if r.status < 400]) >= count
    if answer == "no":
        assert writes(cli) == []
        assert captured.err == ["Apply cancelled; nothing was changed."]


def test_confirm_without_a_terminal_is_refused_before_any_write(cli: Cli, tmp_path: Path) -> None:
    out = saved_plan(cli, tmp_path)
    cli.sb.clear_requests()
    with pytest.raises(ConfigError) as caught:
        _apply(cli, Captured(None).io, str(out), confirm=True)
    assert str(caught.value) == "refusing to apply without confirmation: stdin is not a terminal; drop --confirm"
    assert writes(cli) == []


def test_two_plan_files_for_one_apply_are_refused_before_any_call(cli: Cli, tmp_path: Path) -> None:
    out = saved_plan(cli, tmp_path)
    other = tmp_path / "other.json"
    other.write_text(out.read_text())
    cli.sb.clear_requests()
    with pytest.raises(ConfigError) as twice:
        _apply(cli, Captured(None).io, [str(out), str(out)])
    assert str(twice.value) == f"plan file {str(out)!r} is given twice; give each plan once"
    with pytest.raises(ConfigError) as two:
        _apply(cli, Captured(None).io, [str(out), str(other)])
    assert str(two.value) == "apply takes one --plan FILE, got 2; apply each shard's plan in its own run"
    assert cli.sb.requests == []


def test_show_refuses_a_plan_file_given_twice_or_a_location_in_two_files(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = saved_plan(cli, tmp_path)
    monkeypatch.chdir(tmp_path)
    same = cli("show", "plan.json", "plan.json")
    assert same.exit_code == 1
    assert same.stderr.strip() == "error: plan file 'plan.json' is given twice; give each plan once"
    aliased = cli("show", "plan.json", "./plan.json")
    assert aliased.stderr.strip() == (
        "error: plan file './plan.json' (the same file as 'plan.json') is given twice; give each plan once"
    )
    (tmp_path / "copy.json").write_text(out.read_text())
    overlapping = cli("show", "plan.json", "copy.json")
    assert overlapping.exit_code == 1
    assert overlapping.stderr.strip() == (
        "error: location 'downtown-dental' is in both plan.json and copy.json; show each location's plan once"
    )
