"""References to objects no manifest declares (issue 11, section 2), against the sandbox."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import EXAMPLES, Cli

DENTAL = "ve9EPM428h8vShlRW1KT"

CALENDAR_ONLY = """\
apiVersion: ghlops/v1
kind: Location
metadata:
  name: downtown-dental
spec:
  locationId: ve9EPM428h8vShlRW1KT
  calendars:
    - name: Sales Consultation
      calendarType: round_robin
      teamMembers:
        - user: jane@example.com
          priority: 1
        - user: {member}
"""


def test_an_export_of_calendars_alone_validates_and_plans_no_changes(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    out = tmp_path / "calendars.yaml"
    exported = cli(
        "export", "--location-id", DENTAL, "--name", "downtown-dental", "--kinds", "calendars", "-o", str(out)
    )
    assert exported.exit_code == 0, exported.output
    text = out.read_text()
    assert "users:" not in text and "- user: jane@example.com" in text
    assert cli("validate", str(out)).exit_code == 0
    again = cli("plan", str(out), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert again.output.strip().splitlines()[-1] == "No changes. 1 location matches the manifests."


def test_a_team_member_naming_a_live_user_no_manifest_declares_is_resolved(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    path = tmp_path / "dental.yaml"
    # Omar is a live user: the calendar keeps him without any manifest declaring (and so managing) him.
    path.write_text(CALENDAR_ONLY.format(member="Omar@Example.com"))
    result = cli("plan", str(path), "--detailed-exitcode")
    assert result.exit_code == 0, result.output


def test_a_team_member_matching_no_user_is_a_plan_error_naming_it(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    path = tmp_path / "dental.yaml"
    path.write_text(CALENDAR_ONLY.format(member="ghost@example.com"))
    before = len(cli.sb.requests)
    # Offline, only the shape is checked: an email may name a user that exists live.
    assert cli("validate", "--offline", str(path)).exit_code == 0
    result = cli("plan", str(path))
    assert result.exit_code == 1
    assert (
        "downtown-dental: calendar 'Sales Consultation': team member 'ghost@example.com' matches no live user and "
        "no user the manifests declare"
    ) in result.output
    assert not [r for r in cli.sb.requests[before:] if r.method != "GET"]


def test_a_team_member_that_is_not_an_email_is_a_validation_error(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "dental.yaml"
    path.write_text(CALENDAR_ONLY.format(member="omar"))
    result = cli("validate", "--offline", str(path))
    assert result.exit_code == 1
    assert f"{path}:13:17: spec.calendars[0].teamMembers[1].user: team member 'omar' is not an email address" in (
        result.output
    )
