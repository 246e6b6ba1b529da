"""ghlops against answers shaped like real GHL's (issue #9): plan, apply and export work, converge, and keep
every key GHL sent that ghlops doesn't manage."""

from __future__ import annotations

from pathlib import Path

from ghlops.sandbox import Sandbox
from ghlops.sandbox.store import Kind
from tests.e2e.conftest import EXAMPLES, Cli
from tests.replay.real_world import EXTRA_PERMISSIONS, ZOOM_CONFIG, ZOOM_MEMBER, add_raw, make_real_world

DOWNTOWN = "ve9EPM428h8vShlRW1KT"
UPTOWN = "Xy7Pq2Lm9Rt4Vb6Nc8Dz"


def seeded(cli: Cli, sandbox: Sandbox) -> None:
    result = cli("apply", str(EXAMPLES), "--auto-approve")
    assert result.exit_code == 0, result.output
    make_real_world(sandbox, [DOWNTOWN, UPTOWN])


def test_real_world_answers_plan_as_no_changes_when_the_manifests_match(cli: Cli, sandbox: Sandbox) -> None:
    seeded(cli, sandbox)
    result = cli("plan", str(EXAMPLES), "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert "No changes" in result.output


def test_a_priority_change_keeps_each_team_members_zoom_settings(cli: Cli, sandbox: Sandbox, tmp_path: Path) -> None:
    seeded(cli, sandbox)
    manifest = tmp_path / "downtown.yaml"
    text = (EXAMPLES / "downtown-dental.yaml").read_text()
    manifest.write_text(text.replace("          priority: 0.5\n", "          priority: 1\n"))
    plan = cli("plan", str(manifest), "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "~ calendar Sales Consultation" in plan.output
    applied = cli("apply", str(manifest), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    (calendar,) = sandbox.store.find(Kind.CALENDAR, owner=DOWNTOWN)
    members = calendar["teamMembers"]
    assert [m["priority"] for m in members] == [1, 1]
    for member in members:
        assert {k: member[k] for k in ZOOM_MEMBER} == ZOOM_MEMBER
        assert member["locationConfigurations"] == [ZOOM_CONFIG]
    # Nested settings GHL replaces whole keep the keys the documents don't list.
    assert calendar["recurring"]["weekDays"] == [] and calendar["recurring"]["interval"] == 1
    again = cli("plan", str(manifest), "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_unknown_permissions_are_sent_back_when_a_user_changes(cli: Cli, sandbox: Sandbox, tmp_path: Path) -> None:
    seeded(cli, sandbox)
    manifest = tmp_path / "downtown.yaml"
    text = (EXAMPLES / "downtown-dental.yaml").read_text()
    with_permission = "      lastName: Haddad\n      permissions: {tagsEnabled: false}\n"
    manifest.write_text(text.replace("      lastName: Haddad\n", with_permission))
    applied = cli("apply", str(manifest), "--location", "downtown-dental", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    (omar,) = [u for u in sandbox.store.users(sandbox.company_id) if u["email"] == "omar@example.com"]
    assert omar["permissions"]["tagsEnabled"] is False
    assert {k: omar["permissions"][k] for k in EXTRA_PERMISSIONS} == EXTRA_PERMISSIONS
    assert cli("plan", str(manifest), "--location", "downtown-dental", "--detailed-exitcode").exit_code == 0


def test_an_odd_value_in_a_managed_field_is_shown_as_sent_and_updated(
    cli: Cli, sandbox: Sandbox, tmp_path: Path
) -> None:
    seeded(cli, sandbox)
    manifest = tmp_path / "uptown.yaml"
    text = (EXAMPLES / "uptown-ortho.yaml").read_text()
    manifest.write_text(text.replace("      slotDuration: 45\n", "      slotDuration: 45\n      appoinmentPerDay: 3\n"))
    plan = cli("plan", str(manifest), "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "appoinmentPerDay: \"\" -> 3" in plan.output or "appoinmentPerDay: '' -> 3" in plan.output, plan.output
    assert cli("apply", str(manifest), "--auto-approve").exit_code == 0
    assert cli("plan", str(manifest), "--detailed-exitcode").exit_code == 0


def test_objects_ghlops_cannot_match_are_left_alone_with_a_warning(cli: Cli, sandbox: Sandbox) -> None:
    seeded(cli, sandbox)
    add_raw(sandbox, Kind.TAG, DOWNTOWN, "tag-noname", {"id": "tag-noname", "locationId": DOWNTOWN})
    add_raw(
        sandbox,
        Kind.CALENDAR,
        DOWNTOWN,
        "cal-odd",
        {"id": "cal-odd", "locationId": DOWNTOWN, "name": "Walk-ins", "appoinmentPerDay": "", "openHours": {},
         "slotDuration": "thirty", "calendarType": "google_meet_only", "teamMembers": [{"userId": "gone", "x": 1}]},
    )  # fmt: skip
    result = cli("plan", str(EXAMPLES), "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert (
        "warning: downtown-dental: tags: left alone a tag GHL listed (id tag-noname): object without a string 'name'"
        in result.stderr
    )
    assert "unmanaged: 1 calendar" in result.output


def test_export_of_real_world_answers_plans_empty(cli: Cli, sandbox: Sandbox, tmp_path: Path) -> None:
    seeded(cli, sandbox)
    out = tmp_path / "exported.yaml"
    exported = cli("export", "--location-id", DOWNTOWN, "-o", str(out))
    assert exported.exit_code == 0, exported.output
    text = out.read_text()
    assert "appoinmentPerDay" not in text and "parentId" not in text and "zoomOauthId" not in text
    assert "leaves every field in the folder it is in" in exported.stderr
    assert cli("validate", str(out)).exit_code == 0
    result = cli("plan", str(out), "--detailed-exitcode")
    assert result.exit_code == 0, result.output
