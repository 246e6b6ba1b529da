"""Calendar groups end to end against the sandbox (issue 11, section 3): calendars name their group, a group created
in the same apply is referenced by ref, isActive goes through the status endpoint, a calendar leaves its group
with groupId "", a group calendars leave is deleted after they left it, and export plans no changes. Every
request is checked against the GHL OpenAPI documents."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import openapi_contract
from tests.e2e.conftest import Cli

LOC = "ve9EPM428h8vShlRW1KT"

HEAD = """\
apiVersion: ghlops/v1
kind: Location
metadata:
  name: downtown-dental
spec:
  locationId: ve9EPM428h8vShlRW1KT
"""

FIRST = (
    HEAD
    + """\
  calendarGroups:
    - name: Dental Care
      description: Cleanings and checkups
      slug: dental-care
    - name: Surgery
      isActive: false
  calendars:
    - name: Sales Consultation
      calendarType: round_robin
      group: Dental Care
    - name: Implant Consult
      calendarType: event
      group: surgery
"""
)

# Surgery changes its description and becomes active (two calls: the group PUT and the status PUT); Sales
# Consultation leaves its group.
SECOND = (
    HEAD
    + """\
  calendarGroups:
    - name: Dental Care
      description: Cleanings and checkups
      slug: dental-care
    - name: Surgery
      description: Implants
      isActive: true
  calendars:
    - name: Sales Consultation
      calendarType: round_robin
      group: ""
    - name: Implant Consult
      calendarType: event
      group: Surgery
"""
)

# Surgery is no longer declared and groups are pruned; Implant Consult moves to Dental Care first.
THIRD = (
    HEAD
    + """\
  prune: [calendarGroups]
  calendarGroups:
    - name: Dental Care
      description: Cleanings and checkups
      slug: dental-care
  calendars:
    - name: Sales Consultation
      calendarType: round_robin
    - name: Implant Consult
      calendarType: event
      group: Dental Care
"""
)


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "dental.yaml"
    path.write_text(text)
    return str(path)


def _groups(cli: Cli) -> dict[str, dict[str, object]]:
    return {g["name"]: g for g in cli.sb.store.find("calendarGroup", owner=LOC)}


def _calendar_groups(cli: Cli) -> dict[str, object]:
    return {c["name"]: c.get("groupId") for c in cli.sb.store.find("calendar", owner=LOC)}


def _no_changes(cli: Cli, path: str) -> None:
    again = cli("plan", path, "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert again.output.strip().splitlines()[-1] == "No changes. 1 location matches the manifests."


def _conformance(cli: Cli) -> list[str]:
    found: list[str] = []
    for r in cli.sb.requests:
        found.extend(openapi_contract.problems(r.method, urlsplit(r.path).path, r.query, r.headers, r.json))
    return found


@pytest.mark.skipif(not openapi_contract.available(), reason=openapi_contract.SKIP_REASON)
def test_calendar_groups_converge_through_create_status_leave_and_prune(cli: Cli, tmp_path: Path) -> None:
    path = _write(tmp_path, FIRST)
    assert cli("validate", path).exit_code == 0
    applied = cli("apply", path, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    groups = _groups(cli)
    assert {n: (g["slug"], g["description"], g["isActive"]) for n, g in groups.items()} == {
        "Dental Care": ("dental-care", "Cleanings and checkups", True),
        # A create without a slug or a description sends one made from the name, and an empty description.
        "Surgery": ("surgery", "", False),
    }
    # Both calendars were created in the same apply as their groups: their groupId came from the group's create.
    assert _calendar_groups(cli) == {
        "Sales Consultation": groups["Dental Care"]["id"],
        "Implant Consult": groups["Surgery"]["id"],
    }
    _no_changes(cli, path)

    path = _write(tmp_path, SECOND)
    cli.sb.clear_requests()
    applied = cli("apply", path, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    writes = [(r.method, r.path, r.json) for r in cli.sb.requests if r.changes]
    surgery = groups["Surgery"]["id"]
    sales = next(c["id"] for c in cli.sb.store.find("calendar", owner=LOC) if c["name"] == "Sales Consultation")
    assert writes == [
        (
            "PUT",
            f"/calendars/groups/{surgery}",
            {"name": "Surgery", "description": "Implants", "slug": "surgery"},
        ),
        ("PUT", f"/calendars/groups/{surgery}/status", {"isActive": True}),
        ("PUT", f"/calendars/{sales}", {"groupId": ""}),
    ]
    assert _groups(cli)["Surgery"]["isActive"] is True
    assert _calendar_groups(cli)["Sales Consultation"] == ""
    _no_changes(cli, path)

    path = _write(tmp_path, THIRD)
    planned = cli("plan", path)
    assert planned.exit_code == 0, planned.output
    assert "- calendar group Surgery" in planned.output
    cli.sb.clear_requests()
    applied = cli("apply", path, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    implant = next(c["id"] for c in cli.sb.store.find("calendar", owner=LOC) if c["name"] == "Implant Consult")
    writes = [(r.method, r.path) for r in cli.sb.requests if r.changes]
    # The calendar leaves the group before the group is deleted.
    assert writes == [("PUT", f"/calendars/{implant}"), ("DELETE", f"/calendars/groups/{surgery}")]
    assert list(_groups(cli)) == ["Dental Care"]
    assert _calendar_groups(cli)["Implant Consult"] == groups["Dental Care"]["id"]
    _no_changes(cli, path)
    assert _conformance(cli) == []


@pytest.mark.skipif(not openapi_contract.available(), reason=openapi_contract.SKIP_REASON)
def test_an_export_of_groups_and_calendars_names_groups_and_plans_no_changes(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", _write(tmp_path, FIRST), "--auto-approve").exit_code == 0
    out = tmp_path / "exported.yaml"
    exported = cli(
        "export", "--location-id", LOC, "--name", "downtown-dental", "--kinds", "calendarGroups,calendars",
        "-o", str(out),
    )  # fmt: skip
    assert exported.exit_code == 0, exported.output
    text = out.read_text()
    assert (
        "  calendarGroups:\n"
        "    - name: Dental Care\n"
        "      description: Cleanings and checkups\n"
        "      slug: dental-care\n"
        "    - name: Surgery\n"
        "      slug: surgery\n"
        "      isActive: false\n"
    ) in text
    assert "group: Dental Care" in text and "group: Surgery" in text and "groupId" not in text
    assert cli("validate", str(out)).exit_code == 0
    _no_changes(cli, str(out))
    assert _conformance(cli) == []


def test_a_live_group_no_manifest_declares_resolves_and_an_unknown_one_is_a_plan_error(
    cli: Cli, tmp_path: Path
) -> None:
    walk_in = {
        "id": "walkInGroup000000001", "locationId": LOC, "name": "Walk-ins", "description": "", "slug": "walk-ins",
        "isActive": True,
    }  # fmt: skip
    cli.sb.store.add("calendarGroup", walk_in["id"], LOC, walk_in)
    calendar = HEAD + "  calendars:\n    - name: Drop-in\n      calendarType: event\n      group: {group}\n"
    path = _write(tmp_path, calendar.format(group="walk-ins"))
    applied = cli("apply", path, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert _calendar_groups(cli) == {"Drop-in": "walkInGroup000000001"}
    _no_changes(cli, path)

    path = _write(tmp_path, calendar.format(group="Nowhere"))
    assert cli("validate", "--offline", path).exit_code == 0
    cli.sb.clear_requests()
    result = cli("plan", path)
    assert result.exit_code == 1
    assert (
        "downtown-dental: calendar 'Drop-in': group 'Nowhere' matches no live calendar group and no calendar group "
        "the manifests declare"
    ) in result.output
    assert [r for r in cli.sb.requests if r.changes] == []


def test_a_calendar_setting_both_group_and_group_id_is_a_validation_error(cli: Cli, tmp_path: Path) -> None:
    path = _write(tmp_path, HEAD + "  calendars:\n    - name: Both\n      group: Surgery\n      groupId: abc\n")
    result = cli("validate", "--offline", path)
    assert result.exit_code == 1
    assert "set group (by name) or groupId, not both" in result.output


NEW = "NewClinicLocation0001"

WITH_NOTIFICATION = FIRST.replace(
    "      group: surgery\n",
    "      group: surgery\n      notifications:\n        - {notificationType: reminder, channel: sms, "
    "receiverType: contact, body: Soon, beforeTime: [{timeOffset: 2, unit: hours}]}\n",
)


def _shape(cli: Cli, location_id: str) -> dict[str, object]:
    groups = {g["id"]: g["name"] for g in cli.sb.store.find("calendarGroup", owner=location_id)}
    calendars = cli.sb.store.snapshot(location_id)["calendars"]
    return {
        "groups": sorted((g["name"], g["slug"], g["isActive"]) for g in cli.sb.store.find("calendarGroup",
                                                                                        owner=location_id)),
        "calendars": sorted(
            (c["name"], groups.get(c.get("groupId", "")), [n["body"] for n in c["notifications"]]) for c in calendars
        ),
    }  # fmt: skip


@pytest.mark.skipif(not openapi_contract.available(), reason=openapi_contract.SKIP_REASON)
@pytest.mark.parametrize("as_template", [False, True], ids=["location", "template"])
def test_a_clone_of_groups_calendars_and_notifications_converges_on_an_empty_location(
    cli: Cli, tmp_path: Path, as_template: bool
) -> None:
    assert cli("apply", _write(tmp_path, WITH_NOTIFICATION), "--auto-approve").exit_code == 0
    cli.sb.store.create_location(NEW, "New Clinic", cli.sb.company_id)
    out = tmp_path / "new-clinic.yaml"
    args = ["clone", "--from-location-id", LOC, "--to-location-id", NEW, "--name", "new-clinic", "-o", str(out),
            "--kinds", "calendarGroups,calendars"]  # fmt: skip
    if as_template:
        args += ["--as-template", "dental-base"]
    cloned = cli(*args)
    assert cloned.exit_code == 0, cloned.output
    text = out.read_text()
    # Groups are named, never by the source location's ids.
    assert "group: Surgery" in text and "groupId" not in text
    if as_template:
        assert "kind: Template" in text and "templates: [dental-base]" in text
    applied = cli("apply", str(out), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    _no_changes(cli, str(out))
    assert _shape(cli, NEW) == _shape(cli, LOC)
    assert _shape(cli, NEW)["calendars"] == [("Implant Consult", "Surgery", ["Soon"]), ("Sales Consultation",
                                              "Dental Care", [])]  # fmt: skip
    assert _conformance(cli) == []


IN_WALK_INS = (
    HEAD
    + """\
  calendarGroups:
    - name: Walk-ins
  calendars:
    - name: Sales Consultation
      calendarType: round_robin
      group: Walk-ins
    - name: Drop-in
      calendarType: event
      group: Walk-ins
"""
)


@pytest.mark.skipif(not openapi_contract.available(), reason=openapi_contract.SKIP_REASON)
def test_pruning_a_group_calendars_stay_in_warns_naming_them_and_ghl_leaves_them_ungrouped(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli("apply", _write(tmp_path, IN_WALK_INS), "--auto-approve").exit_code == 0
    walk_ins = _groups(cli)["Walk-ins"]["id"]
    # Drop-in is no longer declared (and calendars are not pruned); Sales Consultation no longer manages its group.
    path = _write(tmp_path, HEAD + "  prune: [calendarGroups]\n  calendars:\n    - name: Sales Consultation\n"
                  "      calendarType: round_robin\n")  # fmt: skip
    planned = cli("plan", path)
    assert planned.exit_code == 0, planned.output
    assert (
        "deleting a calendar group its booking page stops working (its calendars stay, ungrouped)" in planned.output
    )
    assert "still in it, and no manifest moves them: calendar 'Drop-in', calendar 'Sales Consultation'" in (
        planned.output
    )
    cli.sb.clear_requests()
    applied = cli("apply", path, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert [(r.method, r.path) for r in cli.sb.requests if r.changes] == [("DELETE", f"/calendars/groups/{walk_ins}")]
    # The sandbox does what GHL's "delete group only" does: the calendars stay, in no group.
    assert _calendar_groups(cli) == {"Sales Consultation": None, "Drop-in": None}
    _no_changes(cli, path)
    assert _conformance(cli) == []


def test_pruning_a_group_a_declared_calendar_still_names_is_a_plan_error_naming_both(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli("apply", _write(tmp_path, IN_WALK_INS), "--auto-approve").exit_code == 0
    walk_ins = _groups(cli)["Walk-ins"]["id"]
    path = _write(tmp_path, HEAD + "  prune: [calendarGroups]\n  calendars:\n    - name: Sales Consultation\n"
                  "      calendarType: round_robin\n      group: walk-ins\n    - name: Drop-in\n"
                  f"      calendarType: event\n      groupId: {walk_ins}\n")  # fmt: skip
    cli.sb.clear_requests()
    result = cli("apply", path, "--auto-approve")
    assert result.exit_code == 1, result.output
    assert (
        "downtown-dental: calendar 'Sales Consultation': group 'walk-ins', which this plan deletes (calendarGroups "
        "prune, and no manifest declares it): declare the calendar group or name another"
    ) in result.output
    assert (
        f"downtown-dental: calendar 'Drop-in': groupId '{walk_ins}' (calendar group 'Walk-ins'), which this plan "
        "deletes (calendarGroups prune, and no manifest declares it): declare the calendar group or name another"
    ) in result.output
    assert [r for r in cli.sb.requests if r.changes] == []
